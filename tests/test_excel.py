"""Excel returns: values as typed, formulas refused per row, hostile workbooks refused whole."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from charterdsl import delivery
from charterdsl.delivery import FileProblem

openpyxl = pytest.importorskip("openpyxl")

HEADER = ["contract", "metric", "period_start", "period_end", "quantity", "unit", "evidence"]


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_dates_and_numbers_as_typed(tmp_path: Path) -> None:
    path = workbook(tmp_path / "r.xlsx", [
        ["HR-1", "jobs", dt.datetime(2025, 4, 1), dt.date(2025, 6, 30), 21.5, "FTE", "p1"],
        ["HR-1", "weeks", "2025-04-01", "2025-06-30", 36, "person-weeks", None],
    ])
    data = delivery.read_file(path)
    assert [(r.row, r.start, r.quantity) for r in data.rows] == [
        (2, dt.date(2025, 4, 1), Decimal("21.5")),
        (3, dt.date(2025, 4, 1), Decimal(36)),
    ]


def test_formula_cells_reject_their_row_only(tmp_path: Path) -> None:
    path = workbook(tmp_path / "r.xlsx", [
        ["HR-1", "jobs", "2025-04-01", "2025-06-30", "=20+1.5", "FTE", "p1"],
        ["HR-1", "jobs", "2025-07-01", "2025-09-30", 22, "FTE", "p2"],
    ])
    data = delivery.read_file(path)
    assert [(r.row, r.code) for r in data.rejections] == [(2, "CH807")]
    assert [r.row for r in data.rows] == [3]
    assert data.rows_read == 2


def test_macros_and_links_refuse_the_workbook(tmp_path: Path) -> None:
    path = workbook(tmp_path / "r.xlsx", [])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0" * 10)
    with pytest.raises(FileProblem, match="macros"):
        delivery.read_file(path)


def test_a_zip_bomb_is_refused_before_opening(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    with pytest.raises(FileProblem, match="zip bomb"):
        delivery.read_file(path)


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"contract,metric\n")
    with pytest.raises(FileProblem, match=r"not an \.xlsx workbook"):
        delivery.read_file(path)
