"""The text, Markdown, HTML and CSV renderers, on a small report built by hand.

Golden files live in ``tests/golden/render/``; set ``CHARTERDSL_REGENERATE=1`` to rewrite them
after an intended change, then read the diff.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Callable
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from charterdsl.renderers import (
    CSP,
    RENDERERS,
    REPLACEMENT,
    VERDICT_COLUMNS,
    clean,
    md,
    money,
    number,
    percent,
    render_csv,
    render_html,
    render_markdown,
    render_rejections_csv,
    render_text,
    spreadsheet_safe,
)
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
    Window,
)

GOLDEN = Path(__file__).parent / "golden" / "render"
RLO = "\u202e"
D = Decimal


# --- the report ------------------------------------------------------------------------------


def fy(year: int) -> Window:
    label = f"{year}-{year % 100 + 1:02d} financial year"
    return Window(dt.date(year, 4, 1), dt.date(year + 1, 3, 31), label)


def quarter(start: dt.date, end: dt.date, label: str) -> Window:
    return Window(start, end, label)


def rows(*numbers: int, file: str = "delivery.csv") -> tuple[RowRef, ...]:
    return tuple(RowRef(file, n) for n in numbers)


JOBS = Verdict(
    contract="HR-2025-014", metric="local_jobs", target="at least 25 FTE each financial year",
    target_at="charter.charter:41", window=fy(2023), status=VerdictStatus.MET,
    provisional=False, unit="FTE", due=D(25), coverage_percent=D(100),
)


def jobs_verdicts() -> tuple[Verdict, ...]:
    """local_jobs over three years: met, requires improvement, then not yet due."""
    return (
        attrs.evolve(JOBS, delivered=D("26.25"), percent_of_due=D("105"),
                     band_at="charter.charter:51", rows_used=rows(2, 3, 4, 5)),
        attrs.evolve(JOBS, window=fy(2024), status=VerdictStatus.REQUIRES_IMPROVEMENT,
                     delivered=D("21.9"), percent_of_due=D("87.6"),
                     band_at="charter.charter:53", rows_used=rows(2, 7, 12, 17),
                     rows_excluded=rows(9),
                     explanation=("time-averaged over 4 quarters",
                                  "row 9 excluded: the person lives outside the local area")),
        attrs.evolve(JOBS, window=fy(2025), status=VerdictStatus.NOT_YET_DUE, provisional=True,
                     delivered=D("12.5"), percent_of_due=D("50"), coverage_percent=D("8.2"),
                     rows_used=rows(22)),
    )


def other_verdicts() -> tuple[Verdict, ...]:
    """One verdict for every remaining status on the first contract."""
    base = attrs.evolve(JOBS, window=fy(2024), target_at="charter.charter:44")
    return (
        attrs.evolve(base, metric="local_spend", target="at least 30% of total_spend each quarter",
                     status=VerdictStatus.APPROACHING, unit="%", delivered=D("28.5"), due=D(30),
                     percent_of_due=D("95"), band_at="charter.charter:52", rows_used=rows(4, 6)),
        attrs.evolve(base, metric="carbon_saved", target="-20% on the 2024 baseline of 500 tCO2e",
                     status=VerdictStatus.INADEQUATE, unit="tCO2e", delivered=D("-2.5"),
                     due=D(100), percent_of_due=D("-2.5"), band_at="charter.charter:54",
                     rows_used=rows(8)),
        attrs.evolve(base, metric="apprentice_weeks",
                     target="at least 150 person-weeks by 2026-03-31",
                     status=VerdictStatus.MISSED, unit="person-weeks", delivered=D(120),
                     due=D(150), percent_of_due=D(80), rows_used=rows(3, 10)),
        attrs.evolve(base, metric="volunteer_hours", target="between 100 and 200 hours each year",
                     status=VerdictStatus.INSUFFICIENT_DATA, unit="hours", due=D(100),
                     due_upper=D(200), coverage_percent=D(25),
                     explanation=("only one quarter of four was reported",)),
        attrs.evolve(base, metric="site|visits", target="at least 4 visits | each quarter",
                     status=VerdictStatus.EXCUSED, unit="visits", delivered=D(1), due=D(4),
                     percent_of_due=D(25), rows_used=rows(11),
                     explanation=('excused from 2024-12-20 to 2025-01-04 because "site closure"',)),
    )


def second_contract() -> ContractReport:
    window = quarter(dt.date(2025, 4, 1), dt.date(2025, 6, 30), "@Q1 2025-26")
    verdict = Verdict(
        contract="WS-2025-003", metric="=local_spend",
        target=f"at least £250,000 each quarter {RLO}",
        target_at="charter.charter:88", window=window, status=VerdictStatus.MET,
        provisional=True, unit="GBP", delivered=D("310000.005"), due=D(250000),
        percent_of_due=D("124.000002"), coverage_percent=D(100), band_at="charter.charter:51",
        rows_used=rows(2, file="waste.csv"),
    )
    return ContractReport(
        id="WS-2025-003", title=f"Waste <script>alert(1)</script> {RLO}evil", supplier=None,
        value=None, start=None, end=None, verdicts=(verdict,),
    )


def reviews() -> tuple[ReviewOutcome, ...]:
    def rating(rating: str | None, pct: str | None) -> TargetRating:
        return TargetRating("local_jobs", "charter.charter:41", rating, "2024-25 financial year",
                            None if pct is None else D(pct))

    remedy = ConsequenceEvent(
        kind="remedy plan", contract="HR-2025-014", metric="local_jobs",
        review_date=dt.date(2025, 10, 1), rule_at="charter.charter:56",
        because="requires improvement at 2 consecutive reviews (2025-04-01, 2025-10-01)",
        due_by=dt.date(2025, 10, 31), cure_ends=dt.date(2026, 1, 29),
    )
    brk = ConsequenceEvent(
        kind="break allowed", contract="HR-2025-014", metric="local_jobs",
        review_date=dt.date(2026, 4, 1), rule_at="charter.charter:57",
        because="inadequate at 3 consecutive reviews (2025-04-01, 2025-10-01, 2026-04-01)",
    )
    return (
        ReviewOutcome(dt.date(2025, 10, 1), "charter.charter:50",
                      ratings=(rating("Requires improvement", "87.6"),
                               TargetRating("volunteer_hours", "charter.charter:45", None,
                                            "2024-25 financial year")),
                      consequences=(remedy,)),
        ReviewOutcome(dt.date(2026, 4, 1), "charter.charter:50",
                      ratings=(rating("Inadequate", "55"),), consequences=(brk,)),
        ReviewOutcome(dt.date(2026, 10, 1), "charter.charter:50", held=False),
    )


def values() -> tuple[tuple[ValueLine, ...], tuple[ValueTotal, ...]]:
    jobs = ValueLine(
        contract="HR-2025-014", metric="local_jobs", quantity=D("21.9"), unit="FTE-year",
        proxy=D(29000), per_unit="FTE-year", price_year=2024, gross=D("635100"), net=D("485851.5"),
        present_value=D("469421.739130434782608695652"), theme="jobs",
        outcomes=("more_local_work",), proxy_at="charter.charter:22", rows_used=rows(2, 7, 12, 17),
        explanation=("gross = 21.9 FTE-year x £29,000",
                     "net after 15% deadweight, 10% attribution"),
    )
    carbon = ValueLine(
        contract="HR-2025-014", metric="carbon_saved", quantity=D("14.2"), unit="tCO2e",
        proxy=D(245), per_unit="tCO2e", price_year=2021, gross=D("3479"), net=D("3479"),
        present_value=D("3361.352657"), theme="green", proxy_at="charter.charter:31",
        rows_used=rows(8),
    )
    totals = (
        ValueTotal(2021, D("3479"), D("3479"), D("3361.352657"), D("0.00028")),
        ValueTotal(2024, D("635100"), D("485851.5"), D("469421.739130434782608695652"),
                   D("0.039118478")),
    )
    return (jobs, carbon), totals


def make_report() -> Report:
    lines, totals = values()
    first = ContractReport(
        id="HR-2025-014", title="Responsive housing repairs", supplier="Example Repairs Ltd",
        value=D("12000000"), start=dt.date(2023, 4, 1), end=dt.date(2028, 3, 31),
        verdicts=jobs_verdicts() + other_verdicts(), reviews=reviews(), values=lines,
        totals=totals,
    )
    return Report(
        charter="Brightwell Community Value Charter", charter_file="charter.charter",
        as_of=dt.date(2026, 4, 30), rows_read=25, rows_used=22, rows_rejected=3,
        contracts=(first, second_contract()),
        rejections=(
            Rejection("delivery.csv", 9, "DV204", "postcode ZZ9 9ZZ is not in local",
                      "HR-2025-014", "local_jobs"),
            Rejection("delivery.csv", 14, "DV101", '=HYPERLINK("x")'),
            Rejection("waste.csv", 3, "DV102", f"unit {RLO}ETF is not | known", "WS-2025-003"),
        ),
        by_theme=(GroupTotal("green", (totals[0],)), GroupTotal("jobs", (totals[1],))),
        by_outcome=(GroupTotal("more_local_work", (totals[1],)),
                    GroupTotal("(none)", (totals[0],))),
        totals=totals,
        notes=("financial year starts 1 April (charter.charter:9)",
               "proxies in 2021 and 2024 prices are not added together"),
    )


# --- golden files ----------------------------------------------------------------------------

OUTPUTS: dict[str, Callable[[Report], str]] = {
    "report.txt": render_text,
    "report-colour.txt": lambda report: render_text(report, colour=True),
    "report-narrow.txt": lambda report: render_text(report, width=60),
    "report.md": render_markdown,
    "report.html": render_html,
    "verdicts.csv": render_csv,
    "rejections.csv": render_rejections_csv,
}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_golden(name: str) -> None:
    rendered = OUTPUTS[name](make_report())
    path = GOLDEN / name
    if os.environ.get("CHARTERDSL_REGENERATE") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.encode("utf-8"))
    assert rendered == path.read_bytes().decode("utf-8")


def test_renderers_table() -> None:
    assert set(RENDERERS) == {"text", "markdown", "html", "csv"}
    report = make_report()
    assert RENDERERS["text"](report) == render_text(report)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_bidi_override_never_reaches_output(name: str) -> None:
    rendered = OUTPUTS[name](make_report())
    assert RLO not in rendered
    assert REPLACEMENT in rendered


# --- text ------------------------------------------------------------------------------------


def test_text_header_counts_rows() -> None:
    text = render_text(make_report())
    assert "rows read 25 = used 22 + rejected 3" in text
    assert "as of 2026-04-30" in text


def test_text_derives_every_verdict_that_is_not_met_or_not_yet_due() -> None:
    text = render_text(make_report())
    assert "local_jobs  2024-25 financial year  ->  Requires improvement" in text
    assert "(delivery.csv rows 2, 7, 12, 17)" in text
    assert "delivered is 87.6% of due" in text
    assert "->  Met" not in text
    assert "->  Not yet due" not in text
    for status in ("Approaching target", "Inadequate", "Missed", "Insufficient data", "Excused"):
        assert f"->  {status}" in text


def test_text_colour_only_when_asked() -> None:
    plain_text = render_text(make_report())
    coloured = render_text(make_report(), colour=True)
    assert "\x1b" not in plain_text
    assert "\x1b[32mmet" in coloured
    assert "\x1b[33mapproaching target" in coloured
    assert "\x1b[31mrequires improvement" in coloured
    assert "\x1b[2mnot yet due" in coloured


def test_escape_sequences_in_input_are_neutralised() -> None:
    hostile = Report(charter="\x1b[2J\x1b[31mfake", charter_file="c", as_of=dt.date(2026, 1, 1),
                     rows_read=0, rows_used=0, rows_rejected=0)
    assert "\x1b" not in render_text(hostile)
    assert "\x1b[1m\ufffd[2J\ufffd[31mfake\x1b[0m" in render_text(hostile, colour=True)


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1234567.005", "£1,234,567.00"),
        ("1234567.015", "£1,234,567.02"),
        ("0.125", "£0.12"),
        ("0.135", "£0.14"),
        ("-0.004", "£0.00"),
        ("-1500", "-£1,500.00"),
        ("12e6", "£12,000,000.00"),
        ("123456789012345678901234567890.555", "£123,456,789,012,345,678,901,234,567,890.56"),
    ],
)
def test_money(amount: str, expected: str) -> None:
    assert money(D(amount)) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("87.65", "87.6%"), ("87.75", "87.8%"), ("100", "100.0%"), ("-2.55", "-2.6%"),
     ("1234.56", "1,234.6%")],
)
def test_percent(amount: str, expected: str) -> None:
    assert percent(D(amount)) == expected


def test_numbers_drop_trailing_zeros() -> None:
    assert number(D("25.00")) == "25"
    assert number(D("21.875")) == "21.88"
    assert number(D("1E+3")) == "1,000"


def test_clean_replaces_invisible_controls_only() -> None:
    assert clean(f"a{RLO}b\x00c\rd\u200be\u2028f") == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf"
    assert clean("line\n\ttab é £ 日本") == "line\n\ttab é £ 日本"


# --- Markdown --------------------------------------------------------------------------------


def split_row(line: str) -> list[str]:
    """A GitHub table row split the way a renderer splits it: a backslash escapes one char."""
    cells, current, chars = [], "", iter(line.strip()[1:-1])
    for char in chars:
        if char == "\\":
            current += char + next(chars, "")
        elif char == "|":
            cells.append(current)
            current = ""
        else:
            current += char
    return [*cells, current]


def tables(markdown: str) -> list[list[str]]:
    found: list[list[str]] = []
    previous = ""
    for line in markdown.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                found.append([])
            found[-1].append(line)
        previous = line
    return found


def test_markdown_tables_keep_their_columns() -> None:
    markdown = render_markdown(make_report())
    found = tables(markdown)
    assert len(found) >= 8
    for table in found:
        widths = {len(split_row(row)) for row in table}
        assert len(widths) == 1, table
    assert r"site\|visits" in markdown


def test_markdown_escapes_input() -> None:
    markdown = render_markdown(make_report())
    assert r"\<script\>alert(1)\</script\>" in markdown
    assert "<script>" not in markdown
    assert r'=HYPERLINK("x")' in markdown  # no link can form once [ and ] are escaped


@given(st.text())
def test_markdown_cell_never_breaks_a_row(text: str) -> None:
    row = f"| {md(text)} | {md(text)} |"
    assert len(split_row(row)) == 2
    assert "\n" not in md(text)


# --- HTML ------------------------------------------------------------------------------------


class Structure(HTMLParser):
    """Checks that tags nest and collects what the page would fetch."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1:] == [tag], (tag, self.open[-5:])
        self.open.pop()


