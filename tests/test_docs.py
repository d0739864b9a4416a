"""The documentation stays true to the code.

- every unit spelling of ``units.UNITS`` is in docs/units.md;
- every command and option of ``charter`` is in docs/cli.md;
- every name of ``charterdsl.__all__`` is in docs/api.md, and every Python example there runs;
- every ``charter`` example in the docs parses, and examples marked ``<!-- expect: CHnnn -->``
  give that error;
- quoted command output is real: a ``text`` block that starts with ``$ charter ...``, or follows
  ``<!-- output of: charter ... -->``, must appear in that command's output, line for line and
  in order (``...`` skips lines, ``[exit N]`` is the exit code). Blocks after
  ``<!-- file: NAME -->`` are written to NAME first, beside a copy of ``examples/``.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import importlib.util
import io
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

import charterdsl
from charterdsl import units
from charterdsl.cli import build_parser, main
from tests.conftest import EXAMPLES, ROOT

DOCS = ROOT / "docs"
CHARTER_DOCS = ("catalogues.md", "evaluation.md", "units.md")
OUTPUT_DOCS = (
    "evaluation.md", "cli.md", "catalogues.md", "units.md", "publishing.md", "tenders.md"
)
WORKED_EXAMPLE = EXAMPLES / "brightwell.charter"

_FENCE = re.compile(r"^( *)```(\w*)\s*$")
_NOTE = re.compile(r"^\s*<!--\s*([a-z][a-z ]*):\s*(.*?)\s*-->\s*$")
_EXIT = re.compile(r"^\[exit (\d+)\]$")


class Block(NamedTuple):
    doc: str
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    note: tuple[str, str] | None  # ("output of", "charter ...") from the line before the fence

    @property
    def where(self) -> str:
        return f"docs/{self.doc}:{self.line}"


def read(doc: str) -> str:
    return (DOCS / doc).read_text(encoding="utf-8")


def blocks(doc: str) -> list[Block]:
    """The fenced code blocks of a page, dedented to their fence."""
    lines = read(doc).splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        indent, lang, start = fence.group(1), fence.group(2), index
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            line = lines[index]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            index += 1
        note = _NOTE.match(lines[start - 1]) if start else None
        found.append(
            Block(
                doc,
                start + 1,
                lang,
                "\n".join(body) + "\n",
                (note.group(1), note.group(2)) if note else None,
            )
        )
        index += 1
    return found


def _ids(found: list[Block]) -> list[str]:
    return [block.where for block in found]


# ---------------------------------------------------------------------------- (a) units


SPELLINGS = sorted({spelling for unit in units.UNITS for spelling in (unit.name, *unit.aliases)})


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_unit_spelling_is_documented(spelling: str) -> None:
    assert f"`{spelling}`" in read("units.md"), f"docs/units.md does not list `{spelling}`"


# ---------------------------------------------------------------------------- (b) the CLI


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ("charter",)
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _commands(sub, (*prefix, name))


COMMANDS = dict(_commands(build_parser()))


def test_the_cli_has_commands() -> None:
    assert ("charter", "evaluate") in COMMANDS
    assert ("charter", "catalogue", "show") in COMMANDS


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=" ".join)
def test_every_command_is_documented(command: tuple[str, ...]) -> None:
    text = read("cli.md")
    assert f"`{' '.join(command)}" in text, f"docs/cli.md does not mention {' '.join(command)}"


@pytest.mark.parametrize(
    ("command", "option"),
    sorted(
        (command, option)
        for command, parser in COMMANDS.items()
        for action in parser._actions
        for option in action.option_strings
    ),
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else value,
)
def test_every_option_is_documented(command: tuple[str, ...], option: str) -> None:
    assert f"`{option}" in read("cli.md"), f"docs/cli.md does not mention {option}"


# ---------------------------------------------------------------------------- (c) the API


@pytest.mark.parametrize("name", charterdsl.__all__)
def test_every_public_name_is_documented(name: str) -> None:
    pattern = r"`[^`\n]*\b" + re.escape(name) + r"\b[^`\n]*`"
    assert re.search(pattern, read("api.md")), f"docs/api.md does not mention `{name}`"


# ---------------------------------------------------------------------------- (d) Python


PYTHON_BLOCKS = [block for block in blocks("api.md") if block.lang == "python"]
PYTHON_BLOCKS += [block for block in blocks("units.md") if block.lang == "python"]


def test_there_are_python_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 10


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=_ids(PYTHON_BLOCKS))
def test_python_examples_run(
    block: Block,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for module in ("pandas", "polars"):
        if (
            re.search(rf"^import {module}\b", block.text, re.M)
            and importlib.util.find_spec(module) is None
        ):
            pytest.skip(f"{module} is not installed")
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(block.text, block.where, "exec"), {"__name__": "__doc_example__"})
    capsys.readouterr()


# ---------------------------------------------------------------------------- (e) charters


CHARTER_BLOCKS = [block for doc in CHARTER_DOCS for block in blocks(doc) if block.lang == "charter"]


def test_there_are_charter_examples() -> None:
    assert len(CHARTER_BLOCKS) >= 12


def _first_word(text: str) -> str:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.split()[0]
    return ""


@pytest.mark.parametrize("block", CHARTER_BLOCKS, ids=_ids(CHARTER_BLOCKS))
def test_charter_examples_parse(block: Block, tmp_path: Path) -> None:
    first = _first_word(block.text)
    if first == "catalogue":
        folder = tmp_path / "examples"
        shutil.copytree(EXAMPLES, folder)
        (folder / "doc.catalogue").write_text(block.text, encoding="utf-8")
        found = charterdsl.check_catalogue_file(folder / "doc.catalogue").diagnostics
    elif first == "charter":
        found = charterdsl.check_text(block.text, block.where, base_dir=EXAMPLES).diagnostics
    else:
        # A piece of the worked example, shown on its own: it must be the example's very text.
        assert block.text in WORKED_EXAMPLE.read_text(encoding="utf-8"), (
            f"{block.where} is not a piece of examples/brightwell.charter"
        )
        return
    errors = sorted({d.code for d in found if d.is_error})
    expected = block.note[1].split() if block.note and block.note[0] == "expect" else []
    rendered = "\n".join(d.render() for d in found)
    assert errors == sorted(expected), f"{block.where}:\n{rendered}"


# ---------------------------------------------------------------------------- (f) output


def _command(block: Block) -> str | None:
    if block.note and block.note[0] == "output of":
        return block.note[1]
    first = block.text.splitlines()[0] if block.text.strip() else ""
    return first[2:] if first.startswith("$ charter ") else None


OUTPUT_BLOCKS = [
    block
    for doc in OUTPUT_DOCS
    for block in blocks(doc)
    if block.lang == "text" and _command(block) is not None
]
FILE_BLOCKS = [
    block for doc in OUTPUT_DOCS for block in blocks(doc) if block.note and block.note[0] == "file"
]


def test_there_are_quoted_outputs() -> None:
    assert len(OUTPUT_BLOCKS) >= 15


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    shutil.copytree(EXAMPLES, folder / "examples")
    for block in FILE_BLOCKS:
        (folder / block.note[1]).write_text(block.text, encoding="utf-8")  # type: ignore[index]
    return folder


_RUNS: dict[str, tuple[int, list[str]]] = {}


def run(command: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    """The exit code and the lines ``charter`` prints, standard output and error together."""
    if command not in _RUNS:
        monkeypatch.chdir(folder)
        argv: list[str] = []
        for word in shlex.split(command)[1:]:
            argv += sorted(glob.glob(word)) if "*" in word else [word]
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                code = main(argv)
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 2
        _RUNS[command] = (code, [line.rstrip() for line in out.getvalue().splitlines()])
    return _RUNS[command]


@pytest.mark.parametrize("block", OUTPUT_BLOCKS, ids=_ids(OUTPUT_BLOCKS))
def test_quoted_output_is_real(
    block: Block, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = _command(block)
    assert command is not None
    code, printed = run(command, workspace, monkeypatch)
    lines = block.text.splitlines()
    if lines and lines[0].startswith("$ "):
        lines = lines[1:]
    position = 0
    for wanted in lines:
        wanted = wanted.rstrip()
        if not wanted or wanted == "...":
            continue
        exit_code = _EXIT.match(wanted)
        if exit_code:
            assert code == int(exit_code.group(1)), f"{block.where}: exit code {code}"
            continue
        try:
            position = printed.index(wanted, position) + 1
        except ValueError:
            pytest.fail(
                f"{block.where}: `{command}` does not print, at this point:\n"
                f"{wanted}\n\nIt printed:\n" + "\n".join(printed)
            )
