"""The public document: golden pages, reading ease, page safety, escaping and the sentences.

Golden files live in ``tests/golden/publish/``; set ``CHARTERDSL_REGENERATE=1`` to rewrite them
after an intended change, then read the diff.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import Sequence
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

import charterdsl
from charterdsl.consultation import ConsultationSummary, read_responses, read_responses_text
from charterdsl.consultation import summarise as summarise_responses
from charterdsl.model import Charter, Consultation, Contract, Header, Metric, MetricKind
from charterdsl.publish import (
    Block,
    Bullets,
    Heading,
    Para,
    Table,
    layout,
    pounds,
    render_public,
)
from charterdsl.renderers import CSP, REPLACEMENT, esc, md

from .conftest import EXAMPLES

GOLDEN = Path(__file__).parent / "golden" / "publish"
FOLDER = EXAMPLES / "consultation"
RLO = "\u202e"
CHARTERS = sorted([*EXAMPLES.glob("*.charter"), *FOLDER.glob("*.charter")])


def draft() -> Charter:
    return charterdsl.parse_file(FOLDER / "brightwell-draft.charter")


def draft_summary(charter: Charter) -> ConsultationSummary:
    return summarise_responses(charter, read_responses(FOLDER / "responses.csv"))


def sentences(blocks: Sequence[Block]) -> str:
    """Every word of the layout, one block or item a line, for looking sentences up."""
    lines: list[str] = []
    for block in blocks:
        match block:
            case Heading(_, text) | Para(text):
                lines.append(text)
            case Bullets(items):
                lines += [f"{item.lead}. {item.text}" if item.lead else item.text
                          for item in items]
            case Table(caption, headers, rows):
                lines += [caption, " | ".join(headers), *(" | ".join(row) for row in rows)]
    return "\n".join(lines)


# --- golden pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "suffix"), [("html", "html"), ("markdown", "md")])
def test_golden(fmt: str, suffix: str) -> None:
    charter = draft()
    rendered = render_public(charter, fmt=fmt, responses=draft_summary(charter))
    path = GOLDEN / f"brightwell-draft.{suffix}"
    if os.environ.get("CHARTERDSL_REGENERATE") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.encode("utf-8"))
    assert rendered == path.read_bytes().decode("utf-8")


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format 'pdf'; expected one of html, markdown"):
        render_public(draft(), fmt="pdf")


# --- reading ease ----------------------------------------------------------------------------


class PageText(HTMLParser):
    """The words a reader sees, one block a line. A heading, list item or table cell is a
    sentence of its own to a reader, so each gets a full stop when it has none."""

    BLOCKS = frozenset({"h1", "h2", "h3", "h4", "p", "li", "th", "td", "caption"})
    HIDDEN = frozenset({"style", "title", "nav"})  # the contents list repeats the headings

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.words: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in self.HIDDEN
        if tag in self.BLOCKS:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in self.HIDDEN
        if tag in self.BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.words.append(data)

    def flush(self) -> None:
        text = " ".join("".join(self.words).split())
        self.words = []
        if text:
            self.lines.append(text if text[-1] in ".!?:" else text + ".")


def page_text(page: str) -> str:
    parser = PageText()
    parser.feed(page)
    parser.flush()
    return "\n".join(parser.lines)


def flesch(text: str) -> float:
    textstat = pytest.importorskip(
        "textstat", reason="textstat is not installed: pip install -e '.[test]' to measure "
        "reading ease")
    try:
        return float(textstat.flesch_reading_ease(text))
    except LookupError:  # textstat 0.7.9 and later fetch a word list from the network
        pytest.skip("this textstat needs the NLTK cmudict download; install textstat<0.7.9")


@pytest.mark.parametrize("path", CHARTERS, ids=lambda p: p.name)
def test_reading_ease_of_every_example(path: Path) -> None:
    charter = charterdsl.parse_file(path)
    responses = draft_summary(charter) if path.name == "brightwell-draft.charter" else None
    text = page_text(render_public(charter, responses=responses))
    assert len(text.split()) > 300
    assert flesch(text) >= 60


def test_page_text_sees_every_block() -> None:
    assert page_text("<h1>Title</h1><p>One. Two</p><ul><li>a b c</li></ul>") == (
        "Title.\nOne. Two.\na b c.")


# --- the HTML page ---------------------------------------------------------------------------


class Structure(HTMLParser):
    """Checks that tags nest, and collects headings and every attribute."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.headings: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes.extend(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1:] == [tag], (tag, self.open[-5:])
        self.open.pop()


