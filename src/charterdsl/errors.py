"""Diagnostics and the one error hierarchy every stage raises.

Every problem charterdsl reports is a :class:`Diagnostic` with a stable code (listed in
``docs/errors.md``), a message, a position and, where one helps, a hint. Stages collect
diagnostics and raise once, so an author sees every independent problem in one run.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

import attrs

from charterdsl.source import Source, Span, excerpt


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Diagnostic:
    """One problem: where it is, what it is, and what to do about it."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    source: Source | None = attrs.field(default=None, eq=False, repr=False)
    related: tuple[tuple[str, str], ...] = ()  # (what, "file:line:col") of other places cited

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def location(self) -> str:
        name = self.source.name if self.source is not None else "<input>"
        return f"{name}:{self.span}" if self.span is not None else name

    def render(self, colour: bool = False) -> str:
        """The diagnostic as people read it: position, code, message, excerpt, hint."""
        paint = _Paint(colour)
        level = paint.severity(self.severity)
        lines = [f"{paint.bold(self.location)}: {level}[{self.code}]: {self.message}"]
        if self.source is not None and self.span is not None:
            text, caret = excerpt(self.source, self.span)
            lines.append(f"    {text}")
            lines.append(f"    {paint.caret(caret)}")
        for label, where in self.related:
            lines.append(f"  note: {label} at {where}")
        if self.hint:
            lines.append(f"  {paint.bold('hint')}: {self.hint}")
        return "\n".join(lines)


class _Paint:
    """ANSI colours for terminals; a no-op otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def caret(self, text: str) -> str:
        return self._wrap("1;32", text)

    def severity(self, severity: Severity) -> str:
        return self._wrap("1;31" if severity is Severity.ERROR else "1;33", severity.value)


def cite(source: Source | None, span: Span | None) -> str:
    """``file:line:col`` of a span, for citing a second place in a diagnostic."""
    name = source.name if source is not None else "<input>"
    return f"{name}:{span}" if span is not None else name


def render_all(diagnostics: Iterable[Diagnostic], colour: bool = False) -> str:
    return "\n".join(d.render(colour) for d in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    name = diagnostic.source.name if diagnostic.source is not None else ""
    span = diagnostic.span
    return (name, span.line if span else 0, span.column if span else 0, diagnostic.code)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """File by file, in reading order."""
    return tuple(sorted(diagnostics, key=sort_key))


class CharterError(ValueError):
    """Root of every error charterdsl raises on bad input. Carries one or more diagnostics."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = sort_diagnostics(diagnostics)
        super().__init__(render_all(self.diagnostics))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)


class CharterSyntaxError(CharterError):
    """The text is not in the charter language."""


class CharterValidationError(CharterError):
    """The text parses but says something inconsistent: unknown names, bad units, bad dates."""


class CharterDecodeError(CharterError):
    """A JSON document is not a valid charter export."""


class DeliveryDataError(CharterError):
    """Delivery data could not be read, or was rejected under ``--strict``."""


# Every stable code, with a one-line title. docs/errors.md explains each with an example.
CODES: dict[str, str] = {
    # CH1xx: the text is not in the language
    "CH101": "unexpected text",
    "CH102": "unexpected character",
    "CH103": "unterminated string",
    "CH104": "inconsistent indentation",
    "CH106": "text is not valid UTF-8",
    "CH107": "misplaced statement",
    # CH2xx: names and references
    "CH201": "unknown reference",
    "CH202": "duplicate declaration",
    "CH203": "repeated clause",
    "CH204": "missing charter header",
    "CH205": "missing clause",
    "CH206": "narrowing changes how a catalogue metric is counted",
    "CH207": "metric not on the approved list",
    "CH208": "status requirements not met",
    "CH209": "social value weighting below 10%",
    "CH210": "commitment outside the local area or priorities",
    "CH211": "double counting between overlapping metrics",
    # CH3xx: quantities and units
    "CH301": "unknown unit",
    "CH302": "incompatible units",
    "CH303": "malformed number",
    "CH304": "percent target without a denominator",
    "CH305": "value out of range",
    # CH4xx: dates, weights and consistency
    "CH401": "invalid date",
    "CH402": "dates out of order",
    "CH403": "theme weights do not add up to 100%",
    "CH404": "review outside the contract term",
    "CH405": "milestone after its target's date",
    "CH406": "rating bands out of order",
    "CH407": "period outside the contract term",
    "CH408": "no price index for a proxy's year",
    # CH5xx: catalogues and files
    "CH501": "catalogue path leaves the charter's folder",
    "CH502": "catalogue not found",
    "CH503": "catalogue import cycle",
    "CH504": "catalogue version mismatch",
    "CH505": "not a catalogue",
    "CH506": "file cannot be read",
    "CH507": "bundled catalogue not found",
    "CH508": "bad proxy table row",
    # CH6xx: limits
    "CH601": "file too large",
    "CH602": "too many declarations",
    "CH603": "name or text too long",
    "CH605": "catalogues nested too deeply",
    # CH7xx: JSON documents
    "CH701": "invalid JSON",
    "CH702": "JSON does not match the charter schema",
    "CH703": "unsupported format version",
    # CH8xx: delivery data, one row or one file at a time
    "CH801": "unknown contract",
    "CH802": "unknown or unreportable metric",
    "CH803": "unknown unit, or a unit that does not convert",
    "CH804": "missing, impossible or ambiguous date",
    "CH805": "period out of order, outside the contract or not yet ended",
    "CH806": "negative quantity",
    "CH807": "not a plain finite number",
    "CH808": "duplicate row",
    "CH809": "conflicting or overlapping row",
    "CH810": "malformed row",
    "CH811": "file cannot be read as delivery data",
}
