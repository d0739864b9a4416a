"""charterdsl: Community Value Charters in plain text, checked and followed up.

Parse a charter, check it, format it, export it::

    import charterdsl

    charter = charterdsl.parse_file("brightwell.charter")
    print(charterdsl.format_charter(charter))
    document = charterdsl.to_json(charter)
    assert charterdsl.from_json(document) == charter
"""

from charterdsl.errors import (
    CharterDecodeError,
    CharterError,
    CharterSyntaxError,
    CharterValidationError,
    Diagnostic,
)
from charterdsl.formatter import format_charter
from charterdsl.loader import (
    CheckResult,
    check_catalogue_file,
    check_file,
    check_text,
    load_catalogue,
    parse,
    parse_file,
)
from charterdsl.model import Charter
from charterdsl.serde import from_json, to_json

__version__ = "0.1.0"

__all__ = [
    "Charter",
    "CharterDecodeError",
    "CharterError",
    "CharterSyntaxError",
    "CharterValidationError",
    "CheckResult",
    "Diagnostic",
    "check_catalogue_file",
    "check_file",
    "check_text",
    "format_charter",
    "from_json",
    "load_catalogue",
    "parse",
    "parse_file",
    "to_json",
]
