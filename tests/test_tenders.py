"""Tenders and offers: checks on offers, scoring by each method, ranking, award, renderers.

The worked example is ``examples/tender/``, walked through in ``docs/tenders.md``. Golden files
live in ``tests/golden/tenders/``; set ``CHARTERDSL_REGENERATE=1`` to rewrite them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from charterdsl.award import award, award_files
from charterdsl.builder import build_charter
from charterdsl.errors import Diagnostic, Severity
from charterdsl.loader import check_text
from charterdsl.model import Charter, Offer, Scoring, ScoringKind, Tender
from charterdsl.source import Source
from charterdsl.tenders import (
    RANKING_FORMATS,
    Ranking,
    check_offer,
    offer_from_text,
    render_ranking,
    score,
    score_files,
)

from .conftest import EXAMPLES

EXAMPLE = EXAMPLES / "tender"
GOLDEN = Path(__file__).parent / "golden" / "tenders"
REGENERATE = os.environ.get("CHARTERDSL_REGENERATE") == "1"
OFFER_FILES = ("generic.offer", "local.offer", "double-counting.offer")
D = Decimal


# --------------------------------------------------------------------------- helpers


def load_charter(text: str | None = None, extra: str = "") -> Charter:
    """The example charter (or ``text``), plus ``extra`` declarations, checked clean."""
    base = (EXAMPLE / "charter.charter").read_text(encoding="utf-8") if text is None else text
    result = check_text(base + extra, "charter.charter", base_dir=EXAMPLE)
    assert result.ok, [d.render() for d in result.diagnostics]
    assert result.charter is not None
    return result.charter


def load_offer(text: str, name: str = "test.offer") -> tuple[Offer, Source]:
    loaded = offer_from_text(text, name)
    assert loaded.offer is not None, loaded.diagnostics
    assert loaded.source is not None
    assert not loaded.diagnostics, [d.render() for d in loaded.diagnostics]
    return loaded.offer, loaded.source


def example_offers() -> list[Offer]:
    return [load_offer((EXAMPLE / name).read_text(encoding="utf-8"), name)[0]
            for name in OFFER_FILES]


def tender_of(charter: Charter) -> Tender:
    return charter.tenders[0]


def offer_text(*lines: str, bid: str = "£8m", tender: str = "HR-2026-003") -> str:
    body = "".join(f"  {line}\n" for line in lines)
    price = f"  bid price {bid}\n" if bid else ""
    return f'offer acme "Acme Ltd" for {tender}\n{price}{body}'


def diagnose(*lines: str, charter: Charter | None = None, **kw: str) -> list[Diagnostic]:
    charter = charter or load_charter()
    offer, source = load_offer(offer_text(*lines, **kw))
    return check_offer(charter, offer, source)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def pence(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"))


@pytest.fixture(scope="module")
def charter() -> Charter:
    return load_charter()


@pytest.fixture(scope="module")
def ranking(charter: Charter) -> Ranking:
    return score(charter, tender_of(charter), example_offers())


# --------------------------------------------------------------------------- the worked example
#
# Term 2026-04-01 to 2029-03-31: three financial years, three contract years. Discount 3.5%.
# Every commitment of the example is delivered evenly over the three years, so its present
# value is its net value x A / 3, where
#     A = 1/1.035 + 1/1.035^2 + 1/1.035^3 = 0.966184 + 0.933511 + 0.901943 = 2.801637
#     A / 3 = 0.9338790
#
# northvale (local.offer, bid £8.1m)
#   local_jobs 15 FTE each year x 3 years = 45 FTE-years x £30,000 = £1,350,000 gross,
#       x 0.8 (deadweight 20%) = £1,080,000 net, x A/3 = £1,008,589.31
#   apprentice_weeks 104 x 3 = 312 person-weeks x £200 = £62,400 gross = net -> £58,274.05
#   local_spend £2.5m x £0.50 = £1,250,000 gross, x 0.9 = £1,125,000 net -> £1,050,613.87
#   present value £2,117,477.23; per £1: 2,117,477.23 / 8,100,000 = 26.14p
# quickfix (double-counting.offer, bid £7.6m)
#   local_jobs 14 x 3 = 42 FTE-years -> £1,260,000 gross, £1,008,000 net -> £941,350.03
#   local_spend £2.4m -> £1,200,000 gross, £1,080,000 net -> £1,008,589.31
#   sme_spend £2.4m overlaps local_spend: not counted (it would add £600,000 gross)
#   present value £1,949,939.34; per £1: 25.66p
# national (generic.offer, bid £7.8m)
#   local_jobs 10 x 3 = 30 FTE-years -> £900,000 gross, £720,000 net -> £672,392.88
#   apprentice_weeks 156 -> £31,200 -> £29,137.02
#   sme_spend £1m x £0.25 -> £250,000 -> £233,469.75
#   carbon_saved: theme green, not asked for: not counted
#   present value £934,999.65; per £1: 11.99p
#
# Proportional scores (the common factor A/3 cancels, so net values give the same ratios):
#   jobs: best northvale 1,142,400 net. quickfix 1,008,000 / 1,142,400 = 88.24;
#         national 751,200 / 1,142,400 = 65.76
#   economy: best northvale 1,125,000. quickfix 1,080,000 / 1,125,000 = 96.00;
#            national 250,000 / 1,125,000 = 22.22
#   weights jobs 50%, economy 30% renormalised: 62.5% and 37.5%
#   northvale 100.00; quickfix 0.625 x 88.24 + 0.375 x 96.00 = 55.15 + 36.00 = 91.15;
#   national 0.625 x 65.76 + 0.375 x 22.22 = 41.10 + 8.3325 = 49.43
#   weighted at 20%: 20.00, 18.23, 9.89


def test_example_ranks_local_first(ranking: Ranking) -> None:
    assert [o.offer for o in ranking.offers] == ["northvale", "quickfix", "national"]
    assert [o.rank for o in ranking.offers] == [1, 2, 3]


def test_example_present_values_by_hand(ranking: Ranking) -> None:
    offers = {o.offer: o for o in ranking.offers}
    assert pence(offers["northvale"].present_value) == D("2117477.23")
    assert pence(offers["quickfix"].present_value) == D("1949939.34")
    assert pence(offers["national"].present_value) == D("934999.65")
    assert [pence(c.present_value) for c in offers["northvale"].commitments] == [
        D("1008589.31"), D("58274.05"), D("1050613.87")]


def test_example_gross_and_net_by_hand(ranking: Ranking) -> None:
    offers = {o.offer: o for o in ranking.offers}
    assert (offers["northvale"].gross, offers["northvale"].net) == (D(2662400), D(2267400))
    assert (offers["quickfix"].gross, offers["quickfix"].net) == (D(2460000), D(2088000))
    assert (offers["national"].gross, offers["national"].net) == (D(1181200), D(1001200))
    jobs = offers["northvale"].commitments[0]
    assert (jobs.quantity, jobs.unit, jobs.gross, jobs.net) == (
        D(45), "FTE-years", D(1350000), D(1080000))


def test_example_value_per_pound_by_hand(ranking: Ranking) -> None:
    offers = {o.offer: o for o in ranking.offers}
    per = {k: (o.net_per_pound or D(0)).quantize(D("0.0001")) for k, o in offers.items()}
    assert per == {"northvale": D("0.2614"), "quickfix": D("0.2566"), "national": D("0.1199")}
    assert (offers["northvale"].gross_per_pound or D(0)).quantize(D("0.0001")) == D("0.3287")


def test_example_scores_by_hand(ranking: Ranking) -> None:
    offers = {o.offer: o for o in ranking.offers}
    assert {k: o.score for k, o in offers.items()} == {
        "northvale": D("100.00"), "quickfix": D("91.15"), "national": D("49.43")}
    assert {k: o.weighted_score for k, o in offers.items()} == {
        "northvale": D("20.00"), "quickfix": D("18.23"), "national": D("9.89")}
    assert [(t.theme, t.weight_percent, t.score) for t in offers["quickfix"].themes] == [
        ("jobs", D("62.5"), D("88.24")), ("economy", D("37.5"), D("96.00"))]
    assert [t.score for t in offers["national"].themes] == [D("65.76"), D("22.22")]


def test_double_counted_commitment_is_excluded_and_said(ranking: Ranking) -> None:
    quickfix = next(o for o in ranking.offers if o.offer == "quickfix")
    sme = quickfix.commitments[2]
    assert (sme.metric, sme.counted, sme.present_value) == ("sme_spend", False, D(0))
    assert "overlaps 'local_spend'" in sme.derivation[0]
    assert "£600,000.00 gross" in sme.derivation[1]
    assert "1 of 3 commitments not counted" in quickfix.derivation[0]


def test_theme_outside_the_tender_is_excluded(ranking: Ranking) -> None:
    national = next(o for o in ranking.offers if o.offer == "national")
    carbon = national.commitments[3]
    assert (carbon.metric, carbon.counted) == ("carbon_saved", False)
    assert "theme 'green'" in carbon.derivation[0]


def test_answers_listed_in_every_method(ranking: Ranking) -> None:
    assert [[a.score for a in o.answers] for o in ranking.offers] == [[80], [60], [40]]
    assert ranking.offers[0].answers[0].at == "local.offer:9"


def test_every_figure_has_a_derivation(ranking: Ranking) -> None:
    for offer in ranking.offers:
        assert offer.derivation[-1].startswith(f"weighted score = {offer.score} x 20%")
        for commitment in offer.commitments:
            assert commitment.derivation


# --------------------------------------------------------------------------- scoring methods


def test_ratio_scoring_capped_with_tie_on_bid_price(charter: Charter) -> None:
    # Against 25p per £1: northvale 26.14p / 25p = 104.57 -> 100; quickfix 25.66p -> 102.63
    # -> 100; national 11.99p: 0.119872 / 0.25 x 100 = 47.95. Weighted 20, 20, 9.59.
    # northvale and quickfix tie on 20.00: the lower bid (quickfix, £7.6m) ranks first.
    tender = attrs.evolve(tender_of(charter), scoring=Scoring(ScoringKind.RATIO, D("0.25"), D(1)))
    result = score(charter, tender, example_offers())
    assert [(o.offer, o.score, o.weighted_score) for o in result.offers] == [
        ("quickfix", D("100.00"), D("20.00")),
        ("northvale", D("100.00"), D("20.00")),
        ("national", D("47.95"), D("9.59")),
    ]
    assert "capped at 100" in result.offers[1].derivation[-3]
    assert "ranked ahead of northvale" in result.offers[0].derivation[-1]
    assert result.offers[0].themes == ()


def test_bands_scoring_is_the_mean_of_answers(charter: Charter) -> None:
    tender = attrs.evolve(tender_of(charter), scoring=Scoring(ScoringKind.BANDS))
    result = score(charter, tender, example_offers())
    assert [(o.offer, o.score, o.weighted_score) for o in result.offers] == [
        ("northvale", D("80.00"), D("16.00")),
        ("quickfix", D("60.00"), D("12.00")),
        ("national", D("40.00"), D("8.00")),
    ]
    two, _ = load_offer(offer_text('answer "One" scored 70', 'answer "Two" scored 75'))
    mean = score(charter, tender, [two]).offers[0]
    assert mean.score == D("72.50")
    assert "(70 + 75) / 2 = 72.50" in mean.derivation[-2]


def test_bands_without_answers_scores_zero(charter: Charter) -> None:
    tender = attrs.evolve(tender_of(charter), scoring=Scoring(ScoringKind.BANDS))
    offer, _ = load_offer(offer_text("commits local_jobs 5 FTE each financial year"))
    assert score(charter, tender, [offer]).offers[0].score == D(0)


def test_ranking_ties_go_to_lower_bid_then_offer_id(charter: Charter) -> None:
    tender = attrs.evolve(tender_of(charter), scoring=Scoring(ScoringKind.BANDS))
    texts = [
        'offer b "B" for HR-2026-003\n  bid price £7m\n  answer "x" scored 50\n',
        'offer a "A" for HR-2026-003\n  bid price £7m\n  answer "x" scored 50\n',
        'offer c "C" for HR-2026-003\n  bid price £6m\n  answer "x" scored 50\n',
        'offer d "D" for HR-2026-003\n  answer "x" scored 50\n',
    ]
    offers = [load_offer(t)[0] for t in texts]
    assert [o.offer for o in score(charter, tender, offers).offers] == ["c", "a", "b", "d"]


def test_proportional_without_themes_is_one_pool() -> None:
    text = """charter "Plain"
