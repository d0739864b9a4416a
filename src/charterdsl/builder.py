"""From lark trees to the typed model: one method per grammar rule.

The builder never raises on a bad value. It records a diagnostic (a date that does not exist,
an unknown unit, a clause given twice) and carries on with a placeholder, so every problem in
a file is reported in one run. :func:`build_document` then assembles the declarations into a
:class:`~charterdsl.model.Charter` or a :class:`~charterdsl.model.Catalogue`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
from lark import Token, Transformer, Tree
from lark.tree import Meta

from charterdsl import collector, limits, units
from charterdsl.errors import Diagnostic, cite
from charterdsl.model import (
    Absolute,
    Adjustments,
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
    ParsedBlock,
    comment_column,
    comments,
    parse_blocks,
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


@attrs.frozen
class Clause:
    """One clause line inside a declaration, before it is folded into the declaration."""

    name: str
    value: Any
    # Where the clause is, kept raw: its span is worked out only if it is given twice, which
    # is rare, and working it out for every clause was a sixth of the build time.
    meta: Meta
    offset: int


# Clauses that may appear more than once; their values are collected in order.
_REPEATABLE = frozenset(
    {"stakeholders", "target", "excused", "review", "milestone", "band", "rule", "commitment",
     "answer"}
)


class Builder(Transformer[Token, Any]):
    """Turns one declaration's tree into model objects, recording diagnostics as it goes.

    Every rule method takes ``(meta, children)``. They are called through a table of bound
    methods rather than lark's ``v_args`` wrappers, which build a new wrapper object at every
    call and cost a tenth of the build time."""

    def __init__(self, source: Source) -> None:
        super().__init__(visit_tokens=False)  # tokens are read by the rule that holds them
        self.source = source
        self.offset = 0
        self._methods: dict[str, Callable[[Meta, list[Any]], Any] | None] = {}
        self.diagnostics: list[Diagnostic] = []

    # ------------------------------------------------------------------ helpers

    def span(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return self.source.span(self.offset, self.offset)
        start = self.offset + meta.start_pos
        return self.source.span(start, self.code_end(start, self.offset + meta.end_pos))

    def _call_userfunc(self, tree: Tree[Token], new_children: list[Any] | None = None) -> Any:
        children = new_children if new_children is not None else tree.children
        name = str(tree.data)
        if name not in self._methods:
            self._methods[name] = getattr(self, name, None)
        method = self._methods[name]
        if method is None:  # a rule with nothing to build keeps its tree, as lark would
            return Tree(tree.data, children, tree.meta)
        return method(tree.meta, children)

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

    def token_span(self, token: Token) -> Span:
        start = self.offset + (token.start_pos or 0)
        end = self.offset + token.end_pos if token.end_pos is not None else start + len(token)
        return self.source.span(start, end)

    def problem(self, code: str, message: str, at: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, at, hint, source=self.source))

    def name(self, token: Token) -> str:
        if not all(ch.isalpha() or ch in _ID_PUNCTUATION for ch in str(token)):
            odd = next(ch for ch in str(token) if not (ch.isalpha() or ch in _ID_PUNCTUATION))
            self.problem(
                "CH102",
                f"the id '{token}' contains '{odd}'",
                self.token_span(token),
                "ids use letters, the digits 0 to 9, underscores and single hyphens",
            )
        if len(token) > limits.MAX_NAME_LENGTH:
            self.problem(
                "CH603",
                f"this name is {len(token)} characters long",
                self.token_span(token),
                f"names are at most {limits.MAX_NAME_LENGTH} characters",
            )
        return str(token)

    def text(self, token: Token) -> str:
        value = token[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if len(value) > limits.MAX_TEXT_LENGTH:
            self.problem(
                "CH603",
                f"this text is {len(value)} characters long",
                self.token_span(token),
                f"a quoted text is at most {limits.MAX_TEXT_LENGTH} characters",
            )
        return value

    def number(self, token: Token) -> Decimal:
        text = str(token)
        if not _GROUPED.fullmatch(text):
            self.problem(
                "CH303",
                f"'{text}' is not a well-formed number",
                self.token_span(token),
                "group thousands in threes, like 1,200 or 14,200",
            )
        return Decimal(text.replace(",", ""))

    def whole(self, token: Token, what: str) -> int:
        value = self.number(token)
        if value != value.to_integral_value() or (value < 1 and what != "day"):
            self.problem(
                "CH305",
                f"{what} must be a whole number of at least 1, not {token}",
                self.token_span(token),
            )
            return 1
        return int(value)

    def percent(self, token: Token) -> Decimal:
        return self.number(Token.new_borrow_pos("NUMBER", token[:-1], token))

    def money(self, token: Token) -> Decimal:
        match = _MONEY.fullmatch(str(token))
        assert match is not None  # the grammar's MONEY pattern guarantees the shape
        digits = Token.new_borrow_pos("NUMBER", match.group(1), token)
        value = self.number(digits) * _MULTIPLIERS[match.group(2) or ""]
        # £2.4k is 2400, not 2400.0: a whole sum keeps no decimal places it never had.
        return Decimal(int(value)) if value == value.to_integral_value() else value

    def date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self.problem("CH401", f"{token} is not a date in the calendar",
                         self.token_span(token), _date_hint(str(token)))
            return dt.date.min  # a stand-in the checks know not to compare again

    def unit_of(self, token: Token) -> str | None:
        unit = units.lookup(str(token))
        if unit is None:
            suggestion = units.suggest(str(token))
            hint = (
                f"did you mean '{suggestion}'?"
                if suggestion
                else "docs/units.md lists every unit a charter can use"
            )
            self.problem("CH301", f"unknown unit '{token}'", self.token_span(token), hint)
        return unit

    def fold(self, clauses: Sequence[Clause], what: str) -> dict[str, Any]:
        """Gather a declaration's clauses by name; a clause given twice is an error."""
        values: dict[str, Any] = {}
        seen: dict[str, Clause] = {}
        for clause in clauses:
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
        return Clause(name, value, meta, self.offset)

    def clause_span(self, clause: Clause) -> Span:
        offset, self.offset = self.offset, clause.offset
        try:
            return self.span(clause.meta)
        finally:
            self.offset = offset

    # ------------------------------------------------------------------ charter header

    def charter_decl(self, meta: Meta, children: list[Any]) -> Header:
        title, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "charter header")
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
            span=self.span(meta),
        )

    def authority(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("authority", self.text(children[0]), meta)

    def place(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("place", self.text(children[0]), meta)

    def version(self, meta: Meta, children: list[Token]) -> Clause:
        token = children[0]
        value = self.text(token) if token.type == "STRING" else str(token)
        return self.clause("version", value, meta)

    def status(self, meta: Meta, children: list[Any]) -> Clause:
        kind, on = children
        clause = StatusClause(kind, self.date(on) if on is not None else None, span=self.span(meta))
        return self.clause("status", clause, meta)

    def status_name(self, meta: Meta, children: list[Token]) -> Status:
        return Status(" ".join(children))

    def consultation(self, meta: Meta, children: list[Any]) -> Clause:
        opens, closes, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "consultation")
        groups = tuple(g for line in values.get("stakeholders", []) for g in line)
        consultation = Consultation(
            self.date(opens),
            self.date(closes),
            groups,
            values.get("responses"),
            span=self.span(meta),
        )
        return self.clause("consultation", consultation, meta)

    def stakeholders(self, meta: Meta, children: list[Token]) -> Clause:
        groups = tuple(self.text(t) if t.type == "STRING" else str(t) for t in children)
        return self.clause("stakeholders", groups, meta)

    def responses(self, meta: Meta, children: list[Token]) -> Clause:
        value = self.number(children[0])
        if value != value.to_integral_value():
            self.problem("CH305", "responses must be a whole number", self.token_span(children[0]))
        return self.clause("responses", int(value), meta)

    def financial_year(self, meta: Meta, children: list[Token]) -> Clause:
        day_token, month_token = children
        month = MONTHS.get(month_token.lower())
        day = self.number(day_token)
        if month is None:
            self.problem(
                "CH401",
                f"'{month_token}' is not a month",
                self.token_span(month_token),
                "write the month in full, like 1 April",
            )
            month = 4
        if day != day.to_integral_value():
            self.problem("CH305", f"{day_token} is not a whole day of the month",
                         self.token_span(day_token), "write it like 1 April")
        try:
            dt.date(2024, month, int(day))  # a leap year, so 29 February is allowed
        except ValueError:
            self.problem("CH401", f"{day_token} {month_token} is not a day of the year",
                         self.token_span(day_token))
        return self.clause("financial_year", (month, int(day)), meta)

    def working_week(self, meta: Meta, children: list[Quantity]) -> Clause:
        return self.clause("working_week", self.convention(children[0], "hour", meta), meta)

    def working_year(self, meta: Meta, children: list[Quantity]) -> Clause:
        return self.clause("working_year", self.convention(children[0], "week", meta), meta)

    def convention(self, quantity: Quantity, unit: str, meta: Meta) -> Decimal:
        # Exactly this unit: a working week of "5 days" or a year of "1,725 hours" would
        # convert by calendar arithmetic into something nobody meant.
        factor = Fraction(1) if quantity.unit == unit else None
        if factor is None:
            what = "working week" if unit == "hour" else "working year"
            self.problem(
                "CH302",
                f"the {what} must be given in {units.display(unit)}",
                self.span(meta),
                "write it like 37.5 hours" if unit == "hour" else "write it like 46 weeks",
            )
            return quantity.magnitude
        return units.convert(quantity.magnitude, factor)

    def currency(self, meta: Meta, children: list[Token]) -> Clause:
        if children[0] != "GBP":
            self.problem(
                "CH301",
                f"'{children[0]}' is not a supported currency",
                self.token_span(children[0]),
                "charters are written in GBP (£)",
            )
        return self.clause("currency", str(children[0]), meta)

    def discount_rate(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("discount_rate", self.bounded_percent(children[0]), meta)

    def restated(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("restated", self.whole(children[0], "a price year"), meta)

    def price_index(self, meta: Meta, children: list[IndexPoint]) -> Clause:
        years = [point.year for point in children]
        if len(set(years)) != len(years):
            self.problem("CH203", "this price index gives a year twice", self.span(meta),
                         "give each year once")
        return self.clause("price_index", tuple(sorted(children, key=lambda p: p.year)), meta)

    def index_entry(self, meta: Meta, children: list[Token]) -> IndexPoint:
        year, value = children
        number = self.number(value)
        if number <= 0:
            self.problem("CH305", "a price index must be more than 0", self.token_span(value))
        return IndexPoint(self.whole(year, "a year"), number)

    def coverage(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("coverage", self.bounded_percent(children[0]), meta)

    def description(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("description", self.text(children[0]), meta)

    def bounded_percent(self, token: Token) -> Decimal:
        value = self.percent(token)
        if value > 100:
            self.problem("CH305", f"{token} is more than 100%", self.token_span(token),
                         "a share or adjustment is at most 100%")
        return value

    # ------------------------------------------------------------------ catalogues

    def catalogue_decl(self, meta: Meta, children: list[Any]) -> Catalogue:
        title, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "catalogue header")
        return Catalogue(
            self.text(title),
            publisher=values.get("publisher"),
            version=values.get("version"),
            licence=values.get("licence"),
            description=values.get("description"),
            price_index=values.get("price_index", ()),
            source_name=self.source.name,
            span=self.span(meta),
        )

    def publisher(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("publisher", self.text(children[0]), meta)

    def licence(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("licence", self.text(children[0]), meta)

    def proxies_decl(self, meta: Meta, children: list[Token]) -> ProxiesUse:
        return ProxiesUse(self.text(children[0]), span=self.span(meta))

    def use_decl(self, meta: Meta, children: list[Token | None]) -> CatalogueUse:
        path, version = children
        assert path is not None
        pinned = None
        if version is not None:
            pinned = self.text(version) if version.type == "STRING" else str(version)
        return CatalogueUse(self.text(path), pinned, span=self.span(meta))

    # ------------------------------------------------------------------ places and strengths

    def area_decl(self, meta: Meta, children: list[Any]) -> Area:
        ident, title, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "area")
        return Area(
            self.name(ident),
            self.text(title),
            postcode_districts=tuple(values.get("postcodes", ())),
            wards=tuple(values.get("wards", ())),
            places=tuple(values.get("places", ())),
            includes=tuple(values.get("includes", ())),
            description=values.get("description"),
            span=self.span(meta),
        )

    def postcodes(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("postcodes", [p.upper() for p in children[0]], meta)

    def wards(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("wards", children[0], meta)

    def places(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("places", children[0], meta)

    def includes(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("includes", children[0], meta)

    def strength_decl(self, meta: Meta, children: list[Any]) -> Strength:
        ident, title, capital, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "strength")
        return Strength(
            self.name(ident),
            self.text(title),
            capital,
            description=values.get("description"),
            span=self.span(meta),
        )

    def capital_kind(self, meta: Meta, children: list[Token]) -> Capital:
        return Capital(str(children[0]))

    def theme_decl(self, meta: Meta, children: list[Any]) -> Theme:
        ident, title, weight, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "theme")
        return Theme(
            self.name(ident),
            self.text(title),
            self.bounded_percent(weight) if weight is not None else None,
            description=values.get("description"),
            span=self.span(meta),
        )

    # ------------------------------------------------------------------ metrics

    def metric_decl(self, meta: Meta, children: list[Any]) -> Metric:
        ident, title, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "metric")
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
            span=self.span(meta),
        )

    def code(self, meta: Meta, children: list[Token]) -> Clause:
        token = children[0]
        value = self.text(token) if token.type == "STRING" else str(token)
        return self.clause("code", value, meta)

    def counts_summed(self, meta: Meta, children: list[Token]) -> Clause:
        value = (MetricKind.SUMMED, self.unit_of(children[0]), None, None)
        return self.clause("counts", value, meta)

    def counts_averaged(self, meta: Meta, children: list[Token]) -> Clause:
        value = (MetricKind.AVERAGED, self.unit_of(children[0]), None, None)
        return self.clause("counts", value, meta)

    def counts_ratio(self, meta: Meta, children: list[Token]) -> Clause:
        numerator, denominator = (self.name(t) for t in children)
        return self.clause("counts", (MetricKind.RATIO, "percent", numerator, denominator), meta)

    def qualitative(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("counts", (MetricKind.QUALITATIVE, None, None, None), meta)

    def record_only(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("record_only", True, meta)

    def eligibility(self, meta: Meta, children: list[Token]) -> Clause:
        *subject, area = children
        value = Eligibility(" ".join(subject), self.name(area), span=self.span(meta))
        return self.clause("eligibility", value, meta)

    def proxy(self, meta: Meta, children: list[Token | None]) -> Clause:
        amount, per, year, source = children
        assert amount is not None and per is not None and year is not None
        proxy = Proxy(
            self.money(amount),
            self.unit_of(per) or str(per),
            self.whole(year, "a price year"),
            self.text(source) if source is not None else None,
            span=self.span(meta),
        )
        return self.clause("proxy", proxy, meta)

    def adjustments(self, meta: Meta, children: list[tuple[str, Decimal, Span]]) -> Clause:
        values: dict[str, Decimal] = {}
        for name, value, span in children:
            if name in values:
                self.problem("CH203", f"{name.replace('_', '-')} is given twice", span)
            values[name] = value
        return self.clause("adjustments", values, meta)

    def adjustment(self, meta: Meta, children: list[Any]) -> tuple[str, Decimal, Span]:
        name, percent = children
        return name, self.bounded_percent(percent), self.span(meta)

    def adjustment_name(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0]).replace("-", "_")

    def benefit_years(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("benefit_years", self.whole(children[0], "a number of years"), meta)

    def overlaps(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("overlaps", children[0], meta)

    def metric_theme(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("theme", self.name(children[0]), meta)

    def counting_rule(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("counting_rule", self.text(children[0]), meta)

    # ------------------------------------------------------------------ outcomes

    def outcome_decl(self, meta: Meta, children: list[Any]) -> Outcome:
        ident, title, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "outcome")
        return Outcome(
            self.name(ident),
            self.text(title),
            theme=values.get("theme"),
            builds_on=tuple(values.get("builds_on", ())),
            targeted_at=tuple(values.get("targeted_at", ())),
            measured_by=tuple(values.get("measured_by", ())),
            description=values.get("description"),
            span=self.span(meta),
        )

    def outcome_theme(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("theme", self.name(children[0]), meta)

    def builds_on(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("builds_on", children[0], meta)

    def targeted_at(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("targeted_at", children[0], meta)

    def measured_by(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("measured_by", children[0], meta)

    # ------------------------------------------------------------------ contracts

    def contract_decl(self, meta: Meta, children: list[Any]) -> Contract:
        ident, title, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "contract")
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
            span=self.span(meta),
        )

    def supplier(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("supplier", self.text(children[0]), meta)

    def contract_value(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("value", self.money(children[0]), meta)

    def term(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("term", (self.date(children[0]), self.date(children[1])), meta)

    # ------------------------------------------------------------------ targets

    def target_decl(self, meta: Meta, children: list[Any]) -> Clause:
        metric, (comparison, amount, upper), scope, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "target")
        target = Target(
            self.name(metric),
            comparison,
            amount,
            scope,
            upper=upper,
            milestones=tuple(values.get("milestone", ())),
            excused=tuple(values.get("excused", ())),
            data_coverage_percent=values.get("coverage"),
            span=self.span(meta),
        )
        return self.clause("target", target, meta)

    def at_least(self, meta: Meta, children: list[Any]) -> tuple[Comparison, Any, None]:
        return Comparison.AT_LEAST, children[0], None

    def at_most(self, meta: Meta, children: list[Any]) -> tuple[Comparison, Any, None]:
        return Comparison.AT_MOST, children[0], None

    def between(self, meta: Meta, children: list[Any]) -> tuple[Comparison, Any, Any]:
        return Comparison.BETWEEN, children[0], children[1]

    def baseline(self, meta: Meta, children: list[Any]) -> tuple[Comparison, Baseline, None]:
        change, percent, quantity, year = children
        comparison = Comparison.AT_MOST if change is Change.REDUCED else Comparison.AT_LEAST
        value = self.percent(percent)
        if change is Change.REDUCED and value > 100:
            self.problem("CH305", f"a reduction of {percent} is more than everything",
                         self.token_span(percent))
        amount = Baseline(change, value, quantity, self.whole(year, "a baseline year"))
        return comparison, amount, None

    def change(self, meta: Meta, children: list[Token]) -> Change:
        return Change(str(children[0]))

    def absolute(self, meta: Meta, children: list[Quantity]) -> Absolute:
        return Absolute(children[0])

    def share(self, meta: Meta, children: list[Token]) -> Share:
        return Share(self.percent(children[0]), self.name(children[1]))

    def per_value(self, meta: Meta, children: list[Any]) -> PerValue:
        quantity, money = children
        per = self.money(money)
        if per == 0:
            self.problem("CH305", "the contract value divisor cannot be £0", self.token_span(money))
            per = Decimal(1)
        return PerValue(quantity, per)

    def each_period(self, meta: Meta, children: list[Period]) -> EachPeriod:
        return EachPeriod(children[0])

    def period(self, meta: Meta, children: list[Token]) -> Period:
        return Period(" ".join(children))

    def by_date(self, meta: Meta, children: list[Token]) -> ByDate:
        return ByDate(self.date(children[0]))

    def over_contract(self, meta: Meta, children: list[Token]) -> OverContract:
        return OverContract()

    def milestone(self, meta: Meta, children: list[Any]) -> Clause:
        quantity, date = children
        return self.clause("milestone", Milestone(quantity, self.date(date), span=self.span(meta)),
                           meta)

    def excused_decl(self, meta: Meta, children: list[Token]) -> Clause:
        start, end, reason = children
        excusal = Excusal(self.date(start), self.date(end), self.text(reason), span=self.span(meta))
        return self.clause("excused", excusal, meta)

    # ------------------------------------------------------------------ reviews

    def review_decl(self, meta: Meta, children: list[Any]) -> Clause:
        schedule, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "review")
        review = Review(
            schedule,
            tuple(values.get("band", ())),
            tuple(values.get("rule", ())),
            span=self.span(meta),
        )
        return self.clause("review", review, meta)

    def every(self, meta: Meta, children: list[Any]) -> Every:
        count, interval, start, until = children
        months = self.whole(count, "the review interval")
        if interval.startswith("year"):
            months *= 12
        return Every(months, self.date(start), self.date(until) if until is not None else None)

    def interval(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0])

    def on_dates(self, meta: Meta, children: list[Token]) -> OnDates:
        return OnDates(tuple(self.date(token) for token in children))

    def band(self, meta: Meta, children: list[Any]) -> Clause:
        rating, comparison, percent = (c for c in children if c is not None)
        band = Band(rating, comparison, self.percent(percent), span=self.span(meta))
        return self.clause("band", band, meta)

    def comparison(self, meta: Meta, children: list[Token]) -> BandComparison:
        return BandComparison(" ".join(children))

    def rating(self, meta: Meta, children: list[Token | None]) -> Rating:
        words = " ".join(str(t) for t in children if t is not None)
        return Rating.APPROACHING if words.startswith("approaching") else Rating(words)

    def rating_or_worse(self, meta: Meta, children: list[Any]) -> tuple[Rating, bool]:
        return children[0], children[1] is not None

    def rule(self, meta: Meta, children: list[Any]) -> Clause:
        consequence, condition = children
        return self.clause("rule", Rule(consequence, condition, span=self.span(meta)), meta)

    def note(self, meta: Meta, children: list[Token]) -> Consequence:
        return Consequence(ConsequenceKind.NOTE)

    def remedy_plan(self, meta: Meta, children: list[Token]) -> Consequence:
        return Consequence(ConsequenceKind.REMEDY_PLAN, self.whole(children[0], "a cure period"))

    def break_allowed(self, meta: Meta, children: list[Token]) -> Consequence:
        return Consequence(ConsequenceKind.BREAK_ALLOWED)

    def consecutive(self, meta: Meta, children: list[Any]) -> Consecutive:
        (rating, worse), count = children
        return Consecutive(rating, worse, self.whole(count, "a number of reviews"))

    def k_of_last(self, meta: Meta, children: list[Any]) -> KOfLast:
        (rating, worse), k, n = children
        k_value = self.whole(k, "a number of reviews")
        n_value = self.whole(n, "a number of reviews")
        if k_value > n_value:
            self.problem("CH305", f"{k_value} of the last {n_value} reviews can never happen",
                         self.span(meta), "the first number must not exceed the second")
        return KOfLast(rating, worse, k_value, n_value)

    def any_after(self, meta: Meta, children: list[Any]) -> AnyAfter:
        (rating, worse), date = children
        return AnyAfter(rating, worse, self.date(date))

    def remedy_failed(self, meta: Meta, children: list[Token]) -> RemedyFailed:
        return RemedyFailed()

    # ------------------------------------------------------------------ tenders and offers

    def tender_decl(self, meta: Meta, children: list[Any]) -> Tender:
        ident, title, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "tender")
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
            span=self.span(meta),
        )

    def estimated_value(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("estimated_value", self.money(children[0]), meta)

    def weighting(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("weighting", self.bounded_percent(children[0]), meta)

    def asks_themes(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("asks_themes", children[0], meta)

    def asks_outcomes(self, meta: Meta, children: list[list[str]]) -> Clause:
        return self.clause("asks_outcomes", children[0], meta)

    def score_proportional(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("scoring", Scoring(ScoringKind.PROPORTIONAL), meta)

    def score_ratio(self, meta: Meta, children: list[Token]) -> Clause:
        value, per = (self.money(token) for token in children)
        if per == 0:
            self.problem("CH305", "the ratio divides by £0", self.token_span(children[1]))
            per = Decimal(1)
        return self.clause("scoring", Scoring(ScoringKind.RATIO, value, per), meta)

    def score_bands(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("scoring", Scoring(ScoringKind.BANDS), meta)

    def offer_decl(self, meta: Meta, children: list[Any]) -> Offer:
        ident, bidder, tender, *clauses = children
        values = self.fold([c for c in clauses if c is not None], "offer")
        return Offer(
            self.name(ident),
            self.text(bidder),
            self.name(tender),
            bid_price=values.get("bid_price"),
            commitments=tuple(values.get("commitment", ())),
            answers=tuple(values.get("answer", ())),
            description=values.get("description"),
            source_name=self.source.name,
            span=self.span(meta),
        )

    def bid_price(self, meta: Meta, children: list[Token]) -> Clause:
        return self.clause("bid_price", self.money(children[0]), meta)

    def commitment(self, meta: Meta, children: list[Any]) -> Clause:
        metric, quantity, scope, area = children
        value = Commitment(self.name(metric), quantity, scope,
                           self.name(area) if area is not None else None, span=self.span(meta))
        return self.clause("commitment", value, meta)

    def answer(self, meta: Meta, children: list[Token]) -> Clause:
        text, score = children
        value = self.number(score)
        if not (0 <= value <= 100) or value != value.to_integral_value():
            self.problem("CH305", f"a quality score is a whole number from 0 to 100, not {score}",
                         self.token_span(score))
            value = max(Decimal(0), min(Decimal(100), value.to_integral_value()))
        return self.clause("answer", Answer(self.text(text), int(value), span=self.span(meta)),
                           meta)

    # ------------------------------------------------------------------ shared pieces

    def number_quantity(self, meta: Meta, children: list[Token | None]) -> Quantity:
        number, unit = children
        assert number is not None
        if unit is not None and unit.start_pos == number.end_pos and unit[:1] in "eE" and (
            unit[1:2].isdigit()
        ):
            written = f"{number}{unit.split()[0]}"
            start = self.offset + (number.start_pos or 0)
            self.problem("CH303", f"'{written}' is written with an exponent",
                         self.source.span(start, start + len(written)),
                         "write the number in full, like 100000")
            return Quantity(self.number(number), None)
        return Quantity(self.number(number), self.unit_of(unit) if unit is not None else None)

    def money_quantity(self, meta: Meta, children: list[Token]) -> Quantity:
        return Quantity(self.money(children[0]), "GBP")

    def percent_quantity(self, meta: Meta, children: list[Token]) -> Quantity:
        return Quantity(self.percent(children[0]), "percent")

    def unit(self, meta: Meta, children: list[Token]) -> Token:
        """A unit of one or more words, as one token that spans them all."""
        first, last = children[0], children[-1]
        return Token("NAME", " ".join(children), start_pos=first.start_pos, line=first.line,
                     column=first.column, end_pos=last.end_pos)

    def name_list(self, meta: Meta, children: list[Token]) -> list[str]:
        return [self.name(t) for t in children]

    def string_list(self, meta: Meta, children: list[Token]) -> list[str]:
        return [self.text(t) for t in children]


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


Built = tuple[list[tuple[ParsedBlock, Any]], list[Diagnostic], frozenset[str]]


def build_declarations(source: Source) -> Built:
    """Parse and build every top-level declaration of a file; also return the ids that
    declarations which failed to parse seem to declare."""
    cut = split_blocks(source)
    if len(cut) > limits.MAX_DECLARATIONS:  # counted before any parsing
        span = source.span(0, 1)
        message = f"this file has more than {limits.MAX_DECLARATIONS} declarations"
        too_many = Diagnostic("CH602", message, span, "split the charter into several files, "
                              "or move metrics into a catalogue", source=source)
        return [], [too_many], frozenset()
    with collector.paused():
        parsed = parse_blocks(source, cut)
    blocks, problems = parsed.blocks, parsed.problems
    builder = Builder(source)
    built: list[tuple[ParsedBlock, Any]] = []
    with collector.paused():
        for block in blocks:
            builder.offset = block.block.offset
            built.append((block, builder.transform(block.tree)))
    return built, problems + builder.diagnostics, parsed.unparsed_ids


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
    for parsed, value in built:
        if isinstance(value, Header):
            if header is not None:
                line = header.span.line if header.span else 1
                diagnostics.append(_misplaced(
                    source, parsed, f"this file already has a charter line (line {line}); "
                    "a file holds one charter", "CH202", related=header.span))
                continue
            header = value
        elif isinstance(value, Catalogue):
            diagnostics.append(_misplaced(source, parsed, "a catalogue header belongs in a "
                                          "catalogue file, not in a charter"))
        elif isinstance(value, Offer):
            diagnostics.append(_misplaced(source, parsed, "an offer belongs in a file of its "
                                          "own, given to 'charter tender score'"))
        elif isinstance(value, Clause):
            slots.setdefault(_CLAUSE_SLOTS[value.name], []).append(value.value)
        else:
            slots.setdefault(_CHARTER_SLOTS[type(value)], []).append(value)
    if header is None:
        if built or not diagnostics:
            first = built[0][0].block.offset if built else 0
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
    for parsed, value in built:
        if isinstance(value, Catalogue) and header is None:
            header = value
        elif isinstance(value, Metric):
            metrics.append(value)
        elif isinstance(value, CatalogueUse):
            uses.append(value)
        else:
            diagnostics.append(_misplaced(source, parsed, "a catalogue holds one catalogue "
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
    parsed: ParsedBlock,
    hint: str,
    code: str = "CH107",
    related: Span | None = None,
) -> Diagnostic:
    block = parsed.block
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
    for parsed, value in built:
        if not isinstance(value, Offer) or value is not offers[0]:
            diagnostics.append(_misplaced(source, parsed, "an offer file holds one offer"))
    if not offers and not diagnostics:
        diagnostics.append(Diagnostic(
            "CH505", "this file has no offer line", source.span(0, min(1, len(source.text))),
            'start an offer with a line like: offer acme "Acme Ltd" for HR-2026-003',
            source=source,
        ))
    return (offers[0] if offers else None), diagnostics
