"""Reports as people read them: plain text, Markdown, HTML and CSV.

Every renderer is a pure function of a :class:`~charterdsl.report.Report`. Text, Markdown and
HTML share one layout: the report is first laid out as a list of format-neutral blocks
(headings, paragraphs, tables, cited derivations, charts), and each format only decides how a
block looks. That keeps the three human-readable formats saying the same thing.

Everything that comes from a charter or a delivery file is untrusted: it is cleaned of invisible
control characters (:func:`clean`) and then escaped for the format it lands in. Money is exact
``Decimal`` throughout and is rounded to pence only when printed.
"""

from __future__ import annotations

import csv
import html
import io
import re
import textwrap
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Literal, NamedTuple

from charterdsl.report import (
    ConsequenceEvent,
    ContractReport,
    GroupTotal,
    Rejection,
    Report,
    ReviewOutcome,
    RowRef,
    TargetRating,
    ValueLine,
    ValueTotal,
    Verdict,
    VerdictStatus,
)

__all__ = [
    "RENDERERS",
    "clean",
    "money",
    "percent",
    "render_csv",
    "render_html",
    "render_markdown",
    "render_rejections_csv",
    "render_text",
]

# ---------------------------------------------------------------------------------------------
# Untrusted text
# ---------------------------------------------------------------------------------------------

REPLACEMENT = "\ufffd"
# Cc: C0/C1 controls (ESC could smuggle terminal escapes, CR could fake line starts).
# Cf: invisible format characters such as U+202E, which reorders what a reader sees.
# Cs: lone surrogates, which cannot be encoded. Zl/Zp: line breaks that bypass layout.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_KEPT_CONTROLS = frozenset({"\n", "\t"})


def _is_unsafe(char: str) -> bool:
    return char not in _KEPT_CONTROLS and unicodedata.category(char) in _UNSAFE_CATEGORIES


def clean(text: str) -> str:
    """``text`` with invisible and control characters (but newline and tab) shown as U+FFFD."""
    return "".join(REPLACEMENT if _is_unsafe(char) else char for char in text)


def one_line(text: str) -> str:
    """Cleaned text on a single line, for table cells, headings and wrapped prose."""
    return clean(text).replace("\n", " ").replace("\t", " ")


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def _round(amount: Decimal, places: int) -> Decimal:
    """``amount`` rounded half-even to ``places`` decimals, however large it is."""
    # The default context holds 28 digits; a wider one keeps huge sums from raising.
    digits = max(amount.adjusted(), 0) + places + 2
    exponent = Decimal(1).scaleb(-places)
    rounded = amount.quantize(exponent, rounding=ROUND_HALF_EVEN, context=Context(prec=digits))
    return rounded.copy_abs() if rounded.is_zero() else rounded  # never print "-0.00"


def money(amount: Decimal) -> str:
    """Pounds with thousands commas, rounded to pence for display: ``£1,234,567.00``."""
    if not amount.is_finite():
        return str(amount)
    pence = _round(amount, 2)
    sign = "-" if pence < 0 else ""
    return f"{sign}£{pence.copy_abs():,.2f}"


def percent(amount: Decimal) -> str:
    """A percentage to one decimal place: ``87.6%``."""
    if not amount.is_finite():
        return f"{amount}%"
    return f"{_round(amount, 1):,.1f}%"


def number(amount: Decimal) -> str:
    """A quantity for reading: at most two decimals, no trailing zeros, thousands commas."""
    if not amount.is_finite():
        return str(amount)
    text = f"{_round(amount, 2):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def plain(amount: Decimal | None) -> str:
    """The exact value without exponent, for machine-readable output; empty when absent."""
    return "" if amount is None else f"{amount:f}"


def quantity(amount: Decimal | None, unit: str) -> str:
    if amount is None:
        return "no data"
    if unit in ("GBP", "£"):
        return money(amount)
    if unit == "%":
        return f"{number(amount)}%"
    return f"{number(amount)} {unit}".rstrip()


def pence_per_pound(amount: Decimal | None) -> str:
    return "-" if amount is None else f"{number(amount * 100)}p per £1"


# ---------------------------------------------------------------------------------------------
# Citations and labels
# ---------------------------------------------------------------------------------------------


