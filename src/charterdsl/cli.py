"""The ``charter`` command: a thin shell over the public API.

Exit codes: 0 when all is well, 1 when there are findings (errors in a charter, a file that
``fmt --check`` would change, rejected rows under ``--strict``, two charters that ``diff``
finds different), 2 for a usage error (a bad option, a file that does not exist, a charter
that ``diff`` cannot read).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from charterdsl import __version__
from charterdsl.errors import CharterError, Diagnostic, render_all
from charterdsl.report import Report

OK, FINDINGS, USAGE, INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """A problem with how the command was called, not with a charter."""


def colour_enabled(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def existing_file(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise UsageError(f"{text} is a folder, not a file")
    if not path.is_file():
        raise UsageError(f"{text}: no such file")
    return path


def catalogue_file(text: str) -> Path:
    """A catalogue file, or one that ships with charterdsl (``bundled:starter``)."""
    from charterdsl.catalogues import BUNDLED, bundled_names, bundled_path

    if text.startswith(BUNDLED):
        path = bundled_path(text[len(BUNDLED):])
        if path is None:
            known = ", ".join(BUNDLED + name for name in bundled_names())
            raise UsageError(f"{text}: no such bundled catalogue (there is {known})")
        return path
    return existing_file(text)


def write_output(text: str, output: str | None, *, spreadsheet: bool = False) -> None:
    """Write to a file, or to standard output for ``-`` or none. A CSV file for spreadsheets
    starts with a byte-order mark, without which Excel shows £ as two odd characters."""
    if not text.endswith("\n"):
        text += "\n"
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8-sig" if spreadsheet else "utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {output} ({error.strerror or 'unknown error'})") from None


def print_diagnostics(diagnostics: Sequence[Diagnostic], args: argparse.Namespace) -> None:
    if diagnostics:
        print(render_all(diagnostics, colour_enabled(args.color, sys.stderr)), file=sys.stderr)


# ---------------------------------------------------------------------------- commands


def cmd_check(args: argparse.Namespace) -> int:
    from charterdsl.loader import check_file

    status = OK
    for text in args.files:
        result = check_file(existing_file(text), search_path=args.search_path)
        diagnostics = list(result.diagnostics)
        if args.approved and result.charter is not None:
            from charterdsl.approval import bespoke_metrics

            diagnostics += bespoke_metrics(result.charter, catalogue_file(args.approved),
                                           args.require_approved, result.sources)
        print_diagnostics(diagnostics, args)
        if any(d.is_error for d in diagnostics):
            status = FINDINGS
        elif not args.quiet:
            warnings = sum(1 for d in diagnostics if not d.is_error)
            suffix = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
            print(f"{text}: ok{suffix}")
    return status


def cmd_fmt(args: argparse.Namespace) -> int:
    from charterdsl.catalogues import decode
    from charterdsl.formatter import format_text

    status = OK
    for text in args.files:
        path = existing_file(text)
        source = decode(path.read_bytes(), text)
        if isinstance(source, Diagnostic):  # not UTF-8: said as `charter check` says it
            print_diagnostics([source], args)
            status = FINDINGS
            continue
        original = source.text
        try:
            formatted = format_text(original, text)
        except CharterError as error:
            print_diagnostics(error.diagnostics, args)
            status = FINDINGS
            continue
        if args.check or args.stdout:
            if args.stdout:
                sys.stdout.write(formatted)
            if formatted != original:
                if args.check:
                    print(f"{text}: would be reformatted", file=sys.stderr)
                status = FINDINGS if args.check else status
        elif formatted != original:
            path.write_text(formatted, encoding="utf-8")
            print(f"{text}: reformatted")
    return status


def cmd_export(args: argparse.Namespace) -> int:
    from charterdsl.loader import check_file
    from charterdsl.serde import to_json

    result = check_file(existing_file(args.file), search_path=args.search_path)
    print_diagnostics(result.diagnostics, args)
    if not result.ok or result.charter is None:
        return FINDINGS
    write_output(to_json(result.charter), args.output)
    return OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from charterdsl.delivery import Columns, FileProblem
    from charterdsl.evaluator import check_engine, evaluate, load_data
    from charterdsl.loader import check_file

    as_of = parse_date(args.as_of) if args.as_of else dt.date.today()
    try:
        columns = Columns.parse(args.column)
    except ValueError as error:
        raise UsageError(str(error)) from None
    result = check_file(existing_file(args.charter), search_path=args.search_path)
    print_diagnostics(result.diagnostics, args)
    if not result.ok or result.charter is None:
        return FINDINGS
    for path in args.data:
        existing_file(path)
    try:
        check_engine(args.engine)
    except ValueError as error:  # the polars engine asked for and not installed
        raise UsageError(str(error)) from None
    try:
        data = load_data(args.data, columns, day_first=args.day_first, engine=args.engine)
    except FileProblem as problem:
        print(f"error[{problem.code}]: {problem}", file=sys.stderr)
        return FINDINGS
    progress = _progress if sys.stderr.isatty() else None
    report = evaluate(result.charter, data, as_of=as_of, strict=args.strict, progress=progress)
    if progress is not None:
        print("\r\x1b[K", end="", file=sys.stderr)
    write_output(render(report, args.format, colour_enabled(args.color, sys.stdout)
                        and args.output in (None, "-")), args.output,
                 spreadsheet=args.format == "csv")
    if args.rejections:
        from charterdsl.renderers import render_rejections_csv

        write_output(render_rejections_csv(report), args.rejections, spreadsheet=True)
    return OK


def _progress(message: str) -> None:
    print(f"\r\x1b[Kevaluating {message}", end="", file=sys.stderr, flush=True)


def render(report: Report, fmt: str, colour: bool) -> str:
    if fmt == "json":
        from charterdsl.serde import report_to_json

        return report_to_json(report)
    from charterdsl.renderers import RENDERERS, render_text

    if fmt == "text":
        return render_text(report, colour=colour)
    return RENDERERS[fmt](report)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        shape = re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text)
        what = "is not a date in the calendar" if shape else "is not a date like 2026-04-30"
        raise UsageError(f"--as-of {text!r} {what}") from None


def cmd_catalogue_check(args: argparse.Namespace) -> int:
    from charterdsl.loader import check_catalogue_file

    status = OK
    for text in args.files:
        result = check_catalogue_file(catalogue_file(text))
        print_diagnostics(result.diagnostics, args)
        if not result.ok:
            status = FINDINGS
        elif not args.quiet:
            count = len(result.catalogue.metrics) if result.catalogue else 0
            print(f"{text}: ok ({count} metrics)")
    return status


def cmd_catalogue_show(args: argparse.Namespace) -> int:
    from charterdsl.catalogue_table import catalogue_table
    from charterdsl.loader import check_catalogue_file

    result = check_catalogue_file(catalogue_file(args.file))
    print_diagnostics(result.diagnostics, args)
    if result.catalogue is None or not result.ok:
        return FINDINGS
    write_output(catalogue_table(result.catalogue, args.format), None)
    return OK


def cmd_render(args: argparse.Namespace) -> int:
    from charterdsl.consultation import ResponsesFileError, read_responses, summarise
    from charterdsl.loader import check_file
    from charterdsl.publish import render_public

    result = check_file(existing_file(args.charter), search_path=args.search_path)
    print_diagnostics(result.diagnostics, args)
    if not result.ok or result.charter is None:
        return FINDINGS
    summary = None
    if args.responses:
        try:
            responses = read_responses(existing_file(args.responses))
        except ResponsesFileError as error:
            print(f"error: {error}", file=sys.stderr)
            return FINDINGS
        summary = summarise(result.charter, responses)
        for row in summary.rejected:  # also listed in the document itself
            print(f"{summary.file}:{row.row}: not used: {row.reason}", file=sys.stderr)
    write_output(render_public(result.charter, fmt=args.format, responses=summary), args.output)
    return OK


def cmd_tender_score(args: argparse.Namespace) -> int:
    from charterdsl.tenders import render_ranking, score_files

    offers = [existing_file(path) for path in args.offers]
    try:
        result = score_files(existing_file(args.charter), offers, tender=args.tender,
                             search_path=args.search_path)
    except ValueError as error:  # offers for different tenders, or an unknown --tender
        raise UsageError(str(error)) from None
    print_diagnostics(result.diagnostics, args)
    if result.ranking is None:
        return FINDINGS
    colour = colour_enabled(args.color, sys.stdout) and args.output in (None, "-")
    write_output(render_ranking(result.ranking, args.format, colour=colour), args.output)
    return OK


def cmd_award(args: argparse.Namespace) -> int:
    from charterdsl.award import award_files

    result = award_files(existing_file(args.charter), existing_file(args.offer),
                         search_path=args.search_path)
    print_diagnostics(result.diagnostics, args)
    if result.text is None:
        return FINDINGS
    write_output(result.text, args.output)
    return OK


def cmd_diff(args: argparse.Namespace) -> int:
    from charterdsl.diffing import DIFF_RENDERERS, diff
    from charterdsl.loader import check_file

    charters = []
    for text in (args.old, args.new):
        result = check_file(existing_file(text), search_path=args.search_path)
        print_diagnostics(result.diagnostics, args)
        if not result.ok or result.charter is None:
            # 1 means "the charters differ" to scripts, so a charter that cannot be read
            # is a usage error instead.
            return USAGE
        charters.append(result.charter)
    found = diff(charters[0], charters[1])
    write_output(DIFF_RENDERERS[args.format](found), args.output)
    return FINDINGS if found.changed else OK


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    if args.report:
        from charterdsl.serde import report_schema

        schema = report_schema()
    else:
        from charterdsl.serde import json_schema

        schema = json_schema()
    write_output(json.dumps(schema, indent=2), args.output)
    return OK


# ---------------------------------------------------------------------------- the parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--color",
        "--colour",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour diagnostics (default: on a terminal only)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="charter",
        description="Write, check and follow up Community Value Charters.",
    )
    parser.add_argument("--version", action="version", version=f"charterdsl {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser("check", help="check charters and report every problem")
    check.add_argument("files", nargs="+", metavar="CHARTER")
    check.add_argument("--search-path", action="append", default=[], metavar="DIR",
                       help="another folder where 'use catalogue' paths may resolve")
    check.add_argument("--approved", metavar="CATALOGUE",
                       help="warn about metrics that are not on this approved list")
    check.add_argument("--require-approved", action="store_true",
                       help="with --approved: metrics not on the list are errors")
    check.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    check.set_defaults(run=cmd_check)

    fmt = commands.add_parser("fmt", help="rewrite charters in the canonical layout")
    fmt.add_argument("files", nargs="+", metavar="CHARTER")
    fmt.add_argument("--check", action="store_true",
                     help="change nothing; exit 1 if any file would be reformatted")
    fmt.add_argument("--stdout", action="store_true", help="print instead of rewriting")
    fmt.set_defaults(run=cmd_fmt)

    export = commands.add_parser("export", help="write a charter as a versioned JSON document")
    export.add_argument("file", metavar="CHARTER")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.add_argument("--search-path", action="append", default=[], metavar="DIR")
    export.set_defaults(run=cmd_export)

    evaluate = commands.add_parser(
        "evaluate", help="judge delivery data against a charter and report verdicts and value"
    )
    evaluate.add_argument("charter", metavar="CHARTER")
    evaluate.add_argument("data", nargs="+", metavar="DATA",
                          help="delivery returns: .csv, .json or .xlsx files")
    evaluate.add_argument("--as-of", metavar="DATE", help="evaluate as of this date "
                          "(default: today)")
    evaluate.add_argument("--format", choices=("text", "markdown", "html", "json", "csv"),
                          default="text")
    evaluate.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    evaluate.add_argument("--strict", action="store_true",
                          help="fail (exit 1) on the first rejected row")
    evaluate.add_argument("--column", action="append", default=[], metavar="FIELD=HEADER",
                          help="read FIELD from the column HEADER, e.g. metric=Measure")
    evaluate.add_argument("--rejections", metavar="FILE",
                          help="also write every rejected row, with its reason, as CSV")
    evaluate.add_argument("--day-first", action="store_true",
                          help="dates like 01/04/2025 put the day first")
    evaluate.add_argument("--search-path", action="append", default=[], metavar="DIR")
    evaluate.add_argument("--engine", choices=("auto", "python", "polars"), default="auto",
                          help="how CSV files are read: line by line (python), a column at a "
                          "time (polars, from the 'fast' extra), or polars for files over "
                          "4 MB when it is installed (auto, the default); the report is the "
                          "same")
    evaluate.set_defaults(run=cmd_evaluate)

    render = commands.add_parser("render", help="write a charter as a plain-English public "
                                 "document for residents")
    render.add_argument("charter", metavar="CHARTER")
    render.add_argument("--format", choices=("html", "markdown"), default="html")
    render.add_argument("--responses", metavar="CSV",
                        help="consultation responses to summarise in the document")
    render.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    render.add_argument("--search-path", action="append", default=[], metavar="DIR")
    render.set_defaults(run=cmd_render)

    diff_command = commands.add_parser("diff", help="compare two charters clause by clause, "
                                       "classing each change as stricter, looser or neutral")
    diff_command.add_argument("old", metavar="OLD")
    diff_command.add_argument("new", metavar="NEW")
    diff_command.add_argument("--format", choices=("text", "markdown", "html", "json"),
                              default="text")
    diff_command.add_argument("-o", "--output", metavar="FILE",
                              help="write here instead of stdout")
    diff_command.add_argument("--search-path", action="append", default=[], metavar="DIR")
    diff_command.set_defaults(run=cmd_diff)

    schema = commands.add_parser("schema", help="print the JSON Schema of exports")
    schema.add_argument("--report", action="store_true",
                        help="the schema of evaluation reports instead of charters")
    schema.add_argument("-o", "--output", metavar="FILE")
    schema.set_defaults(run=cmd_schema)

    tender = commands.add_parser("tender", help="score bidders' social value offers")
    tender_commands = tender.add_subparsers(dest="tender_command", metavar="COMMAND",
                                            required=True)
    score = tender_commands.add_parser("score", help="rank offers against a tender in the "
                                       "charter")
    score.add_argument("charter", metavar="CHARTER")
    score.add_argument("offers", nargs="+", metavar="OFFER")
    score.add_argument("--tender", metavar="ID", help="the tender, when the charter has several")
    score.add_argument("--format", choices=("text", "markdown", "html", "json", "csv"),
                       default="text")
    score.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    score.add_argument("--search-path", action="append", default=[], metavar="DIR")
    score.set_defaults(run=cmd_tender_score)

    award = commands.add_parser("award", help="turn the winning offer into a contract block")
    award.add_argument("charter", metavar="CHARTER")
    award.add_argument("offer", metavar="OFFER")
    award.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    award.add_argument("--search-path", action="append", default=[], metavar="DIR")
    award.set_defaults(run=cmd_award)

    catalogue = commands.add_parser("catalogue", help="show or check approved-metric catalogues")
    catalogue_commands = catalogue.add_subparsers(dest="catalogue_command", metavar="COMMAND",
                                                  required=True)
    show = catalogue_commands.add_parser("show", help="list a catalogue's metrics as a table")
    show.add_argument("file", metavar="CATALOGUE")
    show.add_argument("--format", choices=("text", "markdown", "csv"), default="text")
    show.set_defaults(run=cmd_catalogue_show)
    check_catalogue = catalogue_commands.add_parser("check", help="check catalogue files")
    check_catalogue.add_argument("files", nargs="+", metavar="CATALOGUE")
    check_catalogue.add_argument("-q", "--quiet", action="store_true")
    check_catalogue.set_defaults(run=cmd_catalogue_check)

    nested = [*catalogue_commands.choices.values(), *tender_commands.choices.values()]
    for sub in [*commands.choices.values(), *nested]:
        _common(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except UsageError as error:
        command = " ".join(filter(None, (args.command, getattr(args, "catalogue_command", None),
                                         getattr(args, "tender_command", None))))
        print(f"charter {command}: {error}", file=sys.stderr)
        return USAGE
    except CharterError as error:
        print_diagnostics(error.diagnostics, args)
        return FINDINGS
    except BrokenPipeError:
        return OK
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a fault of ours: one line, never a traceback
        print(f"charter {args.command}: internal error ({type(error).__name__}); please report "
              "it with the command and the files that caused it", file=sys.stderr)
        return INTERNAL


if __name__ == "__main__":
    sys.exit(main())
