"""What an evaluation found: verdicts, review histories, consequences and social value.

A :class:`Report` is plain data. Every figure in it carries where it came from: the charter
line of the target, band or rule (``file:line``), the delivery rows used and excluded, the
window, and a derivation in plain English. Renderers (:mod:`charterdsl.renderers`) and the
JSON export (:mod:`charterdsl.serde`) only read it.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import attrs


class VerdictStatus(enum.Enum):
    MET = "met"
    APPROACHING = "approaching target"
    REQUIRES_IMPROVEMENT = "requires improvement"
    INADEQUATE = "inadequate"
    MISSED = "missed"
    NOT_YET_DUE = "not yet due"
    INSUFFICIENT_DATA = "insufficient data"
    EXCUSED = "excused"


@attrs.frozen
class RowRef:
    """One delivery row: the file it came from and its row number (the header is row 1)."""

    file: str
    row: int

    def __str__(self) -> str:
        return f"{self.file}:{self.row}"


@attrs.frozen
class Rejection:
    """A delivery row that was not used, and why."""

    file: str
    row: int
    code: str
    reason: str
    contract: str | None = None
    metric: str | None = None
    start: dt.date | None = None  # the period the row reported, when it could be read
    end: dt.date | None = None


@attrs.frozen
class Window:
    """The stretch of time a verdict judges, both ends included."""

    start: dt.date
    end: dt.date
    label: str


@attrs.frozen
class Verdict:
    contract: str
    metric: str
    target: str  # the target as the charter says it, e.g. "at least 25 FTE each financial year"
    target_at: str  # "charter.charter:41"
    window: Window
    status: VerdictStatus
    provisional: bool
    unit: str  # how delivered and due are measured, e.g. "FTE" or "%"
    delivered: Decimal | None = None
    due: Decimal | None = None
    due_upper: Decimal | None = None  # the upper bound of a "between" target
    percent_of_due: Decimal | None = None
    coverage_percent: Decimal = Decimal(0)
    band: str | None = None  # the band that gave the status, e.g. "below 90%"
    band_at: str | None = None  # the charter line of that band
    rows_used: tuple[RowRef, ...] = ()
    rows_excluded: tuple[RowRef, ...] = ()
    explanation: tuple[str, ...] = ()


@attrs.frozen
class TargetRating:
    """One target's rating at one review; ``rating`` is None where it could not be rated
    (no data, not yet due), which the Procurement Act reports as "Other"."""

    metric: str
    target_at: str
    rating: str | None
    window: str
    percent_of_due: Decimal | None = None


@attrs.frozen
class ConsequenceEvent:
    kind: str  # "note", "remedy plan" or "break allowed"
    contract: str
    metric: str
    review_date: dt.date
    rule_at: str
    because: str  # the history that met the rule's condition, in words
    due_by: dt.date | None = None  # when a remedy plan is due
    cure_ends: dt.date | None = None  # when the remedy period ends


@attrs.frozen
class ReviewOutcome:
    date: dt.date
    review_at: str
    ratings: tuple[TargetRating, ...] = ()
    consequences: tuple[ConsequenceEvent, ...] = ()
    held: bool = True  # False for a review after the as-of date: listed, not yet held


@attrs.frozen
class ValueLine:
    """The social value of one metric on one contract, with its derivation."""

    contract: str
    metric: str
    quantity: Decimal  # in the proxy's unit
    unit: str
    proxy: Decimal  # pounds per one of per_unit
    per_unit: str
    price_year: int
    gross: Decimal
    net: Decimal
    present_value: Decimal
    theme: str | None = None
    outcomes: tuple[str, ...] = ()
    original_proxy: Decimal | None = None  # as the charter gives it, when restated
    original_price_year: int | None = None
    proxy_at: str = ""
    rows_used: tuple[RowRef, ...] = ()
    explanation: tuple[str, ...] = ()


@attrs.frozen
class ValueTotal:
    """Social value added up within one price year; sums across price years are never made."""

    price_year: int
    gross: Decimal
    net: Decimal
    present_value: Decimal
    per_pound: Decimal | None = None  # net present value per £1 of contract value


@attrs.frozen
class GroupTotal:
    group: str  # a theme or outcome id, or "(none)"
    totals: tuple[ValueTotal, ...]


@attrs.frozen
class ContractReport:
    id: str
    title: str
    supplier: str | None
    value: Decimal | None
    start: dt.date | None
    end: dt.date | None
    verdicts: tuple[Verdict, ...] = ()
    reviews: tuple[ReviewOutcome, ...] = ()
    values: tuple[ValueLine, ...] = ()
    totals: tuple[ValueTotal, ...] = ()


@attrs.frozen
class Report:
    charter: str
    charter_file: str
    as_of: dt.date
    rows_read: int
    rows_used: int
    rows_rejected: int
    contracts: tuple[ContractReport, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    by_theme: tuple[GroupTotal, ...] = ()
    by_outcome: tuple[GroupTotal, ...] = ()
    totals: tuple[ValueTotal, ...] = ()
    notes: tuple[str, ...] = ()  # conventions applied, defaults used, price-year warnings

    @property
    def consequences(self) -> tuple[ConsequenceEvent, ...]:
        return tuple(
            event
            for contract in self.contracts
            for review in contract.reviews
            for event in review.consequences
        )

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        return tuple(v for contract in self.contracts for v in contract.verdicts)
