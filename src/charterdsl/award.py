"""Award: the winning offer as a ``contract`` block, ready to add to the charter.

The contract takes the tender's id, title and term, the bidder as supplier and the bid price as
value. Each commitment becomes a target, ``target METRIC at least QUANTITY SCOPE``, so what was
promised at tender is what delivery is judged against. A commitment over the whole contract on
a summed metric gets milestones at the end of each financial year inside the term, pro rata, so
that slow delivery shows at the first review rather than at the end.

Reviews: when the charter-wide review clauses fit the contract's term they already apply to it
(a contract without reviews of its own is reviewed under the charter's), so the block says so in
a comment. When they do not fit (a schedule that starts before the contract, or dates outside
it) they are copied in, moved to the contract's term, with a comment saying where they came
from. The block is printed by the charter formatter, so it reads back to the same contract.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import attrs

from charterdsl.errors import Diagnostic
from charterdsl.formatter import format_charter
from charterdsl.measure import CONTEXT
from charterdsl.model import (
    Absolute,
    Charter,
    Commitment,
    Comparison,
    Contract,
    Every,
    Header,
    Metric,
    MetricKind,
    Milestone,
    Offer,
    OnDates,
    OverContract,
    Period,
    Quantity,
    Review,
    Target,
    Tender,
)
from charterdsl.periods import DEFAULT_FINANCIAL_YEAR_START, add_months, periods
from charterdsl.renderers import one_line
from charterdsl.tenders import Asked, outside_priorities, overlapping, read_offer

__all__ = ["AwardResult", "award", "award_files"]

PathLike = str | os.PathLike[str]
_INDENT = "  "


def award(charter: Charter, tender: Tender, offer: Offer) -> str:
    """The charter text of a ``contract`` block awarding ``tender`` to ``offer``, with comment
    lines saying where each part came from. Raises :class:`ValueError` when the offer is for
    another tender or the tender has no term to give the contract."""
    if offer.tender != tender.id:
        raise ValueError(f"offer '{offer.id}' is for tender '{offer.tender}', not '{tender.id}'")
    if tender.start is None or tender.end is None:
        raise ValueError(f"tender '{tender.id}' states no term, so the contract would have none")
    fy_start = charter.header.conventions.financial_year_start or DEFAULT_FINANCIAL_YEAR_START
    known = [c for c in offer.commitments if charter.metric(c.metric) is not None]
    targets = tuple(_target(c, charter, tender.start, tender.end, fy_start) for c in known)
    reviews, review_notes = _reviews(charter, tender.start, tender.end)
    contract = Contract(tender.id, tender.title, supplier=offer.bidder, value=offer.bid_price,
                        start=tender.start, end=tender.end, targets=targets, reviews=reviews)
    body = _contract_lines(contract)
    asked = Asked.of(charter, tender)
    notes = [_target_note(c, charter, offer, asked) for c in known]
    return "\n".join([
        *_head_notes(charter, tender, offer),
        *_annotated(body, notes, review_notes),
    ]) + "\n"


# ---------------------------------------------------------------------------- targets


def _target(commitment: Commitment, charter: Charter, start: dt.date, end: dt.date,
            fy_start: tuple[int, int]) -> Target:
    metric = charter.metric(commitment.metric)
    assert metric is not None
    milestones: tuple[Milestone, ...] = ()
    if isinstance(commitment.scope, OverContract) and metric.kind is MetricKind.SUMMED:
        milestones = _milestones(commitment.quantity, start, end, fy_start)
    return Target(commitment.metric, Comparison.AT_LEAST, Absolute(commitment.quantity),
                  commitment.scope, milestones=milestones)


def _milestones(quantity: Quantity, start: dt.date, end: dt.date, fy_start: tuple[int, int]
                ) -> tuple[Milestone, ...]:
    """Cumulative milestones at each financial year end before the end of the term, pro rata
    by the share of the term's years gone by (a part year by its days)."""
    total = _years(start, end)
    found = []
    for year in periods(Period.FINANCIAL_YEAR, start, end, fy_start):
        if not start <= year.end < end:
            continue
        share = CONTEXT.divide(_years(start, year.end), total)
        amount = _round(quantity.magnitude * share)
        if amount > 0:
            found.append(Milestone(Quantity(amount, quantity.unit), year.end))
    return tuple(found)


def _years(start: dt.date, last: dt.date) -> Decimal:
    """Years from ``start`` to ``last``: whole 12-month years, then the days of a part year
    as a share of a full one. An April-to-March financial year counts exactly 1."""
    whole = 0
    while add_months(start, 12 * (whole + 1)) - dt.timedelta(days=1) <= last:
        whole += 1
    begun = add_months(start, 12 * whole)
    days = (last - begun).days + 1
    full = (add_months(begun, 12) - begun).days
    return Decimal(whole) + CONTEXT.divide(Decimal(max(days, 0)), Decimal(full))


def _round(amount: Decimal) -> Decimal:
    # Milestones are read by people and checked against returns: two decimals are plenty.
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()


def _target_note(commitment: Commitment, charter: Charter, offer: Offer, asked: Asked
                 ) -> list[str]:
    """Where a target came from, and why it was not scored when it was not: the promise
    stands in the contract all the same."""
    where = f"{offer.source_name} line {commitment.span.line}" if (
        commitment.span is not None and offer.source_name) else f"offer {offer.id}"
    notes = [f"# committed in {where}" + (f", in {commitment.area}" if commitment.area else "")]
    metric = charter.metric(commitment.metric)
    assert metric is not None
    outside = outside_priorities(asked, commitment, metric)
    earlier = offer.commitments[: offer.commitments.index(commitment)]
    overlap = _overlap(metric, earlier, charter)
    if outside is not None:
        notes.append(f"# not scored: {outside.message}")
    elif overlap is not None:
        notes.append(f"# not scored: it overlaps {overlap}, committed above (double counting)")
    if isinstance(commitment.scope, OverContract) and metric.kind is MetricKind.SUMMED:
        notes.append("# milestones pro rata at the end of each financial year")
    return notes


