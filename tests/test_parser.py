import json
from pathlib import Path

from lark import Lark

import charterdsl
from charterdsl.parser import (
    TABLES,
    Indentation,
    build_parser,
    comments,
    grammar_digest,
    grammar_text,
    lark_parser,
    split_blocks,
)
from charterdsl.source import Source
from tests.conftest import EXAMPLES


def test_grammar_has_no_conflicts_in_strict_mode() -> None:
    # strict=True makes lark refuse shift/reduce conflicts and colliding terminals.
    Lark(grammar_text(), parser="lalr", postlex=Indentation(), strict=True,
         start=["start", "declaration"], maybe_placeholders=True)


def test_blocks_start_at_the_left_margin(sketch: str) -> None:
    blocks = split_blocks(Source(sketch))
    firsts = [b.text.split(None, 1)[0] for b in blocks]
    assert firsts[:3] == ["charter", "area", "area"]
    assert firsts.count("metric") == 5
    assert blocks[0].line == 3  # after the comment and blank line


def test_comments_are_found_outside_quotes() -> None:
    text = 'charter "a # not a comment"  # a comment\n# own line\n'
    found = comments(Source(text))
    assert [(c.text, c.line, c.own_line) for c in found] == [
        ("# a comment", 1, False),
        ("# own line", 2, True),
    ]


def errors_of(text: str) -> list[str]:
    return [f"{d.span}:{d.code}" for d in charterdsl.check_text(text).errors]


def test_every_bad_clause_in_a_declaration_is_reported() -> None:
    text = (
        'charter "x"\n'
        '  autority "A"\n'
        '  version 1\n'
        '  staus draft\n'
    )
    assert errors_of(text) == ["2:3:CH101", "4:3:CH101"]


def test_good_declarations_survive_a_bad_one() -> None:
    text = 'charter "x"\ntheme a "A" weight 50% 50%\ntheme b "B" weight 100%\n'
    result = charterdsl.check_text(text)
    assert [t.id for t in result.charter.themes] == ["b"]  # type: ignore[union-attr]
    assert [d.code for d in result.errors] == ["CH101"]


def test_keywords_glued_together_are_not_read_as_two_words() -> None:
    text = (
        'charter "x"\nmetric m "t"\n  counts FTE, summed\ncontract c "t"\n'
        "  runs from 2025-04-01 to 2026-03-31\n  target m atleast 5 FTE each quarter\n"
    )
    [error] = charterdsl.check_text(text).errors
    assert error.message == "'atleast' is not a word of the charter language"
    assert error.hint == "did you mean 'at least'?"


def test_keywords_can_be_used_as_ids() -> None:
    charter = charterdsl.parse(
        'charter "x"\ntheme target "t" weight 100%\nmetric at "m"\n  counts FTE, summed\n'
        "  theme target\n"
    )
    assert charter.metrics[0].id == "at" and charter.metrics[0].theme == "target"


def test_tabs_crlf_and_bom_parse_like_spaces() -> None:
    plain = charterdsl.parse('charter "x"\n  authority "A"\n  version 1\n')
    for variant in (
        '\ufeffcharter "x"\r\n\tauthority "A"\r\n\tversion 1\r\n',
        'charter "x"\r  authority "A"\r  version 1',
    ):
        assert charterdsl.parse(variant) == plain


def test_inconsistent_dedent_names_the_choices() -> None:
    [error] = charterdsl.check_text('charter "x"\n    authority "y"\n  version 1\n').errors
    assert error.code == "CH104"
    assert (error.span.line, error.span.column) == (3, 1)  # type: ignore[union-attr]
    assert error.hint == "indent it by 4 or 0 spaces to line it up with the lines above"


def test_non_ascii_digits_are_refused_with_a_hint() -> None:
    [error] = charterdsl.check_text('charter "x"\ntheme a "A" weight ٣٠%\n').errors
    assert error.code == "CH303" and error.hint == "write numbers with the digits 0 to 9"


def test_shipped_parse_tables_are_current() -> None:
    document = json.loads((Path(charterdsl.__file__).parent / TABLES).read_text("utf-8"))
    assert document["grammar_sha256"] == grammar_digest(grammar_text()), (
        "grammar/charter.lark changed: run python scripts/generate_parse_tables.py"
    )


def test_loaded_tables_parse_like_the_grammar(sketch: str) -> None:
    built = build_parser()
    loaded = lark_parser()
    for path in sorted(EXAMPLES.glob("**/*.charter")):
        for block in split_blocks(Source(path.read_text(encoding="utf-8"))):
            tree = built.parse(block.text, start="declaration")
            assert loaded.parse(block.text, start="declaration") == tree
