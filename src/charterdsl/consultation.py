"""Consultation responses: read them from a CSV file and summarise them against a charter.

A responses file has one row per response, with the columns ``group``, ``clause``, ``comment``
and ``position`` (``docs/publishing.md`` documents it). Reading has two steps, like delivery
data: :func:`read_responses` checks each row on its own, then :func:`summarise` checks each
clause reference against the charter and counts what is left, per clause and per group.
Nothing is dropped silently: every row is used or rejected with its row number and a reason,
so ``rows_read == rows_used + rows_rejected`` always holds.

A row is numbered by the line of the file it starts on (the header is line 1), which is what a
person sees in a text editor. A quoted comment may run over several lines.
"""

from __future__ import annotations

import csv
import difflib
import enum
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import attrs

from charterdsl import limits
from charterdsl.model import Charter

__all__ = [
    "COLUMNS",
    "ClauseSummary",
    "ConsultationSummary",
    "GroupSummary",
    "Position",
    "RejectedRow",
    "Response",
    "Responses",
    "ResponsesFileError",
    "Tally",
    "read_responses",
    "read_responses_text",
    "summarise",
]

COLUMNS = ("group", "clause", "comment", "position")
MAX_COMMENT = 5_000  # characters; a longer comment is rejected, never cut short unseen
MAX_CELL = 200  # characters of a group, clause or position


class Position(enum.Enum):
    SUPPORT = "support"
    OBJECT = "object"
    NEUTRAL = "neutral"


@attrs.frozen
class Response:
    """One response that was used. ``clause`` is the canonical reference (``target
    local_jobs``); ``group`` is as written, with runs of spaces made one."""

    row: int
    group: str
    clause: str
    comment: str
    position: Position


@attrs.frozen
class RejectedRow:
    row: int
    reason: str


@attrs.frozen
class Responses:
    """What a responses file held: the rows that passed the checks of one row, the rows that did
    not, and how many rows there were."""

    file: str
    rows: tuple[Response, ...]
    rejected: tuple[RejectedRow, ...]
    rows_read: int


class ResponsesFileError(ValueError):
    """A whole responses file cannot be used (not a row: the file)."""


# ---------------------------------------------------------------------------- reading


def read_responses(path: str | Path) -> Responses:
    """Read a responses CSV file; raise :class:`ResponsesFileError` when the file as a whole
    cannot be read."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise ResponsesFileError(f"{file.name}: {error.strerror or error}") from None
    if len(data) > limits.MAX_FILE_BYTES:
        raise ResponsesFileError(f"{file.name} is {len(data):,} bytes; the limit is "
                                 f"{limits.MAX_FILE_BYTES:,}")
    return read_responses_text(_decode(data, file.name), file.name)


def _decode(data: bytes, name: str) -> str:
    # Excel's "CSV UTF-8" starts with a byte-order mark; its plain "CSV" is not UTF-8 at all.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ResponsesFileError(f"{name} is not UTF-8 (line {line}); save it as CSV UTF-8"
                                 ) from None


def read_responses_text(text: str, file: str = "<responses>") -> Responses:
    """Read responses from CSV text. Column names are matched without regard to case or
    surrounding spaces; other columns are ignored."""
    # Text read by other means may still start with the byte-order mark of "CSV UTF-8".
    text = text.removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].strip():
        raise ResponsesFileError(f"{file} is empty")
    header = next(csv.reader([lines[0]]))
    positions = _header_positions(header, file)
    rows: list[Response] = []
    rejected: list[RejectedRow] = []
    count = 0
    for number, cells in _records(lines, len(header)):
        count += 1
        try:
            rows.append(_response(number, cells, positions))
        except _RowProblem as problem:
            rejected.append(RejectedRow(number, str(problem)))
    return Responses(file, tuple(rows), tuple(rejected), count)


def _header_positions(header: Sequence[str], file: str) -> dict[str, int]:
    folded = [name.strip().casefold() for name in header]
    missing = [column for column in COLUMNS if column not in folded]
    if missing:
        found = ", ".join(repr(_show(name)) for name in header)
        raise ResponsesFileError(f"{file}: the header has no column "
                                 f"{', '.join(repr(m) for m in missing)} (it has {found})")
    repeated = sorted({name for name in COLUMNS if folded.count(name) > 1})
    if repeated:
        raise ResponsesFileError(f"{file}: the header repeats the column "
                                 f"{', '.join(repr(r) for r in repeated)}")
    return {column: folded.index(column) for column in COLUMNS}


class _RowProblem(Exception):
    pass


# A row is either its cells or the reason it could not be split into cells.
_Record = tuple[int, list[str] | _RowProblem]


def _records(lines: Sequence[str], width: int) -> Iterator[_Record]:
    """Each data row with the line it starts on. A quoted cell may hold line breaks; a quote
    that is never closed spoils only its own line, never the rows after it."""
    index = 1
    while index < len(lines):
        if not lines[index].strip():
            index += 1  # a blank line is not a row
            continue
        end = _record_end(lines, index)
        cells = _cells("\n".join(lines[index:end + 1]), width)
        if isinstance(cells, _RowProblem) and end > index:
            cells, end = _RowProblem("a quote is opened and not closed on this row"), index
        yield index + 1, cells
        index = end + 1


def _record_end(lines: Sequence[str], start: int) -> int:
    """The last line of the row starting at ``start``: the first line at which the row holds
    an even number of quotes (a doubled quote inside a cell counts two)."""
    quotes = 0
    for index in range(start, len(lines)):
        quotes += lines[index].count('"')
        if quotes % 2 == 0:
            return index
    return start


def _cells(text: str, width: int) -> list[str] | _RowProblem:
    if text.count('"') % 2:
        return _RowProblem("a quote is opened and not closed on this row")
    try:
        cells = next(csv.reader([text], strict=True))
    except csv.Error:
        return _RowProblem("the quoting on this row is not valid CSV")
    if len(cells) != width:
        return _RowProblem(f"this row has {len(cells)} cells; the header has {width}")
    return cells


def _response(number: int, cells: list[str] | _RowProblem, positions: dict[str, int]
              ) -> Response:
    if isinstance(cells, _RowProblem):
        raise cells
    group = _required(cells[positions["group"]], "group", MAX_CELL)
    clause = _required(cells[positions["clause"]], "clause", MAX_CELL)
    comment = cells[positions["comment"]].strip()
    if len(comment) > MAX_COMMENT:
        raise _RowProblem(f"the comment is {len(comment):,} characters long; the limit is "
                          f"{MAX_COMMENT:,}")
    position = _position(_required(cells[positions["position"]], "position", MAX_CELL))
    return Response(number, group, clause, comment, position)


def _required(text: str, what: str, limit: int) -> str:
    words = " ".join(text.split())
    if not words:
        raise _RowProblem(f"the {what} is missing")
    if len(words) > limit:
        raise _RowProblem(f"the {what} is {len(words):,} characters long; the limit is {limit}")
    return words


def _position(text: str) -> Position:
    try:
        return Position(text.casefold())
    except ValueError:
        raise _RowProblem(f"the position '{_show(text)}' is not support, object or neutral"
                          ) from None


def _show(text: str, limit: int = 40) -> str:
    """A cell as it may be echoed in a reason: cut short, control characters made visible."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


