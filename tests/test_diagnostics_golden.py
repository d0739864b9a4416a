"""Golden tests for diagnostics: every invalid charter in tests/golden/invalid/ and the exact
text the checker prints for it.

Each case is ``NAME.charter`` with ``NAME.expected`` beside it. The charter is checked with the
working folder set to the repository root and a relative path, so file names in the output read
``tests/golden/invalid/NAME.charter`` on every machine (catalogue files are named relative to the
charter's folder, as the loader names them).

To accept new output after a deliberate change of wording, run::

    CHARTERDSL_REGENERATE=1 python -m pytest tests/test_diagnostics_golden.py

and read the diff of the ``.expected`` files before committing them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from charterdsl import limits
from charterdsl.errors import CODES, Diagnostic, render_all
from charterdsl.loader import check_file, check_text

ROOT = Path(__file__).resolve().parents[1]
CASES_FOLDER = Path("tests") / "golden" / "invalid"  # relative to ROOT, on purpose
CASES = sorted(path.stem for path in (ROOT / CASES_FOLDER).glob("*.charter"))
REGENERATE = os.environ.get("CHARTERDSL_REGENERATE") == "1"

# Cases that show a known defect rather than wanted behaviour. Their .expected files hold what
# the checker should print; the case fails (and is reported as xfail) until the defect is fixed.
# strict=True: once the defect is fixed the case passes, and pytest asks for the mark's removal.
KNOWN_DEFECTS: dict[str, str] = {}

# Codes in CODES that no golden case shows, and why. Every other code must appear in at least
# one .expected file, so a new code cannot be added without an example of its message.
NOT_IN_GOLDENS = {
    "CH506": "needs a file that exists but cannot be read; tested below with a folder",
    "CH601": "needs a 4 MiB file; tested below by lowering limits.MAX_FILE_BYTES",
    "CH602": "needs 50,000 declarations; tested below by lowering limits.MAX_DECLARATIONS",
    "CH207": "only with 'charter check --approved'; tested in tests/test_cli.py",
    "CH210": "offer files only ('charter tender score'); tested in tests/test_tenders.py",
    "CH211": "offer files only ('charter tender score'); tested in tests/test_tenders.py",
    "CH701": "JSON documents only (charterdsl.serde), not charter text",
    "CH702": "JSON documents only (charterdsl.serde), not charter text",
    "CH703": "JSON documents only (charterdsl.serde), not charter text",
    **{
        f"CH8{n:02}": "delivery data rows and files (charterdsl.delivery), not charter text"
        for n in range(1, 12)
    },
}

FORBIDDEN = ("Token(", "Tree(", "__ANON", "Traceback")
FORBIDDEN_WORDS = ("lark", "pint", "cattrs")  # compared case-insensitively
LOCATION = re.compile(
    r"^(?P<file>[^\s:][^:\n]*):(?P<line>\d+):(?P<col>\d+): "
    r"(?:error|warning)\[(?P<code>CH\d{3})\]: ",
    re.MULTILINE,
)
CARET_LINE = re.compile(r"^ {4}[ \t]*\^+$", re.MULTILINE)
CODE = re.compile(r"\[(CH\d{3})\]")


def render_case(name: str) -> str:
    """What the checker prints for a case, run the way the goldens were made."""
    result = check_file(CASES_FOLDER / f"{name}.charter")
    return render_all(result.diagnostics) + "\n"


def expected_path(name: str) -> Path:
    return ROOT / CASES_FOLDER / f"{name}.expected"


def case_params() -> list[object]:
    params: list[object] = []
    for name in CASES:
        marks = []
        if name in KNOWN_DEFECTS:
            marks.append(pytest.mark.xfail(reason=KNOWN_DEFECTS[name], strict=True))
        params.append(pytest.param(name, id=name, marks=marks))
    return params


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 45


@pytest.mark.parametrize("name", case_params())
def test_golden(name: str, in_root: Path) -> None:
    actual = render_case(name)
    path = expected_path(name)
    if REGENERATE and name not in KNOWN_DEFECTS:
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.exists(), f"no {path.name}: run with CHARTERDSL_REGENERATE=1 to create it"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", CASES)
def test_case_explains_itself(name: str) -> None:
    """The first line of every case says, as a comment, what it tests."""
    first = (ROOT / CASES_FOLDER / f"{name}.charter").read_bytes().split(b"\n", 1)[0]
    assert first.startswith(b"# ")
    assert len(first) > 10


@pytest.mark.parametrize("name", CASES)
def test_expected_is_well_formed(name: str) -> None:
    """Every diagnostic is positioned, coded and shown with a caret, and speaks the charter's
    language: no parser internals, library names or machine paths."""
    path = expected_path(name)
    if not path.exists():
        pytest.skip("no .expected yet")
    text = path.read_text(encoding="utf-8")
    locations = list(LOCATION.finditer(text))
    assert locations, "no file:line:col: error[CHnnn] line"
    assert CODE.search(text)
    assert CARET_LINE.search(text), "no caret line"
    headers = [line for line in text.splitlines() if not line.startswith(" ")]
    assert len(headers) == len(locations), "a diagnostic without file:line:col"
    for match in locations:
        assert match["code"] in CODES, f"{match['code']} is not in errors.CODES"
        assert not _looks_absolute(match["file"]), match["file"]
    assert_no_leaks(text)


def assert_no_leaks(text: str) -> None:
    for word in FORBIDDEN:
        assert word not in text, f"{word!r} in diagnostics"
    lowered = text.lower()
    for word in FORBIDDEN_WORDS:
        assert word not in lowered, f"{word!r} in diagnostics"
    for machine_path in {str(ROOT), str(Path.cwd().resolve()), str(Path.home())} - {"/", ""}:
        assert machine_path not in text, f"machine path {machine_path!r} in diagnostics"
    for line in text.splitlines():
        if line.startswith("  note: "):
            assert not _looks_absolute(line.rsplit(" at ", 1)[-1]), line


def _looks_absolute(name: str) -> bool:
    return name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", name) is not None


@pytest.mark.parametrize("name", CASES)
def test_messages_do_not_leak_internals(name: str, in_root: Path) -> None:
    """The same rules on the live diagnostics' own words (message, hint, notes), which the
    golden files mix with excerpts of the author's text."""
    try:
        diagnostics = check_file(CASES_FOLDER / f"{name}.charter").diagnostics
    except Exception:
        if name in KNOWN_DEFECTS:
            pytest.xfail(KNOWN_DEFECTS[name])
        raise
    assert diagnostics, "an invalid charter produced no diagnostic"
    for diagnostic in diagnostics:
        words = [diagnostic.message, diagnostic.hint or ""]
        words += [f"{label} at {where}" for label, where in diagnostic.related]
        assert_no_leaks("\n".join(words))
        assert diagnostic.span is not None, f"{diagnostic.code} has no position"