metric jobs "Jobs"
  counts FTE, averaged over time
  proxy £10,000 per FTE-year (2025 prices)
tender T1 "Plain tender"
  runs from 2026-04-01 to 2028-03-31
  social value weighting 10%
"""
    charter = load_charter(text)
    offers = [load_offer(offer_text(f"commits jobs {n} FTE each financial year",
                                    tender="T1").replace("acme", f"o{n}"))[0] for n in (4, 3)]
    result = score(charter, charter.tenders[0], offers)
    # 3 FTE / 4 FTE of value, whatever the discounting: 75.00, weighted at 10%: 7.50.
    assert [(o.offer, o.score, o.weighted_score) for o in result.offers] == [
        ("o4", D("100.00"), D("10.00")), ("o3", D("75.00"), D("7.50"))]
    assert result.offers[1].themes[0].theme == "all"


def test_weights_equal_when_the_charter_gives_none() -> None:
    text = """charter "No weights"
theme a "A"
theme b "B"
metric ma "A things"
  counts person-weeks, summed
  proxy £100 per person-week (2025 prices)
  theme a
metric mb "B things"
  counts person-weeks, summed
  proxy £100 per person-week (2025 prices)
  theme b
tender T1 "Tender"
  runs from 2026-04-01 to 2027-03-31
  social value weighting 20%
