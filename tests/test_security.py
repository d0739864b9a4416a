"""No input can make charterdsl run code or reach a network: the package's own source holds no
eval, exec, pickle or network client, and pint never parses input text."""

from __future__ import annotations

import ast
from pathlib import Path

import charterdsl
from charterdsl import units

PACKAGE = Path(charterdsl.__file__).parent
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "socket", "urllib", "http", "ftplib",
                     "requests", "subprocess"}


def modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(PACKAGE.glob("*.py"))]


def test_no_module_calls_eval_exec_or_compile() -> None:
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}"


def test_no_module_imports_pickle_or_a_network_client() -> None:
    for path, tree in modules():
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name}: {name}"


def test_pint_is_only_given_the_package_s_own_unit_names() -> None:
    # Unit words from charters and data are looked up in a table; text that is not in it is
    # refused before pint is involved, so pint's expression parser never sees input.
    hostile = "__import__('os').system('true')"
    assert units.lookup(hostile) is None
    assert units.factor(hostile, "FTE") is None
    result = charterdsl.check_text(f'charter "x"\nmetric m "m"\n  counts {hostile}, summed\n')
    assert not result.ok


def test_catalogue_paths_never_reach_a_network(tmp_path: Path) -> None:
    path = tmp_path / "c.charter"
    path.write_text('charter "x"\nuse catalogue "https://example.org/x.catalogue"\n',
                    encoding="utf-8")
    [error] = charterdsl.check_file(path).errors
    assert error.code == "CH501" and "web address" in error.message


def test_diagnostics_name_files_relative_to_the_working_folder(tmp_path: Path,
                                                               monkeypatch: object) -> None:
    path = tmp_path / "c.charter"
    path.write_text('charter "x"\ntheme a "A" weight 50%\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # type: ignore[attr-defined]
    [error] = charterdsl.check_file(path).errors
    assert str(tmp_path) not in error.render()
    assert error.render().startswith("c.charter:2:")
