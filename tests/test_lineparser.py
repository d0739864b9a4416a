"""The line parser reads exactly what lark reads, or leaves the declaration to lark.

Every input here is read twice: as charterdsl reads it (each declaration offered to the line
parser first) and by lark alone (``lineparser.ENABLED`` off). The two readings must build the
same model objects with the same spans (which model equality ignores, so they are compared
field by field here), give the same diagnostics in the same order, and name the same
declarations as unparsed; and checking the file must give the same charter and diagnostics.
The inputs: every file under examples/, the conformance corpus (valid and invalid), the golden
inputs, charters from the benchmark generator at several seeds, and generated or mutated
charters (hypothesis). Other tests make sure the line parser does read the usual forms (so it
cannot pass by declining everything), and that its terminals and keywords are the grammar's.
"""

from __future__ import annotations

import contextlib
import importlib.util
import random
import re
import string
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import charterdsl
from charterdsl import lineparser
from charterdsl.builder import Builder, Built, Clause, build_declarations
from charterdsl.loader import CheckResult, check_file
from charterdsl.parser import lark_parser, split_blocks
from charterdsl.source import Source, composed
from tests.conftest import EXAMPLES, ROOT, SKETCH

CONFORMANCE = ROOT / "tests" / "conformance"
GOLDEN = ROOT / "tests" / "golden"
BUNDLED = ROOT / "src" / "charterdsl" / "bundled"


def _files(folder: Path, *patterns: str) -> list[Path]:
    return sorted(path for pattern in patterns for path in folder.glob(pattern))


EXAMPLE_FILES = _files(EXAMPLES, "**/*.charter", "**/*.catalogue", "**/*.offer") + _files(
    BUNDLED, "*.catalogue"
)
VALID_FILES = _files(CONFORMANCE / "valid", "*.charter", "offers/*.offer")
INVALID_FILES = _files(CONFORMANCE / "invalid", "*.charter")
GOLDEN_FILES = _files(GOLDEN, "**/*.charter", "**/*.offer")
SEEDS = (1, 2, 3, 20250312)


def _load_generator() -> ModuleType:
    path = ROOT / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # cattrs resolves the module's annotations through it
    spec.loader.exec_module(module)
    return module


GENERATE = _load_generator()


def generated(declarations: int, seed: int) -> str:
    text: str = GENERATE.generate(declarations, seed).charter
    return text


# ---------------------------------------------------------------------------- comparing


@contextlib.contextmanager
def lark_only() -> Iterator[None]:
    """Every declaration read by lark, as before the line parser."""
    was = lineparser.ENABLED
    lineparser.ENABLED = False
    try:
        yield
    finally:
        lineparser.ENABLED = was


def plain(value: Any) -> Any:
    """A value with everything it holds made comparable, spans and source names included
    (model equality leaves them out)."""
    if isinstance(value, Clause):
        # A top-level target, excused period or review. The clause's own start and end are
        # left out: lark's end runs on over the newline and comments after the code, and they
        # are only read to place a duplicate, through Builder.clause_span, which trims them.
        return ("clause", value.name, plain(value.value))
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (type(value).__name__, *((f.name, plain(getattr(value, f.name))) for f in fields))
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def readings(text: str, name: str = "test.charter") -> tuple[Built, Built]:
    """The declarations of a text built both ways: (line parser first, lark only)."""
    source = Source(composed(text), name)
    with lark_only():
        by_lark = build_declarations(source)
    return build_declarations(source), by_lark


def assert_same_reading(text: str, name: str = "test.charter") -> None:
    (built, diagnostics, unparsed), (lark_built, lark_diagnostics, lark_unparsed) = readings(
        text, name
    )
    assert [block for block, _ in built] == [block for block, _ in lark_built]
    for (block, value), (_, lark_value) in zip(built, lark_built, strict=True):
        assert plain(value) == plain(lark_value), f"the declaration at line {block.line}"
    assert [plain(d) for d in diagnostics] == [plain(d) for d in lark_diagnostics]
    assert unparsed == lark_unparsed


def assert_same_check(path: Path) -> None:
    """Checking a file (its catalogues loaded, every check run) gives the same result."""
    first = check_file(path)
    with lark_only():
        second = check_file(path)
    assert _checked(first) == _checked(second)


def _checked(result: CheckResult) -> Any:
    return plain(result.charter), [(plain(d), d.render()) for d in result.diagnostics]