def test_html_is_self_contained_and_script_free() -> None:
    page = render_html(make_report())
    assert "<script" not in page.lower()
    assert "http://" not in page
    assert "https://" not in page
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    parser = Structure()
    parser.feed(page)
    assert parser.open == []
    names = {name for name, _ in parser.attributes}
    assert not names & {"src", "href", "srcset", "action", "onload", "onerror"}
    assert "url(" not in page
    assert "@import" not in page


def test_html_is_accessible_and_printable() -> None:
    page = render_html(make_report())
    assert '<html lang="en">' in page
    assert '<th scope="col"' in page
    assert '<th scope="row"' in page
    assert "@media print" in page
    for heading in ("<h1>", "<h2>", "<h3>", "<h4>"):
        assert heading in page


def test_html_charts_targets_with_several_windows() -> None:
    page = render_html(make_report())
    # Only local_jobs on the first contract is judged over more than one window.
    assert page.count("<svg") == 1
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert "<title" in svg
    assert 'aria-labelledby="' in svg
    assert svg.count("<rect") == 3
    assert "<figcaption>" in page
    assert "2024-25 financial year: delivered 21.9 FTE of 25 FTE due" in page


# --- CSV -------------------------------------------------------------------------------------

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_has_one_row_per_verdict() -> None:
    report = make_report()
    table = parse(render_csv(report))
    assert tuple(table[0]) == VERDICT_COLUMNS
    assert len(table) - 1 == len(report.verdicts)
    assert {len(row) for row in table} == {len(VERDICT_COLUMNS)}


