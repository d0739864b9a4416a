"""A catalogue as a table for people: one row per metric, as text, Markdown or CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from charterdsl import units
from charterdsl.model import Catalogue, Metric, MetricKind
from charterdsl.renderers import clean, md, spreadsheet_safe

COLUMNS = ("code", "id", "title", "counts", "kind", "proxy", "counting rule")


def _kind(metric: Metric) -> str:
    if metric.kind is MetricKind.RATIO:
        return f"ratio of {metric.numerator} to {metric.denominator}"
    kind = metric.kind.value if metric.kind else ""
    return f"{kind}, record only" if metric.record_only else kind


def _proxy(metric: Metric) -> str:
    proxy = metric.proxy
    if proxy is None:
        return ""
    return (f"£{proxy.amount} per {units.display(proxy.per_unit, Decimal(1))} "
            f"({proxy.price_year} prices)")


def rows(catalogue: Catalogue) -> list[tuple[str, ...]]:
    return [
        (m.code or "", m.id, m.title, units.display(m.unit) if m.unit else "", _kind(m),
         _proxy(m), m.counting_rule or "")
        for m in catalogue.metrics
    ]


def catalogue_table(catalogue: Catalogue, fmt: str = "text") -> str:
    if fmt == "csv":
        return _csv(catalogue)
    if fmt == "markdown":
        return _markdown(catalogue)
    return _text(catalogue)


def _heading(catalogue: Catalogue) -> str:
    parts = [catalogue.name]
    if catalogue.version:
        parts.append(f"version {catalogue.version}")
    if catalogue.publisher:
        parts.append(f"published by {catalogue.publisher}")
    return clean(", ".join(parts))


def _text(catalogue: Catalogue) -> str:
    table = [COLUMNS[:6]] + [tuple(clean(c) for c in row[:6]) for row in rows(catalogue)]
    widths = [max(len(row[i]) for row in table) for i in range(6)]
    lines = [_heading(catalogue), ""]
    for row in table:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                          strict=True)).rstrip())
    return "\n".join(lines)


def _markdown(catalogue: Catalogue) -> str:
    lines = [f"# {md(_heading(catalogue))}", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows(catalogue):
        lines.append("| " + " | ".join(md(cell) for cell in row) + " |")
    return "\n".join(lines)


def _csv(catalogue: Catalogue) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows(catalogue):
        writer.writerow([spreadsheet_safe(clean(cell)) for cell in row])
    return out.getvalue()
