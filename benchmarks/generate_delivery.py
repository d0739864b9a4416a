"""Deterministic delivery data for benchmarking the evaluator: a charter and a CSV of returns.

``generate(rows, seed)`` returns a :class:`GeneratedDelivery` holding

* ``charter``: charter text with 200 metrics and 50 contracts. The metrics come in 20
  families of 10 (``jobs_07``, ``local_spend_07``...): two averaged FTE levels, summed stocks
  in person-weeks, person-hours, hours, GBP and tCO2e, and a record-only total spend. The
  first five families carry proxies (FTE-years, person-weeks, person-hours in 2024 prices;
  tCO2e in 2021 prices), so 20 metrics are valued in pounds. Every contract runs four years,
  from 1 April 2022 to 31 March 2026 (16 financial quarters), has a value, five to seven
  targets over the metrics of one family in every scope (each month, each quarter, each
  financial year, by a date with milestones, over the contract, per £1m of contract value,
  a share of another metric, a baseline reduction, a "between" band) and a review clause
  with bands and rules; some have excused periods.
* ``csv``: exactly ``rows`` delivery rows (plus the header) in the format of
  ``examples/brightwell-returns-2025-26.csv``. Every contract reports every metric: each
  (contract, metric, quarter) is split into consecutive, non-overlapping returns of about two
  weeks, so a series never overlaps itself. With 1,000,000 rows that is 50 x 200 x 16 =
  160,000 metric-quarters, the first four quarters in 7 parts and the other twelve in 6
  (40,000 x 7 + 120,000 x 6 = 1,000,000). Fewer rows than 160,000 fill the quarters in
  order, one part each. Units are mixed but compatible with the metric's: GBP, GBP thousand,
  GBP million and "£k"; tCO2e and kgCO2e; person-weeks, person-days and person-hours; hours,
  "h" and "hrs"; FTE and "fte". A few GBP amounts are written with thousands commas in quotes.
* About one row in a thousand (``BAD_RATE``) is replaced by a bad one, of twelve kinds in
  turn: unknown contract, unknown metric, a quantity that is not a number, a negative one,
  an unknown unit, a unit of another dimension, an impossible date, a period that ends before
  it starts, a period outside the contract term, an exact duplicate of the previous return, a
  conflicting return for the same period (both rows are rejected), and a missing quantity.
  ``expected_rejected`` counts the rows the evaluator must reject. Rows that are not
  well-formed CSV (an unclosed quote, a wrong number of cells) are left out on purpose: the
  polars and pandas baselines cannot read past them (an unclosed quote runs on over the lines
  after it), and the benchmark needs both sides to read the same bytes.

The contracts, rates and quantities come from ``random.Random(seed)``, so the same arguments
give the same bytes.

    python benchmarks/generate_delivery.py --rows 1000000 --out /tmp/delivery
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs

DEFAULT_SEED = 20250312
DEFAULT_ROWS = 1_000_000
CONTRACTS = 50
FAMILIES = 20
METRICS = 200  # FAMILIES x len(ROLES)
QUARTERS = 16
TERM_START = dt.date(2022, 4, 1)
TERM_END = dt.date(2026, 3, 31)
AS_OF = dt.date(2026, 4, 30)
BAD_RATE = 0.001
PROXY_FAMILIES = 5
HEADER = "contract,metric,period_start,period_end,quantity,unit,evidence"


# What each role of a family counts, in the metric's unit, and the units rows may use with
# the factor that takes a row's amount to the metric's unit (row unit, factor, weight).
@attrs.frozen
class Role:
    name: str
    title: str
    unit: str  # as written in the charter
    averaged: bool
    daily: tuple[float, float]  # the level, or the rate a day, in the metric's unit
    row_units: tuple[tuple[str, float, int], ...]
    places: int  # decimals written in the metric's unit


ROLES: tuple[Role, ...] = (
    Role("jobs", "Local people employed", "FTE", True, (8, 40),
         (("FTE", 1, 9), ("fte", 1, 1)), 2),
    Role("posts", "Local posts held by care leavers", "FTE", True, (2, 12),
         (("FTE", 1, 1),), 2),
    Role("apprentice_weeks", "Weeks of apprenticeship", "person-weeks", False, (0.5, 2.5),
         (("person-weeks", 1, 7), ("person-hours", 1 / 37.5, 2), ("person-days", 1 / 5, 1)), 2),
    Role("training_weeks", "Weeks of accredited training", "person-weeks", False, (0.2, 1.5),
         (("person-weeks", 1, 3), ("person-days", 1 / 5, 1)), 2),
    Role("volunteer_hours", "Hours volunteered by staff", "person-hours", False, (2, 12),
         (("person-hours", 1, 3), ("person-days", 7.5, 1)), 1),
    Role("support_hours", "Hours of free advice given", "hours", False, (3, 30),
         (("hours", 1, 6), ("h", 1, 2), ("hrs", 1, 2)), 1),
    Role("local_spend", "Spend with local suppliers", "GBP", False, (1_500, 20_000),
         (("GBP", 1, 5), ("GBP thousand", 1_000, 2), ("£k", 1_000, 1), ("GBP million",
                                                                         1_000_000, 2)), 0),
    Role("contract_spend", "All spend on the contract", "GBP", False, (30_000, 70_000),
         (("GBP", 1, 5), ("GBP thousand", 1_000, 3), ("GBP million", 1_000_000, 2)), 0),
    Role("carbon_saved", "Carbon emissions avoided", "tCO2e", False, (0.05, 0.5),
         (("tCO2e", 1, 3), ("kgCO2e", 0.001, 2)), 3),
    Role("fleet_emissions", "Emissions of the vehicle fleet", "tCO2e", False, (0.5, 1.6),
         (("tCO2e", 1, 3), ("kgCO2e", 0.001, 1)), 3),
)
assert len(ROLES) * FAMILIES == METRICS

# Proxies for the first PROXY_FAMILIES families: (role, charter line).
PROXIES = {
    "jobs": "proxy £29,000 per FTE-year (2024 prices) source \"Illustrative figure only\"\n"
            "  deadweight 15%, attribution 10%",
    "apprentice_weeks": "proxy £250 per person-week (2024 prices) source \"Illustrative "
                        "figure only\"\n  deadweight 10%, drop-off 20%\n  benefits last 3 years",
    "volunteer_hours": "proxy £16.50 per person-hour (2024 prices) source \"Illustrative "
                       "figure only\"",
    "carbon_saved": "proxy £245 per tCO2e (2021 prices) source \"Illustrative figure only\"\n"
                    "  displacement 5%, drop-off 20%",
}

BAD_KINDS = (
    "unknown contract", "unknown metric", "not a number", "negative", "unknown unit",
    "wrong dimension", "impossible date", "ends before start", "outside term", "duplicate",
    "conflict", "missing quantity",
)


@attrs.frozen
class GeneratedDelivery:
    rows: int
    seed: int
    charter: str
    csv: str
    as_of: dt.date
    bad_rows: dict[str, int]  # bad rows written, by kind
    expected_rejected: int  # rows the evaluator must reject (a conflict rejects two)

    @property
    def expected_used(self) -> int:
        return self.rows - self.expected_rejected


def quarters() -> list[tuple[dt.date, dt.date]]:
    """The 16 financial quarters of the term."""
    found = []
    for number in range(QUARTERS):
        year, index = divmod(number, 4)
        month = 4 + 3 * index
        first = dt.date(TERM_START.year + year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        nxt = month + 3
        after = dt.date(TERM_START.year + year + (nxt - 1) // 12, (nxt - 1) % 12 + 1, 1)
        found.append((first, after - dt.timedelta(days=1)))
    assert found[0][0] == TERM_START and found[-1][1] == TERM_END
    return found


def parts(first: dt.date, last: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """``[first, last]`` cut into ``count`` consecutive, non-overlapping periods."""
    days = (last - first).days + 1
    if count > days:
        raise ValueError(f"cannot split {days} days into {count} returns")
    cuts = [first + dt.timedelta(days=j * days // count) for j in range(count + 1)]
    return [(cuts[j], cuts[j + 1] - dt.timedelta(days=1)) for j in range(count)]


def metric_ids() -> list[tuple[str, Role, int]]:
    return [(f"{role.name}_{f:02d}", role, f) for f in range(FAMILIES) for role in ROLES]


def contract_ids() -> list[str]:
    return [f"CV-2022-{i:03d}" for i in range(CONTRACTS)]


# ---------------------------------------------------------------------------- the charter


def _charter(rng: random.Random) -> tuple[str, dict[str, int]]:
    lines = [
        "# Generated by benchmarks/generate_delivery.py: 200 metrics, 50 four-year contracts.",
        "",
        'charter "Generated Community Value Charter"',
        '  authority "Brightwell Borough Council"',
        "  version 1.0",
        "  status adopted on 2022-03-01",
        "  consultation from 2021-11-01 to 2022-01-31",
        "    with residents, \"local SMEs\"",
        "    responses 212",
        "  financial year starts 1 April",
        "  working week is 37.5 hours",
        "  discount rate 3.5%",
        "  needs data for at least 90% of each period",
        "",
        'theme jobs "Good local jobs and skills" weight 60%',
        'theme green "A greener borough" weight 40%',
        "",
    ]
    for ident, role, family in metric_ids():
        kind = "averaged over time" if role.averaged else "summed"
        lines.append(f'metric {ident} "{role.title} (family {family})"')
        lines.append(f"  counts {role.unit}, {kind}")
        if role.name == "contract_spend":
            lines.append("  record only")
        if family < PROXY_FAMILIES and role.name in PROXIES:
            lines.append("  " + PROXIES[role.name])
        theme = "green" if role.name in ("carbon_saved", "fleet_emissions") else "jobs"
        lines += [f"  theme {theme}", ""]
    lines += [
        "outcome more_local_work \"More residents in good, secure work\"",
        "  theme jobs",
        "  measured by " + ", ".join(f"jobs_{f:02d}" for f in range(PROXY_FAMILIES)),
        "",
        "outcome cleaner_air \"Cleaner air\"",
        "  theme green",
        "  measured by " + ", ".join(f"carbon_saved_{f:02d}" for f in range(PROXY_FAMILIES)),
        "",
    ]
    levels: dict[str, int] = {}
    for i, contract in enumerate(contract_ids()):
        lines += _contract(rng, i, contract, levels)
    return "\n".join(lines) + "\n", levels


def _contract(rng: random.Random, i: int, ident: str, levels: dict[str, int]) -> list[str]:
    f = i % FAMILIES
    value = rng.choice([2, 5, 8, 12, 20])
    jobs = rng.choice([10, 15, 20, 25, 30])
    posts = rng.choice([3, 5, 8])
    levels[f"{ident}:jobs_{f:02d}"] = jobs
    levels[f"{ident}:posts_{f:02d}"] = posts
    c = [
        f'contract {ident} "Generated services contract {i}"',
        f'  supplier "Supplier {i % 17} Ltd"',
        f"  value £{value}m",
        f"  runs from {TERM_START} to {TERM_END}",
        f"  target jobs_{f:02d} at least {jobs} FTE each quarter",
        f"  target apprentice_weeks_{f:02d} at least {rng.choice([30, 52, 80])} person-weeks "
        "per £1m of contract value over the contract",
        f"    milestone {rng.choice([60, 100, 150])} person-weeks by 2023-03-31",
        f"  target local_spend_{f:02d} at least {rng.choice([10, 15, 20])}% of "
        f"contract_spend_{f:02d} each quarter",
        f"  target carbon_saved_{f:02d} at least {rng.choice([120, 250, 400])} tCO2e by "
        "2025-03-31",
        f"    milestone {rng.choice([40, 80])} tCO2e by 2023-03-31",
        f"  target fleet_emissions_{f:02d} reduced by {rng.choice([10, 20])}% from "
        f"{rng.choice([400, 500, 600])} tCO2e in 2021 each financial year",
    ]
    if i % 2 == 0:
        c.append(f"  target posts_{f:02d} between {max(1, posts - 2)} FTE and {posts + 3} FTE "
                 "each month")
    if i % 3 == 0:
        c.append(f"  target volunteer_hours_{f:02d} at least {rng.choice([1000, 2000])} "
                 "person-hours each financial year")
        c.append("    needs data for at least 75% of each period")
    if i % 4 == 1:
        c.append('  excused from 2023-12-20 to 2024-01-04 because "depot closed"')
    months = 3 if i % 2 == 0 else 6
    c += [
        f"  review every {months} months from 2022-07-01",
        "    good when delivery is at least 100% of what is due",
        "    approaching target when at least 90%",
        "    requires improvement when below 90%",
        "    inadequate when below 60%",
        "    remedy plan within 30 days when requires improvement or worse at 2 consecutive "
        "reviews",
        "    break allowed when inadequate at 3 consecutive reviews",
        "",
    ]
    return c


# ---------------------------------------------------------------------------- the rows


def _plan(rows: int) -> list[int]:
    """Returns per (quarter, contract, metric) slot, quarter-major."""
    slots = QUARTERS * CONTRACTS * METRICS
    base, extra = divmod(rows, slots)
    return [base + (1 if k < extra else 0) for k in range(slots)]


def _fmt(value: float, places: int) -> str:
    return f"{value:.{places}f}" if places else str(round(value))


def _rows(rng: random.Random, rows: int, levels: dict[str, int]
          ) -> Iterator[tuple[str, str, dt.date, dt.date, str, str, str]]:
    """Good rows in file order: quarter, contract, metric, part."""
    metrics = metric_ids()
    contracts = contract_ids()
    rates: dict[tuple[str, str], float] = {}
    for contract in contracts:
        for ident, role, _ in metrics:
            level = levels.get(f"{contract}:{ident}")
            low, high = role.daily
            rates[contract, ident] = (level * rng.uniform(0.8, 1.2) if level is not None
                                      else rng.uniform(low, high))
    plan = _plan(rows)
    slot = 0
    for q, (first, last) in enumerate(quarters()):
        label = f"{first.year if first.month >= 4 else first.year - 1}Q{q % 4 + 1}"
        for contract in contracts:
            evidence = f"return-{contract[-3:]}-{label}"
            for ident, role, _ in metrics:
                count = plan[slot]
                slot += 1
                if not count:
                    continue
                rate = rates[contract, ident]
                weights = [w for _, _, w in role.row_units]
                for start, end in parts(first, last, count):
                    days = (end - start).days + 1
                    amount = rate * rng.uniform(0.85, 1.15) * (1 if role.averaged else days)
                    unit, factor, _ = rng.choices(role.row_units, weights)[0]
                    written = amount / factor
                    places = role.places if factor == 1 else (
                        6 if factor >= 1_000_000 else 3 if factor >= 1_000 else
                        1 if factor < 0.01 else 3)
                    text = _fmt(written, places)
                    if unit == "GBP" and rng.random() < 0.03 and written >= 1000:
                        text = f'"{round(written):,}"'  # thousands commas, quoted
                    yield contract, ident, start, end, text, unit, evidence


def _bad(kind: str, row: tuple[str, str, dt.date, dt.date, str, str, str],
         previous: tuple[str, str, dt.date, dt.date, str, str, str] | None) -> str:
    contract, metric, start, end, quantity, unit, evidence = row
    fields = [contract, metric, str(start), str(end), quantity, unit, evidence]
    if kind == "unknown contract":
        fields[0] = "CV-2022-999"
    elif kind == "unknown metric":
        fields[1] = metric.replace("_", "", 1)
    elif kind == "not a number":
        fields[4] = "about 40"
    elif kind == "negative":
        fields[4] = "-" + quantity.strip('"').replace(",", "")
    elif kind == "unknown unit":
        fields[5] = unit + "s" if not unit.endswith("s") else unit[:-1] + "z"
    elif kind == "wrong dimension":
        fields[5] = "kgCO2e" if "CO2e" not in unit else "GBP"
    elif kind == "impossible date":
        fields[3] = f"{end.year}-02-30"
    elif kind == "ends before start":
        fields[2], fields[3] = str(end), str(start)
    elif kind == "outside term":
        fields[3] = str(TERM_END + dt.timedelta(days=15))
    elif kind in ("duplicate", "conflict"):
        assert previous is not None
        fields = [previous[0], previous[1], str(previous[2]), str(previous[3]), previous[4],
                  previous[5], previous[6]]
        if kind == "conflict":
            fields[4] = "1" + fields[4].strip('"').replace(",", "")
    elif kind == "missing quantity":
        fields[4] = ""
    return ",".join(fields)


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> GeneratedDelivery:
    """The charter and ``rows`` delivery rows, the same for the same arguments."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    rng = random.Random(f"{seed}:charter")
    charter, levels = _charter(rng)
    row_rng = random.Random(f"{seed}:{rows}:rows")
    bad_rng = random.Random(f"{seed}:{rows}:bad")
    out = [HEADER]
    bad: dict[str, int] = dict.fromkeys(BAD_KINDS, 0)
    rejected = 0
    turn = 0
    previous = None
    previous_bad = False
    for row in _rows(row_rng, rows, levels):
        same_series = previous is not None and previous[:2] == row[:2]
        if bad_rng.random() < BAD_RATE:
            kind = BAD_KINDS[turn % len(BAD_KINDS)]
            turn += 1
            while kind in ("duplicate", "conflict") and (not same_series or previous_bad):
                # a repeat needs a good earlier return of the same series: take the next kind
                kind = BAD_KINDS[turn % len(BAD_KINDS)]
                turn += 1
            out.append(_bad(kind, row, previous))
            bad[kind] += 1
            rejected += 2 if kind == "conflict" else 1
            previous_bad = True
        else:
            contract, metric, start, end, quantity, unit, evidence = row
            out.append(f"{contract},{metric},{start},{end},{quantity},{unit},{evidence}")
            previous_bad = False
        previous = row
    assert len(out) == rows + 1
    return GeneratedDelivery(rows, seed, charter, "\n".join(out) + "\n", AS_OF,
                             {k: v for k, v in bad.items() if v}, rejected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True, help="a folder to write into")
    args = parser.parse_args(argv)
    gen = generate(args.rows, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    charter_path = args.out / "generated.charter"
    csv_path = args.out / f"delivery-{args.rows}.csv"
    charter_path.write_text(gen.charter, encoding="utf-8")
    csv_path.write_text(gen.csv, encoding="utf-8")
    print(f"{charter_path}: {len(gen.charter):,} characters")
    print(f"{csv_path}: {gen.rows:,} rows, {len(gen.csv.encode()):,} bytes")
    print(f"as of {gen.as_of}; bad rows {sum(gen.bad_rows.values())} "
          f"({', '.join(f'{k}: {v}' for k, v in gen.bad_rows.items())}); "
          f"expected rejected {gen.expected_rejected:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
