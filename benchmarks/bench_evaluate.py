"""Evaluator throughput and peak memory on generated delivery rows, against a group-by sum.

For ``--rows`` generated delivery rows (1,000,000 by default; see generate_delivery.py: 200
metrics, 50 four-year contracts, 16 quarters, mixed but compatible units, about 0.1% bad
rows) this times, in one run, with the CSV bytes already in memory on every side:

  full         columnar.read_csv_bytes + evaluator.evaluate (which validates the rows,
               judges every window and review, values the proxies and builds the Report):
               CSV bytes to a finished report, as `charter evaluate` reads a file of 4 MB or
               more when polars (the `fast` extra) is installed
  read         columnar.read_csv_bytes alone                } the same path cut into its
  validate     columnar.validate alone                      } three stages, each timed
  evaluate     evaluator._Evaluation(...).report() alone    } with time.perf_counter
  full, python engine, and python read / validate / evaluate: the same with the line-by-line
               reader (delivery.decode_text + read_csv_text, delivery.validate); left out with
               --no-python-engine
  polars       polars.read_csv + group_by(contract, metric) sum of quantity (the quantity
               column read as text, thousands commas removed, cast to float, bad cells null)
  polars+units the same, with each row's quantity multiplied by its unit's factor to the
               metric's unit (a join on a small factor table): closer to the work we do
  pandas       pandas.read_csv + groupby(contract, metric) sum, quantity cleaned the same way

Every side is timed with time.perf_counter (wall) and time.process_time (CPU time of the
process, every thread counted, so polars' parallel work counts in full). Repeats are
interleaved (each repeat runs every side once, the order rotating), and the best and median of
each are printed as rows per second, with the ratio of our time to polars' and pandas' (the
project's goal: within 3x of the group-by). On a shared machine the best wall time and the CPU
time are the steadier figures. The charter is parsed once, outside
every timing. polars uses every core (``nproc`` is printed); a single-thread polars run, in a
subprocess with POLARS_MAX_THREADS=1, is printed too.

Peak memory is measured in fresh subprocesses with ``resource.getrusage(RUSAGE_SELF).ru_maxrss``:
the interpreter's own maximum resident set before anything is imported, the maximum after
importing charterdsl and parsing the charter, and the maximum after ``evaluator.load_data`` and
``evaluate`` have built the report (the goal: under 1 GB above the interpreter). The same is
done for the polars baseline.

    python benchmarks/bench_evaluate.py                      # 1,000,000 rows, a few minutes
    python benchmarks/bench_evaluate.py --quick              # 20,000 rows, a smoke run
    python benchmarks/bench_evaluate.py --profile out.pstats # also profile the full path once

A benchmark that prints figures, not a timed test: it fails only when the report does not
account for the generated rows (rows read, used and rejected) or a baseline is missing.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"
if SRC.is_dir() and str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))  # a source checkout: measure the code beside this file
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import generate_delivery  # noqa: E402

import charterdsl  # noqa: E402
from charterdsl import columnar, delivery, evaluator, units  # noqa: E402

QUICK_ROWS = 20_000
GOAL_RATIO = 3.0
GOAL_MEMORY_MB = 1024
CSV_NAME = "delivery.csv"
CHARTER_NAME = "generated.charter"


# ---------------------------------------------------------------------------- the sides

# Each side reports (wall seconds, CPU seconds of this process, all threads) per name.
Timings = dict[str, tuple[float, float]]


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float], end: tuple[float, float]) -> tuple[float, float]:
    return end[0] - start[0], end[1] - start[1]



class Sides:
    """Every timed side over the same CSV bytes and charter."""

    def __init__(self, gen: generate_delivery.GeneratedDelivery, charter: Any) -> None:
        self.gen, self.charter, self.as_of = gen, charter, gen.as_of
        self.data = gen.csv.encode("utf-8")
        self.factors = _factor_table(charter, self.data)
        self.python_engine = True

    # -- ours

    def full(self) -> Timings:
        start = _clock()
        data = columnar.read_csv_bytes(self.data, CSV_NAME)
        report = evaluator.evaluate(self.charter, data, as_of=self.as_of)
        end = _clock()
        self._check(report)
        return {"full": _since(start, end)}

    def stages(self) -> Timings:
        return self._stages("", lambda: columnar.read_csv_bytes(self.data, CSV_NAME),
                            columnar.validate)

    def full_python(self) -> Timings:
        start = _clock()
        text = delivery.decode_text(self.data, CSV_NAME)
        report = evaluator.evaluate(self.charter, delivery.read_csv_text(text, CSV_NAME),
                                    as_of=self.as_of)
        end = _clock()
        self._check(report)
        return {"full, python engine": _since(start, end)}

    def stages_python(self) -> Timings:
        return self._stages(
            "python ",
            lambda: delivery.read_csv_text(delivery.decode_text(self.data, CSV_NAME), CSV_NAME),
            delivery.validate,
        )

    def _stages(self, prefix: str, read: Callable[[], Any],
                validate: Callable[[Any, Any, dt.date], Any]) -> Timings:
        """One engine's path cut into its three stages, each timed."""
        t0 = _clock()
        data = read()
        t1 = _clock()
        validated = validate(self.charter, data, self.as_of)
        t2 = _clock()
        report = evaluator._Evaluation(self.charter, validated, self.as_of, None).report()
        t3 = _clock()
        self._check(report)
        return {f"{prefix}read": _since(t0, t1), f"{prefix}validate": _since(t1, t2),
                f"{prefix}evaluate": _since(t2, t3), f"{prefix}stages total": _since(t0, t3)}

    def _check(self, report: Any) -> None:
        gen = self.gen
        found = (report.rows_read, report.rows_used, report.rows_rejected)
        wanted = (gen.rows, gen.expected_used, gen.expected_rejected)
        if found != wanted:
            raise SystemExit(f"the report accounts for (read, used, rejected) = {found}, the "
                             f"generator wrote {wanted}")

    # -- baselines

    def polars(self) -> Timings:
        import polars as pl

        start = _clock()
        frame = pl.read_csv(io.BytesIO(self.data), schema_overrides={"quantity": pl.String})
        sums = (
            frame.with_columns(_pl_quantity(pl))
            .group_by(["contract", "metric"])
            .agg(pl.col("quantity").sum())
        )
        seconds = _since(start, _clock())
        assert sums.height > 0
        return {"polars": seconds}

    def polars_units(self) -> Timings:
        import polars as pl

        start = _clock()
        frame = pl.read_csv(io.BytesIO(self.data), schema_overrides={"quantity": pl.String})
        sums = (
            frame.with_columns(_pl_quantity(pl))
            .join(self.factors, on=["metric", "unit"], how="inner")
            .group_by(["contract", "metric"])
            .agg((pl.col("quantity") * pl.col("factor")).sum())
        )
        seconds = _since(start, _clock())
        assert sums.height > 0
        return {"polars+units": seconds}

    def pandas(self) -> Timings:
        import pandas as pd

        start = _clock()
        frame = pd.read_csv(io.BytesIO(self.data), dtype={"quantity": str})
        quantity = pd.to_numeric(frame["quantity"].str.replace(",", "", regex=False),
                                 errors="coerce")
        sums = quantity.groupby([frame["contract"], frame["metric"]]).sum()
        seconds = _since(start, _clock())
        assert len(sums) > 0
        return {"pandas": seconds}

    def all(self) -> list[Callable[[], Timings]]:
        ours = [self.full, self.stages]
        if self.python_engine:
            ours += [self.full_python, self.stages_python]
        return [*ours, self.polars, self.polars_units, self.pandas]


