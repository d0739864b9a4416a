from charterdsl.source import Source, excerpt


def test_line_endings_are_normalised_and_keep_line_numbers() -> None:
    for text in ("a\r\nb\r\nc", "a\rb\rc", "a\nb\nc"):
        source = Source(text)
        assert source.text == "a\nb\nc"
        assert source.position(4) == (3, 1)


def test_byte_order_mark_is_dropped() -> None:
    assert Source("\ufeffcharter").text == "charter"


def test_position_and_line_text() -> None:
    source = Source("first\nsecond line\n")
    assert source.position(6) == (2, 1)
    assert source.position(13) == (2, 8)
    assert source.line_text(2) == "second line"
    assert source.line_text(9) == ""


def test_excerpt_puts_the_caret_under_the_span() -> None:
    source = Source("  target x at least 25 FTEs each year\n")
    start = source.text.index("FTEs")
    line, caret = excerpt(source, source.span(start, start + 4))
    assert line == "  target x at least 25 FTEs each year"
    assert caret == " " * start + "^^^^"


def test_excerpt_neutralises_bidirectional_overrides() -> None:
    source = Source('charter "\u202eevil"\n')
    line, _ = excerpt(source, source.span(0, 7))
    assert "\u202e" not in line and "?" in line


def test_excerpt_cuts_long_lines_around_the_span() -> None:
    text = "x" * 500 + "BAD" + "y" * 500
    source = Source(text)
    line, caret = excerpt(source, source.span(500, 503))
    assert len(line) <= 160
    assert line[caret.index("^") : caret.index("^") + 3] == "BAD"
