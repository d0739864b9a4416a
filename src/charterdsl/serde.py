"""Charters as JSON: export, import and the JSON Schema of the export.

This is the only module that imports cattrs. :func:`make_converter` states every rule of the
format in one place; :func:`json_schema` walks the same attrs classes, so the schema cannot
drift from what the converter writes. A document looks like::

    {"format": "charterdsl/charter", "format_version": 1, "charter": {"header": {...}, ...}}

Numbers are exact decimal strings (``"37.5"``), dates are ``"YYYY-MM-DD"``, enums are their
values, tuples are arrays, fields equal to their default are left out, and each member of the
unions ``Amount``, ``Scope``, ``Schedule`` and ``Condition`` carries a ``"kind"`` tag such as
``"per_value"``. Source spans, file names and comments belong to a text file, not to the
charter's content, so they are neither written nor accepted.

Reading is strict and never raises anything but :class:`~charterdsl.errors.CharterDecodeError`:
a document that is not JSON (CH701), does not match the schema (CH702, one diagnostic per
problem, each naming its JSON path such as ``$.charter.contracts[0].targets[1].amount``) or has
another format version (CH703).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import inspect
import itertools
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.errors import IterableValidationNote as _IndexNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from charterdsl import limits
from charterdsl.errors import CharterDecodeError, Diagnostic
from charterdsl.model import Charter
from charterdsl.report import Report
from charterdsl.source import Source, Span, normalise_text

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "from_dict",
    "from_json",
    "json_schema",
    "make_converter",
    "tag",
    "to_dict",
    "to_json",
]

FORMAT = "charterdsl/charter"
FORMAT_VERSION = 1
TAG = "kind"  # the key naming which member of a union an object is

# Plain digits only: an exponent such as "1e999999999" would make later arithmetic allocate a
# billion digits, so the format has none. Checked with fullmatch, as "$" also matches before
# a final newline.
_DECIMAL_BODY = r"[+-]?[0-9]+(?:\.[0-9]+)?"
_DATE_BODY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DECIMAL = re.compile(_DECIMAL_BODY)
_DATE = re.compile(_DATE_BODY)

# Python refuses int() of longer digit strings (quadratic time); such a JSON integer is read as
# a Decimal instead, which the schema then refuses with a path rather than a crash.
_MAX_INT_DIGITS = 4300
_MAX_DIAGNOSTICS = 100  # a hostile document may hold millions of errors; the first few suffice

Segment = str | int
Path = tuple[Segment, ...]
_NoneType = type(None)


class _Invalid(ValueError):
    """A value the format does not allow. ``at`` extends the path when the problem lies in a
    key the hook read itself, such as a union's tag."""

    def __init__(self, message: str, at: Path = ()) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


# ---------------------------------------------------------------------------- the converter


def make_converter() -> cattrs.Converter:
    """A converter holding every rule of the JSON format."""
    converter = cattrs.Converter(forbid_extra_keys=True, omit_if_default=True)
    for scalar, structure, unstructure in _SCALARS:
        converter.register_structure_hook(scalar, structure)
        converter.register_unstructure_hook(scalar, unstructure)
    converter.register_structure_hook_factory(_is_enum, _enum_structure)
    converter.register_unstructure_hook_factory(_is_enum, lambda _: _enum_value)
    converter.register_structure_hook_factory(_is_tuple, _tuple_structure)
    converter.register_unstructure_hook_factory(_is_tuple, _tuple_unstructure)
    converter.register_structure_hook_factory(_is_union, _union_structure)
    converter.register_unstructure_hook_factory(_is_union, _union_unstructure)
    converter.register_structure_hook_factory(attrs.has, _class_structure)
    converter.register_unstructure_hook_factory(attrs.has, _class_unstructure)
    return converter


@functools.cache
def _converter() -> cattrs.Converter:
    return make_converter()