"""
    charter = load_charter(text)
    one, _ = load_offer(offer_text("commits ma 10 person-weeks over the contract",
                                   "commits mb 10 person-weeks over the contract", tender="T1"))
    two, _ = load_offer(offer_text("commits ma 10 person-weeks over the contract",
                                   tender="T1").replace("acme", "zeta"))
    result = score(charter, charter.tenders[0], [one, two])
    # zeta: a 100, b 0 -> 50% x 100 + 50% x 0 = 50.00
    assert [(o.offer, o.score) for o in result.offers] == [("acme", D("100.00")),
                                                           ("zeta", D("50.00"))]
    assert "weigh the same" in result.offers[1].derivation[-2]


def test_weighting_notes(charter: Charter) -> None:
    offers = example_offers()
    unweighted = score(charter, attrs.evolve(tender_of(charter), weighting_percent=None), offers)
    assert unweighted.weighting_percent == 100
    assert unweighted.offers[0].weighted_score == D("100.00")
    assert any("no social value weighting" in n for n in unweighted.notes)
    low = score(charter, attrs.evolve(tender_of(charter), weighting_percent=D(5)), offers)
    assert any("CH209" in n for n in low.notes)
    assert low.offers[1].weighted_score == D("4.56")  # 91.15 x 5% = 4.5575


def test_offers_for_another_tender_are_left_out(charter: Charter) -> None:
    other, _ = load_offer(offer_text("commits local_jobs 1 FTE each financial year",
                                     tender="ZZ-1"))
    result = score(charter, tender_of(charter), [*example_offers(), other])
    assert len(result.offers) == 3
    assert any("for tender ZZ-1" in n for n in result.notes)


def test_each_quarter_counts_every_quarter(charter: Charter) -> None:
    offer, _ = load_offer(offer_text("commits apprentice_weeks 10 person-weeks each quarter"))
    value = score(charter, tender_of(charter), [offer]).offers[0].commitments[0]
    # 10 x 12 quarters = 120 person-weeks x £200 = £24,000
    assert (value.quantity, value.gross) == (D(120), D(24000))
    assert "x 12 quarters in the term" in value.derivation[0]


def test_level_in_unit_years_and_part_term(charter: Charter) -> None:
    offer, source = load_offer(offer_text("commits local_jobs 6 FTE-years over the contract",
                                          "commits local_jobs 4 FTE by 2027-09-30"))
    assert check_offer(charter, offer, source) == []
    first, second = score(charter, tender_of(charter), [offer]).offers[0].commitments
    assert (first.quantity, first.gross) == (D(6), D(180000))
    # 4 FTE held from 2026-04-01 to 2027-09-30: year 1 whole, then 183 of the 366 days of
    # year 2 (it holds 29 February 2028): 1.5 years, 6 FTE-years.
    assert second.quantity == D(6)
    # Delivered in years 1 and 2 only: two thirds of the net in year 1, a third in year 2.
    net = second.net
    expected = net * 2 / 3 / D("1.035") + net / 3 / D("1.035") ** 2
    assert abs(second.present_value - expected) < D("0.000001")


def test_benefit_years_and_drop_off() -> None:
    text = """charter "Lasting"
  discount rate 0%
