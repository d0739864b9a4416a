"""Review clauses over time: the review dates, each target's rating at each review, and the
consequences the rules call for.

At a review, a target is rated on its most recent window that ended on or before the review
date; a target over the contract or to a date is rated on its progress so far, pro rata, from
the rows whose periods had ended by the review. A target that cannot be rated (no window ended
yet, not enough data, excused) counts as "Other", as the Procurement Act calls it, and breaks
a run of consecutive ratings.

Rules are checked at every held review, target by target. A remedy plan is not asked for again
while one is running; once its cure period ends, the next review checks whether the rating
improved. A break, once allowed, stays allowed and is reported once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import attrs

from charterdsl.model import (
    AnyAfter,
    Condition,
    Consecutive,
    ConsequenceKind,
    Contract,
    Every,
    KOfLast,
    OnDates,
    Rating,
    RemedyFailed,
    Review,
    Rule,
)
from charterdsl.periods import every
from charterdsl.report import (
    ConsequenceEvent,
    ReviewOutcome,
    TargetRating,
    Verdict,
    VerdictStatus,
)

_STATUS_RATING = {
    VerdictStatus.MET: Rating.GOOD,
    VerdictStatus.APPROACHING: Rating.APPROACHING,
    VerdictStatus.REQUIRES_IMPROVEMENT: Rating.REQUIRES_IMPROVEMENT,
    VerdictStatus.INADEQUATE: Rating.INADEQUATE,
}

# Rates every target of a contract as of a date: (metric, target_at, verdict or None).
Rater = Callable[[dt.date], Sequence[tuple[str, str, Verdict | None]]]


def review_dates(review: Review, contract: Contract) -> list[dt.date]:
    schedule = review.schedule
    if isinstance(schedule, OnDates):
        return list(schedule.dates)
    assert isinstance(schedule, Every)
    last = min(d for d in (schedule.until, contract.end, dt.date.max) if d is not None)
    return list(every(schedule.months, schedule.start, last))


@attrs.define
class _History:
    """One target's ratings so far, and the state of its consequences."""

    ratings: list[Rating | None] = attrs.Factory(list)
    dates: list[dt.date] = attrs.Factory(list)
    remedy: tuple[dt.date, Rating | None, str] | None = None  # (cure ends, rating, rule_at)
    broken: bool = False


def run_reviews(review: Review, review_at: str, contract: Contract, rate: Rater,
                as_of: dt.date, rule_sites: dict[Rule, str]) -> list[ReviewOutcome]:
    histories: dict[tuple[str, str], _History] = {}
    outcomes: list[ReviewOutcome] = []
    for date in review_dates(review, contract):
        if date > as_of:
            outcomes.append(ReviewOutcome(date, review_at, held=False))
            continue
        ratings, events = [], []
        for metric, target_at, verdict in rate(date):
            history = histories.setdefault((metric, target_at), _History())
            rating = _STATUS_RATING.get(verdict.status) if verdict is not None else None
            history.ratings.append(rating)
            history.dates.append(date)
            ratings.append(TargetRating(
                metric, target_at, rating.value if rating else None, _window(verdict, rating),
                verdict.percent_of_due if verdict and rating else None,
            ))
            events += _consequences(review.rules, history, contract, metric, date, rule_sites)
        outcomes.append(ReviewOutcome(date, review_at, tuple(ratings), tuple(events)))
    return outcomes


def _window(verdict: Verdict | None, rating: Rating | None) -> str:
    """The window a rating judged, or why there is no rating ("Other")."""
    if verdict is None:
        return "no window has ended yet"
    if rating is None:
        return f"{verdict.window.label}: {verdict.status.value}"
    return verdict.window.label


def _consequences(rules: Sequence[Rule], history: _History, contract: Contract, metric: str,
                  date: dt.date, sites: dict[Rule, str]) -> list[ConsequenceEvent]:
    # Every condition is read against the history as it stood when the review began, so a
    # remedy plan asked for now cannot hide the failure of the one before it.
    holding = [(rule, because) for rule in rules
               if (because := _holds(rule.condition, history, date)) is not None]
    if history.remedy is not None and history.remedy[0] < date:
        history.remedy = None  # its cure period ended before this review, which judged it
    events = [_event(rule, history, contract, metric, date, sites.get(rule, ""), because)
              for rule, because in holding]
    return [event for event in events if event is not None]


def _event(rule: Rule, history: _History, contract: Contract, metric: str, date: dt.date,
           rule_at: str, because: str) -> ConsequenceEvent | None:
    kind = rule.consequence.kind
    base = ConsequenceEvent(kind.value, contract.id, metric, date, rule_at, because)
    if kind is ConsequenceKind.REMEDY_PLAN:
        if history.remedy is not None:
            return None  # a remedy plan is already running
        ends = date + dt.timedelta(days=rule.consequence.days or 0)
        history.remedy = (ends, history.ratings[-1], rule_at)
        return attrs.evolve(base, due_by=ends, cure_ends=ends)
    if kind is ConsequenceKind.BREAK_ALLOWED:
        if history.broken:
            return None
        history.broken = True
    return base


def _holds(condition: Condition, history: _History, date: dt.date) -> str | None:
    """Why the condition holds at this review, in words, or None."""
    if isinstance(condition, RemedyFailed):
        return _remedy_failed(history, date)
    assert isinstance(condition, Consecutive | KOfLast | AnyAfter)
    matches = [_matches(r, condition.rating, condition.or_worse) for r in history.ratings]
    wanted = condition.rating.value + (" or worse" if condition.or_worse else "")
    if isinstance(condition, Consecutive):
        recent = matches[-condition.count:]
        if len(recent) == condition.count and all(recent):
            dates = ", ".join(str(d) for d in history.dates[-condition.count:])
            return f"{wanted} at {condition.count} consecutive reviews ({dates})"
        return None
    if isinstance(condition, KOfLast):
        hits = sum(matches[-condition.n:])
        if len(matches) >= condition.k and hits >= condition.k:
            return f"{wanted} at {hits} of the last {min(condition.n, len(matches))} reviews"
        return None
    if date > condition.date and matches[-1]:
        return f"{wanted} at the review on {date}, after {condition.date}"
    return None


def _remedy_failed(history: _History, date: dt.date) -> str | None:
    if history.remedy is None:
        return None
    ends, before, _ = history.remedy
    if ends >= date:
        return None
    now = history.ratings[-1]
    # Any rating is better than none ("Other") when the plan was asked for.
    improved = now is not None and (before is None or now.severity < before.severity)
    if improved:
        return None
    was = before.value if before else "other"
    return (f"the remedy period ended on {ends} and the rating is still "
            f"{now.value if now else 'other'} (was {was})")


def _matches(rating: Rating | None, wanted: Rating, or_worse: bool) -> bool:
    if rating is None:
        return False
    return rating.severity >= wanted.severity if or_worse else rating is wanted
