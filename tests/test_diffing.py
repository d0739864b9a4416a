"""Semantic diffs of charters: each rule that classes a change as stricter, looser or neutral.

Every case edits one small charter (``BASE``) and checks the exact list of changes found, so a
rule that reports too much fails as surely as one that reports too little. Golden files of one
realistic pair live in ``tests/golden/diff/``; set ``CHARTERDSL_REGENERATE=1`` to rewrite them
after an intended change, then read the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

import charterdsl
from charterdsl.diffing import (
    DIFF_RENDERERS,
    Change,
    CharterDiff,
    diff,
    diff_to_dict,
    render_diff_html,
    render_diff_json,
    render_diff_markdown,
    render_diff_text,
)
from charterdsl.renderers import CSP

GOLDEN = Path(__file__).parent / "golden" / "diff"

BASE = '''\
charter "Test Charter"
  authority "Test Council"
  version 1
  status draft
  financial year starts 1 April
  working week is 37.5 hours
  needs data for at least 75% of each period

area local "The borough"
  postcode districts AB1, AB2, AB3
area core "The centre"
  postcode districts AB1
area spare "Unused"
  postcode districts ZZ1, ZZ2

strength river "The river" is natural capital

theme jobs "Jobs" weight 60%
theme green "Green" weight 40%

metric jobs "Local jobs"
  counts FTE, averaged over time
  only people living in local
  proxy £29,000 per FTE-year (2024 prices)
  theme jobs

metric weeks "Apprentice weeks"
  counts person-weeks, summed
  theme jobs

metric visits "School visits"
  counts visits, summed

metric spend "Local spend"
  counts GBP, summed
metric total "All spend"
  counts GBP, summed
  record only

metric carbon "Carbon saved"
  counts tCO2e, summed
  theme green

metric fleet "Fleet emissions"
  counts tCO2e, summed
  theme green

outcome work "More local work"
  theme jobs
  measured by jobs, weeks

target visits at least 4 visits each financial year

review every 12 months from 2026-03-31
  good when delivery is at least 100% of what is due
  requires improvement when below 80%

contract C1 "Repairs"
  supplier "Repairs Ltd"
  value £12m
  runs from 2025-04-01 to 2030-03-31

  target jobs at least 25 FTE each financial year
  target weeks at least 52 person-weeks per £1m of contract value over the contract
    milestone 100 person-weeks by 2026-03-31
    milestone 230 person-weeks by 2027-03-31
  target spend at least 30% of total each quarter
  target carbon at least 120 tCO2e by 2027-03-31
  target fleet reduced by 20% from 500 tCO2e in 2024 each financial year
    excused from 2026-04-01 to 2026-09-30 because "new vans"
  excused from 2025-12-20 to 2026-01-04 because "winter shutdown"

  review every 6 months from 2025-10-01 until 2030-03-31
    good when delivery is at least 100% of what is due
    approaching target when at least 90%
    requires improvement when below 90%
    inadequate when below 60%
    note when approaching target or worse at any review after 2025-09-30
    remedy plan within 30 days when requires improvement or worse at 2 consecutive reviews
    break allowed when inadequate at 3 consecutive reviews

contract C2 "Grounds"
  supplier "Green Spaces CIC"
  value £2m
  runs from 2025-04-01 to 2028-03-31
  target jobs at least 6 FTE each quarter
'''


def edited(*edits: tuple[str, str], text: str = BASE) -> str:
    for old, new in edits:
        assert text.count(old) == 1, f"edit does not match exactly once: {old!r}"
        text = text.replace(old, new)
    return text


def changes(*edits: tuple[str, str]) -> tuple[Change, ...]:
    old = charterdsl.parse(BASE, "old.charter")
    new = charterdsl.parse(edited(*edits), "new.charter")
    return diff(old, new).changes


def effects(found: tuple[Change, ...]) -> list[tuple[str, str]]:
    return [(change.kind, change.effect) for change in found]


def one(*edits: tuple[str, str]) -> Change:
    found = changes(*edits)
    assert len(found) == 1, effects(found)
    return found[0]


# --- nothing changed ---------------------------------------------------------------------------


def test_identical_charters_give_no_changes() -> None:
    result = diff(charterdsl.parse(BASE, "a.charter"), charterdsl.parse(BASE, "b.charter"))
    assert result.changes == ()
    assert not result.changed
    assert "No changes" in render_diff_text(result)


def test_layout_and_comments_are_not_changes() -> None:
    messy = edited(('theme jobs "Jobs" weight 60%', '# a comment\ntheme jobs   "Jobs"  weight 60%'))
    assert diff(charterdsl.parse(BASE), charterdsl.parse(messy)).changes == ()


def test_examples_diff_against_themselves_to_nothing() -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    for path in sorted(examples.glob("*.charter")):
        charter = charterdsl.parse_file(path)
        assert diff(charter, charter).changes == (), path.name


# --- every rule, one edit at a time ------------------------------------------------------------

CASES: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    # header: neutral, except the data coverage asked of returns
    "version": ([("version 1\n", "version 2\n")], [("header.version", "neutral")]),
    "status": ([("status draft", "status consultation on 2025-01-06\n"
                 "  consultation from 2025-01-06 to 2025-02-28\n"
                 '    with residents, "local SMEs"')],
               [("header.status", "neutral"), ("header.consultation", "neutral")]),
    "financial year": ([("starts 1 April", "starts 1 January")],
                       [("header.financial_year_start", "neutral")]),
    "coverage raised": ([("at least 75% of each", "at least 90% of each")],
                        [("header.coverage", "stricter")]),
    "coverage lowered": ([("at least 75% of each", "at least 50% of each")],
                         [("header.coverage", "looser")]),
    "coverage dropped means 100%": ([("  needs data for at least 75% of each period\n", "")],
                                    [("header.coverage", "stricter")]),
    # places, strengths and themes: neutral, unless an area decides what counts
    "area added": ([('area spare "Unused"', 'area other "Other"\n  postcode districts YY1\n'
                     'area spare "Unused"')], [("area.added", "neutral")]),
    "area narrowed, counted": ([("districts AB1, AB2, AB3", "districts AB1, AB2")],
                               [("area.extent", "stricter")]),
    "area widened, counted": ([("districts AB1, AB2, AB3", "districts AB1, AB2, AB3, AB4")],
                              [("area.extent", "looser")]),
    "area narrowed, unused": ([("districts ZZ1, ZZ2", "districts ZZ1")],
                              [("area.extent", "neutral")]),
    "strength added": ([("strength river", 'strength hall "The hall" is built capital\n'
                         "strength river")], [("strength.added", "neutral")]),
    "theme weights moved": ([("weight 60%", "weight 70%"), ("weight 40%", "weight 30%")],
                            [("theme.weight", "neutral"), ("theme.weight", "neutral")]),
    # metrics: what counts is ranked; money values and wording are neutral
    "metric added": ([('metric visits "School visits"', 'metric trees "Trees planted"\n'
                       '  counts trees, summed\n\nmetric visits "School visits"')],
                     [("metric.added", "neutral")]),
    "proxy value": ([("£29,000 per FTE-year", "£31,000 per FTE-year")],
                    [("metric.proxy", "neutral")]),
    "proxy price year": ([("(2024 prices)", "(2025 prices)")], [("metric.proxy", "neutral")]),
    "adjustments": ([("  proxy £29,000", "  deadweight 10%\n  proxy £29,000")],
                    [("metric.adjustments", "neutral")]),
    "eligibility narrowed": ([("only people living in local", "only people living in core")],
                             [("metric.eligibility", "stricter")]),
    "eligibility widened": ([("only people living in local", "only people living in core"),
                             ("districts AB1\n", "districts AB1, AB2, AB3, AB4\n")],
                            [("area.extent", "looser"), ("metric.eligibility", "looser")]),
    "eligibility dropped": ([("  only people living in local\n", "")],
                            [("metric.eligibility", "looser")]),
    "eligibility added": ([("  counts person-weeks, summed\n",
                            "  counts person-weeks, summed\n  only people living in local\n")],
                          [("metric.eligibility", "stricter")]),
    "eligibility to an unrelated area": ([("only people living in local",
                                           "only people living in spare")],
                                         [("metric.eligibility", "neutral")]),
    "outcome": ([("measured by jobs, weeks", "measured by jobs")],
                [("outcome.measured_by", "neutral")]),
    # contracts
    "contract added": ([("contract C2", 'contract C3 "Catering"\n'
                         "  runs from 2025-04-01 to 2026-03-31\n\ncontract C2")],
                       [("contract.added", "neutral")]),
    "term": ([("to 2028-03-31", "to 2029-03-31")], [("contract.term", "neutral")]),
    "supplier": ([('"Green Spaces CIC"', '"Green Spaces Ltd"')],
                 [("contract.supplier", "neutral")]),
    "value raised with a per-value target": ([("value £12m", "value £14m")],
                                             [("contract.value", "stricter")]),
    "value lowered without one": ([("value £2m", "value £1.5m")],
                                  [("contract.value", "neutral")]),
    # target amounts
    "at least raised": ([("at least 25 FTE", "at least 30 FTE")],
                        [("target.amount", "stricter")]),
    "at least lowered": ([("at least 25 FTE", "at least 20 FTE")],
                         [("target.amount", "looser")]),
    "at most raised": ([("target fleet reduced by 20% from 500 tCO2e in 2024",
                         "target fleet at most 400 tCO2e")], [("target.amount", "neutral")]),
    "baseline cut deeper": ([("reduced by 20%", "reduced by 30%")],
                            [("target.amount", "stricter")]),
    "baseline cut shallower": ([("reduced by 20%", "reduced by 10%")],
                               [("target.amount", "looser")]),
    "between: upper lowered": ([("at least 25 FTE", "between 25 FTE and 40 FTE")],
                               [("target.comparison", "stricter")]),
    "at least to at most": ([("at least 25 FTE", "at most 25 FTE")],
                            [("target.comparison", "neutral")]),
    "share raised": ([("at least 30% of total", "at least 35% of total")],
                     [("target.amount", "stricter")]),
    "share against an amount": ([("at least 30% of total", "at least £40,000")],
                                [("target.amount", "neutral")]),
    "per value raised": ([("52 person-weeks per £1m", "60 person-weeks per £1m")],
                         [("target.amount", "stricter")]),
    "per value restated per £100k": ([("52 person-weeks per £1m", "5.2 person-weeks per £100k")],
                                     [("target.amount", "neutral")]),
    "per value against an amount": ([("52 person-weeks per £1m of contract value",
                                      "700 person-weeks")], [("target.amount", "stricter")]),
    "units converted": ([("120 tCO2e by", "130,000 kgCO2e by")],
                        [("target.amount", "stricter")]),
    "units converted, same amount": ([("120 tCO2e by", "120,000 kgCO2e by")],
                                     [("target.amount", "neutral")]),
    # target scopes
    "checked more often": ([("at least 25 FTE each financial year",
                             "at least 25 FTE each quarter")],
                           [("target.scope", "stricter")]),
    "checked less often": ([("at least 6 FTE each quarter",
                             "at least 6 FTE each financial year")],
                           [("target.scope", "looser")]),
    "summed total spread over quarters": (
        [("target visits at least 4 visits each financial year",
          "target visits at least 1 visits each quarter")],
        [("target.amount", "neutral"), ("target.scope", "stricter")]),
    "deadline earlier": ([("120 tCO2e by 2027-03-31", "120 tCO2e by 2026-09-30")],
                         [("target.scope", "stricter")]),
    "deadline later": ([("120 tCO2e by 2027-03-31", "120 tCO2e by 2028-03-31")],
                       [("target.scope", "looser")]),
    # milestones, excusals, coverage
    "milestone added": ([("    milestone 230", "    milestone 360 person-weeks by 2028-03-31\n"
                          "    milestone 230")], [("target.milestone.added", "stricter")]),
    "milestone removed": ([("    milestone 230 person-weeks by 2027-03-31\n", "")],
                          [("target.milestone.removed", "looser")]),
    "milestone brought forward": ([("230 person-weeks by 2027-03-31", "230 person-weeks by "
                                    "2026-12-31")], [("target.milestone.date", "stricter")]),
    "milestone raised": ([("milestone 230", "milestone 250")],
                         [("target.milestone.amount", "stricter")]),
    "target excusal added": ([("target jobs at least 25 FTE each financial year\n",
                               "target jobs at least 25 FTE each financial year\n"
                               '    excused from 2026-04-01 to 2026-06-30 because "strike"\n')],
                             [("excused.added", "looser")]),
    "target excusal removed": ([('    excused from 2026-04-01 to 2026-09-30 because "new vans"\n',
                                 "")], [("excused.removed", "stricter")]),
    "contract excusal shortened": ([("to 2026-01-04 because", "to 2026-01-01 because")],
                                   [("excused.dates", "stricter")]),
    "contract excusal lengthened": ([("to 2026-01-04 because", "to 2026-01-10 because")],
                                    [("excused.dates", "looser")]),
    "target coverage raised": ([("target spend at least 30% of total each quarter\n",
                                 "target spend at least 30% of total each quarter\n"
                                 "    needs data for at least 90% of each period\n")],
                               [("target.coverage", "stricter")]),
    # targets added and removed, on a contract and charter-wide
    "target added": ([("  target jobs at least 6 FTE each quarter\n",
                       "  target jobs at least 6 FTE each quarter\n"
                       "  target carbon at least 10 tCO2e each financial year\n")],
                     [("target.added", "stricter")]),
    "target removed": ([("  target spend at least 30% of total each quarter\n", "")],
                       [("target.removed", "looser")]),
    "default raised": ([("at least 4 visits", "at least 6 visits")],
                       [("target.amount", "stricter")]),
    "default overridden by a contract": (
        [("  target jobs at least 6 FTE each quarter\n",
          "  target jobs at least 6 FTE each quarter\n"
          "  target visits at least 2 visits each financial year\n")],
        [("target.source", "neutral"), ("target.amount", "looser")]),
    # reviews
    "reviews more often": ([("every 6 months", "every 3 months")],
                           [("review.frequency", "stricter")]),
    "reviews less often": ([("every 6 months", "every 12 months")],
                           [("review.frequency", "looser")]),
    "review on fewer dates": ([("every 6 months from 2025-10-01 until 2030-03-31",
                                "on 2026-03-31, 2027-03-31")], [("review.dates", "looser")]),
    "below band raised": ([("inadequate when below 60%", "inadequate when below 70%")],
                          [("review.band", "stricter")]),
    "at least band lowered": ([("is at least 100% of what is due\n    approaching",
                                "is at least 95% of what is due\n    approaching")],
                              [("review.band", "looser")]),
    "below band added": ([("  requires improvement when below 80%\n",
                           "  requires improvement when below 80%\n"
                           "  inadequate when below 50%\n")], [("review.band.added", "stricter")]),
    "rule added": ([("  requires improvement when below 80%\n",
                     "  requires improvement when below 80%\n"
                     "  remedy plan within 30 days when requires improvement at 2 consecutive "
                     "reviews\n")], [("review.rule.added", "stricter")]),
    "rule removed": ([("    break allowed when inadequate at 3 consecutive reviews\n", "")],
                     [("review.rule.removed", "looser")]),
    "remedy sooner": ([("within 30 days", "within 20 days")],
                      [("review.rule.consequence", "stricter")]),
    "remedy later": ([("within 30 days", "within 60 days")],
                     [("review.rule.consequence", "looser")]),
    "fewer consecutive reviews": ([("inadequate at 3 consecutive", "inadequate at 2 consecutive")],
                                  [("review.rule.condition", "stricter")]),
    "more consecutive reviews": ([("inadequate at 3 consecutive", "inadequate at 4 consecutive")],
                                 [("review.rule.condition", "looser")]),
    "consecutive to k of n": ([("inadequate at 3 consecutive reviews",
                                "inadequate at 3 of the last 5 reviews")],
                              [("review.rule.condition", "stricter")]),
    "k of n, fewer in a shorter window": ([("inadequate at 3 consecutive reviews",
                                            "inadequate at 2 of the last 2 reviews")],
                                          [("review.rule.condition", "stricter")]),
    "k of n both ways": ([("inadequate at 3 consecutive reviews",
                           "inadequate at 4 of the last 6 reviews")],
                         [("review.rule.condition", "neutral")]),
    "same rule written another way": ([("inadequate at 3 consecutive reviews",
                                        "inadequate at 3 of the last 3 reviews")],
                                      [("review.rule.condition", "neutral")]),
    "more ratings trigger": ([("break allowed when inadequate at",
                               "break allowed when requires improvement or worse at")],
                             [("review.rule.condition", "stricter")]),
    "fewer ratings trigger": ([("when requires improvement or worse at 2",
                                "when inadequate at 2")], [("review.rule.condition", "looser")]),
    "consequence harsher": ([("note when approaching", "remedy plan within 30 days when "
                              "approaching")], [("review.rule.consequence", "stricter")]),
    "any review after, earlier": ([("after 2025-09-30", "after 2025-06-30")],
                                  [("review.rule.condition", "stricter")]),
    "review added where none applied": ([("  target jobs at least 6 FTE each quarter\n",
                                          "  target jobs at least 6 FTE each quarter\n\n"
                                          "  review every 6 months from 2025-10-01\n"
                                          "    good when delivery is at least 100% of what is "
                                          "due\n")],
                                        [("review.source", "neutral"),
                                         ("review.frequency", "stricter"),
                                         ("review.band.removed", "looser")]),
    "default review removed": ([("review every 12 months from 2026-03-31\n"
                                 "  good when delivery is at least 100% of what is due\n"
                                 "  requires improvement when below 80%\n", "")],
                               [("review.removed", "looser")]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rule(name: str) -> None:
    edits, expected = CASES[name]
    assert effects(changes(*edits)) == expected


def test_contract_ids_keep_their_case() -> None:
    change = one(("contract C2", 'contract C3 "Catering"\n'
                  "  runs from 2025-04-01 to 2026-03-31\n\ncontract C2"))
    assert change.explanation == "Contract C3 is new."


# --- what the changes say ----------------------------------------------------------------------


def test_both_values_and_converted_units_are_shown() -> None:
    change = one(("120 tCO2e by", "130,000 kgCO2e by"))
    assert change.old == "120 tCO2e"
    assert change.new == "130,000 kgCO2e (130 tCO2e)"
    assert change.explanation == "More is due: 130 tCO2e rather than 120 tCO2e."
    assert change.subject == "contract C1: target carbon by 2027-03-31"


def test_same_amount_in_other_units_is_neutral_and_says_so() -> None:
    change = one(("120 tCO2e by", "120,000 kgCO2e by"))
    assert change.effect == "neutral"
    assert "comes to the same" in change.explanation


def test_at_most_raised_is_looser() -> None:
    base = edited(("target fleet reduced by 20% from 500 tCO2e in 2024", "target fleet at most "
                   "400 tCO2e"))
    raised = edited(("at most 400 tCO2e", "at most 450 tCO2e"), text=base)
    lowered = edited(("at most 400 tCO2e", "at most 350,000 kgCO2e"), text=base)
    old = charterdsl.parse(base)
    assert effects(diff(old, charterdsl.parse(raised)).changes) == [("target.amount", "looser")]
    change, = diff(old, charterdsl.parse(lowered)).changes
    assert (change.effect, change.new) == ("stricter", "350,000 kgCO2e (350 tCO2e)")
    assert change.explanation == "The limit is tighter: 350 tCO2e rather than 400 tCO2e."


def test_baseline_shows_the_figure_it_comes_to() -> None:
    change = one(("reduced by 20%", "reduced by 30%"))
    assert change.old == "reduced by 20% from 500 tCO2e in 2024 (400 tCO2e)"
    assert change.new == "reduced by 30% from 500 tCO2e in 2024 (350 tCO2e)"


def test_between_upper_bound_lowered_is_stricter() -> None:
    base = edited(("at least 25 FTE", "between 25 FTE and 40 FTE"))
    tighter = edited(("and 40 FTE", "and 35 FTE"), text=base)
    change, = diff(charterdsl.parse(base), charterdsl.parse(tighter)).changes
    assert (change.kind, change.effect) == ("target.upper", "stricter")


def test_percent_against_absolute_is_neutral_with_a_reason() -> None:
    change = one(("at least 30% of total", "at least £40,000"))
    assert change.effect == "neutral"
    assert change.explanation == ("A share of another metric cannot be ranked against a fixed "
                                  "amount.")


def test_a_total_spread_over_quarters_is_compared_per_year() -> None:
    found = changes(("target visits at least 4 visits each financial year",
                     "target visits at least 2 visits each quarter"))
    amount = found[0]
    assert amount.effect == "stricter"
    assert amount.new == "2 visits (8 visits each financial year)"
    assert amount.explanation == ("More is due: 8 visits each financial year rather than "
                                  "4 visits each financial year.")


def test_per_value_against_an_amount_uses_the_contract_value() -> None:
    change = one(("52 person-weeks per £1m of contract value", "700 person-weeks"))
    assert change.old == "52 person-weeks per £1m of contract value (624 person-weeks)"
    assert change.explanation == "More is due: 700 person-weeks rather than 624 person-weeks."


def test_a_default_changed_is_reported_once() -> None:
    change = one(("at least 4 visits", "at least 6 visits"))
    assert change.subject == "charter-wide target visits each financial year"


def test_a_working_week_changes_targets_in_hours_on_metrics_in_weeks() -> None:
    # Delivery of "weeks" is measured in person-weeks, so only a target in hours moves.
    found = changes(("working week is 37.5 hours", "working week is 39 hours"))
    assert effects(found) == [("header.working_week", "neutral")]
    in_hours = edited(("52 person-weeks per £1m", "1,950 person-hours per £1m"))
    longer_week = edited(("working week is 37.5 hours", "working week is 39 hours"), text=in_hours)
    found = diff(charterdsl.parse(in_hours), charterdsl.parse(longer_week)).changes
    assert effects(found) == [("header.working_week", "neutral"), ("target.amount", "looser")]
    assert found[1].explanation == ("Less is due: 1875 person-hours per £1m of contract value "
                                    "rather than 1950 person-hours per £1m of contract value.")


def test_citations_name_file_and_line() -> None:
    change = one(("at least 25 FTE", "at least 30 FTE"))
    line = BASE.splitlines().index("  target jobs at least 25 FTE each financial year") + 1
    assert (change.old_at, change.new_at) == (f"old.charter:{line}", f"new.charter:{line}")
    added = one(("  target jobs at least 6 FTE each quarter\n",
                 "  target jobs at least 6 FTE each quarter\n"
                 "  target carbon at least 10 tCO2e each financial year\n"))
    assert added.old is None
    assert added.old_at is None
    assert added.new == "at least 10 tCO2e each financial year"


def test_theme_weights_show_both_values() -> None:
    found = changes(("weight 60%", "weight 70%"), ("weight 40%", "weight 30%"))
    assert [(c.subject, c.old, c.new) for c in found] == [
        ("theme jobs: weight", "60%", "70%"), ("theme green: weight", "40%", "30%")]


def test_every_explanation_is_one_short_sentence() -> None:
    for edits, _ in CASES.values():
        for change in changes(*edits):
            text = change.explanation
            assert text[0].isupper(), text
            assert text.endswith("."), text
            assert len(text) <= 120, text


# --- renderers ---------------------------------------------------------------------------------


def golden_pair() -> CharterDiff:
    old = charterdsl.parse((GOLDEN / "brightwell-2025.charter").read_text(encoding="utf-8"),
                           "brightwell-2025.charter")
    new = charterdsl.parse((GOLDEN / "brightwell-2026.charter").read_text(encoding="utf-8"),
                           "brightwell-2026.charter")
    return diff(old, new)


OUTPUTS: dict[str, Callable[[CharterDiff], str]] = {
    "diff.txt": render_diff_text,
    "diff.md": render_diff_markdown,
    "diff.html": render_diff_html,
    "diff.json": render_diff_json,
}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_golden(name: str) -> None:
    rendered = OUTPUTS[name](golden_pair())
    path = GOLDEN / name
    if os.environ.get("CHARTERDSL_REGENERATE") == "1":
        path.write_bytes(rendered.encode("utf-8"))
    assert rendered == path.read_bytes().decode("utf-8")


def test_golden_pair_covers_each_effect() -> None:
    result = golden_pair()
    assert all(result.count(effect) for effect in ("stricter", "looser", "neutral"))


def test_renderers_table() -> None:
    assert set(DIFF_RENDERERS) == {"text", "markdown", "html", "json"}


def test_json_round_trips_every_field() -> None:
    result = golden_pair()
    document = json.loads(render_diff_json(result))
    assert document == diff_to_dict(result)
    assert document["format"] == "charterdsl/diff"
    assert document["summary"]["changes"] == len(result.changes)
    first = document["changes"][0]
    assert set(first) == {"kind", "subject", "old", "new", "effect", "explanation", "old_at",
                          "new_at"}


HOSTILE = '<script>alert(1)</script> & "quotes" \u202e'


def hostile_diff() -> CharterDiff:
    new = BASE.replace('supplier "Repairs Ltd"', 'supplier "' + HOSTILE.replace('"', "'") + '"')
    return diff(charterdsl.parse(BASE, "old.charter"), charterdsl.parse(new, "<b>new</b>.charter"))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_html_is_safe() -> None:
    page = render_diff_html(hostile_diff())
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    assert "&lt;b&gt;new&lt;/b&gt;.charter" in page
    assert "\u202e" not in page
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "b" not in parser.tags


def test_markdown_and_text_are_safe() -> None:
    result = hostile_diff()
    markdown = render_diff_markdown(result)
    assert "<script>" not in markdown
    assert "\\<script\\>" in markdown
    assert "\u202e" not in markdown
    assert "\u202e" not in render_diff_text(result)
    assert "\u202e" not in render_diff_json(result)