def structure(page: str) -> Structure:
    parser = Structure()
    parser.feed(page)
    assert parser.open == []
    return parser


@pytest.mark.parametrize("path", CHARTERS, ids=lambda p: p.name)
def test_page_is_self_contained_and_accessible(path: Path) -> None:
    page = render_public(charterdsl.parse_file(path))
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">\n')
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert "<script" not in page.lower()
    assert not re.search(r"(?i)(https?:|//|url\(|@import)", page)
    found = structure(page)
    links = [value for name, value in found.attributes if name in ("href", "src")]
    assert links
    assert all(value is not None and value.startswith("#") for value in links)
    ids = {value for name, value in found.attributes if name == "id"}
    assert {link[1:] for link in links if link} <= ids
    # One h1 first, and no level skipped on the way down.
    levels = found.headings
    assert levels[0] == 1
    assert levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))
    assert "@media print" in page


def test_tables_have_captions_and_header_cells() -> None:
    charter = draft()
    page = render_public(charter, responses=draft_summary(charter))
    assert page.count("<table>") == page.count("<caption>") == 4
    assert '<th scope="col" class="num">Support</th>' in page
    assert '<th scope="row">Residents</th>' in page


# --- escaping --------------------------------------------------------------------------------

HOSTILE = f'<script>alert("x")</script> *[click](javascript:alert(1))* {RLO}evil & co'


def hostile_charter() -> Charter:
    return Charter(
        header=Header(HOSTILE, authority=f"# {HOSTILE}", place=f"<b>{RLO}</b>",
                      description=HOSTILE,
                      consultation=Consultation(dt.date(2026, 1, 1), dt.date(2026, 2, 1),
                                                groups=(HOSTILE, "residents"))),
        metrics=(Metric("m", HOSTILE, kind=MetricKind.SUMMED, unit="visit",
                        counting_rule=HOSTILE),),
        contracts=(Contract("C-1", HOSTILE, supplier=HOSTILE),),
    )


def test_hostile_text_is_escaped_in_html() -> None:
    charter = hostile_charter()
    responses = summarise_responses(charter, read_responses_text(
        f'group,clause,comment,position\n"{HOSTILE.replace(chr(34), chr(34) * 2)}",general,'
        f'"<img src=x onerror=alert(1)> {RLO}",object\n', "r.csv"))
    page = render_public(charter, responses=responses)
    assert "<script" not in page
    assert "<img" not in page
    assert "<b>" not in page
    assert RLO not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert f"{REPLACEMENT}evil &amp; co" in page
    assert "<title>&lt;script&gt;" in page
    structure(page)


def test_hostile_text_is_escaped_in_markdown() -> None:
    charter = hostile_charter()
    page = render_public(charter, fmt="markdown")
    assert RLO not in page
    assert not re.search(r"(?<!\\)[<\[*]", page.replace("**", ""))  # every one escaped
    assert md(HOSTILE) in page
    # The authority starts with '#', yet the only headings are the layout's own.
    headings = [line for line in page.splitlines() if line.startswith("#")]
    assert headings == [f"{'#' * b.level} {md(b.text)}" for b in layout(charter)
                        if isinstance(b, Heading)]


def test_both_formats_say_the_same_thing() -> None:
    charter = draft()
    summary = draft_summary(charter)
    html_page = render_public(charter, responses=summary)
    markdown = render_public(charter, fmt="markdown", responses=summary)
    for block in layout(charter, summary):
        if isinstance(block, Heading | Para):
            assert esc(block.text) in html_page
            assert md(block.text) in markdown


# --- what the page says ----------------------------------------------------------------------


def test_introduction_and_lifecycle() -> None:
    text = sentences(layout(draft()))
    assert "Brightwell Borough Council wrote this charter for Brightwell." in text
    assert ("This charter is a draft for public consultation. It is not in force yet. We "
            "published it on 12 January 2026. This is version 2.0 draft.") in text
    adopted = sentences(layout(charterdsl.parse_file(FOLDER / "brightwell-adopted.charter")))
    assert "We adopted this charter on 20 April 2026. This is version 2.0." in adopted


def test_outcomes_strengths_themes_and_places() -> None:
    text = sentences(layout(draft()))
    assert "We want to see 4 changes in Brightwell." in text
    assert ("It is part of the theme “Good local jobs and skills”. It builds on Brightwell "
            "College building skills centre. It matters most in Eastgate and Millside wards."
            ) in text
    assert ("River Lynd green corridor. This is natural capital: nature, land and water."
            ) in text
    assert "Good local jobs and skills | 40%" in text
    assert "The shares add up to 100%." in text
    assert ("Eastgate and Millside wards. This matters most for “More Brightwell people in "
            "good, secure work”.") in text
    assert ("Brightwell borough. It covers the postcode districts BW1, BW2, BW3 and BW4."
            ) in text
    assert "It covers the wards of Eastgate and Millside." in text