def declined(text: str) -> list[int]:
    """The lines of the declarations the line parser leaves to lark."""
    source = Source(composed(text))
    builder = Builder(source)
    lines = []
    for block in split_blocks(source):
        builder.offset = block.offset
        if lineparser.read(builder, block) is None:
            lines.append(block.line)
    return lines


def _text(path: Path) -> str:
    # As the loader reads files: a file that is not UTF-8 is an error before any parsing, so
    # the replacement characters only give both readers something odd to agree on.
    return path.read_bytes().decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------- files


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_read_the_same(path: Path) -> None:
    assert_same_reading(_text(path), path.name)
    assert_same_check(path)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_line_parser_reads_every_declaration_of_the_examples(path: Path) -> None:
    assert declined(_text(path)) == []


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: p.name)
def test_valid_conformance_cases_read_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same_reading(_text(path), path.name)
    monkeypatch.chdir(path.parent)  # catalogues are named relative to the case's folder
    assert_same_check(Path(path.name))


@pytest.mark.parametrize("path", INVALID_FILES, ids=lambda p: p.name)
def test_invalid_conformance_cases_read_the_same(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_same_reading(_text(path), path.name)
    monkeypatch.chdir(path.parent)
    assert_same_check(Path(path.name))


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: str(p.relative_to(GOLDEN)))
def test_golden_inputs_read_the_same(path: Path) -> None:
    assert_same_reading(_text(path), path.name)


def test_most_valid_conformance_cases_are_read_by_the_line_parser() -> None:
    # The cases it leaves to lark are those about tabs, keywords used as ids or units and
    # unusual spacing; the rest it reads in full.
    whole = [path for path in VALID_FILES if not declined(_text(path))]
    assert len(whole) >= 0.85 * len(VALID_FILES)


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_charters_read_the_same_and_wholly_by_the_line_parser(seed: int) -> None:
    text = generated(300, seed)
    assert_same_reading(text, "generated.charter")
    assert declined(text) == []


def test_the_benchmark_charter_is_read_wholly_by_the_line_parser() -> None:
    assert declined(generated(1_000, GENERATE.DEFAULT_SEED)) == []


# ---------------------------------------------------------------------------- the grammar


def test_terminals_are_the_grammars() -> None:
    # lark keeps the grammar's \n inside STRING's character class as a newline itself.
    terminals = {t.name: t.pattern.value.replace("\n", "\\n") for t in lark_parser().terminals}
    for name, pattern in lineparser.TERMINALS.items():
        assert terminals[name] == pattern, name


def test_keywords_are_the_grammars() -> None:
    keywords = {t.pattern.value for t in lark_parser().terminals if t.pattern.type == "str"}
    assert keywords == lineparser.KEYWORDS


# ---------------------------------------------------------------------------- what is declined


@pytest.mark.parametrize(
    "text",
    [
        # A tab in the indentation counts as four spaces.
        'charter "x"\n\tauthority "A"\n',
        # A keyword used as an id: lark's lexer may read it as the keyword.
        'theme target "t" weight 100%\n',
        # A keyword inside a unit: here "by" ends the unit, and the line is a mistake.
        'target m at least 5 tonnes by volume by 2026-03-31\n',
        # Words run together, which lark reads as two tokens.
        'target m at least 25FTE each quarter\n',
        # A declaration indented off the margin.
        '  charter "x"\n',
        # A clause under a clause that takes none.
        'contract c "C"\n  supplier "S"\n    value £1m\n',
        # A clause unknown where it stands.
        'metric m "M"\n  supplier "S"\n',
    ],
)
def test_unusual_forms_are_left_to_lark(text: str) -> None:
    assert declined(text) == [1]
    assert_same_reading(text)


def test_diagnostics_of_a_declined_declaration_are_taken_back() -> None:
    # The line parser reports the bad date of the first clause, then meets a line it does not
    # read: lark reads the declaration again, and the date is reported once.
    text = 'contract c "C"\n  runs from 2025-02-30 to 2026-01-01\n  value 12 million\n'
    assert declined(text) == [1]
    assert_same_reading(text)
    codes = [d.code for d in charterdsl.check_text('charter "x"\n' + text).errors]
    assert codes.count("CH401") == 1