# ---------------------------------------------------------------------------- clause references


@attrs.frozen
class _Part:
    """A part of the charter a response can be about."""

    reference: str
    label: str
    order: tuple[int, int]  # where it comes in the rendered document


def _parts(charter: Charter) -> dict[str, _Part]:
    """Every reference a response may use, by its canonical text."""
    parts = [
        _Part("general", "The charter as a whole", (0, 0)),
        *_kind(1, "outcome", "Outcome: {}", ((o.id, o.title) for o in charter.outcomes)),
        *_kind(2, "strength", "Strength: {}", ((s.id, s.title) for s in charter.strengths)),
        *_kind(3, "theme", "Theme: {}", ((t.id, t.title) for t in charter.themes)),
        *_kind(4, "area", "Area: {}", ((a.id, a.title) for a in charter.areas)),
        *_kind(5, "metric", "Measure: {}", _metric_titles(charter, charter.metric_index)),
        *_kind(6, "target", "Targets: {}", _metric_titles(charter, _targeted(charter))),
        *_kind(7, "contract", "Contract: {}", ((c.id, c.title) for c in charter.contracts)),
        _Part("review", "Reviews", (8, 0)),
        *_kind(8, "review", "Reviews: {}", ((c.id, c.title) for c in charter.contracts), 1),
        _Part("consultation", "How we consulted", (9, 0)),
    ]
    return {part.reference: part for part in parts}


def _kind(section: int, kind: str, label: str, items: Iterable[tuple[str, str]], first: int = 0
          ) -> Iterator[_Part]:
    for index, (ident, title) in enumerate(items, start=first):
        yield _Part(f"{kind} {ident}", label.format(title), (section, index))


def _targeted(charter: Charter) -> list[str]:
    """Metric ids that some target names, in the order they are first named."""
    targets = [*charter.targets, *(t for c in charter.contracts for t in c.targets)]
    return list(dict.fromkeys(target.metric for target in targets))


def _metric_titles(charter: Charter, ids: Iterable[str]) -> Iterator[tuple[str, str]]:
    for ident in ids:
        metric = charter.metric(ident)
        yield ident, metric.title if metric is not None else ident


_KINDS = ("outcome", "strength", "theme", "area", "metric", "target", "contract", "review")


def _resolve(written: str, parts: dict[str, _Part]) -> _Part:
    """The part of the charter a clause reference names, or the reason it names none."""
    kind, _, ident = written.partition(" ")
    kind = kind.casefold()
    if kind in ("general", "review", "consultation") and not ident:
        return parts[kind]
    if kind not in _KINDS:
        raise _RowProblem(f"the clause '{_show(written)}' does not start with general, "
                          f"consultation or one of {', '.join(_KINDS)}")
    if not ident:
        raise _RowProblem(f"the clause '{_show(written)}' does not say which {kind}")
    return _find(kind, ident, parts)


