"""Approved versus bespoke metrics: which of a charter's metrics are not on an approved list.

A metric is approved when its code, or the code of the catalogue metric it narrows, is the
code of a metric in the approved catalogue. A metric without a code is bespoke. The charter
may use bespoke metrics; councils that want only approved ones make them errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from charterdsl.errors import Diagnostic, Severity
from charterdsl.loader import load_catalogue
from charterdsl.model import Charter, Metric, Share
from charterdsl.source import Source


def used_metrics(charter: Charter) -> list[Metric]:
    """The charter's own metrics and every catalogue metric a target or outcome refers to."""
    targets = [*charter.targets, *(t for c in charter.contracts for t in c.targets)]
    referred = {t.metric for t in targets}
    referred |= {a.of_metric for t in targets for a in (t.amount, t.upper) if isinstance(a, Share)}
    referred |= {m for o in charter.outcomes for m in o.measured_by}
    own = {m.id for m in charter.metrics}
    index = charter.metric_index
    return [index[m.id] for m in charter.metrics] + [
        index[name] for name in sorted(referred - own) if name in index
    ]


def bespoke(charter: Charter, approved_codes: Iterable[str]) -> list[Metric]:
    codes = set(approved_codes)
    return [m for m in used_metrics(charter) if not m.code or m.code not in codes]


def bespoke_metrics(
    charter: Charter,
    approved: str | Path,
    require: bool,
    sources: Mapping[str, Source] | None = None,
) -> list[Diagnostic]:
    """A diagnostic for each metric not on the approved list: warnings, or errors when the
    approved list is required. ``sources`` lets each point at the metric's declaration."""
    catalogue = load_catalogue(approved)
    codes = [m.code for m in catalogue.metrics if m.code]
    severity = Severity.ERROR if require else Severity.WARNING
    files = {m.id: c.source_name for c in charter.catalogues for m in c.metrics}
    files.update({m.id: charter.source_name for m in charter.metrics})
    found = []
    for metric in bespoke(charter, codes):
        what = f"code {metric.code}" if metric.code else "no code"
        source = (sources or {}).get(files.get(metric.id, ""))
        found.append(Diagnostic(
            "CH207",
            f"metric '{metric.id}' ({what}) is not on the approved list '{catalogue.name}'",
            metric.span if source is not None else None,
            "use an approved metric, or agree this one with the list's publisher",
            severity,
            source,
        ))
    return found
