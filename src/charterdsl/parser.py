"""From text to lark trees: the grammar, the indentation post-lexer, and syntax diagnostics.

The file is cut into top-level declarations (a line at the left margin and the indented lines
under it) and each is parsed on its own. A mistake in one declaration therefore never hides the
mistakes in the others, and every syntax error in a file is reported in one run. Lark's
exceptions are turned here into diagnostics that speak about the charter, not the grammar.

Most declarations never reach lark: the line parser (:mod:`charterdsl.lineparser`) reads those
in the usual form, and leaves the others, among them every one with a syntax mistake, to lark.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib.resources
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import lark
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.grammar import Rule
from lark.lark import PostLex
from lark.lexer import TerminalDef

from charterdsl.errors import Diagnostic
from charterdsl.model import Comment
from charterdsl.source import Source

TAB_WIDTH = 4


def grammar_text() -> str:
    """The grammar shipped in the package, or the repository copy in a source checkout."""
    packaged = importlib.resources.files("charterdsl") / "grammar" / "charter.lark"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "grammar" / "charter.lark"
    return checkout.read_text(encoding="utf-8")


class IndentationProblem(LarkError):
    def __init__(self, token: Token, message: str, hint: str) -> None:
        super().__init__(message)
        self.token, self.message, self.hint = token, message, hint


class RunTogether(LarkError):
    """A keyword glued to the next word: lark's keywords are plain strings, so without this
    check ``atleast`` would quietly read as ``at least``."""

    def __init__(self, first: Token, second: Token) -> None:
        super().__init__(f"{first}{second}")
        self.first, self.second = first, second


# Token types that are not keywords.
_VALUE_TYPES = frozenset(
    {"NAME", "STRING", "NUMBER", "DATE", "PERCENT", "MONEY", "_NL", "_INDENT", "_DEDENT"}
)


def _is_keyword(token: Token) -> bool:
    return token.type not in _VALUE_TYPES


def _glued(first: Token, second: Token) -> bool:
    return (
        first.end_pos == second.start_pos
        and (_is_keyword(first) or _is_keyword(second))
        and (first[-1:].isalnum() or first.endswith("_"))
        and (second[:1].isalnum() or second.startswith("_"))
    )


class Indentation(PostLex):
    """Turns changes of indentation after each newline into ``_INDENT`` / ``_DEDENT`` tokens.

    Unlike lark's ``Indenter`` it keeps its stack in the generator, so one parser can serve
    several threads at once."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        levels = [0]
        last: Token | None = None
        for token in stream:
            if last is not None and _glued(last, token):
                raise RunTogether(last, token)
            last = token
            yield token
            if token.type != "_NL":
                continue
            indent_text = token.rsplit("\n", 1)[1]
            indent = indent_text.count(" ") + indent_text.count("\t") * TAB_WIDTH
            if indent > levels[-1]:
                levels.append(indent)
                yield Token.new_borrow_pos("_INDENT", indent_text, token)
                continue
            open_levels = list(levels)
            while indent < levels[-1]:
                levels.pop()
                yield Token.new_borrow_pos("_DEDENT", indent_text, token)
            if indent != levels[-1]:
                nearest = sorted(open_levels, key=lambda level: abs(level - indent))[:2]
                choices = " or ".join(str(level) for level in sorted(nearest, reverse=True))
                tab = " (a tab counts as 4 spaces)" if "\t" in indent_text else ""
                raise IndentationProblem(
                    token,
                    f"this line is indented by {indent}{tab}, which lines it up with no line "
                    "above",
                    f"indent it by {choices} spaces to line it up with the lines above",
                )
        while len(levels) > 1:
            levels.pop()
            assert last is not None
            yield Token.new_borrow_pos("_DEDENT", "", last)


def build_parser(text: str | None = None) -> Lark:
    """The LALR parser, built from the grammar (about half a second)."""
    return Lark(
        text if text is not None else grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=Indentation(),
        start=["start", "declaration"],
        propagate_positions=True,
        maybe_placeholders=True,
    )


