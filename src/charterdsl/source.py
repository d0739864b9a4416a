"""Source text and positions: the first stage every other stage points back to.

A :class:`Source` holds charter text normalised once (byte-order mark removed, every line
ending made ``\\n``) so that offsets, lines and columns mean the same thing to the lexer, the
diagnostics and the formatter. Old-Mac ``\\r`` and Windows ``\\r\\n`` endings each count as one
line break, so line numbers match what an editor shows for the original file.
"""

from __future__ import annotations

import bisect
import unicodedata

import attrs

BOM = "\ufeff"


def normalise_text(text: str) -> str:
    """Drop a leading byte-order mark and turn every line ending into ``\\n``."""
    if text.startswith(BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def composed(text: str) -> str:
    """Charter text with accented letters composed (Unicode NFC): a letter typed as a base
    letter and a combining accent, as some systems save it, becomes the one letter people
    see, so that ids and texts compare as they look. JSON data is left as it is."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


@attrs.frozen
class Span:
    """A half-open range of characters ``[start, end)`` with the 1-based line and column of its
    first character. Spans never take part in model equality."""

    start: int
    end: int
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@attrs.frozen(eq=False)
class Source:
    """A named, normalised charter text with a line index for turning offsets into positions."""

    text: str = attrs.field(converter=normalise_text)
    name: str = "<string>"
    _line_starts: list[int] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        starts = [0]
        find = self.text.find
        position = find("\n")
        while position != -1:
            starts.append(position + 1)
            position = find("\n", position + 1)
        object.__setattr__(self, "_line_starts", starts)

    def line_start(self, line: int) -> int:
        return self._line_starts[line - 1]

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based ``(line, column)`` of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        return Span(start, max(start, end), line, column)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line ending."""
        if not 1 <= line <= len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end == -1 else self.text[start:end]


MAX_EXCERPT = 160


def excerpt(source: Source, span: Span) -> tuple[str, str]:
    """The source line of a span and a caret line under it, both safe to print.

    Tabs are kept in the caret line so the caret stays under the right character; control and
    bidirectional-override characters are shown as ``?`` so an excerpt cannot reorder or hide
    text on a terminal; long lines are cut around the span.
    """
    line = source.line_text(span.line)
    first = span.column - 1
    last_line_end = source.line_start(span.line) + len(line)
    width = max(1, min(span.end, last_line_end) - span.start)
    begin = 0
    if len(line) > MAX_EXCERPT:
        begin = max(0, min(first - MAX_EXCERPT // 3, len(line) - MAX_EXCERPT))
        line = line[begin : begin + MAX_EXCERPT]
        first -= begin
        width = min(width, max(1, len(line) - first))
    shown = "".join(_printable(ch) for ch in line)
    pad = "".join("\t" if ch == "\t" else " " for ch in shown[:first])
    return shown, pad + "^" * width


def _printable(ch: str) -> str:
    if ch == "\t":
        return ch
    category = unicodedata.category(ch)
    if category in {"Cc", "Cf", "Cs", "Co", "Cn"} or (category.startswith("Z") and ch != " "):
        return "?"
    return ch