metric homes "Homes insulated"
  counts home, summed
  proxy £1,000 per home (2025 prices)
  drop-off 50%
  benefits last 2 years
tender T1 "Tender"
  runs from 2026-04-01 to 2027-03-31
"""
    charter = load_charter(text)
    offer, _ = load_offer(offer_text("commits homes 10 homes over the contract", tender="T1"))
    value = score(charter, charter.tenders[0], [offer]).offers[0].commitments[0]
    # £10,000 in year 1 and half of it again in year 2, undiscounted: £15,000.
    assert value.present_value == D(15000)
    assert "lasts 2 years" in value.derivation[-1]


def test_restated_prices() -> None:
    text = """charter "Restated"
  prices restated to 2025
  price index 2024 at 100, 2025 at 110
metric weeks "Weeks"
  counts person-weeks, summed
  proxy £100 per person-week (2024 prices)
tender T1 "Tender"
  runs from 2026-04-01 to 2027-03-31
"""
    charter = load_charter(text)
    offer, _ = load_offer(offer_text("commits weeks 10 person-weeks over the contract",
                                     tender="T1"))
    value = score(charter, charter.tenders[0], [offer]).offers[0].commitments[0]
    assert (value.proxy, value.price_year, value.gross) == (D(110), 2025, D(1100))
    assert "restated to 2025 prices" in value.derivation[1]


def test_term_not_on_financial_years_counts_part_periods() -> None:
    text = """charter "Part"
