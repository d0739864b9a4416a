"""The line parser: declarations in their usual form, read line by line without lark.

The language is line-oriented: a declaration is a line at the left margin and the lines
indented under it, and every line has one of a few fixed forms, told apart by its first word.
lark's LALR parser reads that exactly and words every mistake, but it took three quarters of
the front end's time (lexing, trees with positions, the state machine), three times what the
rest of the front end costs. So every declaration is first offered to :func:`read`, which
matches each line against one precompiled regular expression chosen by the line's first word,
and builds the model directly with the Builder's own code: the value helpers that convert and
check words, the tables of one-value clauses, ``fold`` and the ``make_*`` methods. It builds
exactly what the Builder builds from lark's tree: the same objects, the same spans, the same
diagnostics in the same order.

It reads only what it is sure of, and declines anything else (``read`` returns None and takes
back any diagnostic it recorded): lark then reads the declaration as before, and words its
mistakes. It declines a line that does not match its form, a tab outside quoted text, an
indentation other than one level of clauses and one level under a target, review or
consultation, words run together (it asks for spaces wherever lark's lexer would need them),
and a keyword of the language where a name or a unit is expected (lark's lexer may read such a
word as the keyword, depending on the parser's state).

Like lark's lexer, it matches every terminal with the grammar's own regular expression, and
takes the longest match (each is an atomic group), so a line splits into the same tokens. As
the grammar is LALR(1), a line whose tokens fit a form has the one reading lark gives it.
grammar/charter.lark stays the definition of the language: tests/test_lineparser.py checks
that the terminals and keywords here are the grammar's, and that both readings agree on every
example, the conformance corpus, generated charters and mutations of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from charterdsl.builder import (
    FIXED,
    FOLDED_AS,
    LISTS,
    ONE_VALUE,
    Builder,
    Clause,
    Word,
    rating_of,
)
from charterdsl.model import (
    Absolute,
    Amount,
    AnyAfter,
    Band,
    BandComparison,
    ByDate,
    Capital,
    Change,
    Comparison,
    Consecutive,
    Consequence,
    ConsequenceKind,
    EachPeriod,
    Eligibility,
    MetricKind,
    Milestone,
    OnDates,
    OverContract,
    Period,
    ProxiesUse,
    Quantity,
    RemedyFailed,
    Rule,
    Scope,
    Status,
    StatusClause,
)
from charterdsl.parser import Block
from charterdsl.source import Span

ENABLED = True
"""Whether declarations are offered to the line parser at all; tests turn it off to have lark
read everything, and compare."""

# The grammar's terminals, as grammar/charter.lark writes them.
TERMINALS = {
    "DATE": r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9A-Za-z_])",
    "PERCENT": r"[0-9](?:[0-9]|,(?=[0-9]))*(?:\.[0-9]+)?%",
    "MONEY": r"£[0-9](?:[0-9]|,(?=[0-9]))*(?:\.[0-9]+)?(?:bn|[kKmM])?(?![0-9A-Za-z_])",
    "NUMBER": r"[0-9](?:[0-9]|,(?=[0-9]))*(?:\.[0-9]+)?",
    "NAME": r"(?:[^\W\d]|_)(?:[^\W\d]|[0-9_])*(?:-(?:[^\W\d]|[0-9_])+)*",
    "STRING": r'"(?:[^"\\\n]|\\["\\])*"',
}

# The grammar's keywords (its quoted strings).
KEYWORDS = frozenset({
    "(", ")", ",", "adopted", "after", "against", "allowed", "and", "answer", "any",
    "approaching", "area", "asks", "at", "attribution", "authority", "averaged", "bands",
    "because", "below", "benefits", "best", "between", "bid", "break", "builds", "built", "by",
    "capital", "catalogue", "charter", "code", "commits", "consecutive", "consultation",
    "contract", "counting", "counts", "cultural", "currency", "data", "days", "deadweight",
    "delivery", "description", "discount", "displacement", "districts", "draft", "drop-off",
    "due", "each", "economic", "ends", "estimated", "every", "excused", "financial", "for",
    "from", "good", "human", "improvement", "in", "inadequate", "includes", "increased",
    "index", "is", "last", "least", "licence", "measured", "metric", "milestone", "month",
    "months", "most", "natural", "needs", "note", "of", "offer", "on", "only", "or", "outcome",
    "outcomes", "over", "overlaps", "per", "period", "place", "places", "plan", "postcode",
    "price", "prices", "proportion", "proxies", "proxy", "publisher", "qualitative", "quality",
    "quarter", "rate", "ratio", "record", "reduced", "remedy", "requires", "responses",
    "restated", "review", "reviews", "rule", "runs", "scored", "social", "source", "starts",
    "status", "strength", "summed", "superseded", "supplier", "target", "targeted", "tender",
    "the", "theme", "themes", "time", "to", "under", "until", "use", "value", "version",
    "wards", "week", "weight", "weighting", "what", "when", "with", "within", "without",
    "working", "worse", "year", "years",
})


class _Decline(Exception):
    """The declaration is not in a form the line parser reads: lark reads it."""


_PLACEHOLDER = re.compile(r"\b(?:UNIT|NAMES|STRINGS|DATE|PERCENT|MONEY|NUMBER|NAME|STRING)\b")


def _compile(form: str) -> re.Pattern[str]:
    """The regular expression of a line's form. Words are separated by spaces; DATE, PERCENT,
    MONEY, NUMBER, NAME and STRING stand for the grammar's terminals, each an atomic group
    (the longest match, never given back to let the rest of the line match, as lark's lexer
    reads); UNIT is one or more names, NAMES and STRINGS lists of names or texts."""

    def terminal(match: re.Match[str]) -> str:
        word = match[0]
        if word == "UNIT":
            return "NAME(?: +NAME)*".replace("NAME", f"(?>{TERMINALS['NAME']})")
        if word in ("NAMES", "STRINGS"):
            one = f"(?>{TERMINALS[word[:-1]]})"
            return f"{one}(?: *, *{one})*"
        return f"(?>{TERMINALS[word]})"

    return re.compile(_PLACEHOLDER.sub(terminal, form))


# ---------------------------------------------------------------------------- lines

# A line of a declaration: its indentation, its code (plain text and quoted texts, which may
# hold a '#') and a comment. A line with a quote that is not closed does not match.
_LINE = re.compile(r'( *)((?:[^"#\n]++|' + TERMINALS["STRING"] + r')*+)(?:#[^\n]*)?\n')

Line = tuple[int, int, int]  # indentation, and where the code starts and ends in the block


def _code_lines(text: str) -> list[Line]:
    """The lines of a declaration that hold code (blank and comment lines are lark's _NL)."""
    lines: list[Line] = []
    match = _LINE.match
    position, size = 0, len(text)
    while position < size:
        found = match(text, position)
        if found is None:
            raise _Decline
        position = found.end()
        start, end = found.span(2)
        while end > start and text[end - 1] in " \t":
            end -= 1
        if end > start:
            if text[start] == "\t":  # a tab in the indentation counts as four spaces
                raise _Decline
            lines.append((start - found.start(), start, end))
    return lines


Clauses = list[tuple[Line, list[Line]]]


def _clauses(lines: list[Line]) -> Clauses:
    """The clause lines under a declaration's first line, each with the lines under it."""
    clauses: Clauses = []
    if len(lines) > 1:
        level = lines[1][0]
        for line in lines[1:]:
            if line[0] == level:
                clauses.append((line, []))
            elif line[0] > level:
                clauses[-1][1].append(line)
            else:  # less than the first clause, yet indented: lark's to report
                raise _Decline
    return clauses


def _first_word(text: str, start: int, end: int) -> str:
    space = text.find(" ", start, end)
    return text[start:space] if space >= 0 else text[start:end]


class _Reader:
    """One declaration being read: the builder and the declaration's text."""

    __slots__ = ("b", "text")

    def __init__(self, builder: Builder, text: str) -> None:
        self.b = builder
        self.text = text

    def match(self, form: re.Pattern[str], start: int, end: int) -> re.Match[str]:
        found = form.fullmatch(self.text, start, end)
        if found is None:
            raise _Decline
        return found

    def span(self, start: int, end: int) -> Span:
        # The ends given are those of code, so there is nothing to trim as Builder.span does.
        offset = self.b.offset
        return self.b.source.span(offset + start, offset + end)


def read(builder: Builder, block: Block) -> Any | None:
    """The model value of one declaration (what ``Builder.transform`` makes of lark's tree),
    or None when the line parser declines it, having taken back its diagnostics."""
    text = block.text
    if text[:1] in (" ", "\t"):
        return None
    mark = len(builder.diagnostics)
    try:
        lines = _code_lines(text)
        head = lines[0]
        declaration = _DECLARATIONS.get(_first_word(text, head[1], head[2]))
        if declaration is None:
            raise _Decline
        return declaration(_Reader(builder, text), head, _clauses(lines))
    except _Decline:
        del builder.diagnostics[mark:]
        return None


# ---------------------------------------------------------------------------- words

def _w(found: re.Match[str], group: int | str) -> Word:
    return found[group], found.start(group), found.end(group)


def _opt(found: re.Match[str], group: int | str) -> Word | None:
    return _w(found, group) if found[group] is not None else None


def _id(found: re.Match[str], group: int | str) -> Word:
    """A word in a place for a name (or a value of another kind, which is never a keyword)."""
    if found[group] in KEYWORDS:
        raise _Decline
    return _w(found, group)


def _words(found: re.Match[str], group: int | str) -> Word:
    """Several names read as one (a unit, the subject of an eligibility), joined by single
    spaces as the Builder joins lark's tokens. Each must not be a keyword: lark's lexer reads a
    keyword that may end the phrase as that keyword."""
    words = found[group].split()
    if not KEYWORDS.isdisjoint(words):
        raise _Decline
    return " ".join(words), found.start(group), found.end(group)


def _quantity(r: _Reader, found: re.Match[str], amount: str, unit: str) -> Quantity:
    """A quantity of a form, from the groups of its amount and its unit (see _qty)."""
    value = _w(found, amount)
    if found[unit] is None:
        return r.b.quantity(value)
    if value[0][0] == "£" or value[0][-1] == "%":  # only a bare number takes a unit
        raise _Decline
    return r.b.quantity(value, _words(found, unit))


def _qty(tag: str) -> str:
    return rf"(?P<{tag}_q>MONEY|PERCENT|NUMBER)(?: +(?P<{tag}_u>UNIT))?"


# ---------------------------------------------------------------------------- clauses

ClauseReader = Callable[[_Reader, int, int, Sequence[Line]], Clause]


def _one(rule: str, form: str) -> ClauseReader:
    """A clause of one value (the form's one group), read as ONE_VALUE says."""
    name, convert = FOLDED_AS.get(rule, rule), ONE_VALUE[rule]
    line = _compile(form)

    def read_one(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
        found = r.match(line, start, end)
        return Clause(name, convert(r.b, _id(found, 1)), start, end)

    return read_one


_ITEMS = {"NAMES": _compile("NAME"), "STRINGS": _compile("STRING")}


def _list(rule: str, form: str) -> ClauseReader:
    """A clause of a list of names or of texts (the form's one group), folded under its
    rule's name as on lark's side."""
    assert rule in LISTS
    line = _compile(form)
    names = "NAMES" in form
    item = _ITEMS["NAMES" if names else "STRINGS"]

    def read_list(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
        found = r.match(line, start, end)
        items = item.finditer(r.text, found.start(1), found.end(1))
        if names:
            return Clause(rule, [r.b.name(_id(i, 0)) for i in items], start, end)
        return Clause(rule, [r.b.text(_w(i, 0)) for i in items], start, end)

    return read_list


def _fixed(rule: str, form: str) -> ClauseReader:
    """A clause of fixed words, valued as FIXED says."""
    name, value = FIXED[rule]
    line = _compile(form)

    def read_fixed(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
        r.match(line, start, end)
        return Clause(name, value, start, end)

    return read_fixed


def _read_lines(r: _Reader, lines: Sequence[Line], table: dict[str, ClauseReader]) -> list[Clause]:
    """The clauses of lines that have no lines under them."""
    read: list[Clause] = []
    text = r.text
    for _, start, end in lines:
        reader = table.get(_first_word(text, start, end))
        if reader is None:
            raise _Decline
        read.append(reader(r, start, end, ()))
    return read


def _read_clauses(r: _Reader, clauses: Clauses, table: dict[str, ClauseReader]) -> list[Clause]:
    read: list[Clause] = []
    text = r.text
    for (_, start, end), under in clauses:
        reader = table.get(_first_word(text, start, end))
        if reader is None:
            raise _Decline
        if under and (reader not in _TAKES_BLOCK or any(u[0] != under[0][0] for u in under)):
            raise _Decline  # a block where none is taken, or uneven: lark's to report
        read.append(reader(r, start, end, under))
    return read


def _end(end: int, under: Sequence[Line]) -> int:
    """Where a clause (or a declaration) with lines under it ends: its last line's code."""
    return under[-1][2] if under else end


# ---------------------------------------------------------------------------- charter header

_STATUS = _compile(
    r"status +(draft|consultation|adopted|under +review|superseded)(?: +on +(DATE))?"
)


def _status(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_STATUS, start, end)
    on = _opt(found, 2)
    status = StatusClause(Status(" ".join(found[1].split())),
                          r.b.date(on) if on is not None else None, span=r.span(start, end))
    return Clause("status", status, start, end)


_CONSULTATION = _compile(r"consultation +from +(DATE) +to +(DATE)")
_GROUPS = _compile(r"with +((?:STRING|NAME)(?: *, *(?:STRING|NAME))*)")
_GROUP = _compile(r"STRING|NAME")


def _consultation(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_CONSULTATION, start, end)
    clauses = _read_lines(r, under, _CONSULTATION_CLAUSES)
    end = _end(end, under)
    value = r.b.make_consultation(_w(found, 1), _w(found, 2), clauses, r.span(start, end))
    return Clause("consultation", value, start, end)


def _stakeholders(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_GROUPS, start, end)
    groups = _GROUP.finditer(r.text, found.start(1), found.end(1))
    return Clause("stakeholders", tuple(r.b.name_or_text(_id(g, 0)) for g in groups), start, end)


_FINANCIAL_YEAR = _compile(r"financial +year +starts +(NUMBER) +(NAME)")


def _financial_year(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_FINANCIAL_YEAR, start, end)
    return Clause("financial_year", r.b.year_start(_w(found, 1), _id(found, 2)), start, end)


_WORKING = _compile(r"working +(week|year) +is +" + _qty("w"))


def _working(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_WORKING, start, end)
    quantity = _quantity(r, found, "w_q", "w_u")
    week = found[1] == "week"
    value = r.b.convention(quantity, "hour" if week else "week", (start, end))
    return Clause("working_week" if week else "working_year", value, start, end)


_PRICE_INDEX = _compile(r"price +index +(NUMBER +at +NUMBER(?: *, *NUMBER +at +NUMBER)*)")
_INDEX_ENTRY = _compile(r"(NUMBER) +at +(NUMBER)")


def _price_index(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_PRICE_INDEX, start, end)
    entries = _INDEX_ENTRY.finditer(r.text, found.start(1), found.end(1))
    points = [r.b.index_point(_w(e, 1), _w(e, 2)) for e in entries]
    return Clause("price_index", r.b.index_of(points, (start, end)), start, end)


_COVERAGE = r"needs +data +for +at +least +(PERCENT) +of +each +period"

# ---------------------------------------------------------------------------- metrics

_COUNTS = _compile(
    r"counts +(?:ratio +of +(NAME) +to +(NAME)|(UNIT) *, *(?:(summed)|averaged +over +time))"
)


def _counts(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_COUNTS, start, end)
    if found[1] is not None:
        return Clause("counts", r.b.ratio(_id(found, 1), _id(found, 2)), start, end)
    kind = MetricKind.SUMMED if found[4] is not None else MetricKind.AVERAGED
    return Clause("counts", r.b.counts(kind, _words(found, 3)), start, end)


_ELIGIBILITY = _compile(r"only +(UNIT) +in +(NAME)")


def _eligibility(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_ELIGIBILITY, start, end)
    subject = _words(found, 1)[0]
    value = Eligibility(subject, r.b.name(_id(found, 2)), span=r.span(start, end))
    return Clause("eligibility", value, start, end)


_PROXY = _compile(
    r"proxy +(MONEY) +per +(UNIT) *\( *(NUMBER) +prices *\)(?: *source +(STRING))?"
)


def _proxy(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_PROXY, start, end)
    proxy = r.b.make_proxy(_w(found, 1), _words(found, 2), _w(found, 3), _opt(found, 4),
                           r.span(start, end))
    return Clause("proxy", proxy, start, end)


_ADJUSTMENT = r"(deadweight|attribution|displacement|drop-off) +(PERCENT)"
_ADJUSTMENTS = _compile(f"{_ADJUSTMENT}(?: *, *{_ADJUSTMENT})*")
_ONE_ADJUSTMENT = _compile(_ADJUSTMENT)


def _adjustments(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    r.match(_ADJUSTMENTS, start, end)
    given = [r.b.adjustment_of(a[1], _w(a, 2), a.span())
             for a in _ONE_ADJUSTMENT.finditer(r.text, start, end)]
    return Clause("adjustments", r.b.adjustments_of(given), start, end)


# ---------------------------------------------------------------------------- targets

def _amount(tag: str) -> str:
    return (rf"(?:(?P<{tag}_share>PERCENT) +of +(?P<{tag}_of>NAME)"
            rf"|{_qty(tag)}(?: +per +(?P<{tag}_per>MONEY) +of +contract +value)?)")


_SCOPE = (r"(?:each +(?P<period>month|quarter|financial +year)|by +(?P<by>DATE)"
          r"|over +the +contract)")
_TARGET = _compile(
    r"target +(?P<metric>NAME) +"
    rf"(?:at +(?P<most>least|most) +{_amount('a')}"
    rf"|between +{_amount('b')} +and +{_amount('c')}"
    r"|(?P<change>reduced|increased) +by(?: +at +least)? +(?P<pct>PERCENT) +from +"
    rf"{_qty('d')} +in +(?P<year>NUMBER)) +{_SCOPE}"
)


def _amount_of(r: _Reader, found: re.Match[str], tag: str) -> Amount:
    if found[f"{tag}_share"] is not None:
        return r.b.make_share(_w(found, f"{tag}_share"), _id(found, f"{tag}_of"))
    quantity = _quantity(r, found, f"{tag}_q", f"{tag}_u")
    if found[f"{tag}_per"] is not None:
        return r.b.make_per_value(quantity, _w(found, f"{tag}_per"))
    return Absolute(quantity)


def _scope(r: _Reader, found: re.Match[str]) -> Scope:
    period = found["period"]
    if period is not None:
        return EachPeriod(Period(" ".join(period.split())))
    if found["by"] is not None:
        return ByDate(r.b.date(_w(found, "by")))
    return OverContract()


def _target(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_TARGET, start, end)
    bound: tuple[Comparison, Amount, Amount | None]
    if found["most"] is not None:
        comparison = Comparison.AT_LEAST if found["most"] == "least" else Comparison.AT_MOST
        bound = comparison, _amount_of(r, found, "a"), None
    elif found["change"] is None:
        low = _amount_of(r, found, "b")
        bound = Comparison.BETWEEN, low, _amount_of(r, found, "c")
    else:
        quantity = _quantity(r, found, "d_q", "d_u")
        bound = r.b.make_baseline(Change(found["change"]), _w(found, "pct"), quantity,
                                  _w(found, "year"))
    scope = _scope(r, found)
    clauses = _read_lines(r, under, _TARGET_CLAUSES)
    end = _end(end, under)
    target = r.b.make_target(_id(found, "metric"), bound, scope, clauses, r.span(start, end))
    return Clause("target", target, start, end)


_MILESTONE = _compile(r"milestone +" + _qty("m") + r" +by +(?P<date>DATE)")


def _milestone(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_MILESTONE, start, end)
    quantity = _quantity(r, found, "m_q", "m_u")
    value = Milestone(quantity, r.b.date(_w(found, "date")), span=r.span(start, end))
    return Clause("milestone", value, start, end)


_EXCUSED = _compile(r"excused +from +(DATE) +to +(DATE) +because +(STRING)")


def _excused(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_EXCUSED, start, end)
    excusal = r.b.make_excusal(_w(found, 1), _w(found, 2), _w(found, 3), r.span(start, end))
    return Clause("excused", excusal, start, end)


_TERM = _compile(r"runs +from +(DATE) +to +(DATE)")


def _term(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_TERM, start, end)
    return Clause("term", r.b.term_of(_w(found, 1), _w(found, 2)), start, end)


# ---------------------------------------------------------------------------- reviews

_REVIEW = _compile(
    r"review +(?:every +(NUMBER) +(months?|years?) +from +(DATE)(?: +until +(DATE))?"
    r"|on +(DATE(?: *, *DATE)*))"
)
_DATE = _compile("DATE")


def _review(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_REVIEW, start, end)
    if found[1] is not None:
        schedule: Any = r.b.make_every(_w(found, 1), found[2], _w(found, 3), _opt(found, 4))
    else:
        dates = _DATE.finditer(r.text, found.start(5), found.end(5))
        schedule = OnDates(tuple(r.b.date(_w(d, 0)) for d in dates))
    clauses = _read_lines(r, under, _REVIEW_CLAUSES)
    end = _end(end, under)
    return Clause("review", r.b.make_review(schedule, clauses, r.span(start, end)), start, end)


_RATING = r"good|approaching(?: +target)?|requires +improvement|inadequate"
_BAND = _compile(
    rf"({_RATING}) +when(?: +delivery +is)? +(at +least|below) +(PERCENT)"
    r"(?: +of +what +is +due)?"
)


def _band(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_BAND, start, end)
    band = Band(rating_of(" ".join(found[1].split())),
                BandComparison(" ".join(found[2].split())), r.b.percent(_w(found, 3)),
                span=r.span(start, end))
    return Clause("band", band, start, end)


_RULE = _compile(
    r"(?:(?P<note>note)|remedy +plan +within +(?P<days>NUMBER) +days|break +allowed) +when +"
    rf"(?P<condition>(?P<rating>{_RATING})(?P<worse> +or +worse)? +at +"
    r"(?:(?P<count>NUMBER) +consecutive +reviews"
    r"|(?P<k>NUMBER) +of +the +last +(?P<n>NUMBER) +reviews"
    r"|any +review +after +(?P<after>DATE))"
    r"|(?P<failed>remedy +period +ends +without +improvement))"
)


def _rule(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_RULE, start, end)
    if found["note"] is not None:
        consequence = Consequence(ConsequenceKind.NOTE)
    elif found["days"] is not None:
        consequence = r.b.make_remedy_plan(_w(found, "days"))
    else:
        consequence = Consequence(ConsequenceKind.BREAK_ALLOWED)
    condition: Any
    if found["failed"] is not None:
        condition = RemedyFailed()
    else:
        rating = rating_of(" ".join(found["rating"].split()))
        worse = found["worse"] is not None
        if found["count"] is not None:
            condition = Consecutive(rating, worse, r.b.review_count(_w(found, "count")))
        elif found["k"] is not None:
            condition = r.b.make_k_of_last(rating, worse, _w(found, "k"), _w(found, "n"),
                                           found.span("condition"))
        else:
            condition = AnyAfter(rating, worse, r.b.date(_w(found, "after")))
    return Clause("rule", Rule(consequence, condition, span=r.span(start, end)), start, end)


# ---------------------------------------------------------------------------- tenders and offers

_ASKS = _compile(r"asks +for +(?:(themes)|outcomes) +(NAMES)")


def _asks(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_ASKS, start, end)
    names = _ITEMS["NAMES"].finditer(r.text, found.start(2), found.end(2))
    name = "asks_themes" if found[1] is not None else "asks_outcomes"
    return Clause(name, [r.b.name(_id(n, 0)) for n in names], start, end)


_SCORING = _compile(
    r"scored +(?:in +proportion +to +the +best +offer|against +(MONEY) +per +(MONEY)"
    r"|(by) +quality +bands)"
)


def _scoring(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_SCORING, start, end)
    if found[1] is not None:
        return Clause("scoring", r.b.ratio_scoring(_w(found, 1), _w(found, 2)), start, end)
    name, value = FIXED["score_bands" if found[3] is not None else "score_proportional"]
    return Clause(name, value, start, end)


_COMMITMENT = _compile(
    r"commits +(?P<metric>NAME) +" + _qty("x") + " +" + _SCOPE + r"(?: +in +(?P<area>NAME))?"
)


def _commitment(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_COMMITMENT, start, end)
    quantity = _quantity(r, found, "x_q", "x_u")
    scope = _scope(r, found)
    area = _id(found, "area") if found["area"] is not None else None
    value = r.b.make_commitment(_id(found, "metric"), quantity, scope, area,
                                r.span(start, end))
    return Clause("commitment", value, start, end)


_ANSWER = _compile(r"answer +(STRING) +scored +(NUMBER)")


def _answer(r: _Reader, start: int, end: int, under: Sequence[Line]) -> Clause:
    found = r.match(_ANSWER, start, end)
    answer = r.b.make_answer(_w(found, 1), _w(found, 2), r.span(start, end))
    return Clause("answer", answer, start, end)


# ---------------------------------------------------------------------------- clause tables

_DESCRIPTION = _one("description", r"description +(STRING)")
_VERSION = _one("version", r"version +(NUMBER|STRING)")
_PRICES = _one("restated", r"prices +restated +to +(NUMBER)")

_HEADER_CLAUSES: dict[str, ClauseReader] = {
    "authority": _one("authority", r"authority +(STRING)"),
    "place": _one("place", r"place +(STRING)"),
    "version": _VERSION,
    "status": _status,
    "consultation": _consultation,
    "financial": _financial_year,
    "working": _working,
    "currency": _one("currency", r"currency +(NAME)"),
    "discount": _one("discount_rate", r"discount +rate +(PERCENT)"),
    "prices": _PRICES,
    "price": _price_index,
    "needs": _one("coverage", _COVERAGE),
    "description": _DESCRIPTION,
}
_CONSULTATION_CLAUSES: dict[str, ClauseReader] = {
    "with": _stakeholders,
    "responses": _one("responses", r"responses +(NUMBER)"),
}
_CATALOGUE_CLAUSES: dict[str, ClauseReader] = {
    "publisher": _one("publisher", r"publisher +(STRING)"),
    "version": _VERSION,
    "licence": _one("licence", r"licence +(STRING)"),
    "price": _price_index,
    "description": _DESCRIPTION,
}
_AREA_CLAUSES: dict[str, ClauseReader] = {
    "postcode": _list("postcodes", r"postcode +districts +(NAMES)"),
    "wards": _list("wards", r"wards +(STRINGS)"),
    "places": _list("places", r"places +(STRINGS)"),
    "includes": _list("includes", r"includes +(NAMES)"),
    "description": _DESCRIPTION,
}
_DESCRIPTION_ONLY: dict[str, ClauseReader] = {"description": _DESCRIPTION}
_METRIC_CLAUSES: dict[str, ClauseReader] = {
    "code": _one("code", r"code +(NAME|STRING)"),
    "counts": _counts,
    "qualitative": _fixed("qualitative", r"qualitative"),
    "record": _fixed("record_only", r"record +only"),
    "only": _eligibility,
    "proxy": _proxy,
    "deadweight": _adjustments,
    "attribution": _adjustments,
    "displacement": _adjustments,
    "drop-off": _adjustments,
    "benefits": _one("benefit_years", r"benefits +last +(NUMBER) +years?"),
    "overlaps": _list("overlaps", r"overlaps +(NAMES)"),
    "theme": _one("metric_theme", r"theme +(NAME)"),
    "counting": _one("counting_rule", r"counting +rule +(STRING)"),
    "description": _DESCRIPTION,
}
_OUTCOME_CLAUSES: dict[str, ClauseReader] = {
    "theme": _one("outcome_theme", r"theme +(NAME)"),
    "builds": _list("builds_on", r"builds +on +(NAMES)"),
    "targeted": _list("targeted_at", r"targeted +at +(NAMES)"),
    "measured": _list("measured_by", r"measured +by +(NAMES)"),
    "description": _DESCRIPTION,
}
_CONTRACT_CLAUSES: dict[str, ClauseReader] = {
    "supplier": _one("supplier", r"supplier +(STRING)"),
    "value": _one("contract_value", r"value +(MONEY)"),
    "runs": _term,
    "target": _target,
    "excused": _excused,
    "review": _review,
    "description": _DESCRIPTION,
}
_TARGET_CLAUSES: dict[str, ClauseReader] = {
    "milestone": _milestone,
    "excused": _excused,
    "needs": _one("coverage", _COVERAGE),
}
_REVIEW_CLAUSES: dict[str, ClauseReader] = {
    **dict.fromkeys(("good", "approaching", "requires", "inadequate"), _band),
    **dict.fromkeys(("note", "remedy", "break"), _rule),
}
_TENDER_CLAUSES: dict[str, ClauseReader] = {
    "estimated": _one("estimated_value", r"estimated +value +(MONEY)"),
    "runs": _term,
    "social": _one("weighting", r"social +value +weighting +(PERCENT)"),
    "asks": _asks,
    "scored": _scoring,
    "description": _DESCRIPTION,
}
_OFFER_CLAUSES: dict[str, ClauseReader] = {
    "bid": _one("bid_price", r"bid +price +(MONEY)"),
    "commits": _commitment,
    "answer": _answer,
    "description": _DESCRIPTION,
}

# The clauses that take lines under them.
_TAKES_BLOCK = frozenset({_consultation, _target, _review})

# ---------------------------------------------------------------------------- declarations

DeclarationReader = Callable[[_Reader, Line, Clauses], Any]


def _last_end(head: Line, clauses: Clauses) -> int:
    """Where a declaration ends: the end of the code of its last line."""
    if not clauses:
        return head[2]
    (_, _, end), under = clauses[-1]
    return _end(end, under)


Make = Callable[[_Reader, re.Match[str], list[Clause], Span], Any]


def _declaration(form: str, table: dict[str, ClauseReader], make: Make) -> DeclarationReader:
    """A declaration: its first line of ``form``, its clauses read with ``table``, and
    ``make`` building the model object from the first line's groups, the clauses and the
    declaration's span."""
    line = _compile(form)

    def read_declaration(r: _Reader, head: Line, clauses: Clauses) -> Any:
        found = r.match(line, head[1], head[2])
        read = _read_clauses(r, clauses, table)
        return make(r, found, read, r.span(0, _last_end(head, clauses)))

    return read_declaration


Titled = Callable[[Builder, Word, Word, Sequence[Clause | None], Span], Any]


def _titled(keyword: str, make: Titled, table: dict[str, ClauseReader]) -> DeclarationReader:
    """A declaration of an id and a title, and clauses under it."""
    return _declaration(keyword + r" +(NAME) +(STRING)", table,
                        lambda r, f, read, span: make(r.b, _id(f, 1), _w(f, 2), read, span))


def _use(r: _Reader, found: re.Match[str], read: list[Clause], span: Span) -> Any:
    if found[3] is not None:
        return ProxiesUse(r.b.text(_w(found, 3)), span=span)
    return r.b.make_use(_w(found, 1), _opt(found, 2), span)


def _top_level(clause: ClauseReader) -> DeclarationReader:
    """A target, excused period or review written at the top level: the lines under it are
    its own clauses, with nothing under them."""

    def read_top_level(r: _Reader, head: Line, clauses: Clauses) -> Any:
        if any(under for _, under in clauses):
            raise _Decline
        lines = [line for line, _ in clauses]
        if lines and clause not in _TAKES_BLOCK:
            raise _Decline
        return clause(r, head[1], head[2], lines)

    return read_top_level


_CAPITAL = "social|natural|human|cultural|economic|built"

_DECLARATIONS: dict[str, DeclarationReader] = {
    "charter": _declaration(r"charter +(STRING)", _HEADER_CLAUSES,
                            lambda r, f, read, span: r.b.make_header(_w(f, 1), read, span)),
    "catalogue": _declaration(
        r"catalogue +(STRING)", _CATALOGUE_CLAUSES,
        lambda r, f, read, span: r.b.make_catalogue(_w(f, 1), read, span),
    ),
    # A use line takes no clauses: the empty table declines any.
    "use": _declaration(
        r"use +(?:catalogue +(STRING)(?: +version +(NUMBER|STRING))?|proxies +(STRING))", {}, _use
    ),
    "area": _titled("area", Builder.make_area, _AREA_CLAUSES),
    "strength": _declaration(
        rf"strength +(NAME) +(STRING) +is +({_CAPITAL}) +capital", _DESCRIPTION_ONLY,
        lambda r, f, read, span: r.b.make_strength(_id(f, 1), _w(f, 2), Capital(f[3]), read,
                                                   span),
    ),
    "theme": _declaration(
        r"theme +(NAME) +(STRING)(?: +weight +(PERCENT))?", _DESCRIPTION_ONLY,
        lambda r, f, read, span: r.b.make_theme(_id(f, 1), _w(f, 2), _opt(f, 3), read, span),
    ),
    "metric": _titled("metric", Builder.make_metric, _METRIC_CLAUSES),
    "outcome": _titled("outcome", Builder.make_outcome, _OUTCOME_CLAUSES),
    "contract": _titled("contract", Builder.make_contract, _CONTRACT_CLAUSES),
    "target": _top_level(_target),
    "excused": _top_level(_excused),
    "review": _top_level(_review),
    "tender": _titled("tender", Builder.make_tender, _TENDER_CLAUSES),
    "offer": _declaration(
        r"offer +(NAME) +(STRING) +for +(NAME)", _OFFER_CLAUSES,
        lambda r, f, read, span: r.b.make_offer(_id(f, 1), _w(f, 2), _id(f, 3), read, span),
    ),
}