def _find(kind: str, ident: str, parts: dict[str, _Part]) -> _Part:
    known = {ref.partition(" ")[2]: part for ref, part in parts.items()
             if ref.startswith(kind + " ")}
    if ident in known:
        return known[ident]
    # Responses are typed by hand: a difference of case alone still names the part.
    folded = {name.casefold(): part for name, part in known.items()}
    if ident.casefold() in folded:
        return folded[ident.casefold()]
    if kind == "target" and f"metric {ident}" in parts:
        raise _RowProblem(f"the charter sets no target on the measure '{_show(ident)}'")
    close = difflib.get_close_matches(ident, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    what = "no target on a measure" if kind == "target" else f"no {kind}"
    raise _RowProblem(f"the charter has {what} '{_show(ident)}'{hint}")


# ---------------------------------------------------------------------------- summary


@attrs.frozen
class Tally:
    support: int = 0
    object: int = 0
    neutral: int = 0

    @property
    def total(self) -> int:
        return self.support + self.object + self.neutral

    def add(self, position: Position) -> Tally:
        # Each position's value is the name of the field that counts it.
        return attrs.evolve(self, **{position.value: getattr(self, position.value) + 1})


@attrs.frozen
class ClauseSummary:
    reference: str  # canonical: ``target local_jobs``
    label: str  # in words: ``Targets for Brightwell residents employed on the contract``
    tally: Tally
    responses: tuple[Response, ...]  # in row order, with or without a comment


@attrs.frozen
class GroupSummary:
    group: str  # as the charter names it, or as first written when the charter does not
    named: bool  # whether the charter's consultation names this group
    tally: Tally


@attrs.frozen
class ConsultationSummary:
    file: str
    rows_read: int
    total: Tally
    by_clause: tuple[ClauseSummary, ...]  # in the order the parts come in the document
    by_group: tuple[GroupSummary, ...]  # the charter's groups in its order, then the others
    silent_groups: tuple[str, ...]  # groups the charter names that gave no response
    rejected: tuple[RejectedRow, ...]  # in row order

    @property
    def rows_used(self) -> int:
        return self.total.total

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)


def summarise(charter: Charter, responses: Responses) -> ConsultationSummary:
    """Count the responses per part of the charter and per group. A row whose clause names no
    part of this charter is rejected here, with the reason."""
    parts = _parts(charter)
    named = charter.header.consultation.groups if charter.header.consultation else ()
    names = _group_names(named, responses.rows)
    used: list[tuple[Response, _Part]] = []
    rejected = list(responses.rejected)
    for response in responses.rows:
        try:
            part = _resolve(response.clause, parts)
        except _RowProblem as problem:
            rejected.append(RejectedRow(response.row, str(problem)))
            continue
        group = names[_fold(response.group)]
        used.append((attrs.evolve(response, clause=part.reference, group=group), part))
    by_group = _by_group(names, {_fold(g) for g in named}, [r for r, _ in used])
    answered = {_fold(summary.group) for summary in by_group}
    return ConsultationSummary(
        file=responses.file,
        rows_read=responses.rows_read,
        total=_tally(response for response, _ in used),
        by_clause=_by_clause(used),
        by_group=by_group,
        silent_groups=tuple(g for g in named if _fold(g) not in answered),
        rejected=tuple(sorted(rejected, key=lambda r: r.row)),
    )


def _tally(responses: Iterable[Response]) -> Tally:
    tally = Tally()
    for response in responses:
        tally = tally.add(response.position)
    return tally


def _by_clause(used: Sequence[tuple[Response, _Part]]) -> tuple[ClauseSummary, ...]:
    grouped: dict[str, list[Response]] = {}
    found: dict[str, _Part] = {}
    for response, part in used:
        grouped.setdefault(part.reference, []).append(response)
        found[part.reference] = part
    ordered = sorted(found.values(), key=lambda part: part.order)
    return tuple(
        ClauseSummary(part.reference, part.label, _tally(grouped[part.reference]),
                      tuple(grouped[part.reference]))
        for part in ordered
    )


def _fold(group: str) -> str:
    """A group name for matching: case, spacing, curly apostrophes and Unicode forms aside."""
    text = unicodedata.normalize("NFC", group).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split()).casefold()


def _group_names(named: Sequence[str], responses: Iterable[Response]) -> dict[str, str]:
    """Each group's display name by its folded name: the charter's groups first, in its order
    and spelling, then any other group as it was first written."""
    names: dict[str, str] = {}
    for group in [*named, *(response.group for response in responses)]:
        names.setdefault(_fold(group), group)
    return names


def _by_group(names: dict[str, str], named: set[str], responses: Sequence[Response]
              ) -> tuple[GroupSummary, ...]:
    tallies: dict[str, Tally] = {}
    for response in responses:
        key = _fold(response.group)
        tallies[key] = tallies.get(key, Tally()).add(response.position)
    return tuple(GroupSummary(name, key in named, tallies[key])
                 for key, name in names.items() if key in tallies)
