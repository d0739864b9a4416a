"""The formatter: golden files, idempotence, round trips of random charters, and comments that
are never lost."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charterdsl import units
from charterdsl.builder import build_catalogue, build_charter, build_offer
from charterdsl.errors import CharterSyntaxError, CharterValidationError
from charterdsl.formatter import (
    format_catalogue,
    format_charter,
    format_offer,
    format_text,
    target_sentence,
)
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
    Comment,
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
from charterdsl.parser import comments
from charterdsl.source import Source

GOLDEN = Path(__file__).parent / "golden" / "format"
CASES = sorted(path.name.removesuffix(".input.charter") for path in GOLDEN.glob("*.input.charter"))


def read(path: Path) -> str:
    # Bytes, so that a CRLF input reaches the formatter with its line endings.
    return path.read_bytes().decode("utf-8")


def golden_input(case: str) -> str:
    return read(GOLDEN / f"{case}.input.charter")


def golden_expected(case: str) -> str:
    return read(GOLDEN / f"{case}.expected.charter")


def first_word(text: str) -> str:
    match = re.match(r"(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*(\w+)", Source(text).text)
    assert match is not None
    return match[1]


def build(text: str) -> Charter | Catalogue | Offer:
    """The model a text declares, failing the test on any error."""
    builders = {"catalogue": build_catalogue, "offer": build_offer}
    built, diagnostics = builders.get(first_word(text), build_charter)(Source(text))
    assert built is not None, diagnostics
    assert not [d for d in diagnostics if d.is_error], diagnostics
    return built


def comment_texts(text: str) -> Counter[str]:
    return Counter(comment.text for comment in comments(Source(text)))


# ---------------------------------------------------------------------------- golden files


CHARTER_CASES = [case for case in CASES if first_word(golden_input(case)) == "charter"]


def test_there_are_enough_golden_pairs() -> None:
    assert len(CASES) >= 6
    for case in CASES:
        assert (GOLDEN / f"{case}.expected.charter").is_file(), case


@pytest.mark.parametrize("case", CASES)
def test_golden_output(case: str) -> None:
    assert format_text(golden_input(case), f"{case}.input.charter") == golden_expected(case)


@pytest.mark.parametrize("case", CASES)
def test_golden_is_idempotent(case: str) -> None:
    expected = golden_expected(case)
    assert format_text(expected) == expected


@pytest.mark.parametrize("case", CASES)
def test_golden_round_trips_to_an_equal_model(case: str) -> None:
    original = golden_input(case)
    assert build(format_text(original)) == build(original)


@pytest.mark.parametrize("case", CASES)
def test_golden_keeps_every_comment(case: str) -> None:
    original = golden_input(case)
    assert comment_texts(format_text(original)) == comment_texts(original)


@pytest.mark.parametrize("case", CASES)
def test_line_endings_and_tabs_do_not_matter(case: str) -> None:
    lf = golden_input(case).replace("\r\n", "\n")
    tabbed = re.sub(r"(?m)^((?:  )+)", lambda m: "\t" * (len(m[1]) // 2), lf)
    assert format_text(lf.replace("\n", "\r\n")) == golden_expected(case)
    assert format_text(tabbed) == golden_expected(case)


def test_the_crlf_golden_really_has_crlf_endings() -> None:
    assert "\r\n" in golden_input("crlf")


@pytest.mark.parametrize("case", CHARTER_CASES)
def test_without_the_source_no_comment_is_lost(case: str) -> None:
    source = Source(golden_input(case))
    charter, _ = build_charter(source)
    assert charter is not None
    printed = format_charter(charter)
    assert comment_texts(printed) == comment_texts(source.text)
    assert format_text(printed) == printed
    assert build(printed) == build(source.text)


# ---------------------------------------------------------------------------- comments


def sprinkle(text: str, data: st.DataObject) -> str:
    """The text with numbered comments on lines of their own and at the ends of lines, and
    blank lines here and there."""
    mutated: list[str] = []
    for index, line in enumerate(text.split("\n")[:-1]):
        where = data.draw(st.sampled_from(["none", "own", "end", "blank"]), label=f"line {index}")
        code = line.strip() and not line.lstrip().startswith("#")
        if where == "own":
            mutated.append(" " * data.draw(st.integers(0, 6)) + f"# own {index}")
        if where == "blank":
            mutated.append(" " * data.draw(st.integers(0, 2)))
        mutated.append(line + f"  # end {index}" if where == "end" and code else line)
    return "\n".join(mutated) + "\n"


def assert_comments_kept(text: str, data: st.DataObject) -> None:
    noisy = sprinkle(text, data)
    printed = format_text(noisy)
    assert comment_texts(printed) == comment_texts(noisy)
    assert format_text(printed) == printed
    assert build(printed) == build(text)


@pytest.mark.parametrize("case", CASES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_comments_anywhere_are_kept_once(case: str, data: st.DataObject) -> None:
    assert_comments_kept(golden_expected(case), data)


def test_trailing_comments_stay_on_their_clause() -> None:
    text = 'charter "C"\n  version 3  # why three\n  authority "A"  # who\n'
    assert format_text(text) == 'charter "C"\n  authority "A"  # who\n  version 3  # why three\n'


def test_own_line_comment_moves_with_the_declaration_after_it() -> None:
    text = 'charter "C"\n\n# about jobs\ncontract c "C"\n\n# about the theme\ntheme t "T"\n'
    expected = 'charter "C"\n\n# about the theme\ntheme t "T"\n\n# about jobs\ncontract c "C"\n'
    assert format_text(text) == expected


def test_a_blank_line_after_a_heading_comment_is_kept() -> None:
    text = '# Heading\n\n\n# Note\ncharter "C"\n\n# ---- themes\n\ntheme t "T"\n# end\n\n'
    expected = '# Heading\n\n# Note\ncharter "C"\n\n# ---- themes\n\ntheme t "T"\n\n# end\n'
    assert format_text(text) == expected


def test_comments_after_the_last_declaration_go_at_the_end() -> None:
    text = 'charter "C"\n  authority "A"\n    # deeper\n# last\n'
    assert format_text(text) == 'charter "C"\n  authority "A"\n\n# deeper\n# last\n'


def test_a_second_end_of_line_comment_goes_above_the_merged_line() -> None:
    text = (
        'charter "C"\n  consultation from 2025-01-01 to 2025-02-01\n'
        "    with a  # first\n    with b  # second\n"
    )
    assert format_text(text) == (
        'charter "C"\n  consultation from 2025-01-01 to 2025-02-01\n'
        "    # second\n    with a, b  # first\n"
    )


def test_hand_built_comments_without_spans_are_kept() -> None:
    charter = Charter(
        Header("C"),
        comments=(Comment("# one", 1, True), Comment("two", 2, False)),
    )
    # With no spans there is nothing to sit beside, so the comments close the file.
    assert format_charter(charter) == 'charter "C"\n\n# one\n# two\n'


def test_hash_inside_a_text_is_not_a_comment() -> None:
    printed = format_charter(Charter(Header('title # not a comment "quoted" \\ slash')))
    assert printed == 'charter "title # not a comment \\"quoted\\" \\\\ slash"\n'
    assert comment_texts(printed) == Counter()


# ---------------------------------------------------------------------------- values


def target_line(amount: Amount, upper: Amount | None = None) -> str:
    comparison = Comparison.BETWEEN if upper is not None else Comparison.AT_LEAST
    target = Target("m", comparison, amount, OverContract(), upper=upper)
    printed = format_charter(Charter(Header("C"), targets=(target,)))
    return printed.split("\n")[2]


@pytest.mark.parametrize(
    ("magnitude", "unit", "shown"),
    [
        ("37.50", None, "37.5"),
        ("14200", None, "14,200"),
        ("1200", None, "1200"),
        ("1E+3", None, "1000"),
        ("0.000", None, "0"),
        ("12345678.125", None, "12,345,678.125"),
        ("25", "FTE", "25 FTE"),
        ("1", "person_week", "1 person-week"),
        ("52", "person_week", "52 person-weeks"),
        ("120", "tCO2e", "120 tCO2e"),
        ("1.0", "FTE_year", "1 FTE-year"),
        ("30", "percent", "30%"),
        ("5", "GBP_thousand", "5 GBP thousand"),
        ("1", "GBP_million", "1 GBP million"),
        ("3", "tCO2e", "3 tCO2e"),
        ("12000000", "GBP", "£12m"),
        ("12500000", "GBP", "£12.5m"),
        ("1250000", "GBP", "£1.25m"),
        ("1234567", "GBP", "£1,234,567"),
        ("500000", "GBP", "£500,000"),
        ("29000", "GBP", "£29,000"),
        ("0.25", "GBP", "£0.25"),
        ("0.5", "GBP", "£0.50"),
        ("1200.1", "GBP", "£1200.10"),
        ("2000000000", "GBP", "£2000m"),
    ],
)
def test_quantities(magnitude: str, unit: str | None, shown: str) -> None:
    line = target_line(Absolute(Quantity(Decimal(magnitude), unit)))
    assert line == f"target m at least {shown} over the contract"


def test_every_amount_kind() -> None:
    per_value = PerValue(Quantity(Decimal(52), "person_week"), Decimal(10**6))
    assert target_line(per_value) == (
        "target m at least 52 person-weeks per £1m of contract value over the contract"
    )
    assert target_line(Share(Decimal("30"), "total")) == (
        "target m at least 30% of total over the contract"
    )
    baseline = Baseline(Change.REDUCED, Decimal(20), Quantity(Decimal(500), "tCO2e"), 2024)
    assert target_line(baseline) == (
        "target m reduced by 20% from 500 tCO2e in 2024 over the contract"
    )
    absolute = Absolute(Quantity(Decimal(1), None))
    assert target_line(absolute, Share(Decimal(5), "x")) == (
        "target m between 1 and 5% of x over the contract"
    )


def test_target_sentence_leaves_out_the_metric() -> None:
    target = Target(
        "jobs",
        Comparison.AT_LEAST,
        Absolute(Quantity(Decimal(25), "FTE")),
        EachPeriod(Period.QUARTER),
    )
    assert target_sentence(target) == "at least 25 FTE each quarter"


def test_default_scoring_goes_unsaid() -> None:
    tender = Tender("t", "T", scoring=Scoring(ScoringKind.PROPORTIONAL))
    assert (
        format_charter(Charter(Header("C"), tenders=(tender,))) == 'charter "C"\n\ntender t "T"\n'
    )


def test_versions_codes_and_groups_are_bare_only_when_they_can_be() -> None:
    header = Header(
        "C",
        version="1.2",
        consultation=Consultation(dt.date(2025, 1, 1), dt.date(2025, 2, 1), ("residents", "a b")),
    )
    metric = Metric("m", "M", code="NT 1")
    printed = format_charter(Charter(header, metrics=(metric,), uses=(CatalogueUse("x", "v1"),)))
    assert "  version 1.2\n" in printed
    assert '    with residents, "a b"\n' in printed
    assert '  code "NT 1"\n' in printed
    assert 'use catalogue "x" version "v1"\n' in printed


def test_yearly_reviews_are_printed_in_years() -> None:
    reviews = tuple(Review(Every(months, dt.date(2025, 4, 1))) for months in (1, 6, 12, 18, 36))
    printed = format_charter(Charter(Header("C"), reviews=reviews))
    shown = re.findall(r"review every (.*) from", printed)
    assert shown == ["1 month", "6 months", "1 year", "18 months", "3 years"]


def test_eligibility_subjects_may_use_any_word() -> None:
    metric = Metric("m", "M", eligibility=Eligibility("people living and working", "local"))
    charter = Charter(Header("C"), metrics=(metric,))
    assert build(format_charter(charter)) == charter


# ---------------------------------------------------------------------------- errors


def test_format_text_raises_a_syntax_error() -> None:
    with pytest.raises(CharterSyntaxError):
        format_text('charter "C"\n  authority\n')


def test_format_text_raises_a_validation_error() -> None:
    with pytest.raises(CharterValidationError):
        format_text('charter "C"\ntarget m at least 3 FTEs each month\n')


# ---------------------------------------------------------------------------- random charters

KEYWORDS = ["at", "each", "of", "to", "year", "only", "target", "with", "in"]
ids = st.one_of(
    st.from_regex(r"[A-Za-zéŵ_][A-Za-z0-9éŵ_]{0,8}(-[A-Za-z0-9_]{1,4})?", fullmatch=True),
    st.sampled_from(KEYWORDS),
)
# A quoted text holds any character but a line break ("\r" is one once the source is read).
# Charter files are read with accented letters composed (NFC), so texts are generated so too.
texts = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r")
    | st.sampled_from('"\\#\t\x0c\u2028'),
    max_size=12,
).map(lambda text: unicodedata.normalize("NFC", text))
dates = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))
versions = st.one_of(texts, st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,2})?", fullmatch=True))
small = st.integers(1, 60)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def few(strategy: st.SearchStrategy[Any], size: int = 2) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(strategy, max_size=size).map(tuple)


def decimals(top: int, places: int = 3) -> st.SearchStrategy[Decimal]:
    plain = st.decimals(0, top, places=places, allow_nan=False, allow_infinity=False)
    return plain | plain.map(lambda value: value.normalize())


percents = decimals(100, 2)
money = decimals(10**9, 2) | st.integers(1, 10**5).map(lambda n: Decimal(n * 10_000))
positive_money = money.map(lambda value: value if value > 0 else Decimal(1))
quantities = st.builds(Quantity, decimals(10**6), st.sampled_from([None, *units.BY_NAME]))


# The builder sorts a price index by year, and a year may be given once.
price_indexes = st.dictionaries(
    st.integers(1900, 2100), decimals(1000, 2).map(lambda value: value + 1), max_size=3
).map(lambda points: tuple(IndexPoint(year, points[year]) for year in sorted(points)))
days_of_year = st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31))


@st.composite
def headers(draw: st.DrawFn) -> Header:
    conventions = Conventions(
        financial_year_start=draw(optional(days_of_year.map(lambda d: (d.month, d.day)))),
        working_week_hours=draw(optional(decimals(100, 2))),
        working_year_weeks=draw(optional(decimals(52, 1))),
        currency=draw(optional(st.just("GBP"))),
        data_coverage_percent=draw(optional(percents)),
        discount_rate_percent=draw(optional(percents)),
        price_year=draw(optional(st.integers(1900, 2100))),
    )
    consultation = st.builds(
        Consultation, dates, dates, few(texts | ids, 3), optional(st.integers(0, 10**6))
    )
    return Header(
        draw(texts),
        authority=draw(optional(texts)),
        place=draw(optional(texts)),
        version=draw(optional(versions)),
        status=draw(optional(st.builds(StatusClause, st.sampled_from(Status), optional(dates)))),
        consultation=draw(optional(consultation)),
        conventions=conventions,
        price_index=draw(price_indexes),
        description=draw(optional(texts)),
    )


areas = st.builds(
    Area,
    ids,
    texts,
    postcode_districts=few(st.from_regex(r"[A-Z]{1,2}[0-9]{1,2}", fullmatch=True)),
    wards=few(texts),
    places=few(texts),
    includes=few(ids),
    description=optional(texts),
)
strengths = st.builds(Strength, ids, texts, st.sampled_from(Capital), optional(texts))
themes = st.builds(Theme, ids, texts, optional(percents), optional(texts))
# "in" ends the subject, so it cannot be one of its words.
subjects = st.lists(ids.filter(lambda word: word != "in"), min_size=1, max_size=3).map(" ".join)
proxies = st.builds(
    Proxy, money, st.sampled_from(list(units.BY_NAME)), st.integers(1900, 2100), optional(texts)
)
adjustments = st.builds(
    Adjustments, optional(percents), optional(percents), optional(percents), optional(percents)
)


@st.composite
def metrics(draw: st.DrawFn) -> Metric:
    kind = draw(st.sampled_from([None, *MetricKind]))
    ratio = kind is MetricKind.RATIO
    unit = "percent" if ratio else None
    if kind in (MetricKind.SUMMED, MetricKind.AVERAGED):
        unit = draw(st.sampled_from(list(units.BY_NAME)))
    return Metric(
        draw(ids),
        draw(texts),
        code=draw(optional(ids | texts)),
        kind=kind,
        unit=unit,
        numerator=draw(ids) if ratio else None,
        denominator=draw(ids) if ratio else None,
        record_only=draw(st.booleans()),
        eligibility=draw(optional(st.builds(Eligibility, subjects, ids))),
        proxy=draw(optional(proxies)),
        adjustments=draw(adjustments),
        benefit_years=draw(optional(small)),
        overlaps=draw(few(ids)),
        theme=draw(optional(ids)),
        counting_rule=draw(optional(texts)),
        description=draw(optional(texts)),
    )


outcomes = st.builds(
    Outcome, ids, texts, optional(ids), few(ids), few(ids), few(ids), optional(texts)
)
plain_amounts = st.one_of(
    st.builds(Absolute, quantities),
    st.builds(Share, decimals(1000, 2), ids),
    st.builds(PerValue, quantities, positive_money),
)
scopes = st.one_of(
    st.builds(EachPeriod, st.sampled_from(Period)),
    st.builds(ByDate, dates),
    st.just(OverContract()),
)
excusals = st.builds(Excusal, dates, dates, texts)


@st.composite
def bounds(draw: st.DrawFn) -> tuple[Comparison, Amount, Amount | None]:
    comparison = draw(st.sampled_from([*Comparison, None]))
    if comparison is None:  # a baseline, whose direction is its comparison
        change = draw(st.sampled_from(Change))
        percent = draw(percents if change is Change.REDUCED else decimals(1000, 2))
        baseline = Baseline(change, percent, draw(quantities), draw(st.integers(1900, 2100)))
        return (
            (Comparison.AT_MOST if change is Change.REDUCED else Comparison.AT_LEAST),
            baseline,
            None,
        )
    upper = draw(plain_amounts) if comparison is Comparison.BETWEEN else None
    return comparison, draw(plain_amounts), upper


@st.composite
def targets(draw: st.DrawFn) -> Target:
    comparison, amount, upper = draw(bounds())
    return Target(
        draw(ids),
        comparison,
        amount,
        draw(scopes),
        upper=upper,
        milestones=draw(few(st.builds(Milestone, quantities, dates))),
        excused=draw(few(excusals)),
        data_coverage_percent=draw(optional(percents)),
    )


ratings = st.sampled_from(Rating)
conditions = st.one_of(
    st.builds(Consecutive, ratings, st.booleans(), small),
    st.builds(AnyAfter, ratings, st.booleans(), dates),
    st.just(RemedyFailed()),
    st.tuples(small, small)
    .map(sorted)
    .flatmap(lambda kn: st.builds(KOfLast, ratings, st.booleans(), st.just(kn[0]), st.just(kn[1]))),
)
consequences = st.one_of(
    st.builds(Consequence, st.sampled_from([ConsequenceKind.NOTE, ConsequenceKind.BREAK_ALLOWED])),
    st.builds(Consequence, st.just(ConsequenceKind.REMEDY_PLAN), st.integers(1, 365)),
)
schedules = st.one_of(
    st.builds(Every, small, dates, optional(dates)),
    st.lists(dates, min_size=1, max_size=3).map(lambda ds: OnDates(tuple(ds))),
)
reviews = st.builds(
    Review,
    schedules,
    few(st.builds(Band, ratings, st.sampled_from(BandComparison), decimals(1000, 2)), 3),
    few(st.builds(Rule, consequences, conditions), 3),
)


@st.composite
def contracts(draw: st.DrawFn) -> Contract:
    term = draw(optional(st.tuples(dates, dates)))
    return Contract(
        draw(ids),
        draw(texts),
        supplier=draw(optional(texts)),
        value=draw(optional(money)),
        start=term[0] if term else None,
        end=term[1] if term else None,
        targets=draw(few(targets())),
        excused=draw(few(excusals)),
        reviews=draw(few(reviews)),
        description=draw(optional(texts)),
    )


scorings = st.one_of(
    st.builds(Scoring, st.sampled_from([ScoringKind.PROPORTIONAL, ScoringKind.BANDS])),
    st.builds(Scoring, st.just(ScoringKind.RATIO), money, positive_money),
)


@st.composite
def tenders(draw: st.DrawFn) -> Tender:
    term = draw(optional(st.tuples(dates, dates)))
    return Tender(
        draw(ids),
        draw(texts),
        estimated_value=draw(optional(money)),
        start=term[0] if term else None,
        end=term[1] if term else None,
        weighting_percent=draw(optional(percents)),
        themes=draw(few(ids)),
        outcomes=draw(few(ids)),
        scoring=draw(scorings),
        description=draw(optional(texts)),
    )


commitments = st.builds(Commitment, ids, quantities, scopes, optional(ids))
offers = st.builds(
    Offer,
    ids,
    texts,
    ids,
    bid_price=optional(money),
    commitments=few(commitments, 3),
    answers=few(st.builds(Answer, texts, st.integers(0, 100)), 3),
    description=optional(texts),
)
uses = st.builds(CatalogueUse, texts, optional(versions))
charters = st.builds(
    Charter,
    headers(),
    uses=few(uses),
    proxy_uses=few(st.builds(ProxiesUse, texts)),
    areas=few(areas),
    strengths=few(strengths),
    themes=few(themes),
    metrics=few(metrics()),
    outcomes=few(outcomes),
    targets=few(targets()),
    excused=few(excusals),
    reviews=few(reviews),
    contracts=few(contracts()),
    tenders=few(tenders()),
)
catalogues = st.builds(
    Catalogue,
    texts,
    publisher=optional(texts),
    version=optional(versions),
    licence=optional(texts),
    description=optional(texts),
    price_index=price_indexes,
    uses=few(uses),
    metrics=few(metrics(), 3),
)

RANDOM = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RANDOM
@given(charters)
def test_random_charters_round_trip(charter: Charter) -> None:
    printed = format_charter(charter)
    rebuilt, diagnostics = build_charter(Source(printed))
    assert diagnostics == []
    assert rebuilt == charter
    assert format_charter(rebuilt) == printed


@RANDOM
@given(charters, st.data())
def test_comments_anywhere_in_random_charters_are_kept_once(
    charter: Charter, data: st.DataObject
) -> None:
    assert_comments_kept(format_charter(charter), data)


@RANDOM
@given(offers)
def test_random_offers_round_trip(offer: Offer) -> None:
    printed = format_offer(offer)
    rebuilt, diagnostics = build_offer(Source(printed))
    assert diagnostics == []
    assert rebuilt == offer
    assert format_text(printed) == printed


@RANDOM
@given(catalogues)
def test_random_catalogues_round_trip(catalogue: Catalogue) -> None:
    printed = format_catalogue(catalogue)
    rebuilt, diagnostics = build_catalogue(Source(printed))
    assert diagnostics == []
    assert rebuilt == catalogue
    assert format_text(printed) == printed
