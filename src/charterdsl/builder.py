"""From lark trees to the typed model: one method per grammar rule.

The builder never raises on a bad value. It records a diagnostic (a date that does not exist,
an unknown unit, a clause given twice) and carries on with a placeholder, so every problem in
a file is reported in one run. :func:`build_charter`, :func:`build_catalogue` and
:func:`build_offer` then assemble the declarations into a :class:`~charterdsl.model.Charter`,
a :class:`~charterdsl.model.Catalogue` or an :class:`~charterdsl.model.Offer`.

Most declarations never reach lark: :mod:`charterdsl.lineparser` reads the usual ones line by
line, and builds them with the value helpers, clause tables and ``make_*`` methods here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import attrs
from lark import Token, Transformer, Tree
from lark.tree import Meta

from charterdsl import collector, limits, units
from charterdsl.errors import Diagnostic, cite
from charterdsl.model import (
    Absolute,
    Adjustments,
    Amount,
    Answer,
    AnyAfter,
    Area,
    Band,
    BandComparison,
    Baseline,
    ByDate,
    Capital,
    Catalogue,
    CatalogueUse,
    Change,
    Charter,
    Commitment,
    Comparison,
    Consecutive,
    Consequence,
    ConsequenceKind,
    Consultation,
    Contract,
    Conventions,
    EachPeriod,
    Eligibility,
    Every,
    Excusal,
    Header,
    IndexPoint,
    KOfLast,
    Metric,
    MetricKind,
    Milestone,
    Offer,
    OnDates,
    Outcome,
    OverContract,
    Period,
    PerValue,
    ProxiesUse,
    Proxy,
    Quantity,
    Rating,
    RemedyFailed,
    Review,
    Rule,
    Schedule,
    Scope,
    Scoring,
    ScoringKind,
    Share,
    Status,
    StatusClause,
    Strength,
    Target,
    Tender,
    Theme,
)
from charterdsl.parser import (
    Block,
    BlockParser,
    comment_column,
    comments,
    split_blocks,
)
from charterdsl.source import Source, Span

MONTHS = {calendar.month_name[number].lower(): number for number in range(1, 13)}
_MULTIPLIERS = {"": 1, "k": 1000, "K": 1000, "m": 10**6, "M": 10**6, "bn": 10**9}
_MONEY = re.compile(r"£([0-9][0-9,]*(?:\.[0-9]+)?)(bn|[kKmM])?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")


def _date_hint(text: str) -> str:
    year, month, _ = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        return f"there is no month {month}; dates are written year-month-day"
    last = calendar.monthrange(year, month)[1]
    return f"{calendar.month_name[month]} {year} has {last} days"


# Besides letters (of any script), an id may hold these; Python's \w would also let in
# superscripts, fractions and Roman numerals such as ² ½ Ⅻ.
_ID_PUNCTUATION = frozenset("0123456789_-")
_ASCII_ID = re.compile(r"[A-Za-z0-9_-]*")  # the usual ids, checked without a loop

Word = tuple[str, int, int]
"""A word of a declaration as written: its text, and where it starts and ends, counted from
the start of the declaration. The value helpers take words rather than lark tokens so that the
line parser (:mod:`charterdsl.lineparser`), which reads words with regular expressions, converts
and checks values with the very same code."""


def word(token: Token) -> Word:
    start = token.start_pos or 0
    return str(token), start, token.end_pos if token.end_pos is not None else start + len(token)


class Clause(NamedTuple):
    """One clause line inside a declaration, before it is folded into the declaration."""

    name: str
    value: Any
    # Where the clause is in its declaration, kept raw (the end may run on over the newline
    # and comments that close it): its span is worked out only if it is given twice, which is
    # rare, and working it out for every clause was a sixth of the build time.
    start: int
    end: int


# Clauses that may appear more than once; their values are collected in order.
_REPEATABLE = frozenset(
    {"stakeholders", "target", "excused", "review", "milestone", "band", "rule", "commitment",
     "answer"}
)


class Builder(Transformer[Token, Any]):
    """Turns one declaration's tree into model objects, recording diagnostics as it goes.

    Every rule method takes ``(meta, children)``. They are called through a table of bound
    methods rather than lark's ``v_args`` wrappers, which build a new wrapper object at every
    call and cost a tenth of the build time.

    The rule methods only take lark's tree apart. Converting and checking values (the helpers
    that take a :data:`Word`), the clauses of one value (:data:`ONE_VALUE` and its kin) and
    assembling model objects (the ``make_*`` methods) are shared with the line parser, so the
    two readings of a declaration build the same model and report the same problems."""

    def __init__(self, source: Source) -> None:
        super().__init__(visit_tokens=False)  # tokens are read by the rule that holds them
        self.source = source
        self.offset = 0  # of the declaration being built, in the source
        self._methods: dict[str, Callable[[Meta, list[Any]], Any] | None] = {}
        self.diagnostics: list[Diagnostic] = []

    # ------------------------------------------------------------------ helpers

    def span(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return self.source.span(self.offset, self.offset)
        return self.span_at(meta.start_pos, meta.end_pos)

    def span_at(self, start: int, end: int) -> Span:
        """The span of the code from ``start`` to ``end`` in the declaration."""
        start += self.offset
        return self.source.span(start, self.code_end(start, self.offset + end))

    def _call_userfunc(self, tree: Tree[Token], new_children: list[Any] | None = None) -> Any:
        children = new_children if new_children is not None else tree.children
        name = str(tree.data)
        if name not in self._methods:
            self._methods[name] = self._method(name)
        method = self._methods[name]
        if method is None:  # a rule with nothing to build keeps its tree, as lark would
            return Tree(tree.data, children, tree.meta)
        return method(tree.meta, children)

    def _method(self, rule: str) -> Callable[[Meta, list[Any]], Any] | None:
        """What builds a rule's tree: the tables' clauses of one value, of lists and of fixed
        words, or the method named after the rule."""
        if rule in ONE_VALUE:
            name, convert = FOLDED_AS.get(rule, rule), ONE_VALUE[rule]
            return lambda meta, children: self.clause(name, convert(self, word(children[0])), meta)
        if rule in LISTS:
            return lambda meta, children: self.clause(rule, children[0], meta)
        if rule in FIXED:
            name, value = FIXED[rule]
            return lambda meta, children: self.clause(name, value, meta)
        method: Callable[[Meta, list[Any]], Any] | None = getattr(self, rule, None)
        return method

    def code_end(self, start: int, end: int) -> int:
        """Where the code of a rule ends: a rule's text runs on over the newline, comments and
        indentation that close it, none of which a caret should underline."""
        text = self.source.text
        end = min(end, len(text))  # the parser saw a final newline the file may not have
        while end > start:
            if text[end - 1] in " \t\n":
                end -= 1
                continue
            line_start = text.rfind("\n", 0, end) + 1
            if "#" not in text[line_start:end]:
                break  # the usual case: no comment, nothing to scan
            column = comment_column(text[line_start:end])
            if column is None:
                break
            end = max(start, line_start + column)
        return end

    def where(self, word: Word) -> Span:
        return self.source.span(self.offset + word[1], self.offset + word[2])

    def problem(self, code: str, message: str, at: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, at, hint, source=self.source))

    # ------------------------------------------------------------------ values

    def name(self, word: Word) -> str:
        ident = word[0]
        if not _ASCII_ID.fullmatch(ident) and not all(
            ch.isalpha() or ch in _ID_PUNCTUATION for ch in ident
        ):
            odd = next(ch for ch in ident if not (ch.isalpha() or ch in _ID_PUNCTUATION))
            self.problem(
                "CH102",
                f"the id '{ident}' contains '{odd}'",
                self.where(word),
                "ids use letters, the digits 0 to 9, underscores and single hyphens",
            )
        if len(ident) > limits.MAX_NAME_LENGTH:
            self.problem(
                "CH603",
                f"this name is {len(ident)} characters long",
                self.where(word),
                f"names are at most {limits.MAX_NAME_LENGTH} characters",
            )
        return ident

    def text(self, word: Word) -> str:
        value = word[0][1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if len(value) > limits.MAX_TEXT_LENGTH:
            self.problem(
                "CH603",
                f"this text is {len(value)} characters long",
                self.where(word),
                f"a quoted text is at most {limits.MAX_TEXT_LENGTH} characters",
            )
        return value

    def name_or_text(self, word: Word) -> str:
        """A value written either bare (a name or a number) or in quotes."""
        return self.text(word) if word[0].startswith('"') else word[0]

    def number(self, word: Word) -> Decimal:
        text = word[0]
        if not _GROUPED.fullmatch(text):
            self.problem(
                "CH303",
                f"'{text}' is not a well-formed number",
                self.where(word),
                "group thousands in threes, like 1,200 or 14,200",
            )
        return Decimal(text.replace(",", ""))

    def whole(self, word: Word, what: str) -> int:
        value = self.number(word)
        if value != value.to_integral_value() or (value < 1 and what != "day"):
            self.problem(
                "CH305",
                f"{what} must be a whole number of at least 1, not {word[0]}",
                self.where(word),
            )
            return 1
        return int(value)

    def price_year(self, word: Word) -> int:
        return self.whole(word, "a price year")

    def review_count(self, word: Word) -> int:
        return self.whole(word, "a number of reviews")

    def percent(self, word: Word) -> Decimal:
        # A problem with the number is shown under the whole percentage.
        return self.number((word[0][:-1], word[1], word[2]))

    def bounded_percent(self, word: Word) -> Decimal:
        value = self.percent(word)
        if value > 100:
            self.problem("CH305", f"{word[0]} is more than 100%", self.where(word),
                         "a share or adjustment is at most 100%")
        return value

    def money(self, word: Word) -> Decimal:
        match = _MONEY.fullmatch(word[0])
        assert match is not None  # the grammar's MONEY pattern guarantees the shape
        value = self.number((match.group(1), word[1], word[2])) * _MULTIPLIERS[match.group(2) or ""]
        # £2.4k is 2400, not 2400.0: a whole sum keeps no decimal places it never had.
        return Decimal(int(value)) if value == value.to_integral_value() else value

    def date(self, word: Word) -> dt.date:
        try:
            return dt.date.fromisoformat(word[0])
        except ValueError:
            self.problem("CH401", f"{word[0]} is not a date in the calendar", self.where(word),
                         _date_hint(word[0]))
            return dt.date.min  # a stand-in the checks know not to compare again

    def unit_of(self, word: Word) -> str | None:
        """The canonical unit of a unit's words (joined by single spaces)."""
        unit = units.lookup(word[0])
        if unit is None:
            suggestion = units.suggest(word[0])
            hint = (
                f"did you mean '{suggestion}'?"
                if suggestion
                else "docs/units.md lists every unit a charter can use"
            )
            self.problem("CH301", f"unknown unit '{word[0]}'", self.where(word), hint)
        return unit

    def quantity(self, amount: Word, unit: Word | None = None) -> Quantity:
        """A sum of money, a percentage, or a number with the unit that follows it, if any."""
        if amount[0].startswith("£"):
            return Quantity(self.money(amount), "GBP")
        if amount[0].endswith("%"):
            return Quantity(self.percent(amount), "percent")
        if unit is not None and unit[1] == amount[2] and unit[0][:1] in "eE" and (
            unit[0][1:2].isdigit()
        ):
            written = f"{amount[0]}{unit[0].split()[0]}"
            start = self.offset + amount[1]
            self.problem("CH303", f"'{written}' is written with an exponent",
                         self.source.span(start, start + len(written)),
                         "write the number in full, like 100000")
            return Quantity(self.number(amount), None)
        return Quantity(self.number(amount), self.unit_of(unit) if unit is not None else None)

    def fold(self, clauses: Iterable[Clause | None], what: str) -> dict[str, Any]:
        """Gather a declaration's clauses by name; a clause given twice is an error."""
        values: dict[str, Any] = {}
        seen: dict[str, Clause] = {}
        for clause in clauses:
            if clause is None:  # lark's placeholder for a declaration without a block
                continue
            if clause.name in _REPEATABLE:
                values.setdefault(clause.name, []).append(clause.value)
            elif clause.name in seen:
                said = ("says what it counts" if clause.name == "counts"
                        else f"gives '{clause.name.replace('_', ' ')}'")
                self.diagnostics.append(
                    Diagnostic(
                        "CH203",
                        f"this {what} {said} twice",
                        self.clause_span(clause),
                        "keep one of the two lines",
                        source=self.source,
                        related=(("first given", cite(self.source,
                                                      self.clause_span(seen[clause.name]))),),
                    )
                )
            else:
                seen[clause.name] = clause
                values[clause.name] = clause.value
        return values

    def clause(self, name: str, value: Any, meta: Meta) -> Clause:
        return Clause(name, value, meta.start_pos, meta.end_pos)

    def clause_span(self, clause: Clause) -> Span:
        return self.span_at(clause.start, clause.end)

    # ------------------------------------------------------------------ charter header

    def charter_decl(self, meta: Meta, children: list[Any]) -> Header:
        title, *clauses = children
        return self.make_header(word(title), clauses, self.span(meta))

    def make_header(self, title: Word, clauses: Sequence[Clause | None], span: Span) -> Header:
        values = self.fold(clauses, "charter header")
        conventions = Conventions(
            financial_year_start=values.pop("financial_year", None),
            working_week_hours=values.pop("working_week", None),
            working_year_weeks=values.pop("working_year", None),
            currency=values.pop("currency", None),
            data_coverage_percent=values.pop("coverage", None),
            discount_rate_percent=values.pop("discount_rate", None),
            price_year=values.pop("restated", None),
        )
        return Header(
            self.text(title),
            authority=values.get("authority"),
            place=values.get("place"),
            version=values.get("version"),
            status=values.get("status"),
            consultation=values.get("consultation"),
            conventions=conventions,
            price_index=values.get("price_index", ()),
            description=values.get("description"),
            span=span,
        )

    def status(self, meta: Meta, children: list[Any]) -> Clause:
        kind, on = children
        clause = StatusClause(kind, self.date(word(on)) if on is not None else None,
                              span=self.span(meta))
        return self.clause("status", clause, meta)

    def status_name(self, meta: Meta, children: list[Token]) -> Status:
        return Status(" ".join(children))

    def consultation(self, meta: Meta, children: list[Any]) -> Clause:
        opens, closes, *clauses = children
        consultation = self.make_consultation(word(opens), word(closes), clauses,
                                              self.span(meta))
        return self.clause("consultation", consultation, meta)

    def make_consultation(
        self, opens: Word, closes: Word, clauses: Sequence[Clause | None], span: Span
    ) -> Consultation:
        values = self.fold(clauses, "consultation")
        groups = tuple(g for line in values.get("stakeholders", []) for g in line)
        return Consultation(
            self.date(opens), self.date(closes), groups, values.get("responses"), span=span
        )

    def stakeholders(self, meta: Meta, children: list[Token]) -> Clause:
        groups = tuple(self.name_or_text(word(t)) for t in children)
        return self.clause("stakeholders", groups, meta)

    def response_count(self, word: Word) -> int:
        value = self.number(word)
        if value != value.to_integral_value():
            self.problem("CH305", "responses must be a whole number", self.where(word))
        return int(value)

    def financial_year(self, meta: Meta, children: list[Token]) -> Clause:
        day, month = children
        return self.clause("financial_year", self.year_start(word(day), word(month)), meta)

    def year_start(self, day_word: Word, month_word: Word) -> tuple[int, int]:
        """The (month, day) a financial year starts on."""
        month = MONTHS.get(month_word[0].lower())
        day = self.number(day_word)
        if month is None:
            self.problem(
                "CH401",
                f"'{month_word[0]}' is not a month",
                self.where(month_word),
                "write the month in full, like 1 April",
            )
            month = 4
        if day != day.to_integral_value():
            self.problem("CH305", f"{day_word[0]} is not a whole day of the month",
                         self.where(day_word), "write it like 1 April")
        try:
            dt.date(2024, month, int(day))  # a leap year, so 29 February is allowed
        except (ValueError, OverflowError):  # OverflowError: a day too big for a C long
            self.problem("CH401", f"{day_word[0]} {month_word[0]} is not a day of the year",
                         self.where(day_word), "write a day of that month, like 1 April")
            return month, 1
        return month, int(day)

    def working_week(self, meta: Meta, children: list[Quantity]) -> Clause:
        where = (meta.start_pos, meta.end_pos)
        return self.clause("working_week", self.convention(children[0], "hour", where), meta)

    def working_year(self, meta: Meta, children: list[Quantity]) -> Clause:
        where = (meta.start_pos, meta.end_pos)
        return self.clause("working_year", self.convention(children[0], "week", where), meta)

    def convention(self, quantity: Quantity, unit: str, clause: tuple[int, int]) -> Decimal:
        # Exactly this unit: a working week of "5 days" or a year of "1,725 hours" would
        # convert by calendar arithmetic into something nobody meant.
        factor = Fraction(1) if quantity.unit == unit else None
        if factor is None:
            what = "working week" if unit == "hour" else "working year"
            self.problem(
                "CH302",
                f"the {what} must be given in {units.display(unit)}",
                self.span_at(*clause),
                "write it like 37.5 hours" if unit == "hour" else "write it like 46 weeks",
            )
            return quantity.magnitude
        return units.convert(quantity.magnitude, factor)

    def currency_of(self, word: Word) -> str:
        if word[0] != "GBP":
            self.problem(
                "CH301",
                f"'{word[0]}' is not a supported currency",
                self.where(word),
                "charters are written in GBP (£)",
            )
        return word[0]

    def price_index(self, meta: Meta, children: list[IndexPoint]) -> Clause:
        points = self.index_of(children, (meta.start_pos, meta.end_pos))
        return self.clause("price_index", points, meta)

    def index_of(self, points: list[IndexPoint], clause: tuple[int, int]) -> tuple[IndexPoint, ...]:
        years = [point.year for point in points]
        if len(set(years)) != len(years):
            self.problem("CH203", "this price index gives a year twice", self.span_at(*clause),
                         "give each year once")
        return tuple(sorted(points, key=lambda p: p.year))

    def index_entry(self, meta: Meta, children: list[Token]) -> IndexPoint:
        year, value = children
        return self.index_point(word(year), word(value))

    def index_point(self, year: Word, value: Word) -> IndexPoint:
        number = self.number(value)
        if number <= 0:
            self.problem("CH305", "a price index must be more than 0", self.where(value))
        return IndexPoint(self.whole(year, "a year"), number)

    # ------------------------------------------------------------------ catalogues

    def catalogue_decl(self, meta: Meta, children: list[Any]) -> Catalogue:
        title, *clauses = children
        return self.make_catalogue(word(title), clauses, self.span(meta))

    def make_catalogue(
        self, title: Word, clauses: Sequence[Clause | None], span: Span
    ) -> Catalogue:
        values = self.fold(clauses, "catalogue header")
        return Catalogue(
            self.text(title),
            publisher=values.get("publisher"),
            version=values.get("version"),
            licence=values.get("licence"),
            description=values.get("description"),
            price_index=values.get("price_index", ()),
            source_name=self.source.name,
            span=span,
        )

    def proxies_decl(self, meta: Meta, children: list[Token]) -> ProxiesUse:
        return ProxiesUse(self.text(word(children[0])), span=self.span(meta))

    def use_decl(self, meta: Meta, children: list[Token | None]) -> CatalogueUse:
        path, version = children
        assert path is not None
        return self.make_use(word(path), word(version) if version is not None else None,
                             self.span(meta))

    def make_use(self, path: Word, version: Word | None, span: Span) -> CatalogueUse:
        pinned = self.name_or_text(version) if version is not None else None
        return CatalogueUse(self.text(path), pinned, span=span)

    # ------------------------------------------------------------------ places and strengths

    def area_decl(self, meta: Meta, children: list[Any]) -> Area:
        ident, title, *clauses = children
        return self.make_area(word(ident), word(title), clauses, self.span(meta))

    def make_area(
        self, ident: Word, title: Word, clauses: Sequence[Clause | None], span: Span
    ) -> Area:
        values = self.fold(clauses, "area")
        return Area(
            self.name(ident),
            self.text(title),
            postcode_districts=tuple(p.upper() for p in values.get("postcodes", ())),
            wards=tuple(values.get("wards", ())),
            places=tuple(values.get("places", ())),
            includes=tuple(values.get("includes", ())),
            description=values.get("description"),
            span=span,
        )

    def strength_decl(self, meta: Meta, children: list[Any]) -> Strength:
        ident, title, capital, *clauses = children
        return self.make_strength(word(ident), word(title), capital, clauses, self.span(meta))

    def make_strength(self, ident: Word, title: Word, capital: Capital,
                      clauses: Sequence[Clause | None], span: Span) -> Strength:
        values = self.fold(clauses, "strength")
        return Strength(
            self.name(ident),
            self.text(title),
            capital,
            description=values.get("description"),
            span=span,
        )

    def capital_kind(self, meta: Meta, children: list[Token]) -> Capital:
        return Capital(str(children[0]))

    def theme_decl(self, meta: Meta, children: list[Any]) -> Theme:
        ident, title, weight, *clauses = children
        return self.make_theme(word(ident), word(title),
                               word(weight) if weight is not None else None, clauses,
                               self.span(meta))

    def make_theme(self, ident: Word, title: Word, weight: Word | None,
                   clauses: Sequence[Clause | None], span: Span) -> Theme:
        values = self.fold(clauses, "theme")
        return Theme(
            self.name(ident),
            self.text(title),
            self.bounded_percent(weight) if weight is not None else None,
            description=values.get("description"),
            span=span,
        )

    # ------------------------------------------------------------------ metrics

    def metric_decl(self, meta: Meta, children: list[Any]) -> Metric:
        ident, title, *clauses = children
        return self.make_metric(word(ident), word(title), clauses, self.span(meta))

    def make_metric(
        self, ident: Word, title: Word, clauses: Sequence[Clause | None], span: Span
    ) -> Metric:
        values = self.fold(clauses, "metric")
        kind, unit, numerator, denominator = values.get("counts", (None, None, None, None))
        adjustments = values.get("adjustments", {})
        return Metric(
            self.name(ident),
            self.text(title),
            code=values.get("code"),
            kind=kind,
            unit=unit,
            numerator=numerator,
            denominator=denominator,
            record_only=values.get("record_only", False),
            eligibility=values.get("eligibility"),
            proxy=values.get("proxy"),
            adjustments=Adjustments(**adjustments),
            benefit_years=values.get("benefit_years"),
            overlaps=tuple(values.get("overlaps", ())),
            theme=values.get("theme"),
            counting_rule=values.get("counting_rule"),
            description=values.get("description"),
            span=span,
        )

    def counts_summed(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("counts", self.counts(MetricKind.SUMMED, word(children[0])), meta)

    def counts_averaged(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("counts", self.counts(MetricKind.AVERAGED, word(children[0])), meta)

    def counts(self, kind: MetricKind, unit: Word) -> tuple[MetricKind, str | None, None, None]:
        """What a metric counts: its kind, its unit, and for a ratio the two metrics."""
        return kind, self.unit_of(unit), None, None

    def counts_ratio(self, meta: Meta, children: list[Token]) -> Clause:
        numerator, denominator = (word(t) for t in children)
        return self.clause("counts", self.ratio(numerator, denominator), meta)

    def ratio(self, numerator: Word, denominator: Word) -> tuple[MetricKind, str, str, str]:
        return MetricKind.RATIO, "percent", self.name(numerator), self.name(denominator)

    def eligibility(self, meta: Meta, children: list[Token]) -> Clause:
        *subject, area = children
        value = Eligibility(" ".join(subject), self.name(word(area)), span=self.span(meta))
        return self.clause("eligibility", value, meta)

    def proxy(self, meta: Meta, children: list[Token | None]) -> Clause:
        amount, per, year, source = children
        assert amount is not None and per is not None and year is not None
        proxy = self.make_proxy(word(amount), word(per), word(year),
                                word(source) if source is not None else None, self.span(meta))
        return self.clause("proxy", proxy, meta)

    def make_proxy(
        self, amount: Word, per: Word, year: Word, source: Word | None, span: Span
    ) -> Proxy:
        return Proxy(
            self.money(amount),
            self.unit_of(per) or per[0],
            self.price_year(year),
            self.text(source) if source is not None else None,
            span=span,
        )

    def adjustments(self, meta: Meta, children: list[tuple[str, Decimal, Span]]) -> Clause:
        return self.clause("adjustments", self.adjustments_of(children), meta)

    def adjustments_of(self, given: Sequence[tuple[str, Decimal, Span]]) -> dict[str, Decimal]:
        values: dict[str, Decimal] = {}
        for name, value, span in given:
            if name in values:
                self.problem("CH203", f"{name.replace('_', '-')} is given twice", span)
            values[name] = value
        return values

    def adjustment(self, meta: Meta, children: list[Any]) -> tuple[str, Decimal, Span]:
        name, percent = children
        return self.adjustment_of(name, word(percent), (meta.start_pos, meta.end_pos))

    def adjustment_of(
        self, name: str, percent: Word, where: tuple[int, int]
    ) -> tuple[str, Decimal, Span]:
        """One adjustment (``deadweight 20%``): its field name, percentage and span."""
        return name.replace("-", "_"), self.bounded_percent(percent), self.span_at(*where)

    def adjustment_name(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    # ------------------------------------------------------------------ outcomes

    def outcome_decl(self, meta: Meta, children: list[Any]) -> Outcome:
        ident, title, *clauses = children
        return self.make_outcome(word(ident), word(title), clauses, self.span(meta))

    def make_outcome(
        self, ident: Word, title: Word, clauses: Sequence[Clause | None], span: Span
    ) -> Outcome:
        values = self.fold(clauses, "outcome")
        return Outcome(
            self.name(ident),
            self.text(title),
            theme=values.get("theme"),
            builds_on=tuple(values.get("builds_on", ())),
            targeted_at=tuple(values.get("targeted_at", ())),
            measured_by=tuple(values.get("measured_by", ())),
            description=values.get("description"),
            span=span,
        )

    # ------------------------------------------------------------------ contracts

    def contract_decl(self, meta: Meta, children: list[Any]) -> Contract:
        ident, title, *clauses = children
        return self.make_contract(word(ident), word(title), clauses, self.span(meta))

    def make_contract(
        self, ident: Word, title: Word, clauses: Sequence[Clause | None], span: Span
    ) -> Contract:
        values = self.fold(clauses, "contract")
        start, end = values.get("term", (None, None))
        return Contract(
            self.name(ident),
            self.text(title),
            supplier=values.get("supplier"),
            value=values.get("value"),
            start=start,
            end=end,
            targets=tuple(values.get("target", ())),
            excused=tuple(values.get("excused", ())),
            reviews=tuple(values.get("review", ())),
            description=values.get("description"),
            span=span,
        )

    def term(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("term", self.term_of(word(children[0]), word(children[1])), meta)

    def term_of(self, start: Word, end: Word) -> tuple[dt.date, dt.date]:
        return self.date(start), self.date(end)

    # ------------------------------------------------------------------ targets

    def target_decl(self, meta: Meta, children: list[Any]) -> Clause:
        metric, bound, scope, *clauses = children
        target = self.make_target(word(metric), bound, scope, clauses, self.span(meta))
        return self.clause("target", target, meta)

    def make_target(self, metric: Word, bound: tuple[Comparison, Amount, Amount | None],
                    scope: Scope, clauses: Sequence[Clause | None], span: Span) -> Target:
        comparison, amount, upper = bound
        values = self.fold(clauses, "target")
        return Target(
            self.name(metric),
            comparison,
            amount,
            scope,
            upper=upper,
            milestones=tuple(values.get("milestone", ())),
            excused=tuple(values.get("excused", ())),
            data_coverage_percent=values.get("coverage"),
            span=span,
        )

    def at_least(self, meta: Meta, children: list[Any]) -> tuple[Comparison, Any, None]:
        return Comparison.AT_LEAST, children[0], None

    def at_most(self, meta: Meta, children: list[Any]) -> tuple[Comparison, Any, None]:
        return Comparison.AT_MOST, children[0], None

    def between(self, meta: Meta, children: list[Any]) -> tuple[Comparison, Any, Any]:
        return Comparison.BETWEEN, children[0], children[1]

    def baseline(self, meta: Meta, children: list[Any]) -> tuple[Comparison, Baseline, None]:
        change, percent, quantity, year = children
        return self.make_baseline(change, word(percent), quantity, word(year))

    def make_baseline(
        self, change: Change, percent: Word, quantity: Quantity, year: Word
    ) -> tuple[Comparison, Baseline, None]:
        comparison = Comparison.AT_MOST if change is Change.REDUCED else Comparison.AT_LEAST
        value = self.percent(percent)
        if change is Change.REDUCED and value > 100:
            self.problem("CH305", f"a reduction of {percent[0]} is more than everything",
                         self.where(percent))
        amount = Baseline(change, value, quantity, self.whole(year, "a baseline year"))
        return comparison, amount, None

    def change(self, meta: Meta, children: list[Token]) -> Change:
        return Change(str(children[0]))

    def absolute(self, meta: Meta, children: list[Quantity]) -> Absolute:
        return Absolute(children[0])

    def share(self, meta: Meta, children: list[Token]) -> Share:
        return self.make_share(word(children[0]), word(children[1]))

    def make_share(self, percent: Word, metric: Word) -> Share:
        return Share(self.percent(percent), self.name(metric))

    def per_value(self, meta: Meta, children: list[Any]) -> PerValue:
        quantity, money = children
        return self.make_per_value(quantity, word(money))

    def make_per_value(self, quantity: Quantity, money: Word) -> PerValue:
        per = self.money(money)
        if per == 0:
            self.problem("CH305", "the contract value divisor cannot be £0", self.where(money))
            per = Decimal(1)
        return PerValue(quantity, per)

    def each_period(self, meta: Meta, children: list[Period]) -> EachPeriod:
        return EachPeriod(children[0])

    def period(self, meta: Meta, children: list[Token]) -> Period:
        return Period(" ".join(children))

    def by_date(self, meta: Meta, children: list[Token]) -> ByDate:
        return ByDate(self.date(word(children[0])))

    def over_contract(self, meta: Meta, children: list[Token]) -> OverContract:
        return OverContract()

    def milestone(self, meta: Meta, children: list[Any]) -> Clause:
        quantity, date = children
        milestone = Milestone(quantity, self.date(word(date)), span=self.span(meta))
        return self.clause("milestone", milestone, meta)

    def excused_decl(self, meta: Meta, children: list[Token]) -> Clause:
        start, end, reason = (word(t) for t in children)
        return self.clause("excused", self.make_excusal(start, end, reason, self.span(meta)),
                           meta)

    def make_excusal(self, start: Word, end: Word, reason: Word, span: Span) -> Excusal:
        return Excusal(self.date(start), self.date(end), self.text(reason), span=span)

    # ------------------------------------------------------------------ reviews

    def review_decl(self, meta: Meta, children: list[Any]) -> Clause:
        schedule, *clauses = children
        return self.clause("review", self.make_review(schedule, clauses, self.span(meta)), meta)

    def make_review(
        self, schedule: Schedule, clauses: Sequence[Clause | None], span: Span
    ) -> Review:
        values = self.fold(clauses, "review")
        return Review(
            schedule,
            tuple(values.get("band", ())),
            tuple(values.get("rule", ())),
            span=span,
        )

    def every(self, meta: Meta, children: list[Any]) -> Every:
        count, interval, start, until = children
        return self.make_every(word(count), interval, word(start),
                               word(until) if until is not None else None)

    def make_every(self, count: Word, interval: str, start: Word, until: Word | None) -> Every:
        months = self.whole(count, "the review interval")
        if interval.startswith("year"):
            months *= 12
        return Every(months, self.date(start), self.date(until) if until is not None else None)

    def interval(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    def on_dates(self, meta: Meta, children: list[Token]) -> OnDates:
        return OnDates(tuple(self.date(word(token)) for token in children))

    def band(self, meta: Meta, children: list[Any]) -> Clause:
        rating, comparison, percent = (c for c in children if c is not None)
        band = Band(rating, comparison, self.percent(word(percent)), span=self.span(meta))
        return self.clause("band", band, meta)

    def comparison(self, meta: Meta, children: list[Token]) -> BandComparison:
        return BandComparison(" ".join(children))

    def rating(self, meta: Meta, children: list[Token | None]) -> Rating:
        return rating_of(" ".join(str(t) for t in children if t is not None))

    def rating_or_worse(self, meta: Meta, children: list[Any]) -> tuple[Rating, bool]:
        return children[0], children[1] is not None

    def rule(self, meta: Meta, children: list[Any]) -> Clause:
        consequence, condition = children
        return self.clause("rule", Rule(consequence, condition, span=self.span(meta)), meta)

    def note(self, meta: Meta, children: list[Token]) -> Consequence:
        return Consequence(ConsequenceKind.NOTE)

    def remedy_plan(self, meta: Meta, children: list[Token]) -> Consequence:
        return self.make_remedy_plan(word(children[0]))

    def make_remedy_plan(self, days: Word) -> Consequence:
        return Consequence(ConsequenceKind.REMEDY_PLAN, self.whole(days, "a cure period"))

    def break_allowed(self, meta: Meta, children: list[Token]) -> Consequence:
        return Consequence(ConsequenceKind.BREAK_ALLOWED)

    def consecutive(self, meta: Meta, children: list[Any]) -> Consecutive:
        (rating, worse), count = children
        return Consecutive(rating, worse, self.review_count(word(count)))

    def k_of_last(self, meta: Meta, children: list[Any]) -> KOfLast:
        (rating, worse), k, n = children
        return self.make_k_of_last(rating, worse, word(k), word(n),
                                   (meta.start_pos, meta.end_pos))

    def make_k_of_last(
        self, rating: Rating, worse: bool, k: Word, n: Word, where: tuple[int, int]
    ) -> KOfLast:
        k_value = self.review_count(k)
        n_value = self.review_count(n)
        if k_value > n_value:
            self.problem("CH305", f"{k_value} of the last {n_value} reviews can never happen",
                         self.span_at(*where), "the first number must not exceed the second")
        return KOfLast(rating, worse, k_value, n_value)

    def any_after(self, meta: Meta, children: list[Any]) -> AnyAfter:
        (rating, worse), date = children
        return AnyAfter(rating, worse, self.date(word(date)))

    def remedy_failed(self, meta: Meta, children: list[Token]) -> RemedyFailed:
        return RemedyFailed()

    # ------------------------------------------------------------------ tenders and offers

    def tender_decl(self, meta: Meta, children: list[Any]) -> Tender:
        ident, title, *clauses = children
        return self.make_tender(word(ident), word(title), clauses, self.span(meta))

    def make_tender(
        self, ident: Word, title: Word, clauses: Sequence[Clause | None], span: Span
    ) -> Tender:
        values = self.fold(clauses, "tender")
        start, end = values.get("term", (None, None))
        return Tender(
            self.name(ident),
            self.text(title),
            estimated_value=values.get("estimated_value"),
            start=start,
            end=end,
            weighting_percent=values.get("weighting"),
            themes=tuple(values.get("asks_themes", ())),
            outcomes=tuple(values.get("asks_outcomes", ())),
            scoring=values.get("scoring", Scoring(ScoringKind.PROPORTIONAL)),
            description=values.get("description"),
            span=span,
        )

    def score_ratio(self, meta: Meta, children: list[Token]) -> Clause:
        value, per = (word(token) for token in children)
        return self.clause("scoring", self.ratio_scoring(value, per), meta)

    def ratio_scoring(self, value: Word, per: Word) -> Scoring:
        amount, divisor = self.money(value), self.money(per)
        if divisor == 0:
            self.problem("CH305", "the ratio divides by £0", self.where(per))
            divisor = Decimal(1)
        return Scoring(ScoringKind.RATIO, amount, divisor)

    def offer_decl(self, meta: Meta, children: list[Any]) -> Offer:
        ident, bidder, tender, *clauses = children
        return self.make_offer(word(ident), word(bidder), word(tender), clauses,
                               self.span(meta))

    def make_offer(self, ident: Word, bidder: Word, tender: Word,
                   clauses: Sequence[Clause | None], span: Span) -> Offer:
        values = self.fold(clauses, "offer")
        return Offer(
            self.name(ident),
            self.text(bidder),
            self.name(tender),
            bid_price=values.get("bid_price"),
            commitments=tuple(values.get("commitment", ())),
            answers=tuple(values.get("answer", ())),
            description=values.get("description"),
            source_name=self.source.name,
            span=span,
        )

    def commitment(self, meta: Meta, children: list[Any]) -> Clause:
        metric, quantity, scope, area = children
        value = self.make_commitment(word(metric), quantity, scope,
                                     word(area) if area is not None else None, self.span(meta))
        return self.clause("commitment", value, meta)

    def make_commitment(
        self, metric: Word, quantity: Quantity, scope: Scope, area: Word | None, span: Span
    ) -> Commitment:
        return Commitment(self.name(metric), quantity, scope,
                          self.name(area) if area is not None else None, span=span)

    def answer(self, meta: Meta, children: list[Token]) -> Clause:
        text, score = children
        return self.clause("answer", self.make_answer(word(text), word(score), self.span(meta)),
                           meta)

    def make_answer(self, text: Word, score: Word, span: Span) -> Answer:
        value = self.number(score)
        if not (0 <= value <= 100) or value != value.to_integral_value():
            self.problem("CH305",
                         f"a quality score is a whole number from 0 to 100, not {score[0]}",
                         self.where(score))
            value = max(Decimal(0), min(Decimal(100), value.to_integral_value()))
        return Answer(self.text(text), int(value), span=span)

    # ------------------------------------------------------------------ shared pieces

    def number_quantity(self, meta: Meta, children: list[Token | None]) -> Quantity:
        number, unit = children
        assert number is not None
        return self.quantity(word(number), word(unit) if unit is not None else None)

    def money_quantity(self, meta: Meta, children: list[Token]) -> Quantity:
        return self.quantity(word(children[0]))

    def percent_quantity(self, meta: Meta, children: list[Token]) -> Quantity:
        return self.quantity(word(children[0]))

    def unit(self, meta: Meta, children: list[Token]) -> Token:
        """A unit of one or more words, as one token that spans them all."""
        first, last = children[0], children[-1]
        return Token("NAME", " ".join(children), start_pos=first.start_pos, line=first.line,
                     column=first.column, end_pos=last.end_pos)

    def name_list(self, meta: Meta, children: list[Token]) -> list[str]:
        return [self.name(word(t)) for t in children]

    def string_list(self, meta: Meta, children: list[Token]) -> list[str]:
        return [self.text(word(t)) for t in children]


def rating_of(words: str) -> Rating:
    """A rating from its words, joined by single spaces ("approaching" is short for
    "approaching target")."""
    return Rating.APPROACHING if words.startswith("approaching") else Rating(words)


# The clauses of one value, by grammar rule: how the value is read. Shared with the line
# parser, as are the two tables below.
ONE_VALUE: dict[str, Callable[[Builder, Word], Any]] = {
    **dict.fromkeys(("authority", "place", "description", "publisher", "licence",
                     "counting_rule", "supplier"), Builder.text),
    **dict.fromkeys(("version", "code"), Builder.name_or_text),
    **dict.fromkeys(("discount_rate", "coverage", "weighting"), Builder.bounded_percent),
    **dict.fromkeys(("contract_value", "estimated_value", "bid_price"), Builder.money),
    **dict.fromkeys(("metric_theme", "outcome_theme"), Builder.name),
    "responses": Builder.response_count,
    "currency": Builder.currency_of,
    "restated": Builder.price_year,
    "benefit_years": lambda b, w: b.whole(w, "a number of years"),
}

# The name a clause is folded under, where it is not its grammar rule's.
FOLDED_AS = {"metric_theme": "theme", "outcome_theme": "theme", "contract_value": "value"}

# The clauses that hold a list of names or of quoted texts (read by name_list and string_list
# on lark's side), by grammar rule.
LISTS = frozenset({"postcodes", "wards", "places", "includes", "overlaps", "builds_on",
                   "targeted_at", "measured_by", "asks_themes", "asks_outcomes"})

# The clauses of fixed words, by grammar rule: the name the clause is folded under and its
# value.
FIXED: dict[str, tuple[str, Any]] = {
    "qualitative": ("counts", (MetricKind.QUALITATIVE, None, None, None)),
    "record_only": ("record_only", True),
    "score_proportional": ("scoring", Scoring(ScoringKind.PROPORTIONAL)),
    "score_bands": ("scoring", Scoring(ScoringKind.BANDS)),
}


# ---------------------------------------------------------------------------- assembling

# Where each top-level declaration goes in the charter, and what it is called in messages.
_CHARTER_SLOTS: dict[type, str] = {
    CatalogueUse: "uses",
    ProxiesUse: "proxy_uses",
    Area: "areas",
    Strength: "strengths",
    Theme: "themes",
    Metric: "metrics",
    Outcome: "outcomes",
    Contract: "contracts",
    Tender: "tenders",
}
_CLAUSE_SLOTS = {"target": "targets", "excused": "excused", "review": "reviews"}


Built = tuple[list[tuple[Block, Any]], list[Diagnostic], frozenset[str]]


def build_declarations(source: Source) -> Built:
    """Parse and build every top-level declaration of a file; also return the ids that
    declarations which failed to parse seem to declare.

    Each declaration is first offered to the line parser, which reads the usual ones without
    lark; lark parses the others (and every one with a mistake, which it words), and the
    Builder builds them from lark's tree. Both build the same model with the same spans and
    diagnostics (tests/test_lineparser.py), so which one read a declaration does not show."""
    from charterdsl import lineparser  # it builds on this module

    cut = split_blocks(source)
    if len(cut) > limits.MAX_DECLARATIONS:  # counted before any parsing
        span = source.span(0, 1)
        message = f"this file has more than {limits.MAX_DECLARATIONS} declarations"
        too_many = Diagnostic("CH602", message, span, "split the charter into several files, "
                              "or move metrics into a catalogue", source=source)
        return [], [too_many], frozenset()
    parser = BlockParser(source)
    builder = Builder(source)
    read = lineparser.read if lineparser.ENABLED else None
    built: list[tuple[Block, Any]] = []
    with collector.paused():
        # Each declaration is built as soon as it is read, so that the builder's diagnostics
        # come in the order of the declarations whichever reader read them.
        for block in cut:
            builder.offset = block.offset
            value = read(builder, block) if read is not None else None
            if value is not None:
                parser.skip(block)
            else:
                tree = parser.parse(block)
                if tree is None:
                    continue
                value = builder.transform(tree)
            built.append((block, value))
    return built, parser.problems + builder.diagnostics, frozenset(parser.unparsed)


def build_charter(source: Source) -> tuple[Charter | None, list[Diagnostic]]:
    """The charter a file declares, as written (catalogues not yet loaded)."""
    charter, diagnostics, _ = build_charter_with_gaps(source)
    return charter, diagnostics


def build_charter_with_gaps(
    source: Source,
) -> tuple[Charter | None, list[Diagnostic], frozenset[str]]:
    """:func:`build_charter`, plus the ids of declarations that did not parse."""
    built, diagnostics, unparsed = build_declarations(source)
    header: Header | None = None
    slots: dict[str, list[Any]] = {}
    for block, value in built:
        if isinstance(value, Header):
            if header is not None:
                line = header.span.line if header.span else 1
                diagnostics.append(_misplaced(
                    source, block, f"this file already has a charter line (line {line}); "
                    "a file holds one charter", "CH202", related=header.span))
                continue
            header = value
        elif isinstance(value, Catalogue):
            diagnostics.append(_misplaced(source, block, "a catalogue header belongs in a "
                                          "catalogue file, not in a charter"))
        elif isinstance(value, Offer):
            diagnostics.append(_misplaced(source, block, "an offer belongs in a file of its "
                                          "own, given to 'charter tender score'"))
        elif isinstance(value, Clause):
            slots.setdefault(_CLAUSE_SLOTS[value.name], []).append(value.value)
        else:
            slots.setdefault(_CHARTER_SLOTS[type(value)], []).append(value)
    if header is None:
        if built or not diagnostics:
            first = built[0][0].offset if built else 0
            diagnostics.append(
                Diagnostic(
                    "CH204",
                    "this file has no charter line",
                    source.span(first, min(first + 1, len(source.text))),
                    'start the file with a line like: charter "Brightwell Community Value Charter"',
                    source=source,
                )
            )
        return None, diagnostics, unparsed
    charter = Charter(
        header,
        **{slot: tuple(values) for slot, values in slots.items()},
        source_name=source.name,
        comments=comments(source),
    )
    return charter, diagnostics, unparsed


def build_catalogue(source: Source) -> tuple[Catalogue | None, list[Diagnostic]]:
    """A catalogue file: one ``catalogue`` header and metrics."""
    built, diagnostics, _ = build_declarations(source)
    header: Catalogue | None = None
    metrics: list[Metric] = []
    uses: list[CatalogueUse] = []
    for block, value in built:
        if isinstance(value, Catalogue) and header is None:
            header = value
        elif isinstance(value, Metric):
            metrics.append(value)
        elif isinstance(value, CatalogueUse):
            uses.append(value)
        else:
            diagnostics.append(_misplaced(source, block, "a catalogue holds one catalogue "
                                          "header, 'use catalogue' lines and metrics"))
    if header is None:
        if built or not diagnostics:
            diagnostics.append(
                Diagnostic(
                    "CH505",
                    "this file has no catalogue line",
                    source.span(0, min(1, len(source.text))),
                    'start a catalogue with a line like: catalogue "Approved social value metrics"',
                    source=source,
                )
            )
        return None, diagnostics
    return attrs.evolve(header, uses=tuple(uses), metrics=tuple(metrics)), diagnostics


def _misplaced(
    source: Source,
    block: Block,
    hint: str,
    code: str = "CH107",
    related: Span | None = None,
) -> Diagnostic:
    first_line = block.text.split("\n", 1)[0]
    keyword = first_line.split()[0] if first_line.split() else first_line
    span = source.span(block.offset, block.offset + len(keyword))
    return Diagnostic(
        code,
        f"'{keyword}' is not allowed here",
        span,
        hint,
        source=source,
        related=(("first given", cite(source, related)),) if related is not None else (),
    )



def build_offer(source: Source) -> tuple[Offer | None, list[Diagnostic]]:
    """An offer file: exactly one ``offer`` declaration."""
    built, diagnostics, _ = build_declarations(source)
    offers = [value for _, value in built if isinstance(value, Offer)]
    for block, value in built:
        if not isinstance(value, Offer) or value is not offers[0]:
            diagnostics.append(_misplaced(source, block, "an offer file holds one offer"))
    if not offers and not diagnostics:
        diagnostics.append(Diagnostic(
            "CH505", "this file has no offer line", source.span(0, min(1, len(source.text))),
            'start an offer with a line like: offer acme "Acme Ltd" for HR-2026-003',
            source=source,
        ))
    return (offers[0] if offers else None), diagnostics