def _overlap(metric: Metric, earlier: Sequence[Commitment], charter: Charter) -> str | None:
    for other in earlier:
        found = charter.metric(other.metric)
        if found is not None and overlapping(metric, found):
            return found.id
    return None


# ---------------------------------------------------------------------------- reviews


def _reviews(charter: Charter, start: dt.date, end: dt.date
             ) -> tuple[tuple[Review, ...], list[str]]:
    """The reviews to write into the contract, and the comment lines that explain them."""
    where = ", ".join(_line_of(charter, r) for r in charter.reviews)
    if not charter.reviews:
        return (), ["# the charter has no review clauses: add one before the contract is "
                    "signed"]
    if all(_fits(r, start, end) for r in charter.reviews):
        return (), [f"# reviews: the charter-wide review clauses ({where}) apply"]
    moved = tuple(r for r in (_moved(r, start, end) for r in charter.reviews) if r is not None)
    note = (f"# review clauses copied from the charter-wide ones ({where}), their dates "
            "moved into the contract's term")
    if not moved:
        return (), [f"# the charter-wide review clauses ({where}) fall outside the term: add "
                    "one before the contract is signed"]
    return moved, [note]


def _line_of(charter: Charter, review: Review) -> str:
    line = f" line {review.span.line}" if review.span is not None else ""
    return f"{charter.source_name or 'the charter'}{line}"


def _fits(review: Review, start: dt.date, end: dt.date) -> bool:
    schedule = review.schedule
    if isinstance(schedule, Every):
        return start <= schedule.start <= end
    return all(start <= date <= end for date in schedule.dates)


def _moved(review: Review, start: dt.date, end: dt.date) -> Review | None:
    """A charter-wide review made to fit a contract: a regular schedule starts one interval
    into the term; fixed dates outside the term are dropped."""
    if _fits(review, start, end):
        return review
    schedule = review.schedule
    if isinstance(schedule, Every):
        first = add_months(start, schedule.months)
        until = schedule.until if schedule.until is not None and schedule.until <= end else None
        if first > end or (until is not None and until < first):
            return None
        return attrs.evolve(review, schedule=Every(schedule.months, first, until))
    assert isinstance(schedule, OnDates)
    dates = tuple(d for d in schedule.dates if start <= d <= end)
    return attrs.evolve(review, schedule=OnDates(dates)) if dates else None


# ---------------------------------------------------------------------------- text


def _contract_lines(contract: Contract) -> list[str]:
    """The contract as the formatter prints it, without the placeholder charter line."""
    text = format_charter(Charter(Header("award"), contracts=(contract,)))
    lines = text.rstrip("\n").split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("contract "))
    return lines[first:]


def _head_notes(charter: Charter, tender: Tender, offer: Offer) -> list[str]:
    source = f" ({offer.source_name})" if offer.source_name else ""
    lines = [
        f"# Awarded under tender {tender.id} to {_safe(offer.bidder)}: offer {offer.id}"
        f"{source}.",
        "# Each target is one of the offer's commitments; add this block to "
        f"{charter.source_name or 'the charter'}.",
    ]
    lines += [f"# Written answer, scored {a.score}: {_safe(a.text)}" for a in offer.answers]
    return lines


def _safe(text: str) -> str:
    """Offer text on one comment line, control and invisible characters shown as U+FFFD."""
    return one_line(text)


def _annotated(body: Sequence[str], notes: Sequence[Sequence[str]],
               review_notes: Sequence[str]) -> list[str]:
    """The contract's lines with each target's notes just above it and the review notes above
    the first review, or at the end of the block when no review is copied in."""
    out: list[str] = []
    targets = iter(notes)
    reviews_noted = False
    for line in body:
        if line.startswith(f"{_INDENT}target "):
            out += [_INDENT + note for note in next(targets, [])]
        elif line.startswith(f"{_INDENT}review ") and not reviews_noted:
            out += [_INDENT + note for note in review_notes]
            reviews_noted = True
        out.append(line)
    if not reviews_noted:
        out += ["", *(_INDENT + note for note in review_notes)]
    return out


# ---------------------------------------------------------------------------- files


@attrs.frozen
class AwardResult:
    """Awarding from files: the contract text (``None`` when errors stop it) and every
    diagnostic of the charter and the offer."""

    text: str | None
    diagnostics: tuple[Diagnostic, ...] = ()


def award_files(charter_path: PathLike, offer_path: PathLike, *,
                search_path: Sequence[PathLike] = ()) -> AwardResult:
    """Check a charter and an offer, then award the offer's tender to it."""
    from charterdsl.loader import check_file
    from charterdsl.tenders import check_offer

    result = check_file(Path(charter_path), search_path=search_path)
    diagnostics = list(result.diagnostics)
    if not result.ok or result.charter is None:
        return AwardResult(None, tuple(diagnostics))
    loaded = read_offer(offer_path)
    diagnostics += loaded.diagnostics
    if loaded.offer is None or loaded.source is None:
        return AwardResult(None, tuple(diagnostics))
    diagnostics += check_offer(result.charter, loaded.offer, loaded.source)
    tender = next((t for t in result.charter.tenders if t.id == loaded.offer.tender), None)
    if any(d.is_error for d in diagnostics) or tender is None:
        return AwardResult(None, tuple(diagnostics))
    return AwardResult(award(result.charter, tender, loaded.offer), tuple(diagnostics))
