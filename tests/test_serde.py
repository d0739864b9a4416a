"""JSON export and import: round trips, the golden export, the schema, and every way a document
can be wrong."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import functools
import json
import os
import re
import time
import typing
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charterdsl import limits, serde
from charterdsl.builder import build_charter
from charterdsl.errors import CharterDecodeError
from charterdsl.model import (
    Absolute,
    Adjustments,
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
    KOfLast,
    Metric,
    MetricKind,
    Milestone,
    OnDates,
    Outcome,
    OverContract,
    Period,
    PerValue,
    Proxy,
    Quantity,
    Rating,
    RemedyFailed,
    Review,
    Rule,
    Share,
    Status,
    StatusClause,
    Strength,
    Target,
    Theme,
)
from charterdsl.source import Source

GOLDEN = Path(__file__).parent / "golden" / "json"
REGENERATE = os.environ.get("CHARTERDSL_REGENERATE") == "1"
VALIDATOR = jsonschema.Draft202012Validator(serde.json_schema())

ALL_KINDS = {
    "absolute", "share", "per_value", "baseline",
    "each_period", "by_date", "over_contract",
    "every", "on_dates",
    "consecutive", "k_of_last", "any_after", "remedy_failed",
}


@functools.cache
def sketch() -> Charter:
    source = Source((GOLDEN / "sketch.charter").read_text(encoding="utf-8"), "sketch.charter")
    charter, diagnostics = build_charter(source)
    assert charter is not None, diagnostics
    assert not [d for d in diagnostics if d.is_error], diagnostics
    return charter


def sketch_document() -> dict[str, Any]:
    return serde.to_dict(sketch())


def q(magnitude: str, unit: str | None = None) -> Quantity:
    return Quantity(Decimal(magnitude), unit)


def rich_charter() -> Charter:
    """A hand-built charter using every union member and every optional clause."""
    metric = Metric(
        "local_jobs", "Local people employed", code="NT1", kind=MetricKind.AVERAGED, unit="FTE",
        eligibility=Eligibility("people living", "local"),
        proxy=Proxy(Decimal("29000.00"), "FTE_year", 2024, source="TOMs 2024"),
        adjustments=Adjustments(Decimal("15"), Decimal("10"), Decimal("0.5"), Decimal("2.25")),
        benefit_years=3, theme="jobs", counting_rule="headcount at month end",
        description="FTE in post",
    )
    ratio = Metric("local_share", "Local share", kind=MetricKind.RATIO, numerator="local_spend",
                   denominator="total_spend", record_only=True)
    targets = (
        Target("local_jobs", Comparison.AT_LEAST, Absolute(q("25", "FTE")),
               EachPeriod(Period.FINANCIAL_YEAR), data_coverage_percent=Decimal("80")),
        Target("local_spend", Comparison.BETWEEN, Share(Decimal("30"), "total_spend"),
               EachPeriod(Period.QUARTER), upper=Share(Decimal("45.5"), "total_spend")),
        Target("apprentice_weeks", Comparison.AT_LEAST,
               PerValue(q("52", "person_week"), Decimal("1000000")), OverContract(),
               milestones=(Milestone(q("150", "person_week"), dt.date(2026, 3, 31)),)),
        Target("carbon", Comparison.AT_MOST,
               Baseline(Change.REDUCED, Decimal("20"), q("500", "tCO2e"), 2024),
               ByDate(dt.date(2027, 3, 31)),
               excused=(Excusal(dt.date(2025, 12, 20), dt.date(2026, 1, 4), "site closure"),)),
        Target("events", Comparison.AT_LEAST, Absolute(q("3")), EachPeriod(Period.MONTH),
               upper=Baseline(Change.INCREASED, Decimal("5"), q("-0.001"), 2023)),
    )
    reviews = (
        Review(
            Every(6, dt.date(2025, 10, 1), until=dt.date(2030, 3, 31)),
            bands=(Band(Rating.GOOD, BandComparison.AT_LEAST, Decimal("100")),
                   Band(Rating.INADEQUATE, BandComparison.BELOW, Decimal("60"))),
            rules=(
                Rule(Consequence(ConsequenceKind.NOTE),
                     Consecutive(Rating.APPROACHING, True, 2)),
                Rule(Consequence(ConsequenceKind.REMEDY_PLAN, 30),
                     KOfLast(Rating.REQUIRES_IMPROVEMENT, False, 2, 3)),
                Rule(Consequence(ConsequenceKind.BREAK_ALLOWED),
                     AnyAfter(Rating.INADEQUATE, True, dt.date(2027, 1, 1))),
                Rule(Consequence(ConsequenceKind.BREAK_ALLOWED), RemedyFailed()),
            ),
        ),
        Review(OnDates((dt.date(2026, 4, 1), dt.date(2027, 4, 1)))),
    )
    header = Header(
        "Brightwell Community Value Charter", authority="Brightwell Borough Council",
        place="Brightwell", version="1.2",
        status=StatusClause(Status.UNDER_REVIEW, dt.date(2025, 3, 12)),
        consultation=Consultation(dt.date(2025, 1, 6), dt.date(2025, 2, 28),
                                  ("residents", "local SMEs"), 412),
        conventions=Conventions(
            financial_year_start=(4, 1), working_week_hours=Decimal("37.5"),
            working_year_weeks=Decimal("52.14"), currency="GBP",
            data_coverage_percent=Decimal("90"), discount_rate_percent=Decimal("3.5"),
        ),
        description="Social value for £ spent – with “quotes” and ünïcode",
    )
    return Charter(
        header,
        uses=(CatalogueUse("catalogues/national.catalogue", "2025.1"),),
        areas=(Area("local", "Brightwell", postcode_districts=("BW1", "BW2"), wards=("Eastgate",),
                    places=("Millside",), includes=("priority",), description="the borough"),),
        strengths=(Strength("river", "River Lynd", Capital.NATURAL, "a green corridor"),),
        themes=(Theme("jobs", "Good jobs", Decimal("100"), "work"),),
        metrics=(metric, ratio),
        outcomes=(Outcome("work", "More local work", theme="jobs", builds_on=("river",),
                          targeted_at=("local",), measured_by=("local_jobs",),
                          description="residents in work"),),
        targets=targets[:1],
        excused=(Excusal(dt.date(2025, 8, 1), dt.date(2025, 8, 31), "summer"),),
        reviews=reviews[1:],
        contracts=(Contract("HR-2025-014", "Housing repairs", supplier="Example Repairs Ltd",
                            value=Decimal("12000000"), start=dt.date(2025, 4, 1),
                            end=dt.date(2030, 3, 31), targets=targets,
                            excused=(Excusal(dt.date(2026, 1, 1), dt.date(2026, 1, 2), "x"),),
                            reviews=reviews, description="repairs"),),
        catalogues=(Catalogue("National TOMs", publisher="Social Value Portal", version="2025.1",
                              licence="OGL", description="approved metrics",
                              uses=(CatalogueUse("base.catalogue"),), metrics=(metric, ratio),
                              source_name="national"),),
        source_name="rich.charter",
    )


def kinds(document: Any) -> set[str]:
    """Every union tag in a document (metrics and consequences have a "kind" of their own)."""
    found: set[str] = set()
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("kind") in ALL_KINDS:
                found.add(value["kind"])
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


# ---------------------------------------------------------------------------- round trips


def test_sketch_round_trips() -> None:
    charter = sketch()
    assert serde.from_json(serde.to_json(charter)) == charter
    assert serde.from_dict(serde.to_dict(charter)) == charter
    assert serde.from_json(serde.to_json(charter, indent=None).encode("utf-8")) == charter


def test_rich_charter_round_trips_with_every_union_member() -> None:
    charter = rich_charter()
    text = serde.to_json(charter)
    assert kinds(json.loads(text)) == ALL_KINDS
    back = serde.from_json(text)
    assert back == charter
    assert back.catalogues[0].metrics == charter.catalogues[0].metrics
    assert back.metric_index == charter.metric_index


def test_golden_sketch_export() -> None:
    path = GOLDEN / "sketch.json"
    text = serde.to_json(sketch())
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_export_shape() -> None:
    document = serde.to_dict(rich_charter())
    assert list(document) == ["format", "format_version", "charter"]
    assert document["format"] == serde.FORMAT == "charterdsl/charter"
    assert document["format_version"] == serde.FORMAT_VERSION == 1
    header = document["charter"]["header"]
    assert header["conventions"]["financial_year_start"] == [4, 1]
    assert header["conventions"]["working_week_hours"] == "37.5"
    assert header["conventions"]["discount_rate_percent"] == "3.5"
    assert header["status"] == {"status": "under review", "on": "2025-03-12"}
    target = document["charter"]["contracts"][0]["targets"][1]
    assert target["amount"] == {"kind": "share", "percent": "30", "of_metric": "total_spend"}
    assert target["scope"] == {"kind": "each_period", "period": "quarter"}
    assert list(target) == ["metric", "comparison", "amount", "scope", "upper"]
    assert document["charter"]["contracts"][0]["targets"][2]["scope"] == {"kind": "over_contract"}


def test_positions_file_names_and_comments_are_not_exported() -> None:
    charter = sketch()
    assert charter.comments
    assert charter.source_name
    assert charter.header.span is not None
    text = serde.to_json(charter) + serde.to_json(rich_charter())
    for word in ("span", "source_name", "comments", "line", "column"):
        assert f'"{word}"' not in text


def test_defaults_are_left_out_and_accepted_when_absent() -> None:
    charter = Charter(Header("Minimal"))
    assert serde.to_dict(charter)["charter"] == {"header": {"title": "Minimal"}}
    assert serde.from_json(serde.to_json(charter)) == charter


def test_explicit_defaults_are_accepted() -> None:
    document = serde.to_dict(Charter(Header("Minimal")))
    document["charter"]["header"] |= {"authority": None, "conventions": {"currency": None}}
    document["charter"]["areas"] = []
    assert serde.from_dict(document) == Charter(Header("Minimal"))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("37.5"), "37.5"),
        (Decimal("37.50"), "37.50"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.2E-7"), "0.00000012"),
        (Decimal("-0"), "-0"),
        (Decimal("12345678901234567890.123456789"), "12345678901234567890.123456789"),
    ],
)
def test_decimals_are_exact_strings(value: Decimal, text: str) -> None:
    charter = Charter(Header("D", conventions=Conventions(working_week_hours=value)))
    document = serde.to_dict(charter)
    assert document["charter"]["header"]["conventions"]["working_week_hours"] == text
    back = serde.from_dict(document)
    assert back == charter
    hours = back.header.conventions.working_week_hours
    assert str(hours) == str(Decimal(text))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_non_finite_decimals_cannot_be_exported(value: str) -> None:
    charter = Charter(Header("D", conventions=Conventions(working_week_hours=Decimal(value))))
    with pytest.raises(ValueError, match="finite"):
        serde.to_json(charter)


def test_tags_are_snake_case_class_names() -> None:
    assert [serde.tag(c) for c in (PerValue, KOfLast, OverContract, RemedyFailed)] == [
        "per_value", "k_of_last", "over_contract", "remedy_failed"]


# ---------------------------------------------------------------------------- schema


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = serde.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in json.dumps(schema)
    for name in ("Charter", "Target", "Absolute", "KOfLast", "Catalogue", "Rating"):
        assert name in schema["$defs"]
    assert all(d.get("additionalProperties") is False
               for d in schema["$defs"].values() if d.get("type") == "object")
    assert schema["$defs"]["Target"]["required"] == ["metric", "comparison", "amount", "scope"]
    assert schema["$defs"]["PerValue"]["properties"]["kind"] == {"const": "per_value"}


@pytest.mark.parametrize("charter", [sketch(), rich_charter()], ids=["sketch", "rich"])
def test_schema_validates_exports(charter: Charter) -> None:
    VALIDATOR.validate(json.loads(serde.to_json(charter)))


def test_schema_validates_the_golden_file() -> None:
    VALIDATOR.validate(json.loads((GOLDEN / "sketch.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["charter"]["header"].update(colour="red"),
        lambda d: d["charter"]["contracts"][0]["targets"][1]["amount"].update(colour="red"),
        lambda d: d.update(extra=1),
        lambda d: d["charter"]["header"].update(span={"line": 1}),
        lambda d: d["charter"]["contracts"][0]["targets"][0]["amount"].update(kind="nope"),
        lambda d: d["charter"]["themes"][0].update(weight_percent="1e3"),
        lambda d: d["charter"]["contracts"][0].update(start="2025-4-1"),
        lambda d: d["charter"]["contracts"][0].pop("title"),
        lambda d: d.update(format_version=2),
    ],
    ids=["header-key", "union-key", "top-key", "span", "kind", "decimal", "date", "missing",
         "version"],
)
def test_schema_rejects_what_the_reader_rejects(change: Callable[[Any], None]) -> None:
    document = sketch_document()
    change(document)
    assert not VALIDATOR.is_valid(document)
    with pytest.raises(CharterDecodeError):
        serde.from_dict(document)


# ---------------------------------------------------------------------------- bad documents


def decode_error(text: str | bytes) -> CharterDecodeError:
    with pytest.raises(CharterDecodeError) as caught:
        serde.from_json(text, "bad.json")
    assert caught.value.diagnostics
    return caught.value


def edited(change: Callable[[dict[str, Any]], object]) -> str:
    document = sketch_document()
    change(document)
    return json.dumps(document, indent=2, ensure_ascii=False)


def target(document: dict[str, Any], index: int) -> dict[str, Any]:
    found: dict[str, Any] = document["charter"]["contracts"][0]["targets"][index]
    return found


GOOD = serde.to_json(sketch())
BAD_DOCUMENTS: list[tuple[str, str, str, str]] = [
    # (id, text, code, text the first message contains)
    ("invalid-json", GOOD[:300], "CH701", "not valid JSON"),
    ("trailing-comma", '{"format": 1,}', "CH701", "not valid JSON"),
    ("empty", "", "CH701", "not valid JSON"),
    ("nan", GOOD.replace('"37.5"', "NaN"),
     "CH701", "$.charter.header.conventions.working_week_hours: NaN"),
    ("infinity", GOOD.replace('"responses": 412', '"responses": Infinity'),
     "CH701", "$.charter.header.consultation.responses: Infinity"),
    ("minus-infinity", GOOD.replace('"responses": 412', '"responses": -Infinity'),
     "CH701", "-Infinity"),
    ("duplicate-key", GOOD.replace('"version": "1.2"', '"version": "1.2", "version": "2"'),
     "CH701", '$.charter.header.version: duplicate key "version"'),
    ("duplicate-escaped-key",
     GOOD.replace('"version": "1.2"', '"version": "1", "\\u0076ersion": 2'),
     "CH701", "duplicate key"),
    ("unknown-key", edited(lambda d: target(d, 1)["amount"].update(colour="red")),
     "CH702", '$.charter.contracts[0].targets[1].amount.colour: unknown key "colour"'),
    ("span-key", edited(lambda d: d["charter"]["header"].update(span=None)),
     "CH702", '$.charter.header.span: unknown key "span"'),
    ("comments-key", edited(lambda d: d["charter"].update(comments=[])),
     "CH702", '$.charter.comments: unknown key'),
    ("top-level-key", edited(lambda d: d.update(extra=1)), "CH702", "$.extra: unknown key"),
    ("wrong-type-number", edited(lambda d: target(d, 0)["amount"]["quantity"].update(magnitude=25)),
     "CH702", "$.charter.contracts[0].targets[0].amount.quantity.magnitude: expected a number "
     "written as a string"),
    ("wrong-type-string", edited(lambda d: d["charter"]["header"]["consultation"].update(
        responses="412")), "CH702", "$.charter.header.consultation.responses: expected a whole"),
    ("float-for-int", edited(lambda d: d["charter"]["header"]["consultation"].update(
        responses=412.0)), "CH702", "responses: expected a whole number"),
    ("bool-for-int", edited(lambda d: d["charter"]["header"]["consultation"].update(
        responses=True)), "CH702", "found true"),
    ("huge-int", GOOD.replace('"responses": 412', '"responses": ' + "9" * 5000),
     "CH702", "$.charter.header.consultation.responses: expected a whole number"),
    ("int-for-bool", edited(lambda d: d["charter"]["metrics"][3].update(record_only=1)),
     "CH702", "$.charter.metrics[3].record_only: expected true or false"),
    ("string-for-array", edited(lambda d: d["charter"]["areas"][0].update(wards="Eastgate")),
     "CH702", "$.charter.areas[0].wards: expected an array"),
    ("object-for-array", edited(lambda d: d["charter"].update(areas={"0": {}})),
     "CH702", "$.charter.areas: expected an array"),
    ("array-for-object", edited(lambda d: d["charter"].update(header=[])),
     "CH702", "$.charter.header: expected an object"),
    ("null-for-required", edited(lambda d: d["charter"]["header"].update(title=None)),
     "CH702", "$.charter.header.title: expected text"),
    ("bad-list-item", edited(lambda d: d["charter"]["areas"][0].update(wards=["a", 2])),
     "CH702", "$.charter.areas[0].wards[1]: expected text"),
    ("lone-surrogate", GOOD.replace('"title": "Responsive', '"title": "\\ud800 Responsive'),
     "CH702", "$.charter.contracts[0].title: text contains an unpaired surrogate"),
    ("missing-field", edited(lambda d: d["charter"]["contracts"][0].pop("title")),
     "CH702", "$.charter.contracts[0].title: missing required field"),
    ("missing-charter", edited(lambda d: d.pop("charter")),
     "CH702", "$.charter: missing required field"),
    ("missing-kind", edited(lambda d: target(d, 1)["amount"].pop("kind")),
     "CH702", "$.charter.contracts[0].targets[1].amount.kind: missing required field"),
    ("unknown-kind", edited(lambda d: target(d, 1)["amount"].update(kind="percent")),
     "CH702", '$.charter.contracts[0].targets[1].amount.kind: expected one of "absolute"'),
    ("kind-of-other-member", edited(lambda d: target(d, 1)["amount"].update(kind="share")),
     "CH702", "$.charter.contracts[0].targets[1].amount.percent: missing required field"),
    ("not-an-object-union", edited(lambda d: target(d, 1).update(scope="quarterly")),
     "CH702", "$.charter.contracts[0].targets[1].scope: expected an object with a \"kind\""),
    ("bad-enum", edited(lambda d: target(d, 0).update(comparison="at leastish")),
     "CH702", '$.charter.contracts[0].targets[0].comparison: expected one of "at least"'),
    ("enum-by-name", edited(lambda d: d["charter"]["strengths"][0].update(capital="NATURAL")),
     "CH702", "$.charter.strengths[0].capital: expected one of"),
    ("bad-date", edited(lambda d: d["charter"]["contracts"][0]["excused"][0].update(
        start="2025-02-30")), "CH702",
     '$.charter.contracts[0].excused[0].start: the text "2025-02-30" is not a date'),
    ("bad-date-form", edited(lambda d: d["charter"]["contracts"][0].update(start="2025-4-1")),
     "CH702", '$.charter.contracts[0].start: expected a date written as "YYYY-MM-DD"'),
    ("compact-date", edited(lambda d: d["charter"]["contracts"][0].update(start="20250401")),
     "CH702", "$.charter.contracts[0].start: expected a date"),
    ("date-with-newline", edited(lambda d: d["charter"]["contracts"][0].update(
        start="2025-04-01\n")), "CH702", "$.charter.contracts[0].start"),
    ("decimal-bomb", edited(lambda d: d["charter"]["themes"][0].update(
        weight_percent="1e999999999")), "CH702",
     '$.charter.themes[0].weight_percent: the text "1e999999999" is not a plain decimal'),
    ("decimal-bomb-number", GOOD.replace('"40"', "1e999999999"), "CH702",
     "$.charter.themes[0].weight_percent: expected a number written as a string"),
    ("fixed-tuple-length", edited(lambda d: d["charter"]["header"]["conventions"].update(
        financial_year_start=[4, 1, 2025])), "CH702",
     "$.charter.header.conventions.financial_year_start: expected an array of 2 items"),
    ("wrong-format-version", GOOD.replace('"format_version": 1', '"format_version": 2'),
     "CH703", "$.format_version: unsupported format version"),
    ("string-format-version", GOOD.replace('"format_version": 1', '"format_version": "1"'),
     "CH703", "$.format_version"),
    ("float-format-version", GOOD.replace('"format_version": 1', '"format_version": 1.0'),
     "CH703", "$.format_version"),
    ("missing-format-version", edited(lambda d: d.pop("format_version")),
     "CH703", "$.format_version"),
    ("wrong-format", GOOD.replace('"charterdsl/charter"', '"charterdsl/report"'),
     "CH703", '$.format: expected "charterdsl/charter"'),
    ("not-an-object", "[1, 2, 3]", "CH702", "$: expected an object"),
    ("deep-nesting", "[" * 100_000 + "]" * 100_000, "CH701", "nested too deeply"),
    ("deep-objects", '{"a":' * 100_000 + "1" + "}" * 100_000, "CH701", "nested too deeply"),
]


@pytest.mark.parametrize(("text", "code", "message"), [case[1:] for case in BAD_DOCUMENTS],
                         ids=[case[0] for case in BAD_DOCUMENTS])
def test_bad_documents_are_rejected(text: str, code: str, message: str) -> None:
    error = decode_error(text)
    assert error.diagnostics[0].code == code, error
    assert message in error.diagnostics[0].message, error
    assert "bad.json" in str(error)


@pytest.mark.parametrize(
    "value",
    ["1e3", "1E3", "1_000", " 1", "1 ", "+", "-", ".5", "5.", "0x10", "NaN", "Infinity", "inf",
     "١٢", "1,5", "", "1.5.5", "37.5\n"],
)
def test_decimal_strings_must_be_plain(value: str) -> None:
    error = decode_error(edited(lambda d: d["charter"]["themes"][0].update(weight_percent=value)))
    assert error.diagnostics[0].code == "CH702"
    assert "$.charter.themes[0].weight_percent" in error.diagnostics[0].message


@pytest.mark.parametrize("value", ["+37.5", "-1", "0", "007", "0.000"])
def test_plain_decimal_strings_are_read_exactly(value: str) -> None:
    charter = serde.from_json(edited(
        lambda d: d["charter"]["themes"][0].update(weight_percent=value)))
    assert str(charter.themes[0].weight_percent) == str(Decimal(value))


def test_exponent_bombs_are_refused_quickly() -> None:
    start = time.perf_counter()
    for bomb in ('"1e999999999"', '"9' + "9" * 100_000 + 'e-999999999"', "1e999999999",
                 "-1E-999999999"):
        decode_error(GOOD.replace('"40"', bomb))
    assert time.perf_counter() - start < 5


def test_invalid_json_points_at_the_line_and_column() -> None:
    text = GOOD.replace('"version": "1.2",', '"version": "1.2",,')
    error = decode_error(text)
    (diagnostic,) = error.diagnostics
    assert diagnostic.span is not None
    line = next(n for n, t in enumerate(text.split("\n"), 1) if ",," in t)
    assert (diagnostic.span.line, diagnostic.span.column) == (line, text.split("\n")[
        line - 1].index(",,") + 2)
    rendered = diagnostic.render()
    assert rendered.splitlines()[0].startswith(f"bad.json:{line}:")
    assert '"version": "1.2",,' in rendered.splitlines()[1]
    assert rendered.splitlines()[2].strip() == "^"


def test_windows_line_endings_and_a_byte_order_mark_keep_positions() -> None:
    text = "\ufeff" + GOOD.replace("\n", "\r\n").replace('"version": "1.2"', '"version": 1.2')
    (diagnostic,) = decode_error(text).diagnostics
    assert diagnostic.span is not None
    assert diagnostic.span.line == 8
    assert "$.charter.header.version: expected text" in diagnostic.message
    assert serde.from_json("\ufeff" + GOOD.replace("\n", "\r\n")) == sketch()


def test_schema_problems_point_into_the_text() -> None:
    text = edited(lambda d: target(d, 1)["amount"].update(colour="red"))
    (diagnostic,) = decode_error(text).diagnostics
    rendered = diagnostic.render().splitlines()
    assert '"colour": "red"' in rendered[1]
    assert rendered[2].strip() == "^" * len('"colour"')
    assert diagnostic.hint == "allowed keys: quantity, per_money"


def test_duplicate_keys_point_at_the_second_key() -> None:
    text = GOOD.replace('"version": "1.2"', '"version": "1.2", "version": "2"')
    (diagnostic,) = decode_error(text).diagnostics
    assert diagnostic.span is not None
    assert text[diagnostic.span.start:diagnostic.span.end] == '"version"'
    assert text.index('"version": "2"') == diagnostic.span.start


def test_every_problem_is_reported() -> None:
    def break_three(d: dict[str, Any]) -> None:
        d["charter"]["header"]["title"] = 1
        d["charter"]["areas"][1]["colour"] = "red"
        d["charter"]["contracts"][0]["reviews"][0]["rules"][1]["condition"]["count"] = "3"

    error = decode_error(edited(break_three))
    assert [d.code for d in error.diagnostics] == ["CH702"] * 3
    paths = sorted(d.message.split(":")[0] for d in error.diagnostics)
    assert paths == ["$.charter.areas[1].colour",
                     "$.charter.contracts[0].reviews[0].rules[1].condition.count",
                     "$.charter.header.title"]


def test_many_problems_are_capped() -> None:
    text = edited(lambda d: d["charter"]["areas"][0].update(wards=list(range(1000))))
    error = decode_error(text)
    assert len(error.diagnostics) == 101
    assert any("more than 100 problems" in d.message for d in error.diagnostics)


def test_several_duplicates_and_constants_are_all_reported() -> None:
    text = '{"a": 1, "a": 2, "b": [NaN, {"c": 1, "c": 2, "c": 3}], "d": Infinity}'
    error = decode_error(text)
    assert sorted(d.message for d in error.diagnostics) == [
        '$.a: duplicate key "a"',
        "$.b[0]: NaN is not a JSON number",
        '$.b[1].c: duplicate key "c"',
        '$.b[1].c: duplicate key "c"',
        "$.d: Infinity is not a JSON number",
    ]
    assert all(d.code == "CH701" for d in error.diagnostics)


def test_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_JSON_BYTES", 100)
    for text in ("x" * 101, "£" * 51, b"x" * 101):
        (diagnostic,) = decode_error(text).diagnostics
        assert diagnostic.code == "CH601"
    assert decode_error("£" * 50).diagnostics[0].code == "CH701"


def test_bytes_must_be_utf8() -> None:
    (diagnostic,) = decode_error(b'{"format": "\xff"}').diagnostics
    assert diagnostic.code == "CH701"
    assert "UTF-8" in diagnostic.message
    assert diagnostic.span is not None
    assert diagnostic.span.column == 13


def test_from_dict_rejects_python_objects_json_cannot_hold() -> None:
    document = sketch_document()
    document["charter"]["areas"] = tuple(document["charter"]["areas"])
    document["charter"]["header"]["consultation"]["responses"] = 412.0
    document["charter"]["themes"][0]["weight_percent"] = Decimal("40")
    with pytest.raises(CharterDecodeError) as caught:
        serde.from_dict(document)
    messages = sorted(d.message for d in caught.value.diagnostics)
    assert messages == [
        "$.charter.areas: expected an array, found a Python tuple",
        "$.charter.header.consultation.responses: expected a whole number, found the number 412.0",
        '$.charter.themes[0].weight_percent: expected a number written as a string, like "37.5", '
        "found the number 40",
    ]
    assert all(d.span is None for d in caught.value.diagnostics)


def test_the_converter_is_configured_in_one_place() -> None:
    converter = serde.make_converter()
    assert converter.forbid_extra_keys
    assert converter.unstructure(Decimal("1.50")) == "1.50"
    assert converter.unstructure(dt.date(2025, 4, 1)) == "2025-04-01"
    assert converter.structure([4, 1], tuple[int, int]) == (4, 1)
    assert converter.unstructure(ByDate(dt.date(2025, 4, 1)), ByDate | OverContract) == {
        "kind": "by_date", "date": "2025-04-01"}


# ---------------------------------------------------------------------------- properties


def outcome(read: Callable[[], Charter]) -> Charter | CharterDecodeError:
    """What reading gives: a charter or the decode error, and any other exception escapes."""
    try:
        return read()
    except CharterDecodeError as error:
        return error


@given(st.text(max_size=400) | st.binary(max_size=400))
def test_any_text_is_a_charter_or_a_decode_error(text: str | bytes) -> None:
    result = outcome(lambda: serde.from_json(text))
    if isinstance(result, CharterDecodeError):
        assert result.diagnostics
    else:
        assert isinstance(result, Charter)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6)
    | st.sampled_from(["37.5", "2025-04-01", "absolute", "at least", "quarter", "kind"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["kind", "title", "quantity", "x"]) | st.text(max_size=4), inner,
        max_size=3),
    max_leaves=8,
)


def all_paths(document: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    paths = [path]
    if isinstance(document, dict):
        for key, value in document.items():
            paths += all_paths(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            paths += all_paths(value, (*path, index))
    return paths


SKETCH_PATHS = all_paths(sketch_document())[1:]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SKETCH_PATHS), JSON_VALUES, st.booleans(), st.booleans())
def test_any_edit_of_a_valid_document_is_a_charter_or_a_decode_error(
    path: tuple[str | int, ...], value: Any, remove: bool, as_text: bool
) -> None:
    document = copy.deepcopy(sketch_document())
    parent = document
    for segment in path[:-1]:
        parent = parent[segment]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    result = outcome(
        lambda: serde.from_json(json.dumps(document)) if as_text else serde.from_dict(document))
    if isinstance(result, CharterDecodeError):
        assert result.diagnostics
        assert all(re.match(r"\$[.\[:]", d.message) for d in result.diagnostics), result
    else:
        assert serde.from_json(serde.to_json(result)) == result
        assert VALIDATOR.is_valid(json.loads(serde.to_json(result)))


def strategy(tp: Any) -> st.SearchStrategy[Any]:
    """Any value of a model type, built from the type hints so new fields are covered too."""
    if tp is type(None):
        return st.none()
    scalars: dict[Any, st.SearchStrategy[Any]] = {
        str: st.text(max_size=5),
        int: st.integers(),
        bool: st.booleans(),
        Decimal: st.decimals(allow_nan=False, allow_infinity=False),
        dt.date: st.dates(),
    }
    if tp in scalars:
        return scalars[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy(args[0]), max_size=2).map(tuple)
        return st.tuples(*(strategy(arg) for arg in args))
    if args:
        return st.one_of(*(strategy(arg) for arg in args))
    return class_strategy(tp)


@functools.cache
def class_strategy(cls: type) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: st.deferred(lambda t=hints[f.name]: strategy(t))
              for f in attrs.fields(cls) if f.eq}
    return st.builds(cls, **fields)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
@given(class_strategy(Charter))
def test_generated_charters_round_trip_and_match_the_schema(charter: Charter) -> None:
    text = serde.to_json(charter)
    assert serde.from_json(text) == charter
    VALIDATOR.validate(json.loads(text))
