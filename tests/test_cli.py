"""The charter command, run in-process: exit codes, outputs and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from charterdsl.cli import main
from tests.conftest import EXAMPLES

CHARTER = str(EXAMPLES / "brightwell.charter")
RETURNS = str(EXAMPLES / "brightwell-returns-2025-26.csv")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_ok_and_findings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "check", CHARTER)[0] == 0
    bad = tmp_path / "bad.charter"
    bad.write_text('charter "x"\ntheme a "A" weight 90%\n', encoding="utf-8")
    code, _, err = run(capsys, "check", str(bad))
    assert code == 1
    assert "error[CH403]: theme weights add up to 90%, not 100%" in err
    assert "\x1b[" not in err  # no colour when not on a terminal


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "no-such.charter")[0] == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert run(capsys, "evaluate", CHARTER, RETURNS, "--as-of", "30/04/2026")[0] == 2


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["check"], ["fmt"], ["export"], ["schema"], ["evaluate"],
                    ["catalogue", "show"], ["catalogue", "check"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*command, "--help"])
        assert exit_info.value.code == 0
        assert "usage: charter" in capsys.readouterr().out


def test_fmt_check_exits_1_when_a_file_would_change(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    path = tmp_path / "c.charter"
    path.write_text('charter "x"\n    authority "A"\n', encoding="utf-8")
    assert run(capsys, "fmt", "--check", str(path))[0] == 1
    assert run(capsys, "fmt", str(path))[0] == 0
    assert path.read_text(encoding="utf-8") == 'charter "x"\n  authority "A"\n'
    assert run(capsys, "fmt", "--check", str(path))[0] == 0


def test_export_and_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export", CHARTER)
    assert code == 0
    document = json.loads(out)
    assert document["format"] == "charterdsl/charter"
    code, out, _ = run(capsys, "schema")
    assert json.loads(out)["title"] == "charterdsl charter export"
    code, out, _ = run(capsys, "schema", "--report")
    assert json.loads(out)["title"] == "charterdsl evaluation report"


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json", "csv"])
def test_evaluate_in_every_format(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "evaluate", CHARTER, RETURNS, "--as-of", "2026-04-30",
                       "--format", fmt)
    assert code == 0
    assert "Brightwell" in out or "brightwell" in out


def test_evaluate_strict_fails_on_the_first_rejected_row(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "evaluate", CHARTER, RETURNS, "--as-of", "2026-04-30",
                       "--strict")
    assert code == 1
    assert "brightwell-returns-2025-26.csv: error[CH809]: row 23" in err


def test_evaluate_reads_alike_with_either_engine(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("polars")
    outputs = []
    for engine in ("python", "polars", "auto"):
        code, out, _ = run(capsys, "evaluate", CHARTER, RETURNS, "--as-of", "2026-04-30",
                           "--format", "json", "--engine", engine)
        assert code == 0
        outputs.append(out)
    assert outputs[0] == outputs[1] == outputs[2]
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", CHARTER, RETURNS, "--engine", "fast"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'fast'" in capsys.readouterr().err


def test_evaluate_writes_an_output_file(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert run(capsys, "evaluate", CHARTER, RETURNS, "--as-of", "2026-04-30", "--format",
               "html", "--output", str(out))[0] == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_catalogue_commands(capsys: pytest.CaptureFixture[str]) -> None:
    catalogue = str(EXAMPLES / "catalogues" / "approved-2025.catalogue")
    code, out, _ = run(capsys, "catalogue", "show", catalogue, "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("code,id,title")
    code, out, _ = run(capsys, "catalogue", "check", catalogue)
    assert code == 0 and "ok (13 metrics)" in out


def test_check_against_an_approved_list(capsys: pytest.CaptureFixture[str]) -> None:
    catalogue = str(EXAMPLES / "catalogues" / "approved-2025.catalogue")
    code, _, err = run(capsys, "check", "--approved", catalogue, CHARTER)
    assert code == 0 and "warning[CH207]: metric 'fleet_emissions' (no code)" in err
    code, _, err = run(capsys, "check", "--approved", catalogue, "--require-approved", CHARTER)
    assert code == 1 and "error[CH207]" in err


def test_evaluate_writes_rejections_for_a_spreadsheet(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the example files lie outside the working folder
    out = tmp_path / "rejected.csv"
    code, report_text, _ = run(capsys, "evaluate", CHARTER, RETURNS, "--as-of", "2026-04-30",
                               "--rejections", str(out))
    assert code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # so that Excel reads it as UTF-8
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "file,row,contract,metric,code,reason"
    assert len(lines) == 11  # the header and the ten rejected rows
    assert str(EXAMPLES) not in report_text + data.decode("utf-8-sig")


def test_unreadable_inputs_and_unwritable_outputs_are_usage_errors(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "check", str(tmp_path))[2].endswith("is a folder, not a file\n")
    code, _, err = run(capsys, "schema", "-o", str(tmp_path))
    assert code == 2 and "cannot write" in err
    latin = tmp_path / "latin1.charter"
    latin.write_bytes(b'charter "Caf\xe9"\n')
    code, _, err = run(capsys, "fmt", "--check", str(latin))
    assert code == 1 and "error[CH106]: byte 0xE9 is not valid UTF-8" in err