def test_values_are_checked_the_same_way() -> None:
    text = (
        'charter "x"\n  financial year starts 30 February\n  working week is 5 weeks\n'
        '  price index 2024 at 0, 2024 at 1,00\n  currency EUR\n'
        'theme t "T" weight 120%\n'
        'metric m² "M"\n  counts FTEs, summed\n  proxy £1,2 per fte (0 prices)\n'
        '  deadweight 20%, deadweight 150%\n  benefits last 1.5 years\n'
        'contract c "C"\n  value £0\n  runs from 2025-13-01 to 2025-02-29\n'
        '  target m at least 5 per £0 of contract value each quarter\n'
        '  target m reduced by 120% from 5 tCO2e in 0 each quarter\n'
        '  target m between 1,0 FTE and 2 tonnes each month\n'
        '  review every 0 months from 2025-04-31\n'
        '    good when at least 1,00% \n'
        '    note when good at 3 of the last 2 reviews\n'
        '    remedy plan within 0.5 days when good at 0 consecutive reviews\n'
        '  supplier "S"\n  supplier "T"\n'
    )
    assert declined(text) == []
    assert_same_reading(text)


# ---------------------------------------------------------------------------- generated inputs

# Words and values a mutation may put in place of a token: odd numbers, impossible dates,
# unknown units, keywords, over-long ids and texts.
ODD_WORDS = [
    "0", "1.5", "1,2", "12,34", "1,000,000", "007", "2025-02-29", "2024-02-29", "2025-13-01",
    "0000-00-00", "150%", "0%", "1,00%", "£0", "£1,2m", "£0.5bn", "£12k", "FTEs", "fte",
    "tonnes", "kg CO2e", "each", "by", "in", "at", "target", "review", "a²", "Ⅻ", "x" * 81,
    '"' + "y" * 1001 + '"', '""', '"a \\" b"', "#", ",", "(", "\t", "  ", "-", "é",
]
GAPS = ["", " ", "  ", "\t", ",", " , ", "(", ")", "%", "-", "#"]
_GAP = re.compile(r" +|,|\(|\)|%")
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\["\\])*"|£?[0-9][0-9,.\-]*(?:bn|[kmM%])?|[^\W\d][\w-]*')

CORPUS = [SKETCH, generated(40, 7)] + [
    _text(path) for path in EXAMPLE_FILES if path.suffix == ".charter"
]


@st.composite
def mutated_tokens(draw: st.DrawFn) -> str:
    """A charter with some of its words replaced by odd ones, spacing changed, lines doubled
    or dropped, and indentation shifted: mostly charters the line parser reads, with problems
    for the Builder to report."""
    text: str = draw(st.sampled_from(CORPUS))
    rng = random.Random(draw(st.integers(0, 2**32)))
    tokens = list(_TOKEN.finditer(text))
    for match in sorted(rng.sample(tokens, min(len(tokens), rng.randint(0, 6))),
                        key=lambda m: -m.start()):
        text = text[: match.start()] + rng.choice(ODD_WORDS) + text[match.end() :]
    # Spaces taken out or added between words and around punctuation: words run together
    # must split into the same tokens, or be left to lark.
    gaps = list(_GAP.finditer(text))
    for match in sorted(rng.sample(gaps, min(len(gaps), rng.randint(0, 4))),
                        key=lambda m: -m.start()):
        text = text[: match.start()] + rng.choice(GAPS) + text[match.end() :]
    lines = text.split("\n")
    for _ in range(rng.randint(0, 3)):
        index = rng.randrange(len(lines))
        action = rng.randrange(3)
        if action == 0:
            lines.insert(index, lines[index])
        elif action == 1:
            del lines[index]
        else:
            lines[index] = " " * rng.randint(0, 6) + lines[index].lstrip(" ")
        if not lines:
            lines = [""]
    return "\n".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_tokens())
def test_mutated_charters_read_the_same(text: str) -> None:
    assert_same_reading(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CORPUS), st.data())
def test_charters_with_characters_cut_or_inserted_read_the_same(
    text: str, data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 20))
    insert = data.draw(st.text(alphabet=string.printable + "£%é²\u2028", max_size=6))
    assert_same_reading(text[:at] + insert + text[at + cut :])


WORDS = ["charter", "metric", "target", "at", "least", "£12m", "30%", "2025-04-01", "FTE",
         "\n", "  ", "\t", '"', "#", "review", "every", "6", "months", "from", "of", ",",
         "contract", "c", '"T"', "each", "quarter", "milestone", "by", "when", "good", "below"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS + list(string.printable)), max_size=80))
def test_charter_shaped_noise_reads_the_same(words: list[str]) -> None:
    assert_same_reading('charter "x"\n' + " ".join(words))


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_any_text_reads_the_same(text: str) -> None:
    assert_same_reading(text)