def _runs(rows: Sequence[int]) -> Iterator[str]:
    """Consecutive row numbers as ranges: 2, 3, 4, 7 -> "2-4", "7"."""
    start = previous = rows[0]
    for row in [*rows[1:], None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        yield str(start) if start == previous else f"{start}-{previous}"
        if row is not None:
            start = previous = row


def cite_rows(rows: Iterable[RowRef]) -> str:
    """Rows grouped by file, in order: ``delivery.csv rows 2-4, 7; late.csv row 3``."""
    by_file: dict[str, list[int]] = {}
    for ref in rows:
        by_file.setdefault(ref.file, []).append(ref.row)
    parts = []
    for file, numbers in by_file.items():
        distinct = sorted(set(numbers))
        noun = "row" if len(distinct) == 1 else "rows"
        parts.append(f"{file} {noun} {', '.join(_runs(distinct))}")
    return "; ".join(parts) or "no rows"


def status_label(status: VerdictStatus) -> str:
    return status.value[:1].upper() + status.value[1:]


Tone = Literal["good", "warn", "bad", "dim", ""]

_STATUS_TONES: dict[VerdictStatus, Tone] = {
    VerdictStatus.MET: "good",
    VerdictStatus.APPROACHING: "warn",
    VerdictStatus.REQUIRES_IMPROVEMENT: "bad",
    VerdictStatus.INADEQUATE: "bad",
    VerdictStatus.MISSED: "bad",
}

# Procurement Act ratings as the evaluator spells them, compared without case.
_RATING_TONES: dict[str, Tone] = {
    "good": "good",
    "approaching target": "warn",
    "requires improvement": "bad",
    "inadequate": "bad",
}


def status_tone(status: VerdictStatus) -> Tone:
    return _STATUS_TONES.get(status, "dim")


def rating_tone(rating: str | None) -> Tone:
    return "dim" if rating is None else _RATING_TONES.get(rating.strip().lower(), "")


def needs_derivation(verdict: Verdict) -> bool:
    """Met and not-yet-due verdicts speak for themselves; every other one is explained."""
    return verdict.status not in (VerdictStatus.MET, VerdictStatus.NOT_YET_DUE)


# ---------------------------------------------------------------------------------------------
# Format-neutral layout
# ---------------------------------------------------------------------------------------------


class Marked(NamedTuple):
    """A table cell with a tone, so a status can be coloured without losing its words."""

    text: str
    tone: Tone


Cell = str | Marked


class Heading(NamedTuple):
    level: int
    text: str


class Para(NamedTuple):
    text: str


class Table(NamedTuple):
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: frozenset[int] = frozenset()  # columns aligned right


class Line(NamedTuple):
    """One line of a derivation: a short label, what it says, and where that comes from."""

    label: str
    text: str
    cite: str | None = None


class Cited(NamedTuple):
    level: int
    title: str
    tone: Tone
    lines: tuple[Line, ...]


class Bullets(NamedTuple):
    items: tuple[str, ...]


class Bar(NamedTuple):
    label: str
    delivered: Decimal | None
    due: Decimal | None
    due_upper: Decimal | None
    status: VerdictStatus


class Chart(NamedTuple):
    """Delivered against due over time for one target; only HTML draws it, the others have
    the same figures in the verdict table."""

    title: str
    unit: str
    bars: tuple[Bar, ...]


Block = Heading | Para | Table | Cited | Bullets | Chart


def cell_text(cell: Cell) -> str:
    return cell.text if isinstance(cell, Marked) else cell


def cell_tone(cell: Cell) -> Tone:
    return cell.tone if isinstance(cell, Marked) else ""


# --- header and contracts --------------------------------------------------------------------


def layout(report: Report) -> list[Block]:
    """The whole report as blocks, in reading order."""
    blocks: list[Block] = [
        Heading(1, report.charter),
        Para(f"Charter file {report.charter_file}; as of {report.as_of.isoformat()}."),
        Para(
            f"rows read {report.rows_read} = used {report.rows_used}"
            f" + rejected {report.rows_rejected}"
        ),
    ]
    for contract in report.contracts:
        blocks.extend(_contract_blocks(contract))
    blocks.extend(_summary_blocks(report))
    blocks.extend(_rejection_blocks(report.rejections))
    if report.notes:
        blocks += [Heading(2, "Notes"), Bullets(report.notes)]
    return blocks


def _contract_facts(contract: ContractReport) -> str:
    facts = [f"Supplier {contract.supplier}" if contract.supplier else "Supplier not stated"]
    if contract.value is not None:
        facts.append(f"value {money(contract.value)}")
    if contract.start is not None and contract.end is not None:
        facts.append(f"runs from {contract.start.isoformat()} to {contract.end.isoformat()}")
    return "; ".join(facts) + "."


def _contract_blocks(contract: ContractReport) -> Iterator[Block]:
    yield Heading(2, f"{contract.id}: {contract.title}")
    yield Para(_contract_facts(contract))
    if contract.verdicts:
        yield Heading(3, "Verdicts")
        shown, later = _split_future(contract.verdicts)
        yield _verdict_table(shown)
        if later:
            yield Para(_future_summary(later))
        yield from _charts(contract)
    derived = [v for v in contract.verdicts if needs_derivation(v)]
    if derived:
        yield Heading(3, "How the verdicts were reached")
        yield from (_derivation(v) for v in derived)
    if contract.reviews:
        yield Heading(3, "Reviews")
        held = [r for r in contract.reviews if r.held]
        coming = [r for r in contract.reviews if not r.held]
        for review in held + coming[:1]:
            yield from _review_blocks(review)
        if len(coming) > 1:
            dates = ", ".join(r.date.isoformat() for r in coming[1:])
            yield Para(f"Later reviews: {dates}.")
    if contract.values:
        yield from _value_blocks(contract)


# --- verdicts --------------------------------------------------------------------------------


def _due(verdict: Verdict) -> str:
    if verdict.due is None:
        return "-"
    if verdict.due_upper is None:
        return quantity(verdict.due, verdict.unit)
    return f"{quantity(verdict.due, '')} to {quantity(verdict.due_upper, verdict.unit)}"


def _pct(amount: Decimal | None) -> str:
    return "-" if amount is None else percent(amount)


def _split_future(verdicts: Sequence[Verdict]) -> tuple[list[Verdict], list[Verdict]]:
    """Windows that have not started yet are counted, not listed: a five-year contract has
    dozens of them and they say nothing yet. Every one is still in the JSON and CSV reports."""
    later = [v for v in verdicts if v.status is VerdictStatus.NOT_YET_DUE and not v.provisional
             and v.delivered is None and not v.window.label.startswith("milestone")]
    return [v for v in verdicts if v not in later], later


def _future_summary(later: Sequence[Verdict]) -> str:
    counts: dict[str, int] = {}
    for verdict in later:
        counts[verdict.metric] = counts.get(verdict.metric, 0) + 1
    parts = [f"{metric} ({count})" for metric, count in counts.items()]
    return f"Not yet due, windows still to come: {', '.join(parts)}."


def _verdict_table(verdicts: Sequence[Verdict]) -> Table:
    rows = tuple(
        (
            v.metric,
            v.window.label,
            Marked(v.status.value, status_tone(v.status)),
            quantity(v.delivered, v.unit),
            _due(v),
            _pct(v.percent_of_due),
            "provisional" if v.provisional else "",
        )
        for v in verdicts
    )
    headers = ("Metric", "Window", "Status", "Delivered", "Due", "% of due", "Provisional")
    return Table(headers, rows, frozenset({3, 4, 5}))


def _delivered_line(verdict: Verdict) -> Line:
    text = quantity(verdict.delivered, verdict.unit)
    text += f"; data covers {percent(verdict.coverage_percent)} of the window"
    return Line("delivered", text, cite_rows(verdict.rows_used))


def _due_line(verdict: Verdict) -> Line:
    text = _due(verdict)
    if verdict.percent_of_due is not None:
        text += f";  delivered is {percent(verdict.percent_of_due)} of due"
    return Line("due", text)


def _explained(lines: Iterable[str], first_label: str) -> Iterator[Line]:
    for index, text in enumerate(lines):
        yield Line(first_label if index == 0 else "", text)


def _derivation(verdict: Verdict) -> Cited:
    lines = [Line("target", verdict.target, verdict.target_at), _delivered_line(verdict)]
    if verdict.rows_excluded:
        count = len(verdict.rows_excluded)
        noun = "row" if count == 1 else "rows"
        lines.append(Line("excluded", f"{count} {noun}", cite_rows(verdict.rows_excluded)))
    if verdict.due is not None:
        lines.append(_due_line(verdict))
    if verdict.band_at is not None:
        words = f"{clean(verdict.band)} -> " if verdict.band else "-> "
        lines.append(Line("band", f"{words}{status_label(verdict.status)}", verdict.band_at))
    lines.extend(_explained(verdict.explanation, "why"))
    title = f"{verdict.contract}  {verdict.metric}  {verdict.window.label}"
    title += f"  ->  {status_label(verdict.status)}"
    if verdict.provisional:
        title += " (provisional)"
    return Cited(4, title, status_tone(verdict.status), tuple(lines))


# --- charts ----------------------------------------------------------------------------------


def _charts(contract: ContractReport) -> Iterator[Chart]:
    """One chart for each target judged over more than one window."""
    by_target: dict[tuple[str, str], list[Verdict]] = {}
    for verdict in contract.verdicts:
        by_target.setdefault((verdict.metric, verdict.target_at), []).append(verdict)
    for (metric, target_at), verdicts in by_target.items():
        if len(verdicts) < 2:
            continue
        ordered = sorted(verdicts, key=lambda v: (v.window.start, v.window.end))
        bars = tuple(
            Bar(v.window.label, v.delivered, v.due, v.due_upper, v.status) for v in ordered
        )
        unit = ordered[0].unit
        title = f"{contract.id} {metric}: {unit} delivered against due ({target_at})"
        yield Chart(title, unit, bars)


# --- reviews ---------------------------------------------------------------------------------


def _rating_cell(rating: TargetRating) -> Marked:
    text = "Other (not rated)" if rating.rating is None else rating.rating
    return Marked(text, rating_tone(rating.rating))


def _ratings_table(ratings: Sequence[TargetRating]) -> Table:
    rows = tuple(
        (r.metric, _rating_cell(r), _pct(r.percent_of_due), r.window, r.target_at)
        for r in ratings
    )
    return Table(("Metric", "Rating", "% of due", "Window", "Target at"), rows, frozenset({2}))


def _consequence(event: ConsequenceEvent) -> Cited:
    says = event.kind
    if event.due_by is not None:
        says += f" due by {event.due_by.isoformat()}"
    if event.cure_ends is not None:
        says += f"; remedy period ends {event.cure_ends.isoformat()}"
    lines = (Line("so", says, event.rule_at), Line("because", event.because))
    title = f"{event.contract}  {event.metric}  ->  {event.kind}"
    tone: Tone = "warn" if event.kind == "note" else "bad"
    return Cited(5, title, tone, lines)


def _review_blocks(review: ReviewOutcome) -> Iterator[Block]:
    when = review.date.isoformat()
    yield Heading(4, f"Review on {when}" + ("" if review.held else " (not yet held)"))
    yield Para(f"Review clause at {review.review_at}.")
    if review.ratings:
        yield _ratings_table(review.ratings)
    yield from (_consequence(event) for event in review.consequences)


# --- social value ----------------------------------------------------------------------------


def _value_table(values: Sequence[ValueLine]) -> Table:
    rows = tuple(
        (
            v.metric,
            quantity(v.quantity, v.unit),
            f"{money(v.proxy)} per {v.per_unit}",
            f"{v.price_year} prices",
            money(v.gross),
            money(v.net),
            money(v.present_value),
        )
        for v in values
    )
    headers = ("Metric", "Quantity", "Proxy", "Price year", "Gross", "Net", "Present value")
    return Table(headers, rows, frozenset({1, 2, 4, 5, 6}))


def _totals_table(totals: Sequence[ValueTotal]) -> Table:
    rows = tuple(
        (
            f"{t.price_year} prices",
            money(t.gross),
            money(t.net),
            money(t.present_value),
            pence_per_pound(t.per_pound),
        )
        for t in totals
    )
    headers = ("Price year", "Gross", "Net", "Present value", "Value per £1")
    return Table(headers, rows, frozenset({1, 2, 3, 4}))


def _value_derivation(line: ValueLine) -> Cited:
    lines = [
        Line("proxy", f"{money(line.proxy)} per {line.per_unit}, {line.price_year} prices",
             line.proxy_at or None),
        Line("rows", cite_rows(line.rows_used)),
    ]
    if line.theme is not None or line.outcomes:
        lines.append(Line("serves", ", ".join(filter(None, (line.theme, *line.outcomes)))))
    lines.extend(_explained(line.explanation, "how"))
    return Cited(5, f"{line.contract}  {line.metric}  ->  {money(line.net)} net", "", tuple(lines))


def _value_blocks(contract: ContractReport) -> Iterator[Block]:
    yield Heading(3, "Social value")
    yield _value_table(contract.values)
    if contract.totals:
        yield Heading(4, "Totals by price year")
        yield _totals_table(contract.totals)
    yield Heading(4, "Where each figure comes from")
    yield from (_value_derivation(line) for line in contract.values)


def _group_table(groups: Sequence[GroupTotal], kind: str) -> Table:
    rows = tuple(
        (g.group, f"{t.price_year} prices", money(t.gross), money(t.net), money(t.present_value))
        for g in groups
        for t in g.totals
    )
    headers = (kind, "Price year", "Gross", "Net", "Present value")
    return Table(headers, rows, frozenset({2, 3, 4}))


def _summary_blocks(report: Report) -> Iterator[Block]:
    if report.totals:
        yield Heading(2, "Social value, all contracts")
        yield _totals_table(report.totals)
    if report.by_theme:
        yield Heading(2, "Social value by theme")
        yield _group_table(report.by_theme, "Theme")
    if report.by_outcome:
        yield Heading(2, "Social value by outcome")
        yield _group_table(report.by_outcome, "Outcome")


# --- rejections ------------------------------------------------------------------------------


def _rejection_blocks(rejections: Sequence[Rejection]) -> Iterator[Block]:
    yield Heading(2, "Rejected rows")
    if not rejections:
        yield Para("None: every row read was used.")
        return
    rows = tuple(
        (f"{r.file}:{r.row}", r.contract or "", r.metric or "", r.code, r.reason)
        for r in rejections
    )
    yield Table(("Row", "Contract", "Metric", "Code", "Reason"), rows)


# ---------------------------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------------------------

_ANSI: dict[Tone, str] = {"good": "32", "warn": "33", "bad": "31", "dim": "2", "": ""}
_LABEL_WIDTH = 10


class _Paint:
    """ANSI colours for terminals; a no-op otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and code and text else text

    def tone(self, tone: Tone, text: str) -> str:
        return self.wrap(_ANSI[tone], text)

    def bold(self, text: str) -> str:
        return self.wrap("1", text)


def _fill(text: str, width: int, indent: str = "", hanging: str = "") -> list[str]:
    # Ids, citations and dates must never be split across lines.
    return textwrap.wrap(
        text, max(width, 20), initial_indent=indent, subsequent_indent=hanging or indent,
        break_long_words=False, break_on_hyphens=False,
    ) or [indent.rstrip()]


def _text_heading(block: Heading, paint: _Paint) -> list[str]:
    text = one_line(block.text)
    underline = {1: "=", 2: "-"}.get(block.level)
    if underline is None:
        return [paint.bold(text)]
    return [paint.bold(text), underline * len(text)]


def _text_row(cells: Sequence[Cell], widths: Sequence[int], numeric: frozenset[int],
              paint: _Paint) -> str:
    parts = []
    for index, (cell, size) in enumerate(zip(cells, widths, strict=True)):
        text = one_line(cell_text(cell))
        padded = text.rjust(size) if index in numeric else text.ljust(size)
        parts.append(paint.tone(cell_tone(cell), padded))  # pad first: escapes have no width
    return ("  " + "  ".join(parts)).rstrip()


def _text_table(table: Table, paint: _Paint) -> list[str]:
    texts = [[one_line(cell_text(c)) for c in row] for row in (table.headers, *table.rows)]
    widths = [max(len(row[i]) for row in texts) for i in range(len(table.headers))]
    lines = [_text_row(table.headers, widths, table.numeric, _Paint(False))]
    lines.append("  " + "  ".join("-" * size for size in widths))
    lines.extend(_text_row(row, widths, table.numeric, paint) for row in table.rows)
    return lines


def _cite_column(lines: Sequence[Line], width: int) -> int:
    """Where citations start: just after the longest cited text, if the page allows."""
    cited = [line for line in lines if line.cite]
    if not cited:
        return width
    longest = max(len(one_line(line.text)) for line in cited) + 2 + _LABEL_WIDTH + 2
    return min(longest, width - max(len(one_line(line.cite or "")) + 2 for line in cited))


def _text_line(line: Line, column: int, width: int) -> list[str]:
    prefix = "  " + one_line(line.label).ljust(_LABEL_WIDTH)
    wrapped = _fill(one_line(line.text), width, prefix, " " * len(prefix))
    if not line.cite:
        return wrapped
    tag, last = f"({one_line(line.cite)})", wrapped[-1]
    start = max(column, len(last) + 2)
    if start + len(tag) <= width:
        wrapped[-1] = last.ljust(start) + tag
    else:  # a citation is never broken; it gets a line of its own instead
        wrapped.append(" " * len(prefix) + tag)
    return wrapped


def _text_cited(block: Cited, width: int, paint: _Paint) -> list[str]:
    column = _cite_column(block.lines, width)
    lines = [paint.tone(block.tone, one_line(block.title))]
    for line in block.lines:
        lines.extend(_text_line(line, column, width))
    return lines


def _text_block(block: Block, width: int, paint: _Paint) -> list[str]:
    match block:
        case Heading():
            return _text_heading(block, paint)
        case Para(text):
            return _fill(one_line(text), width)
        case Table():
            return _text_table(block, paint)
        case Cited():
            return _text_cited(block, width, paint)
        case Bullets(items):
            return [line for item in items for line in _fill(one_line(item), width, "- ", "  ")]
        case Chart():
            return []


def render_text(report: Report, *, colour: bool = False, width: int = 100) -> str:
    """The report for a terminal or a plain-text email, ANSI colours only when asked."""
    paint = _Paint(colour)
    chunks = ["\n".join(_text_block(block, width, paint)) for block in layout(report)]
    return "\n\n".join(chunk for chunk in chunks if chunk) + "\n"


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------

# Every ASCII character with a Markdown meaning; ``&`` and ``~`` too, for entities and
# strike-through. A backslash before any ASCII punctuation is a plain literal in CommonMark.
# Characters that act anywhere in a line; with [ and ] escaped no link can form, so ( ) and !
# need no escape, which keeps the Markdown source readable.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")
# Characters that act only at the start of a line: headings, list items, rules, block quotes.
_MARKDOWN_LINE_START = re.compile(r"^([#+\-=]|[0-9]+(?=[.)]))")


def md(text: str) -> str:
    """Input text made literal in Markdown, on one line, safe inside a table cell."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text).strip())
    return _MARKDOWN_LINE_START.sub(lambda m: "\\" + m.group(1) if not m.group(1).isdigit()
                                    else m.group(1) + "\\", escaped)


def _md_table(table: Table) -> list[str]:
    def row(cells: Iterable[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    rule = ("---:" if i in table.numeric else "---" for i in range(len(table.headers)))
    lines = [row(md(h) for h in table.headers), row(rule)]
    lines.extend(row(md(cell_text(c)) for c in cells) for cells in table.rows)
    return lines


def _md_line(line: Line) -> str:
    label = f"**{md(line.label)}** " if line.label else ""
    cite = f" ({md(line.cite)})" if line.cite else ""
    return f"- {label}{md(line.text)}{cite}"


def _md_block(block: Block) -> list[str]:
    match block:
        case Heading(level, text):
            return [f"{'#' * level} {md(text)}"]
        case Para(text):
            return [md(text)]
        case Table():
            return _md_table(block)
        case Cited(level, title, _, lines):
            return [f"{'#' * level} {md(title)}", "", *(_md_line(line) for line in lines)]
        case Bullets(items):
            return [f"- {md(item)}" for item in items]
        case Chart():
            return []


def render_markdown(report: Report) -> str:
    """The report as CommonMark with GitHub pipe tables."""
    chunks = ["\n".join(_md_block(block)) for block in layout(report)]
    return "\n\n".join(chunk for chunk in chunks if chunk) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# Colours keep at least 4.5:1 contrast against their background; print drops backgrounds.
_STYLE = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; background: #ffffff; margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1, h2, h3, h4, h5 { line-height: 1.25; margin: 1.5em 0 0.5em; }
h2 { border-bottom: 2px solid #d0d7de; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.95em; }
th, td { border: 1px solid #d0d7de; padding: 0.3em 0.6em; text-align: left;
  vertical-align: top; }
thead th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.tone-good { color: #0f5323; background: #dafbe1; }
.tone-warn { color: #5c3b00; background: #fff8c5; }
.tone-bad { color: #82071e; background: #ffebe9; }
.tone-dim { color: #424a53; background: #f6f8fa; }
.derivation { border-left: 4px solid #d0d7de; padding: 0 0 0 0.8em; margin: 0 0 1em; }
.derivation.tone-good, .derivation.tone-warn, .derivation.tone-bad, .derivation.tone-dim {
  background: none; color: inherit; }
.derivation.tone-good { border-color: #1a7f37; }
.derivation.tone-warn { border-color: #9a6700; }
.derivation.tone-bad { border-color: #cf222e; }
.derivation dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1em 1em;
  margin: 0; }
.derivation dt { font-weight: 600; grid-column: 1; }
.derivation dd { margin: 0; grid-column: 2; }
cite { font-style: normal; color: #424a53; }
figure { margin: 0.5em 0 1.5em; }
figcaption { font-size: 0.9em; color: #424a53; max-width: 60rem; }
svg text { font: 11px system-ui, sans-serif; fill: #1f2328; }
@media print {
  @page { margin: 1.5cm; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  tr, figure, .derivation { break-inside: avoid; }
  thead th, .tone-good, .tone-warn, .tone-bad, .tone-dim { background: none; }
}
"""


def esc(text: str) -> str:
    """Input text made literal in HTML, in element content and in quoted attributes."""
    return html.escape(clean(text), quote=True)


def _tone_class(tone: Tone, *others: str) -> str:
    names = [*others, f"tone-{tone}" if tone else ""]
    joined = " ".join(name for name in names if name)
    return f' class="{joined}"' if joined else ""


def _html_cell(cell: Cell, index: int, numeric: frozenset[int]) -> str:
    kind = "num" if index in numeric else ""
    if index == 0:
        return f'<th scope="row"{_tone_class(cell_tone(cell), kind)}>{esc(cell_text(cell))}</th>'
    return f"<td{_tone_class(cell_tone(cell), kind)}>{esc(cell_text(cell))}</td>"


def _html_table(table: Table) -> str:
    head = "".join(
        f'<th scope="col"{_tone_class("", "num" if i in table.numeric else "")}>{esc(h)}</th>'
        for i, h in enumerate(table.headers)
    )
    body = "\n".join(
        "<tr>" + "".join(_html_cell(c, i, table.numeric) for i, c in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _html_line(line: Line) -> str:
    cite = f" <cite>({esc(line.cite)})</cite>" if line.cite else ""
    label = f"<dt>{esc(line.label)}</dt>" if line.label else ""
    return f"{label}<dd>{esc(line.text)}{cite}</dd>"


def _html_cited(block: Cited) -> str:
    lines = "\n".join(_html_line(line) for line in block.lines)
    heading = f"<h{block.level}>{esc(block.title)}</h{block.level}>"
    section = f"<section{_tone_class(block.tone, 'derivation')}>"
    return f"{section}\n{heading}\n<dl>\n{lines}\n</dl>\n</section>"


def _html_block(block: Block, index: int) -> str:
    match block:
        case Heading(level, text):
            return f"<h{level}>{esc(text)}</h{level}>"
        case Para(text):
            return f"<p>{esc(text)}</p>"
        case Table():
            return _html_table(block)
        case Cited():
            return _html_cited(block)
        case Bullets(items):
            return "<ul>\n" + "\n".join(f"<li>{esc(item)}</li>" for item in items) + "\n</ul>"
        case Chart():
            return svg_chart(block, f"chart-{index}")


def render_html(report: Report) -> str:
    """One self-contained page: inline CSS, inline SVG, no scripts, nothing fetched."""
    body = "\n".join(_html_block(block, i) for i, block in enumerate(layout(report)))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(report.charter)}: value report as of {report.as_of.isoformat()}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


# --- SVG charts ------------------------------------------------------------------------------

_SVG_FILL: dict[Tone, str] = {
    "good": "#1a7f37", "warn": "#9a6700", "bad": "#cf222e", "dim": "#6e7781", "": "#6e7781",
}
_PLOT_TOP = 12
_PLOT_HEIGHT = 160
_PLOT_LEFT = 64
_BAR_WIDTH = 28


def _px(value: Decimal) -> str:
    """A coordinate to a tenth of a pixel; Decimal keeps the page byte-for-byte repeatable."""
    return f"{_round(value, 1):f}"


class _Scale(NamedTuple):
    low: Decimal
    high: Decimal

    def y(self, value: Decimal) -> Decimal:
        share = (self.high - value) / (self.high - self.low)
        return _PLOT_TOP + share * _PLOT_HEIGHT


def _scale(bars: Sequence[Bar]) -> _Scale:
    """A value axis that includes zero and every figure drawn."""
    values = [Decimal(0)] + [
        v for bar in bars for v in (bar.delivered, bar.due, bar.due_upper) if v is not None
    ]
    low, high = min(values), max(values)
    return _Scale(low, high if high > low else low + 1)


def _slot(bars: Sequence[Bar]) -> int:
    """Horizontal room per bar: enough for its window label at about 6px a character."""
    longest = max(len(one_line(bar.label)) for bar in bars)
    return max(56, min(160, 6 * longest + 12))


def _svg_bar(bar: Bar, x: Decimal, scale: _Scale, unit: str) -> str:
    zero = scale.y(Decimal(0))
    label = f"{one_line(bar.label)}: delivered {quantity(bar.delivered, unit)}"
    label += f", due {quantity(bar.due, unit) if bar.due is not None else 'nothing'}"
    label += f" ({bar.status.value})"
    if bar.delivered is None:
        return f'<g><title>{esc(label)}</title></g>'
    top = min(scale.y(bar.delivered), zero)
    height = abs(scale.y(bar.delivered) - zero)
    fill = _SVG_FILL[status_tone(bar.status)]
    return (
        f'<rect x="{_px(x)}" y="{_px(top)}" width="{_BAR_WIDTH}" height="{_px(height)}" '
        f'fill="{fill}"><title>{esc(label)}</title></rect>'
    )


def _svg_due(value: Decimal | None, x: Decimal, scale: _Scale) -> str:
    if value is None:
        return ""
    y = _px(scale.y(value))
    return (
        f'<line x1="{_px(x - 6)}" y1="{y}" x2="{_px(x + _BAR_WIDTH + 6)}" y2="{y}" '
        'stroke="#1f2328" stroke-width="2" stroke-dasharray="4 2"/>'
    )


def _svg_slot(bar: Bar, index: int, slot: int, scale: _Scale, unit: str) -> str:
    centre = Decimal(_PLOT_LEFT + slot * index + slot // 2)
    x = centre - _BAR_WIDTH // 2
    label_y = _PLOT_TOP + _PLOT_HEIGHT + 16
    parts = [_svg_bar(bar, x, scale, unit), _svg_due(bar.due, x, scale),
             _svg_due(bar.due_upper, x, scale),
             f'<text x="{_px(centre)}" y="{label_y}" text-anchor="middle">'
             f"{esc(bar.label)}</text>"]
    if bar.delivered is None:
        parts.append(f'<text x="{_px(centre)}" y="{_px(scale.y(Decimal(0)) - 4)}" '
                     'text-anchor="middle">no data</text>')
    return "\n".join(part for part in parts if part)


def _svg_axis(scale: _Scale, width: int) -> str:
    zero = _px(scale.y(Decimal(0)))
    ticks = sorted({scale.low, Decimal(0), scale.high})
    labels = "\n".join(  # bare numbers: the unit is in the title, long units would not fit
        f'<text x="{_PLOT_LEFT - 6}" y="{_px(scale.y(t) + 4)}" text-anchor="end">'
        f"{esc(number(t))}</text>"
        for t in ticks
    )
    return (
        f'<line x1="{_PLOT_LEFT}" y1="{zero}" x2="{width}" y2="{zero}" stroke="#57606a"/>\n'
        f'<line x1="{_PLOT_LEFT}" y1="{_PLOT_TOP}" x2="{_PLOT_LEFT}" '
        f'y2="{_PLOT_TOP + _PLOT_HEIGHT}" stroke="#57606a"/>\n{labels}'
    )


def _chart_summary(chart: Chart) -> str:
    """The chart in words, for screen readers and for anyone who cannot see the bars."""
    parts = []
    for bar in chart.bars:
        due = quantity(bar.due, chart.unit) if bar.due is not None else "nothing"
        parts.append(f"{bar.label}: delivered {quantity(bar.delivered, chart.unit)} "
                     f"of {due} due, {bar.status.value}")
    return "Bars show what was delivered; dashed lines mark what was due. " + "; ".join(parts)


def svg_chart(chart: Chart, ident: str) -> str:
    """An inline SVG bar chart of delivered against due, window by window."""
    scale, slot = _scale(chart.bars), _slot(chart.bars)
    width = _PLOT_LEFT + slot * len(chart.bars) + 8
    height = _PLOT_TOP + _PLOT_HEIGHT + 28
    slots = "\n".join(
        _svg_slot(bar, i, slot, scale, chart.unit) for i, bar in enumerate(chart.bars)
    )
    return (
        f'<figure>\n<svg role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{ident}-title {ident}-desc">\n'
        f'<title id="{ident}-title">{esc(chart.title)}</title>\n'
        f'<desc id="{ident}-desc">{esc(_chart_summary(chart))}</desc>\n'
        f"{_svg_axis(scale, width)}\n{slots}\n</svg>\n"
        f"<figcaption>{esc(_chart_summary(chart))}</figcaption>\n</figure>"
    )


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------

VERDICT_COLUMNS = (
    "contract", "metric", "target", "target_at", "window_start", "window_end", "window",
    "status", "provisional", "delivered", "due", "due_upper", "unit", "percent_of_due",
    "coverage_percent", "band_at", "rows_used", "rows_excluded",
)
REJECTION_COLUMNS = ("file", "row", "contract", "metric", "code", "reason")

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def spreadsheet_safe(text: str) -> str:
    """A cell that a spreadsheet shows as text instead of running it as a formula."""
    text = clean(text)
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _write_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def _refs(rows: Iterable[RowRef]) -> str:
    return " ".join(str(ref) for ref in rows)


def _verdict_row(v: Verdict) -> tuple[str, ...]:
    return (
        v.contract, v.metric, v.target, v.target_at, v.window.start.isoformat(),
        v.window.end.isoformat(), v.window.label, v.status.value,
        "yes" if v.provisional else "no", plain(v.delivered), plain(v.due), plain(v.due_upper),
        v.unit, plain(v.percent_of_due), plain(v.coverage_percent), v.band_at or "",
        _refs(v.rows_used), _refs(v.rows_excluded),
    )


def render_csv(report: Report) -> str:
    """One row per verdict, exact figures, safe to open in a spreadsheet."""
    return _write_csv(VERDICT_COLUMNS, (_verdict_row(v) for v in report.verdicts))


def render_rejections_csv(report: Report) -> str:
    """One row per rejected delivery row: where it was and why it was not used."""
    rows = (
        (r.file, str(r.row), r.contract or "", r.metric or "", r.code, r.reason)
        for r in report.rejections
    )
    return _write_csv(REJECTION_COLUMNS, rows)


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "csv": render_csv,
}
