import datetime as dt
from collections.abc import Sequence

from charterdsl.model import (
    AnyAfter,
    Consecutive,
    Consequence,
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
from charterdsl.report import Verdict, VerdictStatus, Window
from charterdsl.reviews import review_dates, run_reviews

D = dt.date
CONTRACT = Contract("c", "C", start=D(2025, 4, 1), end=D(2027, 3, 31))
STATUS = {
    "G": VerdictStatus.MET,
    "A": VerdictStatus.APPROACHING,
    "R": VerdictStatus.REQUIRES_IMPROVEMENT,
    "I": VerdictStatus.INADEQUATE,
}


def verdict(code: str) -> Verdict | None:
    if code == "-":
        return None
    window = Window(D(2025, 4, 1), D(2025, 6, 30), "w")
    return Verdict("c", "m", "t", "c.charter:1", window, STATUS[code], False, "FTE")


def history(codes: str, *rules: Rule, dates: Sequence[dt.date] | None = None) -> list[str]:
    dates = dates or [D(2025, 7, 1) + dt.timedelta(days=91 * i) for i in range(len(codes))]
    ratings = dict(zip(dates, codes, strict=True))
    review = Review(OnDates(tuple(dates)), rules=rules)
    outcomes = run_reviews(review, "c.charter:9", CONTRACT,
                           lambda date: [("m", "c.charter:1", verdict(ratings[date]))],
                           D(2030, 1, 1), {})
    return [f"{o.date}:{e.kind}" for o in outcomes for e in o.consequences]


def rule(kind: ConsequenceKind, condition: object, days: int | None = None) -> Rule:
    return Rule(Consequence(kind, days), condition)  # type: ignore[arg-type]


def test_review_dates_every_six_months_within_the_term() -> None:
    review = Review(Every(6, D(2025, 10, 1)))
    assert review_dates(review, CONTRACT) == [D(2025, 10, 1), D(2026, 4, 1), D(2026, 10, 1)]


def test_consecutive_and_or_worse() -> None:
    note = rule(ConsequenceKind.NOTE, Consecutive(Rating.REQUIRES_IMPROVEMENT, True, 2))
    assert history("RIGR", note) == ["2025-09-30:note"]
    exact = rule(ConsequenceKind.NOTE, Consecutive(Rating.REQUIRES_IMPROVEMENT, False, 2))
    assert history("RIGR", exact) == []


def test_other_breaks_a_run() -> None:
    note = rule(ConsequenceKind.NOTE, Consecutive(Rating.INADEQUATE, False, 2))
    assert history("I-I", note) == []


def test_k_of_the_last_n() -> None:
    note = rule(ConsequenceKind.NOTE, KOfLast(Rating.APPROACHING, True, 2, 3))
    assert history("AGAG", note) == ["2025-12-30:note"]  # A, G, A: two of three
    assert history("AGGA", note) == []  # never two in any three


def test_any_after_a_date() -> None:
    breaking = rule(ConsequenceKind.BREAK_ALLOWED, AnyAfter(Rating.INADEQUATE, False,
                                                            D(2025, 10, 1)))
    assert history("IGII", breaking) == ["2025-12-30:break allowed"]  # once only


def test_remedy_plan_once_while_running_then_failure() -> None:
    remedy = rule(ConsequenceKind.REMEDY_PLAN, Consecutive(Rating.REQUIRES_IMPROVEMENT, True, 1),
                  days=30)
    failed = rule(ConsequenceKind.BREAK_ALLOWED, RemedyFailed())
    dates = [D(2025, 7, 1), D(2025, 7, 15), D(2025, 9, 1), D(2025, 10, 1)]
    assert history("RRRG", remedy, failed, dates=dates) == [
        "2025-07-01:remedy plan",  # cure period to 2025-07-31; not asked again on 07-15
        "2025-09-01:remedy plan",  # a new plan, since the first one's period has ended
        "2025-09-01:break allowed",  # still requires improvement after the cure period
    ]


def test_improvement_after_a_remedy_is_not_a_failure() -> None:
    remedy = rule(ConsequenceKind.REMEDY_PLAN, Consecutive(Rating.INADEQUATE, False, 1), days=30)
    failed = rule(ConsequenceKind.BREAK_ALLOWED, RemedyFailed())
    dates = [D(2025, 7, 1), D(2025, 9, 1)]
    assert history("IR", remedy, failed, dates=dates) == ["2025-07-01:remedy plan"]


def test_a_rating_after_an_unrated_review_is_an_improvement() -> None:
    # The plan is asked for at a review with no rating ("Other"); any rating later is better.
    remedy = rule(ConsequenceKind.REMEDY_PLAN, KOfLast(Rating.REQUIRES_IMPROVEMENT, True, 2, 3),
                  days=20)
    failed = rule(ConsequenceKind.NOTE, RemedyFailed())
    dates = [D(2025, 5, 1), D(2025, 6, 1), D(2025, 7, 1), D(2025, 8, 1)]
    # 1 July: no rating after the cure period is no improvement (a note), and a new plan is
    # asked for; 1 August: good is better than the "Other" of that plan, so no note.
    assert history("RR-G", remedy, failed, dates=dates) == [
        "2025-06-01:remedy plan", "2025-07-01:remedy plan", "2025-07-01:note"]