def _text(value: Any, _: Any = str) -> str:
    if type(value) is not str:
        raise _Invalid(f"expected text, found {_describe(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # JSON escapes can spell a lone surrogate, which no charter file can hold.
        raise _Invalid("text contains an unpaired surrogate escape") from None
    return value


def _integer(value: Any, _: Any = int) -> int:
    if type(value) is not int:
        raise _Invalid(f"expected a whole number, found {_describe(value)}")
    return value


def _boolean(value: Any, _: Any = bool) -> bool:
    if type(value) is not bool:
        raise _Invalid(f"expected true or false, found {_describe(value)}")
    return value


def _decimal(value: Any, _: Any = Decimal) -> Decimal:
    if type(value) is not str:
        raise _Invalid(f'expected a number written as a string, like "37.5", found '
                       f"{_describe(value)}")
    if not _DECIMAL.fullmatch(value):
        raise _Invalid(f"{_describe(value)} is not a plain decimal number: write digits with an "
                       'optional sign and fraction, like "37.5"')
    return Decimal(value)


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} has no JSON form: charter numbers are finite")
    return format(value, "f")  # never exponent notation, which the reader refuses


def _date(value: Any, _: Any = dt.date) -> dt.date:
    if type(value) is not str or not _DATE.fullmatch(value):
        raise _Invalid(f'expected a date written as "YYYY-MM-DD", found {_describe(value)}')
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{_describe(value)} is not a date in the calendar") from None


def _same(value: Any) -> Any:
    return value


_SCALARS: tuple[tuple[type, Callable[[Any, Any], Any], Callable[[Any], Any]], ...] = (
    (str, _text, _same),
    (int, _integer, _same),
    (bool, _boolean, _same),
    (Decimal, _decimal, _decimal_text),
    (dt.date, _date, dt.date.isoformat),
)


def _is_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def _enum_structure(tp: type[enum.Enum]) -> Callable[[Any, Any], enum.Enum]:
    by_value = {member.value: member for member in tp}
    choices = ", ".join(json.dumps(v) for v in by_value)

    def structure(value: Any, _: Any) -> enum.Enum:
        if type(value) is not str or value not in by_value:
            raise _Invalid(f"expected one of {choices}, found {_describe(value)}")
        return by_value[value]

    return structure


def _enum_value(member: enum.Enum) -> Any:
    return member.value


def _is_tuple(tp: Any) -> bool:
    return typing.get_origin(tp) is tuple


def _tuple_items(tp: Any) -> tuple[tuple[Any, ...], bool]:
    """The item types of a tuple type, and whether it is ``tuple[X, ...]``."""
    args = typing.get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        return (args[0],), True
    return args, False


def _tuple_structure(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], tuple[Any, ...]]:
    items, homogeneous = _tuple_items(tp)
    hooks = [converter.get_structure_hook(item) for item in items]

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        # Only a JSON array will do: a string or an object is iterable too.
        if not isinstance(value, list):
            raise _Invalid(f"expected an array, found {_describe(value)}")
        if not homogeneous and len(value) != len(items):
            raise _Invalid(f"expected an array of {len(items)} items, found {len(value)}")
        if homogeneous:
            return _structure_items(tp, value, [(hooks[0], items[0])] * len(value))
        return _structure_items(tp, value, list(zip(hooks, items, strict=True)))

    return structure


def _structure_items(
    tp: Any, values: list[Any], plan: list[tuple[Callable[[Any, Any], Any], Any]]
) -> tuple[Any, ...]:
    """Every item structured, or every item's error collected with its index."""
    result: list[Any] = []
    errors: list[Exception] = []
    for index, (value, (hook, item)) in enumerate(zip(values, plan, strict=True)):
        try:
            result.append(hook(value, item))
        except Exception as exc:
            exc.add_note(_IndexNote(f"Structuring {tp!r} @ index {index}", index, item))
            errors.append(exc)
    if errors:
        raise IterableValidationError(f"While structuring {tp!r}", errors, tp)
    return tuple(result)