def _pl_quantity(pl: Any) -> Any:
    return (pl.col("quantity").str.replace_all(",", "", literal=True)
            .cast(pl.Float64, strict=False))


def _factor_table(charter: Any, data: bytes) -> Any:
    """(metric, unit as written, factor to the metric's unit) for every pair in the file,
    worked out once per pair with charterdsl.units, as a polars frame. Built outside the
    timings, as our side's factor cache is built inside them (a few dozen pairs)."""
    import polars as pl

    pairs = (pl.read_csv(io.BytesIO(data), columns=["metric", "unit"])
             .unique().iter_rows())
    week = charter.header.conventions.working_week_hours or units.DEFAULT_WORKING_WEEK_HOURS
    rows = []
    for metric_id, written in pairs:
        metric = charter.metric_index.get(metric_id)
        unit = units.lookup(written or "") or units.lookup_folded(written or "")
        if metric is None or metric.unit is None or unit is None:
            continue
        factor = units.factor(unit, metric.unit, week)
        if factor is not None:
            rows.append((metric_id, written, float(factor)))
    return pl.DataFrame(rows, schema=["metric", "unit", "factor"], orient="row")


def time_sides(sides: Sides, repeats: int) -> dict[str, list[tuple[float, float]]]:
    """Every side ``repeats`` times, interleaved, the order rotating each repeat."""
    runs = sides.all()
    times: dict[str, list[tuple[float, float]]] = {}
    for repeat in range(repeats):
        order = runs[repeat % len(runs):] + runs[: repeat % len(runs)]
        for run in order:
            gc.collect()
            for name, seconds in run().items():
                times.setdefault(name, []).append(seconds)
            gc.collect()
        print(f"  repeat {repeat + 1} of {repeats}: "
              + ", ".join(f"{k} {v[-1][0]:.2f}s" for k, v in times.items()), flush=True)
    return times


