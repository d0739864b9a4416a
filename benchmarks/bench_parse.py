"""Front-end throughput and cold start of charterdsl, against a TOML + cattrs baseline.

For generated charters of 100, 1,000 and 10,000 top-level declarations (see generate.py) this
times, in the same run and interleaved so that the machine's noise falls on all sides alike:

  full      charterdsl.parse(text): normalise, split, parse, build, check
  build     charterdsl.builder.build_charter(Source(text)): parse and build, no checks
  baseline  tomllib.loads + cattrs structuring of the same information written as TOML
  lark      (with --lark) build, with the line parser off: lark parses every declaration,
            as before the line parser; for comparison in the same run

It prints declarations per second (best of several repeats, each a single call timed with
time.perf_counter) and the ratio of our throughput to the baseline's: 1.00 or more means "at
least as fast as the baseline" (the project's goal at every size). It also says how many of the
declarations the line parser read (charterdsl.lineparser; lark reads the others).

It then runs ``python -m charterdsl.cli check`` on a small charter in fresh processes, next to
``python -c pass`` (the interpreter's own start), and prints the median wall time: the goal is
under 0.5 s.

    python benchmarks/bench_parse.py            # the full run (a couple of minutes)
    python benchmarks/bench_parse.py --quick    # a smoke run of a few seconds
    python benchmarks/bench_parse.py --lark     # also time the lark-only path (slower)

This is a benchmark that prints figures, not a timed test: it fails only when a generated
charter does not check clean or the two sides do not hold the same information.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
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

import generate  # noqa: E402

import charterdsl  # noqa: E402
from charterdsl import lineparser  # noqa: E402
from charterdsl.builder import Builder, build_charter  # noqa: E402
from charterdsl.parser import split_blocks  # noqa: E402
from charterdsl.source import Source  # noqa: E402

SIZES = (100, 1_000, 10_000)
GOAL_COLD_START = 0.5  # seconds


# ---------------------------------------------------------------------------- throughput


def _sides(gen: generate.Generated, lark: bool) -> dict[str, Callable[[], Any]]:
    name = f"generated-{gen.declarations}.charter"
    charter_text, toml_text = gen.charter, gen.toml

    def full() -> Any:
        return charterdsl.parse(charter_text, name)

    def build() -> Any:
        charter, diagnostics = build_charter(Source(charter_text, name))
        assert charter is not None
        assert not diagnostics
        return charter

    def baseline() -> Any:
        return generate.load_toml(toml_text)

    def lark_only() -> Any:
        lineparser.ENABLED = False
        try:
            return build()
        finally:
            lineparser.ENABLED = True

    sides = {"full": full, "build": build, "baseline": baseline}
    return {**sides, "lark": lark_only} if lark else sides


def line_parser_share(gen: generate.Generated) -> tuple[int, int]:
    """How many of the declarations the line parser reads, of how many."""
    source = Source(gen.charter)
    builder = Builder(source)
    blocks = split_blocks(source)
    read = 0
    for block in blocks:
        builder.offset = block.offset
        read += lineparser.read(builder, block) is not None
    return read, len(blocks)


def verify(gen: generate.Generated) -> None:
    """The generated charter checks clean and holds what the TOML holds; else the comparison
    would be meaningless."""
    result = charterdsl.check_text(gen.charter, f"generated-{gen.declarations}.charter")
    if result.diagnostics or result.charter is None:
        shown = "\n".join(d.render() for d in result.diagnostics[:5])
        raise SystemExit(
            f"the generated charter of {gen.declarations} does not check clean:\n{shown}"
        )
    differences = generate.same_information(result.charter, generate.load_toml(gen.toml))
    if differences:
        raise SystemExit("the charter and the TOML differ:\n  " + "\n  ".join(differences))


def time_sides(
    sides: dict[str, Callable[[], Any]], repeats: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each side ``repeats`` times, rotating the order every round so that no side always runs
    first (or last) and a burst of noise is shared out. Wall times (``perf_counter``) and
    this process's CPU times (``process_time``, less sensitive to other work on the machine)."""
    for run in sides.values():  # warm-up: builds the lark parser, cattrs' generated code, pint
        run()
    names = list(sides)
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            run = sides[name]
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return times, cpu


def throughput(sizes: list[int], repeats: int, seed: int, lark: bool) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        gen = generate.generate(n, seed)
        verify(gen)
        read, blocks = line_parser_share(gen)
        times, cpu = time_sides(_sides(gen, lark), repeats)
        best = {name: min(values) for name, values in times.items()}
        best_cpu = {name: min(values) for name, values in cpu.items()}
        rows.append(
            {
                "declarations": n,
                "charter_chars": len(gen.charter),
                "charter_lines": gen.charter.count("\n"),
                "toml_chars": len(gen.toml),
                "repeats": repeats,
                "best_seconds": best,
                "median_seconds": {k: statistics.median(v) for k, v in times.items()},
                "declarations_per_second": {k: n / v for k, v in best.items()},
                "ratio_full": best["baseline"] / best["full"],
                "ratio_build": best["baseline"] / best["build"],
                "best_cpu_seconds": best_cpu,
                "cpu_ratio_full": best_cpu["baseline"] / best_cpu["full"],
                "cpu_ratio_build": best_cpu["baseline"] / best_cpu["build"],
                "read_by_line_parser": read,
                "declarations_split": blocks,
            }
        )
        if lark:
            rows[-1]["ratio_lark"] = best["baseline"] / best["lark"]
            rows[-1]["cpu_ratio_lark"] = best_cpu["baseline"] / best_cpu["lark"]
        _print_row(rows[-1])
    return rows