def grammar_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


TABLES = "parse-tables.json"  # shipped beside this module, generated from the grammar


@functools.cache
def lark_parser() -> Lark:
    """The LALR parser, once per process: loaded from parse tables generated from the
    grammar (plain JSON data, no pickle, no code) when they were made from this very grammar
    by this version of lark, which keeps the command's start-up short; built from the
    grammar otherwise."""
    text = grammar_text()
    tables = importlib.resources.files("charterdsl") / TABLES
    if not tables.is_file():
        return build_parser(text)
    document = json.loads(tables.read_text(encoding="utf-8"), object_pairs_hook=_int_keys)
    if document["grammar_sha256"] != grammar_digest(text) or (
        document["lark_version"] != lark.__version__
    ):
        return build_parser(text)
    # lark's loader for its own serialized tables, the same one its cache uses; it has no
    # type annotations.
    loaded: Lark = Lark._load_from_dict(  # type: ignore[no-untyped-call]
        document["data"], document["memo"], postlex=Indentation()
    )
    return loaded


def _int_keys(pairs: list[tuple[str, Any]]) -> dict[Any, Any]:
    # JSON object keys are strings; lark's state and token numbers are ints.
    return {int(key) if key.isdigit() else key: value for key, value in pairs}


def write_tables(path: Path) -> None:
    """Generate the parse tables from the grammar; run after every grammar change
    (``python scripts/generate_parse_tables.py``). A test says when they are out of date."""
    text = grammar_text()
    data, memo = build_parser(text).memo_serialize([TerminalDef, Rule])
    data["options"]["postlex"] = None  # supplied again when the tables are loaded
    document = {
        "generated_from": "grammar/charter.lark by scripts/generate_parse_tables.py",
        "grammar_sha256": grammar_digest(text),
        "lark_version": lark.__version__,
        "data": data,
        "memo": memo,
    }
    path.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")


@attrs.frozen
class Block:
    """One top-level declaration: where it starts in the file, and its text."""

    offset: int
    line: int
    text: str


def _lines_with_ends(text: str) -> list[str]:
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def split_blocks(source: Source) -> list[Block]:
    """Cut the text at every line that starts at the left margin with something other than a
    comment. Blank and comment lines belong to the block above them."""
    text = source.text if source.text.endswith("\n") else source.text + "\n"
    starts: list[tuple[int, int]] = []
    offset = 0
    # Only "\n" ends a line: str.splitlines would also break at U+2028 and other separators
    # that the lexer reads as ordinary characters.
    for number, line in enumerate(_lines_with_ends(text), start=1):
        first = line[:1]
        if (first and first not in " \t#\n") or (not starts and line.strip()[:1] not in ("", "#")):
            starts.append((offset, number))
        offset += len(line)
    return [
        Block(start, line, text[start : starts[i + 1][0] if i + 1 < len(starts) else len(text)])
        for i, (start, line) in enumerate(starts)
    ]


@attrs.define
class BlockParser:
    """Parses the declarations of a file one at a time, keeping every syntax problem found and
    the ids of the declarations that had mistakes: references to them are not reported as
    unknown, nor are they reported as missing a clause that may be the one that failed."""

    source: Source
    problems: list[Diagnostic] = attrs.field(factory=list)
    unparsed: set[str] = attrs.field(factory=set)
    _previous: str | None = None  # the id of the declaration before

    def parse(self, block: Block) -> Tree[Token] | None:
        """Parse one declaration with lark: its tree, or None when its first line is wrong."""
        before = len(self.problems)
        if block.text[:1] in (" ", "\t"):
            self.problems.append(_indented_declaration(self.source, block))
        tree = _parse_recovering(lark_parser(), self.source, block, self.problems)
        words = block.text.split(None, 2)
        if len(self.problems) > before and len(words) > 1:
            self.unparsed.add(words[1])
            if tree is None and self._previous is not None:
                # A clause left at the margin is cut off from the declaration above it,
                # which then looks incomplete: that is the same mistake, already reported.
                self.unparsed.add(self._previous)
        self._previous = words[1] if len(words) > 1 else None
        return tree

    def skip(self, block: Block) -> None:
        """Pass over a declaration the line parser read (so without a syntax mistake)."""
        words = block.text.split(None, 2)
        self._previous = words[1] if len(words) > 1 else None