# ---------------------------------------------------------------------------- subprocesses


_MEMORY_CHILD = r"""
import resource, sys, json
def maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
bare = maxrss_mb()
side, charter_path, csv_path, as_of = sys.argv[1:5]
import datetime as dt, time
if side.startswith("charterdsl"):
    import charterdsl
    from charterdsl import delivery, evaluator
    with open(charter_path, encoding="utf-8") as handle:
        charter = charterdsl.parse(handle.read(), "generated.charter")
    engine = "python" if side.endswith("python") else "polars"
    import polars  # imported before the baseline reading, as on the polars side
    ready = maxrss_mb()
    start = time.perf_counter()
    data = evaluator.load_data([csv_path], delivery.Columns(), engine=engine)
    report = evaluator.evaluate(charter, data, as_of=dt.date.fromisoformat(as_of))
    seconds = time.perf_counter() - start
    rows = report.rows_read
else:
    import polars as pl
    ready = maxrss_mb()
    start = time.perf_counter()
    frame = pl.read_csv(csv_path, schema_overrides={"quantity": pl.String})
    sums = (frame.with_columns(pl.col("quantity").str.replace_all(",", "", literal=True)
                               .cast(pl.Float64, strict=False))
            .group_by(["contract", "metric"]).agg(pl.col("quantity").sum()))
    seconds = time.perf_counter() - start
    rows = frame.height
peak = maxrss_mb()
hwm = None
try:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
except OSError:
    pass
print(json.dumps({"side": side, "bare_mb": bare, "ready_mb": ready, "peak_mb": peak,
                  "vmhwm_mb": hwm, "seconds": seconds, "rows": rows}))
"""