def test_measures_are_counted_and_valued_in_words() -> None:
    text = sentences(layout(draft()))
    assert ("Its code on the approved list is SV-EMP-01. It is counted in full-time jobs. Two "
            "half-time jobs count as one full-time job. It is a number at one time, not a "
            "total. Over a period, we take the average. Only people living in Brightwell "
            "borough count.") in text
    assert ("Each year of full-time work is valued at £29,000, in 2024 prices. Source of the "
            "value: A made-up figure for this example. We take off 15% for what would have "
            "happened anyway. We take off 10% for the part that others helped to bring about. "
            "So each year of full-time work counts as £22,185 in its first year.") in text
    assert "How to count it: Count the fuel and power the vans use on this contract." in text
    assert "We record this figure, but it has no money value." in text  # contract_spend
    assert "The list has 6 more measures that this charter does not use." in text
    assert "Waste kept out of landfill" not in text


def test_targets_as_sentences() -> None:
    text = sentences(layout(draft()))
    assert ("Brightwell people in work on the contract. Each financial year, the supplier must "
            "reach at least 20 full-time jobs.") in text
    assert ("Over the whole contract, the supplier must reach at least 40 person-weeks for "
            "each £1 million of contract value. For this contract, that means at least 480 "
            "person-weeks. On the way, it must reach 100 person-weeks by 31 March 2028. It "
            "must reach 300 person-weeks by 31 March 2030.") in text
    assert ("Each quarter, the supplier must reach at least 25% of “All spend on the "
            "contract”.") in text
    assert ("Each financial year, the supplier must cut it by at least 15% from the 2025 "
            "level of 500 tonnes of carbon. That means no more than 425 tonnes of carbon."
            ) in text
    assert "By 31 March 2028, the supplier must reach at least 100 tonnes of carbon." in text
    assert ("Hours of staff volunteering. Each financial year, the supplier must reach at "
            "least 300 person-hours. This target applies to every contract.") in text
    assert ("Nothing is due under this contract from 21 December 2026 to 3 January 2027. The "
            "reason given is “Winter shutdown: emergency repairs only”.") in text
    assert "The supplier is not named yet. It is worth £12 million." in text


OTHER_TARGETS = '''\
charter "Other targets"
  working year is 46 weeks
  needs data for at least 75% of each period
area local "Town"
  places "Old Town"
metric miles "Miles driven"
  counts miles, summed
metric staff "Staff on the contract"
  counts people, averaged over time
metric spend "Spend with local charities"
  counts GBP, summed
metric trees "Trees planted"
  counts trees, summed
target miles at most 60,000 miles each month
  needs data for at least 50% of each period
target staff between 4 people and 8 people each quarter
target spend at least £120k each financial year
  excused from 2026-01-01 to 2026-01-31 because "audit"
target trees increased by 10% from 200 trees in 2024 each financial year
review on 2026-03-31, 2027-03-31
  break allowed when inadequate at any review after 2026-06-30
  note when approaching target at 1 consecutive reviews
review every 1 year from 2026-04-01
contract C-1 "Small contract"
  value £250,000
  runs from 2025-04-01 to 2027-03-31
''' + (
    "  target staff between 2 people per £1m of contract value"
    " and 3 people per £1m of contract value over the contract\n"
)


def test_other_kinds_of_target() -> None:
    text = sentences(layout(charterdsl.parse(OTHER_TARGETS)))
    assert "Each month, the supplier must keep it to no more than 60,000 miles." in text
    assert "A period is rated only when returns cover at least 50% of it." in text
    assert "Each quarter, the supplier must keep it between 4 and 8 people." in text
    assert "Each financial year, the supplier must reach at least £120,000." in text
    assert ("Nothing is due for this target from 1 January 2026 to 31 January 2026. The reason "
            "given is “audit”.") in text
    assert ("Each financial year, the supplier must raise it by at least 10% from the 2024 "
            "level of 200 trees. That means at least 220 trees.") in text
    assert ("For this contract, that means between 0.5 people and 0.75 people.") in text
    assert "It covers Old Town." in text
    assert "Working year. It is 46 weeks." in text
    assert "Working week. It is 37.5 hours. This is the standard figure." in text
    assert "Data needed. A period is rated only when returns cover at least 75% of it." in text