def test_csv_cells_are_neutralised() -> None:
    for rendered in (render_csv(make_report()), render_rejections_csv(make_report())):
        for row in parse(rendered)[1:]:
            for cell in row:
                assert not cell.startswith(DANGEROUS) or NUMBER.fullmatch(cell), cell
    verdicts = parse(render_csv(make_report()))
    carbon = next(row for row in verdicts if row[1] == "carbon_saved")
    assert carbon[2] == "'-20% on the 2024 baseline of 500 tCO2e"
    assert carbon[9] == "-2.5"  # a negative number stays a number
    assert verdicts[-1][1] == "'=local_spend"
    assert verdicts[-1][6] == "'@Q1 2025-26"
    rejections = parse(render_rejections_csv(make_report()))
    assert rejections[2][5] == "'=HYPERLINK(\"x\")"


def test_csv_figures_are_exact() -> None:
    verdicts = parse(render_csv(make_report()))
    last = dict(zip(VERDICT_COLUMNS, verdicts[-1], strict=True))
    assert last["delivered"] == "310000.005"
    assert last["percent_of_due"] == "124.000002"
    assert last["rows_used"] == "waste.csv:2"
    jobs = dict(zip(VERDICT_COLUMNS, verdicts[2], strict=True))
    assert jobs["rows_used"] == "delivery.csv:2 delivery.csv:7 delivery.csv:12 delivery.csv:17"
    assert jobs["rows_excluded"] == "delivery.csv:9"