def _print_header() -> None:
    print(
        f"{'decls':>7} {'chars':>10} | {'full decl/s':>12} {'build decl/s':>13} "
        f"{'TOML decl/s':>12} | {'full/TOML':>9} {'build/TOML':>10}"
    )
    print("-" * 86)


def _print_row(row: dict[str, Any]) -> None:
    rate = row["declarations_per_second"]
    print(
        f"{row['declarations']:>7,} {row['charter_chars']:>10,} | {rate['full']:>12,.0f} "
        f"{rate['build']:>13,.0f} {rate['baseline']:>12,.0f} | {row['ratio_full']:>9.2f} "
        f"{row['ratio_build']:>10.2f}   (CPU time: {row['cpu_ratio_full']:.2f}, "
        f"{row['cpu_ratio_build']:.2f})",
        flush=True,
    )
    lines = [f"line parser read {row['read_by_line_parser']:,} of "
             f"{row['declarations_split']:,} declarations"]
    if "ratio_lark" in row:
        lines.append(f"lark only: {rate['lark']:,.0f} decl/s, build/TOML {row['ratio_lark']:.2f} "
                     f"(CPU time: {row['cpu_ratio_lark']:.2f})")
    print(f"{'':>19}" + "; ".join(lines), flush=True)


# ---------------------------------------------------------------------------- cold start


def _env(pycache: Path | None) -> dict[str, str]:
    """The environment of the timed processes. With ``pycache``, bytecode is cached there (as
    for an installed package, whose .pyc files are written at install time) and nothing is
    written beside the sources; without it, nothing is cached and every run compiles
    charterdsl's modules afresh."""
    env = dict(os.environ)
    if SRC.is_dir():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.pop("PYTHONSTARTUP", None)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


CHECK = "charter check (small charter)"


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_start(runs: int, example: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        if example is None:
            example = Path(folder) / "small.charter"
            example.write_text(generate.SMALL_CHARTER, encoding="utf-8")
        cached, uncached = _env(Path(folder) / "pycache"), _env(None)
        check = [sys.executable, "-m", "charterdsl.cli", "check", str(example)]
        commands = {
            "python -c pass": ([sys.executable, "-c", "pass"], cached),
            "python -c 'import charterdsl'": ([sys.executable, "-c", "import charterdsl"], cached),
            CHECK: (check, cached),
            f"{CHECK}, no bytecode cache": (check, uncached),
        }
        # One run each first, so that bytecode caches exist and the OS has the files cached:
        # what is measured is a fresh process on a machine that has run charterdsl before.
        for name, (command, env) in commands.items():
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stderr}")
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, (command, env) in commands.items():
                before = _children_cpu()
                start = time.perf_counter()
                subprocess.run(command, env=env, capture_output=True, check=False)
                times[name].append(time.perf_counter() - start)
                cpu[name].append(_children_cpu() - before)
    result = {
        name: {
            "median": statistics.median(v),
            "min": min(v),
            "max": max(v),
            "median_cpu": statistics.median(cpu[name]),
            "runs": len(v),
        }
        for name, v in times.items()
    }
    print(
        f"\n{'cold start':<48} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7}"
        f"   ({runs} runs)"
    )
    print("-" * 84)
    for name, figures in result.items():
        print(
            f"{name:<48} {figures['median']:>9.3f} {figures['min']:>7.3f} "
            f"{figures['max']:>7.3f} {figures['median_cpu']:>7.3f}"
        )
    median = result[CHECK]["median"]
    verdict = "meets" if median < GOAL_COLD_START else "misses"
    print(f"charter check: median {median:.3f} s {verdict} the goal of under {GOAL_COLD_START} s")
    return result


# ---------------------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "load_average": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 100 declarations, 2 repeats, 2 cold starts",
    )
    parser.add_argument("--sizes", type=int, nargs="+", help="declarations per charter")
    parser.add_argument("--repeats", type=int, help="timed calls of each side (best is kept)")
    parser.add_argument("--cold-runs", type=int, help="fresh processes per command")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start runs")
    parser.add_argument(
        "--example",
        type=Path,
        help="the small charter for the cold start (default: a built-in one)",
    )
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--lark",
        action="store_true",
        help="also time the build with the line parser off (lark reads every declaration)",
    )
    args = parser.parse_args(argv)

    sizes = args.sizes or ([100] if args.quick else list(SIZES))
    repeats = args.repeats or (2 if args.quick else 7)
    cold_runs = args.cold_runs or (2 if args.quick else 15)

    info = machine()
    print(
        f"charterdsl {charterdsl.__version__}, Python {info['python']} "
        f"({info['implementation']}), {info['cpus']} CPUs, {info['platform']}, "
        f"load average {info['load_average'][0]:.2f}"
    )
    print(
        f"throughput: best of {repeats} interleaved calls per side; ratio = our "
        "declarations/s over the baseline's (>= 1.00 meets the goal)\n"
    )
    _print_header()
    rows = throughput(sizes, repeats, args.seed, args.lark)
    cold = None if args.no_cold else cold_start(cold_runs, args.example)
    info["load_average_after"] = os.getloadavg()
    print(f"\nload average at the end: {info['load_average_after'][0]:.2f}")
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "throughput": rows, "cold_start": cold}, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