metric weeks "Weeks"
  counts person-weeks, summed
  proxy £1 per person-week (2025 prices)
tender T1 "Tender"
  runs from 2026-10-01 to 2027-09-30
"""
    charter = load_charter(text)
    offer, _ = load_offer(offer_text("commits weeks 365 person-weeks each financial year",
                                     tender="T1"))
    value = score(charter, charter.tenders[0], [offer]).offers[0].commitments[0]
    # 182 of 365 days of 2026-27 and 183 of 366 days of 2027-28.
    assert value.quantity == 365 * (D(182) / D(365) + D(183) / D(366))


def test_no_term_values_nothing() -> None:
    text = 'charter "X"\nmetric w "W"\n  counts person-weeks, summed\n' \
           '  proxy £1 per person-week (2025 prices)\ntender T1 "T"\n'
    charter = load_charter(text)
    offer, source = load_offer(offer_text("commits w 5 person-weeks over the contract",
                                          tender="T1"))
    result = score(charter, charter.tenders[0], [offer])
    assert result.offers[0].present_value == 0
    assert any("states no term" in n for n in result.notes)
    found = check_offer(charter, offer, source)
    assert [(d.code, d.severity) for d in found] == [("CH205", Severity.WARNING)]


# --------------------------------------------------------------------------- checks on offers

EXTRA = """
metric training_weeks "Weeks of accredited training"
  counts person-weeks, summed
  proxy £150 per person-week (2025 prices)
  theme jobs

metric wellbeing "How residents feel about the works"
  qualitative
  theme jobs
