from pathlib import Path

import pytest

import charterdsl

CATALOGUE = '''catalogue "Approved"
  publisher "Test council"
  version "2025.1"

metric local_jobs "Local people employed"
  code SV1
  counts FTE, averaged over time
  counting rule "Count each person once, by hours worked"
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def charter_using(path: str, version: str = "") -> str:
    pin = f' version "{version}"' if version else ""
    return (f'charter "x"\nuse catalogue "{path}"{pin}\n'
            'contract c "C"\n  runs from 2025-04-01 to 2026-03-31\n'
            "  target local_jobs at least 5 FTE each quarter\n")


def test_catalogue_metrics_can_be_used_by_id(tmp_path: Path) -> None:
    write(tmp_path, "cat/approved.catalogue", CATALOGUE)
    path = write(tmp_path, "c.charter", charter_using("cat/approved.catalogue", "2025.1"))
    charter = charterdsl.parse_file(path)
    assert charter.metric("local_jobs") is not None
    assert charter.catalogues[0].publisher == "Test council"


def test_a_charter_metric_narrows_the_catalogue_metric_with_its_code(tmp_path: Path) -> None:
    write(tmp_path, "approved.catalogue", CATALOGUE)
    text = ('charter "x"\nuse catalogue "approved.catalogue"\narea local "L"\n'
            'metric jobs "Jobs for local people"\n  code SV1\n  only people living in local\n')
    path = write(tmp_path, "c.charter", text)
    metric = charterdsl.parse_file(path).metric("jobs")
    assert metric is not None
    assert metric.unit == "FTE" and metric.counting_rule is not None
    assert metric.eligibility is not None and metric.eligibility.area == "local"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("../outside.catalogue", "CH501"),
        ("/etc/passwd", "CH501"),
        ("https://example.org/x.catalogue", "CH501"),
        ("C:/x.catalogue", "CH501"),
        ("missing.catalogue", "CH502"),
    ],
)
def test_paths_are_confined_to_the_charter_folder(tmp_path: Path, written: str,
                                                  code: str) -> None:
    write(tmp_path, "outside.catalogue", CATALOGUE)
    path = write(tmp_path, "inner/c.charter", charter_using(written))
    codes = [d.code for d in charterdsl.check_file(path).errors]
    assert codes == [code]  # the target's metric is then unknown, but that is not news


def test_a_link_leading_outside_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "outside.catalogue", CATALOGUE)
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "link.catalogue").symlink_to(tmp_path / "outside.catalogue")
    path = write(tmp_path, "inner/c.charter", charter_using("link.catalogue"))
    assert [d.code for d in charterdsl.check_file(path).errors] == ["CH501"]


def test_a_search_path_is_a_second_root(tmp_path: Path) -> None:
    write(tmp_path, "shared/approved.catalogue", CATALOGUE)
    path = write(tmp_path, "council/c.charter", charter_using("approved.catalogue"))
    assert charterdsl.check_file(path, search_path=[tmp_path / "shared"]).ok


def test_a_pinned_version_must_match(tmp_path: Path) -> None:
    write(tmp_path, "approved.catalogue", CATALOGUE)
    path = write(tmp_path, "c.charter", charter_using("approved.catalogue", "2024.9"))
    [error] = charterdsl.check_file(path).errors
    assert error.code == "CH504"
    assert "pins 'approved.catalogue' to version 2024.9, but the file has version 2025.1" in (
        error.message)


def test_cycles_are_errors_on_the_use_line(tmp_path: Path) -> None:
    write(tmp_path, "a.catalogue", 'catalogue "A"\nuse catalogue "b.catalogue"\n')
    write(tmp_path, "b.catalogue", 'catalogue "B"\nuse catalogue "a.catalogue"\n')
    path = write(tmp_path, "c.charter", 'charter "x"\nuse catalogue "a.catalogue"\n')
    [error] = charterdsl.check_file(path).errors
    assert error.code == "CH503"
    assert error.source is not None and error.source.name.endswith("b.catalogue")


def test_two_catalogues_may_not_define_one_metric(tmp_path: Path) -> None:
    write(tmp_path, "a.catalogue", CATALOGUE)
    write(tmp_path, "b.catalogue", CATALOGUE.replace('"Approved"', '"Other"'))
    path = write(tmp_path, "c.charter", 'charter "x"\nuse catalogue "a.catalogue"\n'
                 'use catalogue "b.catalogue"\n')
    messages = [d.message for d in charterdsl.check_file(path).errors]
    assert "metric 'local_jobs' is defined by two catalogues, 'Approved' and 'Other'" in messages


def test_check_a_catalogue_on_its_own(tmp_path: Path) -> None:
    path = write(tmp_path, "a.catalogue", CATALOGUE + "metric bad \"b\"\n  counts FTEs, summed\n")
    result = charterdsl.check_catalogue_file(path)
    assert [d.code for d in result.diagnostics] == ["CH301"]