def _indented_declaration(source: Source, block: Block) -> Diagnostic:
    width = len(block.text) - len(block.text.lstrip(" \t"))
    return Diagnostic(
        "CH104", "a declaration starts at the left margin, but this line is indented",
        source.span(block.offset, block.offset + max(1, width)),
        "remove the spaces before it, or indent it under the declaration it belongs to",
        source=source,
    )


MAX_RECOVERIES = 50


def _parse_recovering(
    parser: Lark, source: Source, block: Block, problems: list[Diagnostic]
) -> Tree[Token] | None:
    """Parse a declaration; when a clause line is wrong, report it, blank it and its indented
    lines (keeping every offset), and try again, so each bad clause is reported once and the
    good ones are still built. A wrong first line loses the whole declaration."""
    text = block.text
    for _ in range(MAX_RECOVERIES):
        try:
            return parser.parse(text, start="declaration")
        except (UnexpectedInput, IndentationProblem, RunTogether) as error:
            current = attrs.evolve(block, text=text)
            problems.append(SyntaxProblem(source, current).diagnose(error))
            line = _error_line(error, text)
            if line == 0:
                return None
            text = _blank_clause(text, line)
    return None


def _error_line(error: LarkError, text: str) -> int:
    """The 0-based line of the block that holds the mistake."""
    if isinstance(error, UnexpectedCharacters):
        return error.line - 1
    token: Token = error.first if isinstance(error, RunTogether) else error.token  # type: ignore[attr-defined]
    if token.type == "$END":
        return text.rstrip().count("\n")
    position = token.start_pos or 0
    if token.type == "_INDENT" or isinstance(error, IndentationProblem):
        position = token.end_pos or position
    elif token.type == "_NL":
        position = min(position, len(text) - 1)
    return text.count("\n", 0, position)


def _blank_clause(text: str, line: int) -> str:
    """Spaces in place of a clause line and the lines indented under it."""
    lines = text.split("\n")
    indent = _indent_of(lines[line])
    last = line
    for index in range(line + 1, len(lines)):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#") and _indent_of(lines[index]) <= indent:
            break
        last = index
    for index in range(line, last + 1):
        lines[index] = " " * len(lines[index])
    return "\n".join(lines)


def _indent_of(line: str) -> int:
    # Counted as the post-lexer counts it: every tab is TAB_WIDTH spaces.
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return indent.count(" ") + indent.count("\t") * TAB_WIDTH


def comments(source: Source) -> tuple[Comment, ...]:
    """Every ``#`` comment outside a quoted text, with its line."""
    found: list[Comment] = []
    for number, line in enumerate(source.text.split("\n"), start=1):
        if "#" not in line:
            continue
        column = comment_column(line)
        if column is not None:
            own_line = not line[:column].strip()
            found.append(Comment(line[column:].rstrip(), number, own_line))
    return tuple(found)


def comment_column(line: str) -> int | None:
    quoted = escaped = False
    for index, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return index
    return None


# ---------------------------------------------------------------------------- syntax messages

# What an expected terminal is, in words. Keywords are shown as themselves.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": 'a quoted text like "Brightwell"',
    "NUMBER": "a number",
    "DATE": "a date like 2025-04-01",
    "PERCENT": "a percentage like 30%",
    "MONEY": "a sum of money like £12m",
    "_NL": "the end of the line",
    "_INDENT": "an indented clause",
    "_DEDENT": "the end of the block",
    "$END": "the end of the file",
}