"""


@pytest.fixture(scope="module")
def extended() -> Charter:
    return load_charter(extra=EXTRA)


def test_example_offers_check_as_expected(charter: Charter) -> None:
    found = {}
    for name in OFFER_FILES:
        offer, source = load_offer((EXAMPLE / name).read_text(encoding="utf-8"), name)
        found[name] = [(d.code, d.severity.value, str(d.span))
                       for d in check_offer(charter, offer, source)]
    assert found == {
        "generic.offer": [("CH210", "warning", "9:11")],
        "local.offer": [],
        "double-counting.offer": [("CH211", "warning", "8:11")],
    }


def test_unknown_tender_with_did_you_mean() -> None:
    [found] = diagnose("commits local_jobs 1 FTE each financial year", tender="HR-2026-03")
    assert (found.code, found.hint) == ("CH201", "did you mean 'HR-2026-003'?")
    assert str(found.span) == "1:27"


def test_unknown_metric_with_did_you_mean() -> None:
    [found] = diagnose("commits local_job 1 FTE each financial year")
    assert (found.code, found.message, found.hint) == (
        "CH201", "unknown metric 'local_job'", "did you mean 'local_jobs'?")
    assert str(found.span) == "3:11"


def test_units_that_do_not_convert() -> None:
    [found] = diagnose("commits local_jobs 10 tCO2e each financial year")
    assert found.code == "CH302"
    assert "cannot be converted to FTE" in found.message


def test_percent_on_a_metric_that_is_not_a_ratio() -> None:
    assert codes(diagnose("commits local_spend 30% each quarter")) == ["CH304"]


def test_qualitative_metric_takes_no_amount(extended: Charter) -> None:
    found = diagnose("commits wellbeing 5 over the contract", charter=extended)
    assert codes(found)[0] == "CH302"
    assert "qualitative, so it has no amount" in found[0].message


def test_date_outside_the_term() -> None:
    [found] = diagnose("commits apprentice_weeks 50 person-weeks by 2030-03-31")
    assert found.code == "CH407"
    assert "outside the term of tender 'HR-2026-003'" in found.message
    assert diagnose("commits apprentice_weeks 50 person-weeks by 2028-03-31") == []


def test_unknown_area_is_a_warning_with_did_you_mean() -> None:
    [found] = diagnose("commits local_jobs 1 FTE each financial year in rivreside")
    assert (found.code, found.severity, found.hint) == (
        "CH210", Severity.WARNING, "did you mean 'riverside'?")


def test_area_outside_what_the_tender_targets() -> None:
    [found] = diagnose("commits apprentice_weeks 10 person-weeks over the contract in county")
    assert found.code == "CH210"
    assert "not among the areas the tender's outcomes target" in found.message
    assert str(found.span).startswith("3:")


def test_area_outside_the_metrics_eligibility() -> None:
    [found] = diagnose("commits local_jobs 1 FTE each financial year in county")
    assert "counts only people living in 'local'" in found.message


def test_sub_area_counts_as_inside() -> None:
    assert diagnose("commits local_jobs 1 FTE each financial year in riverside") == []


def test_theme_and_outcome_not_asked_for(extended: Charter) -> None:
    [theme] = diagnose("commits carbon_saved 10 tCO2e over the contract")
    assert "which the tender does not ask for" in theme.message
    [outcome] = diagnose("commits training_weeks 10 person-weeks over the contract",
                         charter=extended)
    assert "measures none of the outcomes the tender asks for" in outcome.message


def test_double_counting_cites_the_first_claim() -> None:
    [found] = diagnose("commits sme_spend £1m over the contract",
                       "commits local_jobs 2 FTE each financial year",
                       "commits local_spend £1m over the contract")
    assert (found.code, found.severity) == ("CH211", Severity.WARNING)
    assert "'local_spend' overlaps 'sme_spend'" in found.message
    assert found.related == (("overlapping commitment", "test.offer:3:3"),)


def test_double_counted_commitment_later_in_the_offer_is_the_one_left_out(
        charter: Charter) -> None:
    offer, _ = load_offer(offer_text("commits sme_spend £1m over the contract",
                                     "commits local_spend £1m over the contract"))
    values = score(charter, tender_of(charter), [offer]).offers[0].commitments
    assert [v.counted for v in values] == [True, False]


def test_no_bid_price() -> None:
    assert codes(diagnose("commits local_jobs 1 FTE each financial year", bid="")) == ["CH205"]


def test_bands_tender_needs_an_answer() -> None:
    text = (EXAMPLE / "charter.charter").read_text(encoding="utf-8").replace(
        "scored in proportion to the best offer", "scored by quality bands")
    charter = load_charter(text)
    [found] = diagnose("commits local_jobs 1 FTE each financial year", charter=charter)
    assert (found.code, found.severity) == ("CH205", Severity.WARNING)


# --------------------------------------------------------------------------- files


def test_score_files_runs_the_whole_pipeline() -> None:
    result = score_files(EXAMPLE / "charter.charter", [EXAMPLE / n for n in OFFER_FILES])
    assert result.ok
    assert result.ranking is not None
    assert [o.offer for o in result.ranking.offers] == ["northvale", "quickfix", "national"]
    assert sorted(d.code for d in result.diagnostics) == ["CH210", "CH211"]


def test_score_files_stops_on_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.offer"
    bad.write_text(offer_text("commits local_job 1 FTE each financial year"), encoding="utf-8")
    result = score_files(EXAMPLE / "charter.charter", [bad])
    assert result.ranking is None
    assert [d.code for d in result.diagnostics] == ["CH201"]


def test_score_files_needs_one_tender(tmp_path: Path) -> None:
    other = tmp_path / "other.offer"
    other.write_text(offer_text(tender="HR-2026-003").replace("acme", "o2"), encoding="utf-8")
    text = (EXAMPLE / "charter.charter").read_text(encoding="utf-8")
    charter_file = tmp_path / "c.charter"
    charter_file.write_text(text + '\ntender T2 "Second"\n  runs from 2026-04-01 to '
                            '2027-03-31\n', encoding="utf-8")
    second = tmp_path / "second.offer"
    second.write_text(offer_text(tender="T2"), encoding="utf-8")
    with pytest.raises(ValueError, match="different tenders"):
        score_files(charter_file, [other, second])
    chosen = score_files(charter_file, [other, second], tender="T2")
    assert chosen.ranking is not None
    assert chosen.ranking.tender == "T2"


# --------------------------------------------------------------------------- award


def test_award_round_trip_parses_and_checks_clean(charter: Charter) -> None:
    text = (EXAMPLE / "charter.charter").read_text(encoding="utf-8")
    for offer in example_offers():
        block = award(charter, tender_of(charter), offer)
        result = check_text(text + "\n" + block, "charter.charter", base_dir=EXAMPLE)
        assert not result.diagnostics, [d.render() for d in result.diagnostics]
        assert result.charter is not None
        contract = result.charter.contracts[0]
        assert (contract.id, contract.supplier, contract.value) == (
            "HR-2026-003", offer.bidder, offer.bid_price)
        assert len(contract.targets) == len(offer.commitments)
        assert result.charter.reviews_for(contract) == charter.reviews


def test_award_targets_and_milestones(charter: Charter) -> None:
    local = example_offers()[1]
    built, _ = build_charter(Source('charter "x"\n' + award(charter, tender_of(charter), local)))
    assert built is not None
    [contract] = built.contracts
    assert (contract.start, contract.end) == (dt.date(2026, 4, 1), dt.date(2029, 3, 31))
    spend = contract.targets[2]
    # £2.5m over three financial years: a third by 2027-03-31, two thirds by 2028-03-31.
    assert [(m.quantity.magnitude, m.date) for m in spend.milestones] == [
        (D("833333.33"), dt.date(2027, 3, 31)), (D("1666666.67"), dt.date(2028, 3, 31))]
    assert contract.targets[0].milestones == ()  # a level each year needs no milestones


def test_award_copies_reviews_that_do_not_fit_the_term(charter: Charter) -> None:
    text = (EXAMPLE / "charter.charter").read_text(encoding="utf-8").replace(
        "review every 6 months from 2026-10-01", "review every 6 months from 2025-10-01")
    early = load_charter(text)
    block = award(early, tender_of(early), example_offers()[1])
    assert "# review clauses copied from the charter-wide ones (charter.charter line" in block
    assert "  review every 6 months from 2026-10-01\n" in block
    result = check_text(text + "\n" + block, "charter.charter", base_dir=EXAMPLE)
    assert not result.diagnostics, [d.render() for d in result.diagnostics]


def test_award_without_charter_reviews_says_to_add_one() -> None:
    text = """charter "X"