def _tuple_unstructure(tp: Any, converter: cattrs.Converter) -> Callable[[Any], list[Any]]:
    items, homogeneous = _tuple_items(tp)
    hooks = [converter.get_unstructure_hook(item) for item in items]
    if homogeneous:
        return lambda value: [hooks[0](item) for item in value]
    return lambda value: [hook(item) for hook, item in zip(hooks, value, strict=True)]


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _union_parts(tp: Any) -> tuple[list[Any], bool, dict[Any, str]]:
    """A union's members other than None, whether None is allowed, and each member's tag.

    A union of several attrs classes is tagged; ``X | None`` needs no tag; any other union
    would be ambiguous in JSON, and the model has none."""
    args = typing.get_args(tp)
    members = [arg for arg in args if arg is not _NoneType]
    if len(members) == 1:
        return members, len(args) > 1, {}
    if not all(attrs.has(member) for member in members):
        raise TypeError(f"no JSON form for the untagged union {tp!r}")
    return members, len(args) > len(members), {member: tag(member) for member in members}


def tag(cls: type) -> str:
    """The ``"kind"`` of a union member: its class name in snake case (``KOfLast`` is
    ``k_of_last``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _union_structure(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    members, optional, tags = _union_parts(tp)
    if not tags:
        inner: Callable[[Any, Any], Any] = converter.get_structure_hook(members[0])
        return lambda value, _: None if value is None and optional else inner(value, members[0])
    by_tag = {name: (converter.get_structure_hook(m), m) for m, name in tags.items()}
    choices = ", ".join(json.dumps(name) for name in by_tag)

    def structure(value: Any, _: Any) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, dict):
            raise _Invalid(f'expected an object with a "{TAG}" of {choices}, found '
                           f"{_describe(value)}")
        if TAG not in value:
            raise _Invalid(f"missing required field, one of {choices}", at=(TAG,))
        name = value[TAG]
        if type(name) is not str or name not in by_tag:
            raise _Invalid(f"expected one of {choices}, found {_describe(name)}", at=(TAG,))
        hook, member = by_tag[name]
        return hook({k: v for k, v in value.items() if k != TAG}, member)

    return structure


def _union_unstructure(tp: Any, converter: cattrs.Converter) -> Callable[[Any], Any]:
    members, _, tags = _union_parts(tp)
    hooks = [
        (typing.get_origin(m) or m, converter.get_unstructure_hook(m), tags.get(m))
        for m in members
    ]

    def unstructure(value: Any) -> Any:
        if value is None:
            return None
        for runtime, hook, name in hooks:
            if isinstance(value, runtime):
                return hook(value) if name is None else {TAG: name, **hook(value)}
        raise TypeError(f"{type(value).__name__} is not a member of {tp!r}")

    return unstructure


def _omitted(cls: type) -> dict[str, Any]:
    """Overrides dropping the equality-blind fields: spans, file names and comments describe
    where a charter was written, not what it says."""
    return {a.name: override(omit=True) for a in attrs.fields(cls) if not a.eq}


def _class_structure(cls: type, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, converter, **_omitted(cls))

    def structure(value: Any, _: Any) -> Any:
        # The generated function would take a string or an array for a mapping.
        if not isinstance(value, dict):
            raise _Invalid(f"expected an object, found {_describe(value)}")
        return inner(value, cls)

    return structure


def _class_unstructure(cls: type, converter: cattrs.Converter) -> Callable[[Any], Any]:
    return make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True, **_omitted(cls))


# ---------------------------------------------------------------------------- export


def to_dict(charter: Charter) -> dict[str, Any]:
    """The JSON document of a charter as plain dicts, lists, strings, numbers and booleans."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "charter": _converter().unstructure(charter, Charter),
    }