def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def measure_memory(folder: Path, as_of: dt.date, side: str, **env: str) -> dict[str, Any]:
    # Linux carries ru_maxrss across fork and exec: a child started straight from this big
    # process would start at this process's size. A shell in between, which forks the
    # measured interpreter and waits for it (the "; exit" keeps it from exec-ing it), gives
    # the interpreter a fresh ru_maxrss. VmHWM from /proc is printed as a cross-check.
    result = subprocess.run(
        ["/bin/sh", "-c", '"$@"; exit $?', "sh",
         sys.executable, "-c", _MEMORY_CHILD, side, str(folder / CHARTER_NAME),
         str(folder / CSV_NAME), as_of.isoformat()],
        capture_output=True, text=True, env=_child_env(**env), check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the {side} memory subprocess failed:\n{result.stderr}")
    found: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


# ---------------------------------------------------------------------------- profile


def profile(sides: Sides, path: Path, top: int = 25) -> str:
    """The full path once under cProfile; the stats are saved to ``path``."""
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    sides.full()
    profiler.disable()
    profiler.dump_stats(str(path))
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# ---------------------------------------------------------------------------- printing


def machine() -> str:
    return (f"{platform.python_implementation()} {platform.python_version()} on "
            f"{platform.system()} {platform.machine()}, nproc {os.cpu_count()}")


def best(values: list[tuple[float, float]], which: int = 0) -> float:
    return min(v[which] for v in values)


def table(times: dict[str, list[tuple[float, float]]], rows: int) -> list[str]:
    polars_wall, pandas_wall = best(times["polars"]), best(times["pandas"])
    polars_cpu, pandas_cpu = best(times["polars"], 1), best(times["pandas"], 1)
    lines = [
        "| side | best wall s | median wall s | best CPU s | rows/s (best wall) "
        "| x polars (wall) | x polars (CPU) | x pandas (wall) | x pandas (CPU) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, values in times.items():
        wall, cpu = best(values), best(values, 1)
        median = statistics.median(v[0] for v in values)
        lines.append(
            f"| {name} | {wall:.3f} | {median:.3f} | {cpu:.3f} | {rows / wall:,.0f} | "
            f"{wall / polars_wall:.1f} | {cpu / polars_cpu:.1f} | {wall / pandas_wall:.1f} | "
            f"{cpu / pandas_cpu:.1f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=generate_delivery.DEFAULT_ROWS)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_ROWS:,} rows, one repeat: a smoke run")
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved repeats of every side (3; 1 with --quick)")
    parser.add_argument("--seed", type=int, default=generate_delivery.DEFAULT_SEED)
    parser.add_argument("--profile", type=Path, default=None,
                        help="also run the full path once under cProfile, saving the stats here")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--no-python-engine", action="store_true",
                        help="skip the line-by-line engine (the slow sides)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    rows = QUICK_ROWS if args.quick else args.rows
    repeats = args.repeats or (1 if args.quick else 3)

    print(f"machine: {machine()}")
    start = time.perf_counter()
    gen = generate_delivery.generate(rows, args.seed)
    print(f"generated {rows:,} rows ({len(gen.csv.encode()):,} bytes) and a charter of "
          f"{len(gen.charter):,} characters in {time.perf_counter() - start:.1f}s; "
          f"{sum(gen.bad_rows.values())} bad rows, {gen.expected_rejected} to reject")
    start = time.perf_counter()
    charter = charterdsl.parse(gen.charter, CHARTER_NAME)
    parse_seconds = time.perf_counter() - start
    print(f"charter: {len(charter.metrics)} metrics, {len(charter.contracts)} contracts, "
          f"parsed in {parse_seconds:.2f}s (outside every timing)")
    sides = Sides(gen, charter)
    sides.python_engine = not args.no_python_engine

    print(f"timing {repeats} interleaved repeat(s) of every side...")
    times = time_sides(sides, repeats)
    results: dict[str, Any] = {
        "machine": machine(), "rows": rows, "repeats": repeats, "seed": args.seed,
        "bytes": len(sides.data), "times": times, "charter_parse_seconds": parse_seconds,
    }

    memory: dict[str, dict[str, Any]] = {}
    if not args.no_memory:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / CHARTER_NAME).write_text(gen.charter, encoding="utf-8")
            (folder / CSV_NAME).write_bytes(sides.data)
            print("measuring peak memory in subprocesses...")
            memory["charterdsl"] = measure_memory(folder, gen.as_of, "charterdsl")
            if sides.python_engine:
                memory["charterdsl, python"] = measure_memory(folder, gen.as_of,
                                                              "charterdsl-python")
            memory["polars"] = measure_memory(folder, gen.as_of, "polars")
            memory["polars, 1 thread"] = measure_memory(folder, gen.as_of, "polars",
                                                        POLARS_MAX_THREADS="1")
        results["memory"] = memory

    print()
    print(f"{rows:,} rows, best and median of {repeats} interleaved repeat(s); "
          "x = our seconds / the baseline's seconds")
    for line in table(times, rows):
        print(line)
    print()
    for baseline in ("polars", "pandas"):
        for which, clock in ((0, "wall"), (1, "CPU")):
            ratio = best(times["full"], which) / best(times[baseline], which)
            print(f"full path vs {baseline} group-by (best {clock} times): {ratio:.1f}x "
                  f"(goal: within {GOAL_RATIO:.0f}x) -> "
                  f"{'met' if ratio <= GOAL_RATIO else 'NOT met'}")
    if memory:
        print("\npeak memory (ru_maxrss, MB): bare interpreter / after imports (and charter) / "
              "peak; seconds in the subprocess")
        for side, m in memory.items():
            print(f"  {side:17} {m['bare_mb']:7.1f} / {m['ready_mb']:7.1f} / "
                  f"{m['peak_mb']:7.1f}   peak - bare {m['peak_mb'] - m['bare_mb']:7.1f}   "
                  f"peak - after imports {m['peak_mb'] - m['ready_mb']:7.1f}   "
                  f"{m['seconds']:.2f}s   (VmHWM {m['vmhwm_mb'] or 0:.1f})")
        ours = memory["charterdsl"]["peak_mb"] - memory["charterdsl"]["bare_mb"]
        print(f"charterdsl peak above the interpreter: {ours:.0f} MB (goal: under "
              f"{GOAL_MEMORY_MB} MB) -> {'met' if ours < GOAL_MEMORY_MB else 'NOT met'}")

    if args.profile is not None:
        print(f"\nprofiling the full path once (stats saved to {args.profile})...")
        print(profile(sides, args.profile))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