_WORD = re.compile(r"[^\s,()\"#]+")
_LAYOUT = frozenset({"_NL", "_INDENT", "_DEDENT", "$END"})

# Keywords that only ever start a longer phrase, shown as the phrase.
_PHRASES: dict[str, tuple[str, ...]] = {
    "at": ('at least', 'at most'),
    "under": ('under review',),
    "financial": ('financial year',),
    "postcode": ('postcode districts',),
    "record": ('record only',),
    "counting": ('counting rule',),
    "working": ('working week', 'working year'),
    "requires": ('requires improvement',),
    "remedy": ('remedy plan',),
    "break": ('break allowed',),
    "builds": ('builds on',),
    "targeted": ('targeted at',),
    "measured": ('measured by',),
    "runs": ('runs from',),
    "needs": ('needs data for at least',),
    "discount": ('discount rate',),
    "benefits": ('benefits last',),
    "price": ('price index',),
    "prices": ('prices restated to',),
    "estimated": ('estimated value',),
    "social": ('social value weighting',),
    "asks": ('asks for themes', 'asks for outcomes'),
    "scored": (
        "scored in proportion to the best offer", "scored against", "scored by quality bands"
    ),
    "bid": ('bid price',),
}

# The declaration or clause a line sits under, for "X is not a metric clause".
_CONTEXTS = {
    "charter": "charter header clause",
    "catalogue": "catalogue header clause",
    "consultation": "consultation clause",
    "area": "area clause",
    "strength": "strength clause",
    "theme": "theme clause",
    "metric": "metric clause",
    "outcome": "outcome clause",
    "contract": "contract clause",
    "target": "target clause",
    "review": "review clause",
    "tender": "tender clause",
    "offer": "offer clause",
}