def test_reviews_in_words() -> None:
    text = sentences(layout(draft()))
    assert ("We review delivery every 6 months, starting on 1 January 2027. The last review is "
            "on or before 30 June 2031.") in text
    assert "We review delivery every year, starting on 31 March 2027." in text
    assert "Good. 100% or more of what was due." in text
    assert "Approaching target. At least 90% but less than 100% of what was due." in text
    assert "Requires improvement. At least 60% but less than 90% of what was due." in text
    assert "Inadequate. Less than 60% of what was due." in text
    assert ("If a target is rated “Requires improvement” or worse at 2 reviews in a row, the "
            "supplier must agree a remedy plan with us within 45 days. The plan says how they "
            "will put things right.") in text
    assert "If a target is rated “Inadequate” at 3 reviews in a row, we may end the contract." in (
        text)
    assert ("If the time for a remedy plan runs out and the rating has not got better, we may "
            "end the contract.") in text
    adopted = sentences(layout(charterdsl.parse_file(FOLDER / "brightwell-adopted.charter")))
    assert ("If a target is rated “Inadequate” at 2 of the last 3 reviews, we may end the "
            "contract.") in adopted


def test_other_reviews_in_words() -> None:
    text = sentences(layout(charterdsl.parse(OTHER_TARGETS)))
    assert "We review delivery on 31 March 2026 and 31 March 2027." in text
    assert ("If a target is rated “Inadequate” at any review after 30 June 2026, we may end the "
            "contract.") in text
    assert ("If a target is rated “Approaching target” at a review, we make a formal note of "
            "it.") in text
    assert "This review uses the standard ratings." in text
    assert "This review does not set any steps for when delivery falls short." in text
    assert "Every contract listed here sets its own reviews." not in text
    assert "They apply to Small contract." in text


def test_consultation_details_and_what_people_told_us() -> None:
    charter = draft()
    text = sentences(layout(charter, draft_summary(charter)))
    assert "We are asking for views from 12 January 2026 to 6 March 2026." in text
    assert "Local SMEs" in text
    assert "Brightwell College" in text
    assert ("We read 28 rows of responses. We used 25. We could not use 3. The reasons are at "
            "the end of this section.") in text
    assert "Of these, 11 support what the charter says, 9 object and 5 are neutral." in text
    assert "Targets: Brightwell people in work on the contract | 1 | 2 | 1 | 4" in text
    assert "Local SMEs | 0 | 4 | 1 | 5" in text
    assert text.count("All responses | 11 | 9 | 5 | 25") == 2
    assert "Some responses came from groups we did not name: Brightwell Chamber of Commerce." in (
        text)
    assert "We had no response from Brightwell College." in text
    assert ("Tenants' and residents' associations, support. Jobs should go to people who live "
            "on our estates.") in text
    assert "Row 27 | The position 'agree' is not support, object or neutral." in text


def test_consultation_after_adoption() -> None:
    charter = charterdsl.parse_file(FOLDER / "brightwell-adopted.charter")
    text = sentences(layout(charter, draft_summary(charter)))
    assert "We asked for views from 12 January 2026 to 6 March 2026." in text
    assert "We received 25 responses." in text
    assert "The charter counts" not in text  # the file holds all 25
    housing = charterdsl.parse_file(EXAMPLES / "housing-repairs.charter")
    summary = summarise_responses(housing, read_responses_text(
        "group,clause,comment,position\nresidents,general,Fine.,support\n"))
    assert ("The charter counts 412 responses in all. This summary covers the 1 in the file."
            ) in sentences(layout(housing, summary))


def test_a_bare_charter_still_reads() -> None:
    text = sentences(layout(charterdsl.parse('charter "Bare"\n')))
    for expected in (
        "This charter is for the area.",
        "The charter does not say whether it is a draft or in force.",
        "This charter does not set any outcomes yet.",
        "This charter does not name any local strengths yet.",
        "This charter does not set any themes yet.",
        "This charter does not use any measures yet.",
        "No contracts are listed yet.",
        "This charter does not record a public consultation.",
    ):
        assert expected in text


@pytest.mark.parametrize(
    ("amount", "words"),
    [("12000000", "£12 million"), ("18500000", "£18.5 million"), ("1250000", "£1.25 million"),
     ("1234567", "£1,234,567"), ("29000", "£29,000"), ("17.5", "£17.50"), ("0.25", "£0.25")],
)
def test_pounds(amount: str, words: str) -> None:
    assert pounds(Decimal(amount)) == words
