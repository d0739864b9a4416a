"""Consultation responses: reading the CSV row by row, and the summary against a charter.

The figures for ``examples/consultation/responses.csv`` were counted by hand from the file; the
comments in the test say which rows make each number.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import charterdsl
from charterdsl.consultation import (
    Position,
    RejectedRow,
    Responses,
    ResponsesFileError,
    Tally,
    read_responses,
    read_responses_text,
    summarise,
)
from charterdsl.model import Charter

from .conftest import EXAMPLES

FOLDER = EXAMPLES / "consultation"
HEADER = "group,clause,comment,position\n"


@pytest.fixture(scope="module")
def draft() -> Charter:
    return charterdsl.parse_file(FOLDER / "brightwell-draft.charter")


@pytest.fixture(scope="module")
def adopted() -> Charter:
    return charterdsl.parse_file(FOLDER / "brightwell-adopted.charter")


def read(body: str) -> Responses:
    return read_responses_text(HEADER + body, "r.csv")


# --- the example, counted by hand ------------------------------------------------------------


def test_example_rows_add_up(draft: Charter) -> None:
    summary = summarise(draft, read_responses(FOLDER / "responses.csv"))
    assert summary.file == "responses.csv"
    assert (summary.rows_read, summary.rows_used, summary.rows_rejected) == (28, 25, 3)
    assert summary.rows_read == summary.rows_used + summary.rows_rejected
    # support: rows 4, 5, 7, 8, 15, 16, 20, 22, 23, 24, 25; object: 2, 3, 6, 10, 11, 12, 14,
    # 19, 21; neutral: 9, 13, 17, 18, 29.
    assert summary.total == Tally(support=11, object=9, neutral=5)


def test_example_counts_per_group(draft: Charter) -> None:
    summary = summarise(draft, read_responses(FOLDER / "responses.csv"))
    assert [(g.group, g.named, g.tally) for g in summary.by_group] == [
        ("residents", True, Tally(5, 3, 0)),  # rows 2-6, 22, 23, 25
        ("tenants' and residents' associations", True, Tally(2, 0, 1)),  # rows 7-9
        ("local SMEs", True, Tally(0, 4, 1)),  # rows 10-14
        ("voluntary and community sector", True, Tally(2, 0, 2)),  # rows 15-17, 29
        ("large businesses", True, Tally(1, 2, 1)),  # rows 18-21
        ("Brightwell Chamber of Commerce", False, Tally(1, 0, 0)),  # row 24
    ]
    assert summary.silent_groups == ("Brightwell College",)


def test_example_counts_per_clause(draft: Charter) -> None:
    summary = summarise(draft, read_responses(FOLDER / "responses.csv"))
    assert [(c.reference, c.tally) for c in summary.by_clause] == [
        ("general", Tally(2, 0, 1)),  # rows 4, 13, 24
        ("outcome more_local_work", Tally(1, 0, 0)),  # row 5
        ("outcome active_communities", Tally(1, 0, 0)),  # row 16
        ("theme jobs", Tally(1, 0, 0)),  # row 23
        ("theme economy", Tally(0, 1, 0)),  # row 14
        ("theme community", Tally(0, 0, 1)),  # row 17
        ("area priority", Tally(1, 0, 0)),  # row 7
        ("metric local_spend", Tally(0, 1, 0)),  # row 10
        ("target volunteering_hours", Tally(1, 0, 0)),  # row 15
        ("target local_jobs", Tally(1, 2, 1)),  # rows 2, 3, 8, 18
        ("target local_spend", Tally(0, 2, 0)),  # rows 11, 12
        ("target fleet_emissions", Tally(0, 2, 0)),  # rows 6, 21
        ("target carbon_saved", Tally(1, 0, 0)),  # row 22
        ("target school_visits", Tally(0, 1, 0)),  # row 19
        ("review", Tally(0, 0, 2)),  # rows 9, 29
        ("review HR-2026-003", Tally(1, 0, 0)),  # row 20
        ("consultation", Tally(1, 0, 0)),  # row 25
    ]
    jobs = next(c for c in summary.by_clause if c.reference == "target local_jobs")
    assert jobs.label == "Targets: Brightwell people in work on the contract"
    assert [r.row for r in jobs.responses] == [2, 3, 8, 18]
    # Row 8 wrote the group with curly apostrophes and capitals; it is shown as the charter
    # names it.
    assert jobs.responses[2].group == "tenants' and residents' associations"


def test_example_rejected_rows(draft: Charter) -> None:
    summary = summarise(draft, read_responses(FOLDER / "responses.csv"))
    assert summary.rejected == (
        RejectedRow(26, "the charter has no target on a measure 'local_job'; did you mean "
                        "'local_jobs'?"),
        RejectedRow(27, "the position 'agree' is not support, object or neutral"),
        RejectedRow(28, "the group is missing"),
    )


# --- reading ---------------------------------------------------------------------------------


def test_header_is_matched_loosely_and_extra_columns_are_ignored() -> None:
    data = read_responses_text(
        " Position ,ID,Group,CLAUSE,comment\nSupport,17,residents,general,Fine.\n", "r.csv")
    assert data.rejected == ()
    (response,) = data.rows
    assert (response.row, response.group, response.clause, response.position) == (
        2, "residents", "general", Position.SUPPORT)


def test_missing_column_names_the_columns() -> None:
    with pytest.raises(ResponsesFileError, match=r"r\.csv: the header has no column "
                       r"'position' \(it has 'group', 'clause', 'comment'\)"):
        read_responses_text("group,clause,comment\nresidents,general,x\n", "r.csv")


@pytest.mark.parametrize("text", ["", "\n", "\r\n"])
def test_empty_file(text: str) -> None:
    with pytest.raises(ResponsesFileError, match=r"r\.csv is empty"):
        read_responses_text(text, "r.csv")


def test_repeated_column() -> None:
    with pytest.raises(ResponsesFileError, match="repeats the column 'group'"):
        read_responses_text("group,group,clause,comment,position\n", "r.csv")


def test_file_must_be_utf8(tmp_path: Path) -> None:
    path = tmp_path / "win.csv"
    path.write_bytes(HEADER.encode() + "residents,general,£5,support\n".encode("cp1252"))
    with pytest.raises(ResponsesFileError, match=r"win\.csv is not UTF-8 \(line 2\)"):
        read_responses(path)


def test_byte_order_mark_and_crlf_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + b"group,clause,comment,position\r\n"
                     b"residents,general,Fine.,object\r\n")
    data = read_responses(path)
    assert [r.position for r in data.rows] == [Position.OBJECT]


def test_byte_order_mark_in_text() -> None:
    data = read_responses_text("\ufeff" + HEADER + "residents,general,a,support\n")
    assert data.rejected == ()
    assert len(data.rows) == 1


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ResponsesFileError, match=r"nowhere\.csv"):
        read_responses(tmp_path / "nowhere.csv")


def test_blank_lines_are_not_rows() -> None:
    data = read("residents,general,a,support\n\n   \nresidents,general,b,object\n")
    assert data.rows_read == 2
    assert [r.row for r in data.rows] == [2, 5]


def test_comment_over_several_lines_keeps_later_row_numbers() -> None:
    data = read('residents,general,"one\ntwo, ""three""",support\nresidents,review,x,neutral\n')
    assert data.rejected == ()
    assert [(r.row, r.comment) for r in data.rows] == [
        (2, 'one\ntwo, "three"'), (4, "x")]