class SyntaxProblem:
    """Explains one lark error in the words of the charter."""

    def __init__(self, source: Source, block: Block) -> None:
        self.source, self.block = source, block

    def diagnose(self, error: LarkError) -> Diagnostic:
        if isinstance(error, IndentationProblem):
            # The newline token ends where the badly indented line's first word starts.
            end = self._offset(error.token.end_pos or 0)
            start = self.source.text.rfind("\n", 0, end) + 1
            span = self.source.span(start, max(end, start + 1))
            return Diagnostic("CH104", error.message, span, error.hint, source=self.source)
        if isinstance(error, RunTogether):
            return self._run_together(error)
        if isinstance(error, UnexpectedCharacters):
            return self._character(error)
        assert isinstance(error, UnexpectedToken)
        return self._token(error)

    def _offset(self, block_offset: int) -> int:
        return self.block.offset + block_offset

    def _at(
        self, token: Token, code: str, message: str, hint: str | None, width: int | None = None
    ) -> Diagnostic:
        start = self._offset(token.start_pos or 0)
        if token.type in ("_NL", "_INDENT", "_DEDENT"):
            start = self._line_end_or_indent(token)
            width = 1
        end = start + (width if width is not None else max(1, len(str(token))))
        return Diagnostic(code, message, self.source.span(start, end), hint, source=self.source)

    def _line_end_or_indent(self, token: Token) -> int:
        # A newline token's error belongs at the end of the line it closes, or, for an
        # indentation token, at the first character of the indented line.
        if token.type == "_NL":
            return self._offset(token.start_pos or 0)
        end = self._offset(token.end_pos or 0)
        return end

    def _run_together(self, error: RunTogether) -> Diagnostic:
        first, second = error.first, error.second
        start = self._offset(first.start_pos or 0)
        span = self.source.span(start, self._offset(second.end_pos or 0))
        hint = "put a space between words"
        if _is_keyword(first) and _is_keyword(second):
            hint = f"did you mean '{first} {second}'?"
        return Diagnostic(
            "CH101", f"'{first}{second}' is not a word of the charter language", span, hint,
            source=self.source,
        )

    def _character(self, error: UnexpectedCharacters) -> Diagnostic:
        text = self.block.text
        position = error.pos_in_stream or 0
        ch = text[position]
        start = self._offset(position)
        span = self.source.span(start, start + 1)
        code, message, hint = "CH102", f"unexpected character {_show(ch)}", None
        if ch == '"' and (escape := _bad_escape(text, position)) is not None:
            start = self._offset(escape)
            span = self.source.span(start, start + 2)
            return Diagnostic(
                "CH102", f"'{text[escape:escape + 2]}' is not an escape of the charter language",
                span, 'inside quoted text a backslash may only come before " or another \\',
                source=self.source)
        if ch == '"':
            code, message = "CH103", "this quoted text has no closing quote"
            hint = 'end it with " on the same line; write \\" for a quote inside it'
        elif ch == "£":
            code, message = "CH303", "this sum of money is not written the usual way"
            hint = "write money like £12m, £2.4k, £1,200 or £0.25"
        elif unicodedata.category(ch) == "Nd":
            code, message = "CH303", f"the digit {_show(ch)} is not an ASCII digit"
            hint = "write numbers with the digits 0 to 9"
        elif ch == "-" and position > 0 and (text[position - 1].isalnum() or
                                               text[position - 1] in "_-"):
            message = "an id may not end with a hyphen or hold two in a row"
            hint = "use single hyphens between letters or digits, like HR-2025-014"
        elif ch.isdigit() or ch in "-+.":
            code, message = "CH303", "this number is not written the usual way"
            hint = "write numbers like 25, 1,200 or 37.5; dates like 2025-04-01"
        elif ch == "%":
            hint = "a percentage is written straight after its number, like 30%"
        elif ch == "\\":
            hint = 'a backslash is only allowed inside quoted text, before " or \\'
        elif unicodedata.category(ch).startswith(("C", "Z")):
            hint = "remove this invisible or control character"
        elif ch in "{[" and not self.source.text[: start].strip():
            hint = ("this looks like a JSON document: the charter commands read charter text; "
                    "a JSON export is read back with charterdsl.from_json")
        elif not ch.isalnum():
            hint = "put text with symbols inside quotes, like \"Parks & gardens\""
        return Diagnostic(code, message, span, hint, source=self.source)

    def _token(self, error: UnexpectedToken) -> Diagnostic:
        token: Token = error.token
        expected = {name for name in _accepted(error) if not name.startswith("__")}
        keywords = self._keywords(expected)
        if token.type == "$END":
            return self._at_end(expected)
        if token.type == "_INDENT":
            tab = " (with a tab, which counts as 4 spaces)" if "\t" in str(token) else ""
            return self._at(
                token,
                "CH104",
                f"this line is indented{tab}, but the line above does not open a block",
                "indent a line only under a declaration or clause that takes clauses",
            )
        if token.type == "_NL" and (swallowed := self._swallowed_keywords(token)) is not None:
            return swallowed
        word = None if token.type in _LAYOUT else self._word(token)
        found = _TERMINAL_WORDS[token.type] if word is None else f"'{word}'"
        glued = self._glued_word(token)
        if glued is not None:
            start, end = glued
            text = self.block.text[start:end]
            span = self.source.span(self._offset(start), self._offset(end))
            return Diagnostic("CH101", f"'{_clip(text)}' is not a word of the charter language",
                              span, "put a space between words", source=self.source)
        width = None if word is None else len(word)
        line_start = self._is_first_on_line(token)
        context = self._context(token) if line_start else None
        hint = self._did_you_mean(str(token), keywords) if token.type == "NAME" else None
        if line_start and token.line == 1 and token.type != "_DEDENT" and not self._indented(token):
            message = f"{found} does not start a declaration"
            hint = hint or self._top_level_hint(str(token))
            code = "CH107" if hint and "indent" in hint else "CH101"
            return self._at(token, code, message, hint, width)
        if line_start and context is not None:
            article = "an" if context[0] in "aeiou" else "a"
            message = f"{found} is not {article} {context}"
            return self._at(
                token, "CH101", message, hint or self._list_hint(expected, keywords), width
            )
        wanted = self._describe(expected, keywords)
        before = self._words_before(token)
        where = f" after '{_clip(before)}'" if before else ""
        message = f"expected {wanted}{where}, found {found}"
        return self._at(token, "CH101", message, hint or self._slip_hint(token, before),
                        width)

    def _slip_hint(self, token: Token, before: str) -> str | None:
        """A hint for the slips officers make most: a space inside a sum of money or a
        percentage, a date written the British way, "each year"."""
        after = self.block.text[token.end_pos or 0 :].lstrip(" \t")
        word = str(token).lower()
        if word in ("m", "k", "bn", "million", "thousand", "billion") and before[-1:].isdigit():
            return "write the amount with its suffix and no space, like £12m or £2.4k"
        if token.type == "NUMBER" and after.startswith("%"):
            return f"write the percentage with no space, like {token}%"
        if token.type == "NUMBER" and after.startswith("/"):
            return "write dates as year-month-day, like 2025-03-12"
        if word == "year" and before.endswith("each"):
            return "did you mean 'financial year'?"
        return None

    def _at_end(self, expected: set[str]) -> Diagnostic:
        end = self.block.offset + len(self.block.text.rstrip())
        span = self.source.span(max(self.block.offset, end - 1), max(end, self.block.offset + 1))
        wanted = self._describe(expected, self._keywords(expected))
        return Diagnostic(
            "CH101", f"the declaration ends too early: expected {wanted}", span, None,
            source=self.source,
        )

    def _keywords(self, expected: set[str]) -> list[str]:
        terminals = {t.name: t for t in lark_parser().terminals}
        words: list[str] = []
        for name in expected:
            terminal = terminals.get(name)
            if terminal is not None and terminal.pattern.type == "str":
                words.append(terminal.pattern.value)
        return sorted(words)

    def _describe(self, expected: set[str], keywords: list[str]) -> str:
        parts = [f"'{phrase}'" for word in keywords for phrase in _PHRASES.get(word, (word,))]
        parts += [
            _TERMINAL_WORDS[name]
            for name in sorted(expected)
            if name in _TERMINAL_WORDS and name != "$END"
        ]
        if not parts:
            return "something else"
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]

    def _list_hint(self, expected: set[str], keywords: list[str]) -> str | None:
        if not keywords:
            return None
        return "a clause here starts with " + self._describe(set(), keywords)

    @staticmethod
    def _did_you_mean(word: str, keywords: list[str]) -> str | None:
        candidates = {k: k for k in keywords}
        for keyword in keywords:
            for phrase in _PHRASES.get(keyword, ()):
                candidates[phrase.replace(" ", "")] = phrase
        match = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.7)
        return f"did you mean '{candidates[match[0]]}'?" if match else None

    @staticmethod
    def _top_level_hint(word: str) -> str | None:
        declarations = [
            "charter", "catalogue", "use", "area", "strength", "theme", "metric", "outcome",
            "contract", "target", "excused", "review",
        ]
        match = difflib.get_close_matches(word.lower(), declarations, n=1, cutoff=0.7)
        if match:
            return f"did you mean '{match[0]}'?"
        return (
            "a line at the left margin starts a declaration (charter, metric, contract...); "
            "indent a clause under the declaration it belongs to"
        )

    def _word(self, token: Token) -> str:
        """What was found, as the author wrote it: after a mistake lark may have matched only
        the start of a word as a keyword (``per`` of ``person-weeks``)."""
        if token.type in ("STRING", "NUMBER", "DATE", "PERCENT", "MONEY"):
            return _clip(str(token))
        start = token.start_pos or 0
        match = _WORD.match(self.block.text, start)
        return _clip(match.group() if match else str(token))

    def _swallowed_keywords(self, token: Token) -> Diagnostic | None:
        """A line that ends too early because its last word is two keywords run together
        (``25 FTE eachquarter``): the word was read as part of a unit or a name, so the error
        would otherwise fall at the end of the line."""
        text, end = self.block.text, token.start_pos or 0
        line_start = text.rfind("\n", 0, end) + 1
        words = list(re.finditer(r"[A-Za-z]+", text[line_start:end]))
        if not words:
            return None
        last = words[-1]
        keywords = set(self._keywords({t.name for t in lark_parser().terminals}))
        for cut in range(1, len(last.group())):
            first, second = last.group()[:cut], last.group()[cut:]
            if first in keywords and second in keywords:
                start = self._offset(line_start + last.start())
                span = self.source.span(start, start + len(last.group()))
                return Diagnostic(
                    "CH101", f"'{last.group()}' is not a word of the charter language", span,
                    f"did you mean '{first} {second}'?", source=self.source)
        return None

    def _glued_word(self, token: Token) -> tuple[int, int] | None:
        """The extent of the word a token was cut from, when lark split a word in two."""
        text, start = self.block.text, token.start_pos or 0
        if token.type in _LAYOUT or start == 0 or not _is_word_char(text[start - 1]):
            return None
        if not _is_word_char(text[start : start + 1]):
            return None
        begin = start
        while begin > 0 and _is_word_char(text[begin - 1]):
            begin -= 1
        end = start
        while end < len(text) and _is_word_char(text[end]):
            end += 1
        return begin, end

    def _is_first_on_line(self, token: Token) -> bool:
        text = self.block.text
        start = token.start_pos or 0
        line_start = text.rfind("\n", 0, start) + 1
        return not text[line_start:start].strip()

    def _indented(self, token: Token) -> bool:
        return (token.column or 1) > 1

    def _context(self, token: Token) -> str | None:
        """The declaration or clause the token's line sits under."""
        lines = self.block.text[: token.start_pos].split("\n")
        own = len(lines[-1]) - len(lines[-1].lstrip(" \t"))
        for line in reversed(lines[:-1]):
            stripped = line.lstrip(" \t")
            if not stripped or stripped.startswith("#"):
                continue
            if len(line) - len(stripped) < own:
                return _CONTEXTS.get(stripped.split()[0])
        return None

    def _words_before(self, token: Token) -> str:
        text = self.block.text
        start = token.start_pos or 0
        line_start = text.rfind("\n", 0, start) + 1
        before = text[line_start:start].split("#")[0].strip()
        return before[-60:]