@given(st.text())
def test_spreadsheet_safe_never_starts_a_formula(text: str) -> None:
    cell = spreadsheet_safe(text)
    assert not cell.startswith(DANGEROUS) or NUMBER.fullmatch(cell.lstrip("+"))


# --- any input -------------------------------------------------------------------------------

SGR = re.compile(r"\x1b\[[0-9;]*m")
TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "h4", "h5",
        "p", "table", "thead", "tbody", "tr", "th", "td", "section", "dl", "dt", "dd", "cite",
        "ul", "li", "figure", "figcaption", "svg", "desc", "line", "rect", "text", "g"}


def with_text(title: str, metric: str, reason: str) -> Report:
    base = make_report()
    second = base.contracts[1]
    verdicts = tuple(
        attrs.evolve(v, metric=metric, window=attrs.evolve(v.window, label=title))
        for v in base.contracts[0].verdicts
    )
    first = attrs.evolve(base.contracts[0], title=title, verdicts=verdicts)
    rejection = Rejection(metric, 2, reason, reason, title, metric)
    return attrs.evolve(base, charter=title, contracts=(first, second), rejections=(rejection,),
                        notes=(reason,))


def is_unsafe(char: str) -> bool:
    return char not in "\n\t" and clean(char) == REPLACEMENT and char != REPLACEMENT


@given(st.text(), st.text(), st.text())
def test_any_input_text_stays_inert(title: str, metric: str, reason: str) -> None:
    report = with_text(title, metric, reason)
    for render in OUTPUTS.values():
        assert not any(is_unsafe(char) for char in SGR.sub("", render(report)))
    for table in tables(render_markdown(report)):
        assert len({len(split_row(row)) for row in table}) == 1
    assert len(parse(render_csv(report))) == len(report.verdicts) + 1
    parser = Structure()
    parser.feed(render_html(report))
    assert set(parser.tags) <= TAGS


def test_an_empty_report_renders() -> None:
    empty = Report(charter="Empty", charter_file="e.charter", as_of=dt.date(2026, 1, 1),
                   rows_read=0, rows_used=0, rows_rejected=0)
    for render in OUTPUTS.values():
        assert render(empty).endswith("\n")
    assert "None: every row read was used." in render_text(empty)
    assert parse(render_csv(empty)) == [list(VERDICT_COLUMNS)]