def test_unclosed_quote_spoils_only_its_own_line() -> None:
    data = read('residents,general,"oops,support\nresidents,general,b,object\n'
                'residents,general,"c",neutral\n')
    assert data.rejected == (RejectedRow(2, "a quote is opened and not closed on this row"),)
    assert [r.row for r in data.rows] == [3, 4]
    assert data.rows_read == 3


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("residents,general,support", "this row has 3 cells; the header has 4"),
        ("residents,general,a,b,support", "this row has 5 cells; the header has 4"),
        ("  ,general,a,support", "the group is missing"),
        ("residents,,a,support", "the clause is missing"),
        ("residents,general,a,", "the position is missing"),
        ("residents,general,a,supports", "the position 'supports' is not support, object or "
                                         "neutral"),
        ("residents,general,a,sup\x1bport", "the position 'sup?port' is not support, object or "
                                            "neutral"),
        ('residents,general,"a"b,support', "the quoting on this row is not valid CSV"),
    ],
)
def test_rejected_row_reasons(row: str, reason: str) -> None:
    data = read(row + "\n")
    assert data.rows == ()
    assert data.rejected == (RejectedRow(2, reason),)
    assert data.rows_read == 1


def test_limits_on_cell_length() -> None:
    long_comment = "word " * 1_200
    data = read(f"residents,general,{long_comment},support\n{'g' * 201},general,a,support\n")
    assert [r.reason for r in data.rejected] == [
        "the comment is 5,999 characters long; the limit is 5,000",
        "the group is 201 characters long; the limit is 200",
    ]


def test_position_and_spacing_are_forgiving() -> None:
    data = read("  local   SMEs ,general,  Fine.  , NEUTRAL \n")
    (response,) = data.rows
    assert (response.group, response.comment, response.position) == (
        "local SMEs", "Fine.", Position.NEUTRAL)


def test_comment_may_be_empty() -> None:
    data = read("residents,general,,support\n")
    assert [r.comment for r in data.rows] == [""]


