"""The conformance corpus in tests/conformance/: charters with their expected export or errors.

``valid/NAME.charter`` must check without errors, and its export (``serde.to_json``) must equal
``valid/NAME.json`` as a JSON value. ``valid/offers/NAME.offer`` must build without errors, and
its model (``serde.make_converter().unstructure``) must equal ``valid/offers/NAME.json``.
``invalid/NAME.charter`` must give exactly the errors listed in ``invalid/NAME.expected.json``:
code, line and column of each, in order (warnings are not listed). tests/conformance/README.md
describes the layout for other implementations.

To write the expectations again after a deliberate change, run::

    CHARTERDSL_REGENERATE=1 python -m pytest tests/test_conformance.py

and read the diff before keeping it: every expectation is a claim about correct behaviour.
Cases in KNOWN_DEFECTS are never rewritten; they hold the behaviour the language reference asks
for, and are expected to fail until the defect is fixed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from charterdsl import serde
from charterdsl.errors import CODES
from charterdsl.loader import CheckResult, check_file
from charterdsl.model import Offer
from charterdsl.tenders import read_offer

CORPUS = Path(__file__).resolve().parent / "conformance"
VALID = CORPUS / "valid"
OFFERS = VALID / "offers"
INVALID = CORPUS / "invalid"
REGENERATE = os.environ.get("CHARTERDSL_REGENERATE") == "1"

VALID_CASES = sorted(path.stem for path in VALID.glob("*.charter"))
OFFER_CASES = sorted(path.stem for path in OFFERS.glob("*.offer"))
INVALID_CASES = sorted(path.stem for path in INVALID.glob("*.charter"))

# Cases whose expectation is what docs/language.md and docs/errors.md ask for, while charterdsl
# does something else. Each fails (strict xfail) until the defect is fixed; then pytest asks
# for the entry's removal. Keys are "valid/NAME" or "invalid/NAME".
KNOWN_DEFECTS: dict[str, str] = {
}


def _params(prefix: str, names: list[str]) -> list[Any]:
    params: list[Any] = []
    for name in names:
        reason = KNOWN_DEFECTS.get(f"{prefix}/{name}")
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def _check(folder: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> CheckResult:
    """Check a case from inside its folder, so every file is named relative to the folder."""
    monkeypatch.chdir(folder)
    return check_file(Path(f"{name}.charter"))


def error_list(result: CheckResult, charter: str) -> list[dict[str, Any]]:
    """The errors as the corpus lists them: those in the charter first, then those in other
    files by path; within a file by line, column and code."""
    own: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    for diagnostic in result.errors:
        span = diagnostic.span
        entry: dict[str, Any] = {
            "code": diagnostic.code,
            "line": span.line if span is not None else None,
            "column": span.column if span is not None else None,
        }
        name = diagnostic.source.name if diagnostic.source is not None else charter
        if name == charter:
            own.append(entry)
        else:
            entry["file"] = name
            other.append(entry)

    def key(entry: dict[str, Any]) -> tuple[str, int, int, str]:
        return (entry.get("file", ""), entry["line"] or 0, entry["column"] or 0, entry["code"])

    return sorted(own, key=key) + sorted(other, key=key)


def dump_errors(errors: list[dict[str, Any]]) -> str:
    """An expected-errors file: one error to a line, easy to read in a diff."""
    lines = [json.dumps(entry, ensure_ascii=False) for entry in errors]
    body = ",\n    ".join(lines)
    return '{\n  "errors": [\n    ' + body + "\n  ]\n}\n" if lines else '{\n  "errors": []\n}\n'


def _writable(key: str) -> bool:
    return REGENERATE and key not in KNOWN_DEFECTS


# ---------------------------------------------------------------------------- valid charters


@pytest.mark.parametrize("name", _params("valid", VALID_CASES))
def test_valid_charter(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _check(VALID, name, monkeypatch)
    errors = error_list(result, f"{name}.charter")
    expected_file = VALID / f"{name}.json"
    if _writable(f"valid/{name}") and not errors and result.charter is not None:
        expected_file.write_text(serde.to_json(result.charter), encoding="utf-8")
    assert errors == []
    assert result.charter is not None
    actual = json.loads(serde.to_json(result.charter))
    assert actual == json.loads(expected_file.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", _params("offers", OFFER_CASES))
def test_valid_offer(name: str) -> None:
    loaded = read_offer(OFFERS / f"{name}.offer")
    errors = [(d.code, str(d.span)) for d in loaded.diagnostics if d.is_error]
    expected_file = OFFERS / f"{name}.json"
    if _writable(f"offers/{name}") and not errors and loaded.offer is not None:
        data = serde.make_converter().unstructure(loaded.offer, Offer)
        expected_file.write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert errors == []
    assert loaded.offer is not None
    actual = json.loads(json.dumps(serde.make_converter().unstructure(loaded.offer, Offer)))
    assert actual == json.loads(expected_file.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- invalid charters


@pytest.mark.parametrize("name", _params("invalid", INVALID_CASES))
def test_invalid_charter(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _check(INVALID, name, monkeypatch)
    actual = error_list(result, f"{name}.charter")
    expected_file = INVALID / f"{name}.expected.json"
    if _writable(f"invalid/{name}") and actual:
        expected_file.write_text(dump_errors(actual), encoding="utf-8")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert actual == expected["errors"]


# ---------------------------------------------------------------------------- the corpus itself


def test_corpus_size() -> None:
    valid = len(VALID_CASES) + len(OFFER_CASES)
    assert len(VALID_CASES) >= 70
    assert len(INVALID_CASES) >= 80
    assert valid + len(INVALID_CASES) >= 150


def test_every_case_has_its_expectation_and_nothing_else() -> None:
    assert sorted(p.stem for p in VALID.glob("*.json")) == VALID_CASES
    assert sorted(p.stem for p in OFFERS.glob("*.json")) == OFFER_CASES
    expected = sorted(p.name.removesuffix(".expected.json") for p in INVALID.glob("*.json"))
    assert expected == INVALID_CASES


def test_expectations_are_well_formed() -> None:
    for path in sorted(INVALID.glob("*.expected.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert set(document) == {"errors"}, path.name
        assert document["errors"], f"{path.name} lists no error"
        for entry in document["errors"]:
            assert set(entry) <= {"code", "line", "column", "file"}, path.name
            assert entry["code"] in CODES, path.name
            assert isinstance(entry["line"], int) and entry["line"] >= 1, path.name
            assert isinstance(entry["column"], int) and entry["column"] >= 1, path.name
    for path in sorted(VALID.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["format"] == serde.FORMAT, path.name
        assert document["format_version"] == serde.FORMAT_VERSION, path.name


def test_known_defects_name_real_cases() -> None:
    cases = {f"valid/{n}" for n in VALID_CASES} | {f"invalid/{n}" for n in INVALID_CASES}
    cases |= {f"offers/{n}" for n in OFFER_CASES}
    assert set(KNOWN_DEFECTS) <= cases