def _show(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if ch.isprintable() and not unicodedata.category(ch).startswith(("C", "Z")):
        return f"'{ch}'"
    return f"U+{ord(ch):04X} {name}".rstrip()


def _accepted(error: UnexpectedToken) -> set[str]:
    """What the parser could take at the point of the error. An error raised by the lexer
    lists every terminal its state may match, plus the newline it always accepts, which would
    make every message end in "or the end of the line"; the parser's own table is exact."""
    state = error.state
    table = getattr(getattr(state, "parse_conf", None), "states", None)
    stack = getattr(state, "state_stack", None)
    if table is not None and stack:
        return set(table[stack[-1]].keys())
    return set(error.expected)


def _bad_escape(text: str, opening: int) -> int | None:
    """Where a quoted text that fails to lex holds a backslash before something other than
    a quote or a backslash, if it does and the line also holds a closing quote."""
    line_end = text.find("\n", opening)
    line = text[opening + 1 : line_end if line_end != -1 else len(text)]
    index = 0
    while index < len(line):
        if line[index] == "\\":
            if line[index + 1 : index + 2] not in ('"', "\\"):
                return opening + 1 + index if '"' in line[index:] else None
            index += 2
        elif line[index] == '"':
            return None
        else:
            index += 1
    return None


def _clip(token: str, limit: int = 40) -> str:
    # Echo at most a few words of what was found: input can be long, hostile or both.
    text = str(token)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-" if ch else False