# --- clause references -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "reference"),
    [
        ("general", "general"),
        ("GENERAL", "general"),
        ("consultation", "consultation"),
        ("review", "review"),
        ("review HR-2026-003", "review HR-2026-003"),
        ("review hr-2026-003", "review HR-2026-003"),
        ("Theme   jobs", "theme jobs"),
        ("target volunteering_hours", "target volunteering_hours"),
        ("metric contract_spend", "metric contract_spend"),
        ("strength river", "strength river"),
        ("area local", "area local"),
        ("contract HR-2026-003", "contract HR-2026-003"),
        ("outcome cleaner_air", "outcome cleaner_air"),
    ],
)
def test_clause_references(draft: Charter, written: str, reference: str) -> None:
    summary = summarise(draft, read(f"residents,{written},x,support\n"))
    assert summary.rejected == ()
    assert [c.reference for c in summary.by_clause] == [reference]


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("themes jobs", "the clause 'themes jobs' does not start with general, consultation "
                        "or one of outcome, strength, theme, area, metric, target, contract, "
                        "review"),
        ("theme", "the clause 'theme' does not say which theme"),
        ("theme job", "the charter has no theme 'job'; did you mean 'jobs'?"),
        ("general jobs", "the clause 'general jobs' does not start with general, consultation "
                         "or one of outcome, strength, theme, area, metric, target, contract, "
                         "review"),
        ("target carbon", "the charter has no target on a measure 'carbon'; did you mean "
                          "'carbon_saved'?"),
        ("target nothing_like_it", "the charter has no target on a measure 'nothing_like_it'"),
        # The measure exists, but nothing targets it.
        ("target sme_spend", "the charter sets no target on the measure 'sme_spend'"),
        ("review XX-1", "the charter has no review 'XX-1'"),
    ],
)
def test_clause_reference_problems(draft: Charter, written: str, reason: str) -> None:
    summary = summarise(draft, read(f"residents,{written},x,support\n"))
    assert summary.rejected == (RejectedRow(2, reason),)
    assert summary.rows_read == 1
    assert summary.rows_used == 0


def test_labels_use_titles(draft: Charter) -> None:
    body = "".join(f"residents,{ref},x,support\n" for ref in
                   ("theme jobs", "review HR-2026-003", "metric local_jobs", "consultation"))
    summary = summarise(draft, read(body))
    assert [c.label for c in summary.by_clause] == [
        "Theme: Good local jobs and skills",
        "Measure: Brightwell people in work on the contract",
        "Reviews: Repairs to council homes",
        "How we consulted",
    ]


# --- groups ----------------------------------------------------------------------------------


def test_groups_match_without_case_spacing_or_curly_apostrophes(draft: Charter) -> None:
    body = ("LOCAL SMES,general,a,support\n"
            "Tenants’  and residents’ associations,general,b,object\n")
    summary = summarise(draft, read(body))
    assert [(g.group, g.named) for g in summary.by_group] == [
        ("tenants' and residents' associations", True), ("local SMEs", True)]
    assert summary.silent_groups == (
        "residents", "voluntary and community sector", "large businesses", "Brightwell College")


def test_charter_without_consultation_names_no_group() -> None:
    charter = charterdsl.parse('charter "Plain"\n')
    summary = summarise(charter, read("Residents,general,a,support\nresidents,general,b,"
                                      "object\n"))
    assert [(g.group, g.named, g.tally) for g in summary.by_group] == [
        ("Residents", False, Tally(1, 1, 0))]
    assert summary.silent_groups == ()


def test_rejections_from_both_steps_come_in_row_order(draft: Charter) -> None:
    summary = summarise(draft, read("residents,theme nope,a,support\nresidents,general,a,"
                                    "maybe\n"))
    assert [r.row for r in summary.rejected] == [2, 3]


# --- the example pair ------------------------------------------------------------------------


def test_catalogue_copy_matches_the_shared_catalogue() -> None:
    # A charter can only use files in its own folder, so the consultation examples carry a
    # copy. Copy the file again when the shared catalogue changes.
    copy = FOLDER / "catalogues" / "approved-2025.catalogue"
    assert copy.read_bytes() == (EXAMPLES / "catalogues" / "approved-2025.catalogue").read_bytes()


def test_adopted_charter_changes_what_the_comments_say(draft: Charter, adopted: Charter) -> None:
    def amounts(charter: Charter) -> dict[str, object]:
        (contract,) = charter.contracts
        return {t.metric: t.amount for t in contract.targets}

    before, after = amounts(draft), amounts(adopted)
    assert set(after) - set(before) == {"local_sme_spend"}
    changed = {m for m in before if before[m] != after[m]}
    assert changed == {"local_jobs", "local_spend", "fleet_emissions", "school_visits"}
    assert [t.weight_percent for t in draft.themes] != [t.weight_percent for t in adopted.themes]
    assert draft.header.status is not None
    assert adopted.header.status is not None
    assert (draft.header.status.status.value, adopted.header.status.status.value) == (
        "consultation", "adopted")
    assert draft.contracts[0].reviews != adopted.contracts[0].reviews