def test_every_code_has_an_example() -> None:
    """Every stable code is shown by a golden case, or is listed with a reason."""
    shown: set[str] = set()
    for name in CASES:
        path = expected_path(name)
        if path.exists():
            shown.update(CODE.findall(path.read_text(encoding="utf-8")))
    assert set(NOT_IN_GOLDENS) <= set(CODES)
    missing = set(CODES) - shown - set(NOT_IN_GOLDENS)
    assert not missing, f"codes with no golden case and no reason: {sorted(missing)}"
    stale = set(NOT_IN_GOLDENS) & shown
    assert not stale, f"codes listed as not in goldens that now are: {sorted(stale)}"


def test_not_utf8_case_really_is_not_utf8() -> None:
    """An editor that re-saves the CH106 case as UTF-8 would silently remove its point."""
    for name in ("syntax_not_utf8.charter", "catalogues/latin1.catalogue"):
        data = (ROOT / CASES_FOLDER / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")


def test_no_final_newline_case_really_has_none() -> None:
    data = (ROOT / CASES_FOLDER / "syntax_no_final_newline.charter").read_bytes()
    assert not data.endswith(b"\n")


# ---------------------------------------------------------------------------- codes without goldens


def _render(diagnostics: tuple[Diagnostic, ...]) -> str:
    text = render_all(diagnostics)
    assert_no_leaks(text)
    return text


def test_file_too_large(in_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 100)
    name = CASES_FOLDER / "weights_not_100.charter"
    size = (ROOT / name).stat().st_size
    diagnostics = check_file(name).diagnostics
    assert [d.code for d in diagnostics] == ["CH601"]
    assert f"is {size:,} bytes; the limit is 100" in _render(diagnostics)


def test_text_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 100)
    diagnostics = check_text('charter "Brightwell"\n' + "# padding\n" * 20, "big.charter")
    assert [d.code for d in diagnostics.diagnostics] == ["CH601"]
    assert "big.charter is 221 characters; the limit is 100" in _render(diagnostics.diagnostics)