metric w "W"
  counts person-weeks, summed
tender T1 "T"
  runs from 2026-04-01 to 2027-03-31
"""
    charter = load_charter(text)
    offer, _ = load_offer(offer_text("commits w 5 person-weeks by 2027-01-31", tender="T1"))
    block = award(charter, charter.tenders[0], offer)
    assert "# the charter has no review clauses" in block
    assert check_text(text + "\n" + block).ok


def test_award_refuses_an_offer_for_another_tender(charter: Charter) -> None:
    offer, _ = load_offer(offer_text(tender="ZZ"))
    with pytest.raises(ValueError, match="is for tender 'ZZ'"):
        award(charter, tender_of(charter), offer)


def test_award_files(tmp_path: Path) -> None:
    result = award_files(EXAMPLE / "charter.charter", EXAMPLE / "local.offer")
    assert result.text is not None
    assert result.text.count("\n  target ") == 3
    bad = tmp_path / "bad.offer"
    bad.write_text(offer_text("commits local_job 1 FTE each financial year"), encoding="utf-8")
    assert award_files(EXAMPLE / "charter.charter", bad).text is None


# --------------------------------------------------------------------------- rendering

GOLDEN_OUTPUTS: dict[str, Callable[[Ranking], str]] = {
    "ranking.txt": lambda r: render_ranking(r, "text"),
    "ranking.md": lambda r: render_ranking(r, "markdown"),
    "ranking.html": lambda r: render_ranking(r, "html"),
    "ranking.json": lambda r: render_ranking(r, "json"),
    "ranking.csv": lambda r: render_ranking(r, "csv"),
}


def check_golden(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.encode("utf-8"))
    assert path.exists(), f"no {name}: run with CHARTERDSL_REGENERATE=1 to create it"
    assert rendered == path.read_bytes().decode("utf-8")


@pytest.mark.parametrize("name", sorted(GOLDEN_OUTPUTS))
def test_ranking_golden(name: str, ranking: Ranking) -> None:
    check_golden(name, GOLDEN_OUTPUTS[name](ranking))


def test_award_golden(charter: Charter) -> None:
    check_golden("award.charter", award(charter, tender_of(charter), example_offers()[1]))


def test_json_is_a_versioned_document(ranking: Ranking) -> None:
    data = json.loads(render_ranking(ranking, "json"))
    assert (data["format"], data["format_version"]) == ("charterdsl/ranking", 1)
    first = data["ranking"]["offers"][0]
    assert (first["offer"], first["weighted_score"]) == ("northvale", "20.00")


def test_unknown_format(ranking: Ranking) -> None:
    assert set(RANKING_FORMATS) == {"text", "markdown", "html", "json", "csv"}
    with pytest.raises(ValueError, match="unknown format"):
        render_ranking(ranking, "pdf")


RLO = "\u202e"


@pytest.fixture(scope="module")
def hostile(charter: Charter) -> Ranking:
    text = ('offer evil "<script>alert(1)</script> =HYPERLINK(\\"x\\") ' + RLO + 'Ltd" '
            'for HR-2026-003\n  bid price £7m\n'
            '  commits local_jobs 1 FTE each financial year\n'
            '  answer "<img src=x onerror=alert(1)> @SUM(A1)" scored 10\n')
    offer, _ = load_offer(text, "evil.offer")
    return score(charter, tender_of(charter), [offer])


def test_html_escapes_offer_text(hostile: Ranking) -> None:
    page = render_ranking(hostile, "html")
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;" in page
    assert 'http-equiv="Content-Security-Policy"' in page
    assert RLO not in page


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv", "json"])
def test_no_bidi_override_in_readable_output(hostile: Ranking, fmt: str) -> None:
    rendered = render_ranking(hostile, fmt)
    if fmt == "json":  # JSON keeps data exact; it is escaped there, not shown
        assert json.loads(rendered)["ranking"]["offers"][0]["bidder"].endswith(RLO + "Ltd")
    else:
        assert RLO not in rendered


def test_csv_is_safe_in_a_spreadsheet(hostile: Ranking) -> None:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(render_ranking(hostile, "csv"))))
    header, row = rows
    assert row[header.index("bidder")].startswith("<script>")
    text = (EXAMPLE / "charter.charter").read_text(encoding="utf-8")
    charter = load_charter(text)
    offer, _ = load_offer('offer f "=1+1" for HR-2026-003\n  bid price £1m\n')
    formula = render_ranking(score(charter, tender_of(charter), [offer]), "csv")
    assert list(csv.reader(io.StringIO(formula)))[1][2] == "'=1+1"


# --------------------------------------------------------------------------- the docs


def test_docs_quote_the_real_output() -> None:
    """Every output docs/tenders.md quotes is a piece of a golden file, line for line."""
    import re

    page = (Path(__file__).parents[1] / "docs" / "tenders.md").read_text(encoding="utf-8")
    quoted = re.findall(r"```text\n(.*?)```", page, re.S)
    ranking = (GOLDEN / "ranking.txt").read_text(encoding="utf-8")
    awarded = (GOLDEN / "award.charter").read_text(encoding="utf-8")
    checked = 0
    for block in quoted:
        if block.startswith(("HR-2026-003:", "quickfix ")):
            assert block in ranking
            checked += 1
        elif block.startswith("# Awarded"):
            assert block == awarded
            checked += 1
        elif block.startswith("generic.offer:"):
            assert block == checked_offers() + "\n"
            checked += 1
    assert checked == 4


def checked_offers() -> str:
    charter = load_charter()
    rendered = []
    for name in OFFER_FILES:
        offer, source = load_offer((EXAMPLE / name).read_text(encoding="utf-8"), name)
        rendered += [d.render() for d in check_offer(charter, offer, source)]
    return "\n".join(rendered)
