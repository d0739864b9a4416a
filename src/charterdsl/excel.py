"""Delivery returns from Excel ``.xlsx`` workbooks (the ``excel`` extra: openpyxl).

The first sheet is read, its first row being the header. A workbook is a zip file, so its
size and its entries' unpacked sizes are checked before openpyxl opens it: a small file that
unpacks to gigabytes is refused. Formula cells are refused row by row, never evaluated, and
values are read as typed (a date cell is a date, a number cell a number).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from charterdsl.delivery import (
    FIELDS,
    Columns,
    DeliveryData,
    FileProblem,
    header_positions,
    read_records,
)
from charterdsl.report import Rejection

MAX_XLSX_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 500 * 1024 * 1024
MAX_RATIO = 100  # unpacked / packed for the whole archive
MAX_ROWS = 2_000_000
MAX_COLUMNS = 100


def check_archive(path: Path, file: str) -> None:
    """Refuse workbooks too large, or that unpack to far more than they weigh."""
    size = path.stat().st_size
    if size > MAX_XLSX_BYTES:
        raise FileProblem("CH811", f"{file} is {size:,} bytes; the limit is {MAX_XLSX_BYTES:,}")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise FileProblem("CH811", f"{file} is not an .xlsx workbook") from None
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * max(size, 1) + 1_000_000:
        raise FileProblem("CH811", f"{file} unpacks to {unpacked:,} bytes from {size:,}; "
                          "it is refused as a possible zip bomb")
    if any(name.startswith("xl/externalLinks/") for name in names):
        raise FileProblem("CH811", f"{file} links to other workbooks; save a copy with values "
                          "only")
    if "xl/vbaProject.bin" in names:
        raise FileProblem("CH811", f"{file} contains macros; save it as a plain .xlsx")


def read_xlsx(path: Path, file: str, columns: Columns | None = None, *,
              day_first: bool = False) -> DeliveryData:
    columns = columns or Columns()
    check_archive(path, file)
    try:
        import openpyxl
    except ImportError:
        raise FileProblem("CH811", f"{file}: reading .xlsx needs the 'excel' extra "
                          "(pip install 'charterdsl[excel]')") from None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileProblem("CH811", f"{file} cannot be opened as a workbook "
                          f"({type(error).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        if (sheet.max_row or 0) > MAX_ROWS or (sheet.max_column or 0) > MAX_COLUMNS:
            # The sheet's stated dimensions, read before any row is.
            raise FileProblem("CH811", f"{file} declares {sheet.max_row:,} rows and "
                              f"{sheet.max_column:,} columns; the limits are {MAX_ROWS:,} "
                              f"and {MAX_COLUMNS:,}")
        rows = sheet.iter_rows(values_only=False)
        header = [_plain(cell.value) for cell in next(rows, ())]
        positions = header_positions([str(h or "") for h in header], columns, file)
        early: list[Rejection] = []
        records = _Records(rows, positions, file, early)
        data = read_records(records, file, first_row=2, day_first=day_first)
    finally:
        workbook.close()
    rows_out = tuple(r._replace(row=records.numbers[r.row - 2]) for r in data.rows)
    late = [type(r)(r.file, records.numbers[r.row - 2], r.code, r.reason, r.contract, r.metric)
            for r in data.rejections]
    rejections = tuple(sorted(early + late, key=lambda r: r.row))
    return DeliveryData(rows_out, rejections, data.rows_read + len(early))


def _plain(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class _Records:
    """Sheet rows as mappings; formula cells and oversized sheets are refused."""

    def __init__(self, rows: Iterator[Any], positions: Mapping[str, int], file: str,
                 rejections: list[Rejection]) -> None:
        self.rows, self.positions, self.file = rows, positions, file
        self.rejections = rejections
        self.numbers: list[int] = []

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for number, cells in enumerate(self.rows, start=2):
            if number > MAX_ROWS:
                raise FileProblem("CH811", f"{self.file} has more than {MAX_ROWS:,} rows")
            values = [cell.value for cell in cells]
            if all(v is None or v == "" for v in values):
                continue
            if any(getattr(cell, "data_type", None) == "f" for cell in cells):
                self.rejections.append(Rejection(self.file, number, "CH807",
                                                 "a cell holds a formula; enter values only"))
                continue
            self.numbers.append(number)
            yield {field: values[index] if index < len(values) else None
                   for field, index in self.positions.items() if field in FIELDS}