def test_catalogue_too_large(in_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalogue over the limit is reported on the charter's 'use catalogue' line."""
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 300)
    diagnostics = check_file(CASES_FOLDER / "cat_version_mismatch.charter").diagnostics
    assert [d.code for d in diagnostics] == ["CH601"]
    rendered = _render(diagnostics)
    assert rendered.startswith("tests/golden/invalid/cat_version_mismatch.charter:4:15: ")
    assert "catalogues/approved.catalogue: the file is" in rendered


def test_too_many_declarations(in_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_DECLARATIONS", 3)
    diagnostics = check_file(CASES_FOLDER / "weights_not_100.charter").diagnostics
    assert [d.code for d in diagnostics] == ["CH602"]
    assert "this file has more than 3 declarations" in _render(diagnostics)


def test_unreadable_file(in_root: Path) -> None:
    diagnostics = check_file(CASES_FOLDER / "catalogues").diagnostics
    assert [d.code for d in diagnostics] == ["CH506"]
    assert _render(diagnostics).startswith(
        "tests/golden/invalid/catalogues: error[CH506]: the file cannot be read")


def test_missing_file(in_root: Path) -> None:
    diagnostics = check_file(CASES_FOLDER / "no_such_file.charter").diagnostics
    assert [d.code for d in diagnostics] == ["CH506"]
    assert _render(diagnostics).startswith(
        "tests/golden/invalid/no_such_file.charter: error[CH506]: the file cannot be read")


# ---------------------------------------------------------------------------- docs/errors.md

DOCS = ROOT / "docs" / "errors.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)\n```$", re.MULTILINE | re.DOTALL)
CASE_MENTION = re.compile(r"tests/golden/invalid/(\w+)\.charter")


def _golden_blocks(text: str) -> list[tuple[re.Match[str], str]]:
    """The ``text`` blocks of docs/errors.md that quote a golden case, each with the case it
    quotes: a block whose introducing paragraph ends with "says:", quoting the last case named
    before it."""
    found = []
    for match in FENCE.finditer(text):
        if match[1] != "text":
            continue
        before = text[: match.start()].rstrip()
        if not before.endswith("says:"):
            continue
        mentions = CASE_MENTION.findall(before)
        assert mentions, f"no case named before the block at offset {match.start()}"
        found.append((match, mentions[-1]))
    return found


def test_docs_name_every_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for code, title in CODES.items():
        assert f"### {code}: {title}\n" in text, f"docs/errors.md has no section for {code}"


def test_docs_quote_the_goldens() -> None:
    """Each message quoted in docs/errors.md is the current .expected text of its case. With
    CHARTERDSL_REGENERATE=1 the quotes are brought up to date from the .expected files."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = _golden_blocks(text)
    assert len(blocks) >= 30
    if REGENERATE:
        for match, name in reversed(blocks):
            quote = expected_path(name).read_text(encoding="utf-8").rstrip("\n")
            text = text[: match.start(2)] + quote + text[match.end(2) :]
        DOCS.write_text(text, encoding="utf-8", newline="\n")
        blocks = _golden_blocks(text)
    for match, name in blocks:
        quote = expected_path(name).read_text(encoding="utf-8").rstrip("\n")
        assert match[2] == quote, f"docs/errors.md quotes an old message of {name}"


def test_docs_examples_are_golden_files() -> None:
    """Each example charter in docs/errors.md is (part of) a file of tests/golden/invalid/."""
    files = []
    for path in (ROOT / CASES_FOLDER).rglob("*"):
        if path.suffix in (".charter", ".catalogue"):
            data = path.read_bytes()
            try:
                files.append(data.decode("utf-8"))
            except UnicodeDecodeError:
                files.append(data.decode("latin-1"))  # the CH106 cases, as an editor shows them
    examples = [m[2] for m in FENCE.finditer(DOCS.read_text(encoding="utf-8")) if m[1] == "charter"]
    assert len(examples) >= 30
    for example in examples:
        assert any(example in text for text in files), f"not a golden file:\n{example}"