def to_json(charter: Charter, *, indent: int | None = 2) -> str:
    """The JSON document of a charter, keys in model field order, ending with a newline."""
    return json.dumps(to_dict(charter), indent=indent, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------- import


@attrs.frozen
class _Problem:
    code: str
    path: Path
    message: str
    hint: str | None = None
    on_key: bool = False  # point at the key rather than at its value
    where: tuple[int, int] | None = None  # a known position in the text


def from_json(text: str | bytes, name: str = "<json>") -> Charter:
    """The charter a JSON document holds; :class:`CharterDecodeError` for anything else."""
    source = _source(text, name)
    data = _load(source)
    return _from_data(data, source)


def from_dict(data: object) -> Charter:
    """The charter a parsed JSON document holds, as :func:`to_dict` returns it."""
    return _from_data(data, None)


def _source(text: str | bytes, name: str) -> Source:
    size = len(text)
    if size <= limits.MAX_JSON_BYTES and isinstance(text, str) and size * 4 > limits.MAX_JSON_BYTES:
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.MAX_JSON_BYTES:
        message = f"this JSON document is over {limits.MAX_JSON_BYTES} bytes long"
        raise CharterDecodeError([Diagnostic("CH601", message, source=Source("", name))])
    if isinstance(text, str):
        return Source(text, name)
    try:
        return Source(text.decode("utf-8"), name)
    except UnicodeDecodeError as exc:
        source = Source(text.decode("utf-8", "replace"), name)
        offset = len(normalise_text(text[: exc.start].decode("utf-8")))
        span = source.span(offset, offset + 1)
        message = f"this JSON document is not valid UTF-8 (byte {exc.start})"
        raise CharterDecodeError([Diagnostic("CH701", message, span, source=source)]) from None


def _load(source: Source) -> Any:
    """Parse JSON text, refusing what Python's parser lets through but JSON does not."""
    flagged: set[str] = set()

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            flagged.add("duplicate")  # the scan below finds where, which this hook cannot
        return result

    def constant(_: str) -> None:
        flagged.add("constant")

    try:
        # The source text is normalised, and its offsets are what the diagnostics point at.
        data = json.loads(source.text, object_pairs_hook=pairs, parse_constant=constant,
                          parse_float=Decimal, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        message = f"this is not valid JSON: {exc.msg[:1].lower()}{exc.msg[1:]}"
        span = source.span(exc.pos, exc.pos + 1)
        raise CharterDecodeError([Diagnostic("CH701", message, span, source=source)]) from None
    except RecursionError:
        message = "this JSON is nested too deeply to read"
        hint = "a charter export nests objects and arrays about ten levels deep"
        raise CharterDecodeError([Diagnostic("CH701", message, hint=hint,
                                             source=source)]) from None
    if flagged:
        raise CharterDecodeError(_diagnostics(_scan_problems(source.text), source))
    return data


def _parse_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _MAX_INT_DIGITS else Decimal(text)


def _from_data(data: object, source: Source | None) -> Charter:
    problems = list(_envelope_problems(data))
    if not problems:
        document = typing.cast(dict[str, Any], data)
        try:
            charter: Charter = _converter().structure(document["charter"], Charter)
        # Any error is the document's fault: cattrs gathers them, and none may escape raw.
        except Exception as exc:
            raise CharterDecodeError(_diagnostics(_problems(exc, ("charter",)), source)) from None
        return charter
    raise CharterDecodeError(_diagnostics(problems, source))


def _envelope_problems(data: object) -> Iterator[_Problem]:
    if not isinstance(data, dict):
        yield _Problem("CH702", (), f"expected an object, found {_describe(data)}",
                       f'a charter export looks like {{"format": "{FORMAT}", "format_version": '
                       f'{FORMAT_VERSION}, "charter": {{...}}}}')
        return
    if data.get("format") != FORMAT:
        found = _describe(data["format"]) if "format" in data else "nothing"
        yield _Problem("CH703", ("format",), f'expected "{FORMAT}", found {found}',
                       "this document is not a charterdsl charter export")
    version = data.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        found = _describe(version) if "format_version" in data else "nothing"
        yield _Problem("CH703", ("format_version",), f"unsupported format version: {found}",
                       f"this charterdsl reads format version {FORMAT_VERSION}")
    for key in sorted(data.keys() - {"format", "format_version", "charter"}, key=str):
        yield _Problem("CH702", (_segment(key),), f"unknown key {_quote(str(key))}",
                       "allowed keys: format, format_version, charter", on_key=True)
    if "charter" not in data:
        yield _Problem("CH702", ("charter",), "missing required field")


def _problems(exc: BaseException, path: Path) -> Iterator[_Problem]:
    """One problem per leaf of cattrs' exception tree, each with its JSON path."""
    if isinstance(exc, ClassValidationError):
        fields, others = exc.group_exceptions()
        for sub, field in fields:
            yield from _problems(sub, (*path, field.name))
        for sub in others:
            yield from _problems(sub, path)
    elif isinstance(exc, IterableValidationError):
        items, others = exc.group_exceptions()
        for sub, item in items:
            yield from _problems(sub, (*path, item.index))
        for sub in others:
            yield from _problems(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        allowed = ", ".join(a.name for a in attrs.fields(exc.cl) if a.eq)
        for key in sorted(exc.extra_fields, key=str):
            yield _Problem("CH702", (*path, _segment(key)), f"unknown key {_quote(str(key))}",
                           f"allowed keys: {allowed}" if allowed else None, on_key=True)
    elif isinstance(exc, _Invalid):
        yield _Problem("CH702", path + exc.at, exc.message)
    elif isinstance(exc, KeyError):
        yield _Problem("CH702", path, "missing required field")
    else:
        yield _Problem("CH702", path, f"invalid value ({type(exc).__name__}: {exc})")


# ---------------------------------------------------------------------------- positions

# A token of text json.loads has accepted; NaN and Infinity are Python's extensions.
_TOKEN = re.compile(
    r"""[ \t\n\r]*(?:
        (?P<string>"[^"\\]*(?:\\.[^"\\]*)*")
      | (?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
      | (?P<constant>NaN|-?Infinity)
      | (?P<literal>true|false|null)
      | (?P<punct>[\[\]{},:])
    )""",
    re.VERBOSE,
)


@attrs.frozen
class _Value:
    """Where a value sits in the text, and under which key."""

    path: Path
    start: int
    end: int  # one past the token, or one past the opening bracket of an array or object
    kind: str
    key_start: int | None = None
    key_end: int | None = None
    duplicate: bool = False


@attrs.define
class _Container:
    path: Path
    is_object: bool
    index: int = 0
    keys: set[str] = attrs.Factory(set)
    key: str | None = None
    key_span: tuple[int, int] = (0, 0)


def _scan(text: str, enter: Callable[[Path], bool] | None = None) -> Iterator[_Value]:
    """Every value of a JSON text json.loads has accepted, with its path and position; inside
    only the arrays and objects ``enter`` accepts, when given.

    The parser keeps no positions, so on the rare path of a problem the text is read again;
    iteratively, as json.loads has already shown the nesting fits the stack but a second
    recursive walk might not."""
    skip = json.JSONDecoder().raw_decode  # steps over a skipped array or object at C speed
    open_: list[_Container] = []
    position = 0
    while (match := _TOKEN.match(text, position)) is not None:
        kind = match.lastgroup or ""
        token, start, position = match.group(kind), match.start(kind), match.end(kind)
        top = open_[-1] if open_ else None
        if token in ("]", "}"):
            open_.pop()
            continue
        if token in (",", ":"):
            continue
        if top is not None and top.is_object and top.key is None:
            top.key, top.key_span = json.loads(token), (start, position)
            continue
        value = _place(top, start, position, kind)
        yield value
        if token in ("[", "{"):
            if enter is None or enter(value.path):
                open_.append(_Container(value.path, token == "{"))
            else:
                position = skip(text, start)[1]


def _place(top: _Container | None, start: int, end: int, kind: str) -> _Value:
    if top is None:
        return _Value((), start, end, kind)
    if top.is_object and top.key is not None:
        key, top.key = top.key, None
        duplicate = key in top.keys
        top.keys.add(key)
        return _Value((*top.path, key), start, end, kind, *top.key_span, duplicate)
    top.index += 1
    return _Value((*top.path, top.index - 1), start, end, kind)


def _scan_problems(text: str) -> Iterator[_Problem]:
    """What json.loads accepted but JSON forbids: repeated keys and NaN or Infinity."""
    for value in _scan(text):
        if value.duplicate and value.key_start is not None and value.key_end is not None:
            yield _Problem("CH701", value.path, f"duplicate key {_quote(str(value.path[-1]))}",
                           "an object may hold each key once",
                           where=(value.key_start, value.key_end))
        if value.kind == "constant":
            yield _Problem("CH701", value.path,
                           f"{text[value.start:value.end]} is not a JSON number",
                           'charter numbers are strings of digits, like "37.5"',
                           where=(value.start, value.end))


def _diagnostics(problems: Iterable[_Problem], source: Source | None) -> list[Diagnostic]:
    shown = list(itertools.islice(problems, _MAX_DIAGNOSTICS + 1))
    places = _locate(source.text, {p.path for p in shown if p.where is None}) if source else {}
    result = [
        Diagnostic(p.code, f"{_render_path(p.path)}: {p.message}",
                   _span(p, places, source) if source else None, p.hint, source=source)
        for p in shown[:_MAX_DIAGNOSTICS]
    ]
    if len(shown) > _MAX_DIAGNOSTICS:
        message = f"more than {_MAX_DIAGNOSTICS} problems; the rest are not listed"
        result.append(Diagnostic(shown[-1].code, message, source=source))
    return result


def _locate(text: str, paths: set[Path]) -> dict[Path, _Value]:
    """The first value at each of ``paths`` or at any of their prefixes, for the nearest
    existing place to point at when a path names a missing field."""
    if not paths:
        return {}
    wanted = {path[:cut] for path in paths for cut in range(len(path) + 1)}
    found: dict[Path, _Value] = {}
    for value in _scan(text, wanted.__contains__):
        if value.path in wanted:
            found.setdefault(value.path, value)
    return found


def _span(problem: _Problem, places: dict[Path, _Value], source: Source) -> Span | None:
    if problem.where is not None:
        return source.span(*problem.where)
    path = problem.path
    for cut in range(len(path), -1, -1):
        value = places.get(path[:cut])
        if value is None:
            continue
        if cut == len(path) and problem.on_key and value.key_start is not None:
            return source.span(value.key_start, value.key_end or value.key_start)
        return source.span(value.start, value.end)
    return None


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _segment(key: object) -> Segment:
    # JSON keys are strings; a dict handed to from_dict may hold others.
    return key if isinstance(key, str) else repr(key)


def _render_path(path: Path) -> str:
    """A JSONPath such as ``$.charter.contracts[0].targets[1].amount``."""
    parts = ["$"]
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _IDENTIFIER.fullmatch(segment):
            parts.append(f".{segment}")
        else:
            parts.append(f"[{_quote(segment)}]")
    return "".join(parts)


def _quote(text: str, limit: int = 40) -> str:
    # ASCII escapes keep terminal control and bidirectional characters out of messages.
    quoted = json.dumps(text[:limit])
    return quoted if len(text) <= limit else f'{quoted[:-1]}..."'


def _describe(value: object) -> str:
    """A JSON value in a few words, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 64:
        return "a very long number"  # str() of a huge int is slow, and refused past a limit
    if isinstance(value, int | float | Decimal):
        text = str(value)
        return f"the number {text if len(text) <= 40 else text[:37] + '...'}"
    if isinstance(value, str):
        return f"the text {_quote(value)}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a Python {type(value).__name__}"


# ---------------------------------------------------------------------------- JSON Schema

_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_SCALAR_SCHEMAS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    bool: {"type": "boolean"},
    Decimal: {"type": "string", "pattern": f"^{_DECIMAL_BODY}$"},
    dt.date: {"type": "string", "format": "date", "pattern": f"^{_DATE_BODY}$"},
}


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of :func:`to_json` documents, derived from the model."""
    defs: dict[str, Any] = {}
    charter = _SchemaWalker(defs).schema(Charter)
    return {
        "$schema": _SCHEMA_DIALECT,
        "title": "charterdsl charter export",
        "type": "object",
        "properties": {
            "format": {"const": FORMAT},
            "format_version": {"const": FORMAT_VERSION},
            "charter": charter,
        },
        "required": ["format", "format_version", "charter"],
        "additionalProperties": False,
        "$defs": defs,
    }


# ---------------------------------------------------------------------------- reports

REPORT_FORMAT = "charterdsl/report"
REPORT_FORMAT_VERSION = 1


def report_to_dict(report: Report) -> dict[str, Any]:
    """An evaluation report as plain JSON data, with the same conventions as charters:
    exact decimals as strings, dates as YYYY-MM-DD, fields at their default left out."""
    return {
        "format": REPORT_FORMAT,
        "format_version": REPORT_FORMAT_VERSION,
        "report": _converter().unstructure(report, Report),
    }


def report_to_json(report: Report, *, indent: int | None = 2) -> str:
    return json.dumps(report_to_dict(report), indent=indent, ensure_ascii=False) + "\n"


def report_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of :func:`report_to_json` documents."""
    defs: dict[str, Any] = {}
    report = _SchemaWalker(defs).schema(Report)
    return {
        "$schema": _SCHEMA_DIALECT,
        "title": "charterdsl evaluation report",
        "type": "object",
        "properties": {
            "format": {"const": REPORT_FORMAT},
            "format_version": {"const": REPORT_FORMAT_VERSION},
            "report": report,
        },
        "required": ["format", "format_version", "report"],
        "additionalProperties": False,
        "$defs": defs,
    }


@attrs.define
class _SchemaWalker:
    """Builds one ``$defs`` entry per attrs class and enum reachable from a type."""

    defs: dict[str, Any]
    tags: dict[str, str | None] = attrs.Factory(dict)  # the tag each class was defined with

    def schema(self, tp: Any) -> dict[str, Any]:
        if tp in _SCALAR_SCHEMAS:
            return dict(_SCALAR_SCHEMAS[tp])
        if _is_enum(tp):
            return self._enum(tp)
        if _is_tuple(tp):
            return self._array(tp)
        if _is_union(tp):
            return self._union(tp)
        if attrs.has(tp):
            return self._class(tp, None)
        raise TypeError(f"no JSON Schema for {tp!r}")

    def _ref(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{name}"}

    def _enum(self, tp: type[enum.Enum]) -> dict[str, Any]:
        self.defs.setdefault(tp.__name__, {"type": "string", "enum": [m.value for m in tp]})
        return self._ref(tp.__name__)

    def _array(self, tp: Any) -> dict[str, Any]:
        items, homogeneous = _tuple_items(tp)
        if homogeneous:
            return {"type": "array", "items": self.schema(items[0])}
        return {"type": "array", "prefixItems": [self.schema(item) for item in items],
                "items": False, "minItems": len(items)}

    def _union(self, tp: Any) -> dict[str, Any]:
        members, optional, tags = _union_parts(tp)
        choices = [self._class(m, tags[m]) if tags else self.schema(m) for m in members]
        if optional:
            choices.append({"type": "null"})
        return choices[0] if len(choices) == 1 else {"oneOf": choices}

    def _class(self, cls: type, kind: str | None) -> dict[str, Any]:
        name = cls.__name__
        if name in self.tags:
            if self.tags[name] != kind:
                raise TypeError(f"{name} is used both with and without a {TAG!r} tag")
            return self._ref(name)
        self.tags[name] = kind
        self.defs[name] = {}  # reserved first, so a class that refers to itself would end here
        self.defs[name] = self._object(cls, kind)
        return self._ref(name)

    def _object(self, cls: type, kind: str | None) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        properties: dict[str, Any] = {TAG: {"const": kind}} if kind else {}
        required = [TAG] if kind else []
        for field in attrs.fields(cls):
            if not field.eq:
                continue
            properties[field.name] = self.schema(hints[field.name])
            if field.default is attrs.NOTHING:
                required.append(field.name)
            else:
                default = _converter().unstructure(field.default, hints[field.name])
                properties[field.name]["default"] = default
        result: dict[str, Any] = {"type": "object"}
        if cls.__doc__:
            result["description"] = inspect.cleandoc(cls.__doc__)
        result |= {"properties": properties, "required": required, "additionalProperties": False}
        return result
