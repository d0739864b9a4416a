"""Reading charter and catalogue files, and loading the catalogues a charter uses.

A ``use catalogue`` path is resolved inside a root folder: the folder of the charter, or one of
the search folders the caller names. Absolute paths, ``..``, links that lead outside the root,
URLs and import cycles are errors on the line of the ``use``; nothing is ever fetched from a
network. Diagnostics name files as the charter wrote them, never by absolute path.
"""

from __future__ import annotations

import csv
import importlib.resources
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path, PurePosixPath

import attrs

from charterdsl import limits, units
from charterdsl.builder import build_catalogue
from charterdsl.errors import Diagnostic
from charterdsl.model import Catalogue, CatalogueUse, ProxiesUse, Proxy, ProxyEntry, ProxyTable
from charterdsl.source import Source, Span, composed

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
BUNDLED = "bundled:"  # use catalogue "bundled:starter" names a catalogue shipped in the package


def _bundled_folder() -> Path:
    return Path(str(importlib.resources.files("charterdsl") / "bundled"))


def bundled_names() -> list[str]:
    return sorted(p.stem for p in _bundled_folder().glob("*.catalogue"))


def bundled_path(name: str) -> Path | None:
    """The file of a catalogue that ships with charterdsl, by its short name."""
    return _bundled_folder() / f"{name}.catalogue" if name in bundled_names() else None


def display_name(path: Path) -> str:
    """A file name for diagnostics: relative to the working folder when the file is under it,
    so that no machine's absolute paths end up in messages or published reports."""
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.name


def read_source(path: Path, name: str) -> Source | Diagnostic:
    """A file as a Source, or the reason it cannot be one (too large, not UTF-8, unreadable)."""
    where = Source("", name)  # names the file in the diagnostic even though it has no text
    try:
        size = path.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            return Diagnostic(
                "CH601",
                f"the file is {size:,} bytes; the limit is {limits.MAX_FILE_BYTES:,}",
                hint="split the charter, or move metrics into a catalogue",
                source=where,
            )
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or "unknown error"
        return Diagnostic("CH506", f"the file cannot be read ({reason})", source=where)
    return decode(data, name)


def decode(data: bytes, name: str) -> Source | Diagnostic:
    """UTF-8 text (a byte-order mark is allowed) as a Source, or a positioned CH106."""
    try:
        return Source(composed(data.decode("utf-8")), name)
    except UnicodeDecodeError as error:
        good = data[: error.start].decode("utf-8")
        source = Source(good + "\ufffd", name)
        return Diagnostic(
            "CH106",
            f"byte 0x{data[error.start]:02X} is not valid UTF-8",
            source.span(len(source.text) - 1, len(source.text)),
            "save the file as UTF-8 (most editors offer it under 'Save as')",
            source=source,
        )


@attrs.frozen
class _Root:
    folder: Path  # resolved
    label: str  # how diagnostics name files under it


@attrs.define
class CatalogueLoader:
    """Loads every catalogue a charter uses, depth first, each file once."""

    roots: Sequence[_Root]
    loaded: dict[Path, Catalogue] = attrs.Factory(dict)
    names: dict[Path, str] = attrs.Factory(dict)
    order: list[Catalogue] = attrs.Factory(list)
    diagnostics: list[Diagnostic] = attrs.Factory(list)

    @classmethod
    def for_folder(cls, folder: Path, search_path: Sequence[Path] = ()) -> CatalogueLoader:
        roots = [_Root(folder.resolve(), "")]
        roots += [_Root(Path(p).resolve(), f"<search path {i + 1}>/") for i, p in
                  enumerate(search_path)]
        return cls(roots)

    def load(self, uses: Sequence[CatalogueUse], origin: Source, folder: Path,
             chain: tuple[Path, ...] = ()) -> None:
        for use in uses:
            self._load_one(use, origin, folder, chain)

    def _load_one(self, use: CatalogueUse, origin: Source, folder: Path,
                  chain: tuple[Path, ...]) -> None:
        found = self._resolve(use, origin, folder)
        if found is None:
            return
        path, name = found
        if path in chain:
            names = [self.names[p] for p in chain[chain.index(path):]] + [name]
            self._problem("CH503", "the catalogues use each other in a cycle: "
                          + " uses ".join(names), use, origin, "remove one of the 'use' lines")
            return
        if len(chain) >= limits.MAX_CATALOGUE_DEPTH:
            self._problem("CH605", f"catalogues are nested more than "
                          f"{limits.MAX_CATALOGUE_DEPTH} deep here", use, origin,
                          "use the deeper catalogues from the charter directly")
            return
        catalogue = self.loaded.get(path) or self._read(path, name, chain, use, origin)
        if catalogue is not None:
            self._check_version(use, catalogue, origin)

    def _read(self, path: Path, name: str, chain: tuple[Path, ...], use: CatalogueUse,
              origin: Source) -> Catalogue | None:
        self.names[path] = name
        source = self._source(path, name, use, origin)
        if source is None:
            return None
        catalogue, problems = build_catalogue(source)
        if catalogue is None and source.text.lstrip().startswith("charter"):
            self._problem("CH505", f"'{use.path}' is a charter, not a catalogue", use, origin,
                          "a catalogue starts with a line like: catalogue \"Approved metrics\"")
            return None
        self.diagnostics += problems
        if catalogue is None:
            return None
        self.load(catalogue.uses, source, path.parent, (*chain, path))
        self.loaded[path] = catalogue
        self.order.append(catalogue)
        return catalogue

    def _source(self, path: Path, name: str, use: CatalogueUse | ProxiesUse, origin: Source
                ) -> Source | None:
        """A used file's text, or None with the reason reported on the ``use`` line."""
        source = read_source(path, name)
        if isinstance(source, Diagnostic):
            self.diagnostics.append(attrs.evolve(source, message=f"{name}: {source.message}",
                                                 span=self._path_span(use, origin),
                                                 source=origin))
            return None
        return source

    def _check_version(self, use: CatalogueUse, catalogue: Catalogue, origin: Source) -> None:
        if use.version is not None and use.version != catalogue.version:
            found = f"version {catalogue.version}" if catalogue.version else "no version"
            self._problem(
                "CH504",
                f"this charter pins '{use.path}' to version {use.version}, but the file has "
                f"{found}",
                use,
                origin,
                "update the pinned version once the changes in the new catalogue are agreed",
            )

    def load_proxies(self, use: ProxiesUse, origin: Source, folder: Path) -> ProxyTable | None:
        """A proxy table the charter's users supply, as CSV with the columns code, value,
        per_unit, price_year and source. Each bad row is reported on its own line."""
        found = self._resolve(use, origin, folder)
        if found is None:
            return None
        path, name = found
        source = self._source(path, name, use, origin)
        if source is None:
            return None
        entries, problems = read_proxy_table(source)
        self.diagnostics += problems
        return ProxyTable(use.path, tuple(entries))

    def _resolve(self, use: CatalogueUse | ProxiesUse, origin: Source, folder: Path
                 ) -> tuple[Path, str] | None:
        text = use.path
        if text.startswith(BUNDLED):
            return self._bundled(use, origin)
        reason = _unsafe(text)
        if reason is not None:
            self._problem("CH501", f"the path '{text}' {reason}", use, origin,
                          "give a path relative to the charter's folder, like "
                          "catalogues/approved.catalogue")
            return None
        escaped = False
        for index, root in enumerate(self.roots):
            # Relative to the file that says 'use', when that file lies under this root.
            base = folder if folder.is_relative_to(root.folder) else root.folder
            candidate = (base / PurePosixPath(text)).resolve()
            if not candidate.is_relative_to(root.folder):
                escaped = True
                continue
            if candidate.is_file():
                if index == 0:
                    return candidate, display_name(candidate)
                relative = candidate.relative_to(root.folder).as_posix()
                return candidate, root.label + relative
        if escaped:
            self._problem("CH501", f"the path '{text}' leads outside the charter's "
                          "folder", use, origin, "a link may point outside; copy the "
                          "catalogue into the charter's folder or name a search path")
        else:
            self._problem("CH502", f"no file '{text}' was found", use, origin,
                          "paths are relative to the folder of the file that uses them")
        return None

    def _bundled(self, use: CatalogueUse | ProxiesUse, origin: Source
                 ) -> tuple[Path, str] | None:
        name = use.path[len(BUNDLED):]
        path = bundled_path(name)
        if path is None:
            known = ", ".join(f"'{BUNDLED}{n}'" for n in bundled_names())
            self._problem("CH507", f"no catalogue '{use.path}' comes with charterdsl", use,
                          origin, f"the bundled catalogues are {known}")
            return None
        return path, use.path

    def _problem(self, code: str, message: str, use: CatalogueUse | ProxiesUse,
                 origin: Source, hint: str) -> None:
        span = self._path_span(use, origin)
        self.diagnostics.append(Diagnostic(code, message, span, hint, source=origin))

    @staticmethod
    def _path_span(use: CatalogueUse | ProxiesUse, origin: Source) -> Span | None:
        """The quoted path of a ``use`` line, where the caret belongs."""
        if use.span is None:
            return None
        opening = origin.text.find('"', use.span.start, use.span.end)
        if opening == -1:
            return use.span
        closing = opening + 1
        while closing < use.span.end and origin.text[closing] != '"':
            closing += 2 if origin.text[closing] == "\\" else 1
        return origin.span(opening, min(closing + 1, use.span.end))


def _unsafe(text: str) -> str | None:
    """Why a written catalogue path may not be used, or None when it may."""
    if _URL.match(text) and not re.match(r"^[A-Za-z]:[\\/]", text):
        return "is a web address; catalogues are read from files only"
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", text):
        return "is absolute"
    if "\\" in text:
        return "uses backslashes; write folders with /"
    if any(part == ".." for part in text.split("/")):
        return "climbs out of its folder with '..'"
    if not text.strip() or "\x00" in text:
        return "is empty"
    return None



PROXY_COLUMNS = ("code", "value", "per_unit", "price_year", "source")
_MONEY_CELL = re.compile(r"£?([0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)")


def read_proxy_table(source: Source) -> tuple[list[ProxyEntry], list[Diagnostic]]:
    lines = source.text.split("\n")
    header = [cell.strip().casefold() for cell in next(csv.reader(lines[:1]), [])]
    missing = [c for c in PROXY_COLUMNS[:4] if c not in header]
    if missing:
        return [], [Diagnostic("CH508", "the proxy table has no column "
                               + ", ".join(repr(m) for m in missing), source.span(0, 1),
                               "its header is: " + ",".join(PROXY_COLUMNS), source=source)]
    entries: list[ProxyEntry] = []
    problems: list[Diagnostic] = []
    offset = len(lines[0]) + 1
    for number, line in enumerate(lines[1:], start=2):
        span = source.span(offset, offset + max(1, len(line)))
        offset += len(line) + 1
        if not line.strip():
            continue
        cells = dict(zip(header, next(csv.reader([line])), strict=False))
        entry = _proxy_entry(cells, span)
        if isinstance(entry, str):
            problems.append(Diagnostic("CH508", f"row {number}: {entry}", span, source=source))
        else:
            entries.append(entry)
    return entries, problems


def _proxy_entry(cells: dict[str, str], span: Span) -> ProxyEntry | str:
    code = cells.get("code", "").strip()
    value = _MONEY_CELL.fullmatch(cells.get("value", "").strip())
    unit = units.lookup(cells.get("per_unit", "").strip())
    year = cells.get("price_year", "").strip()
    if not code:
        return "the code is missing"
    if value is None:
        return f"the value {cells.get('value', '')!r} is not a sum of money like 29000 or £29,000"
    if unit is None:
        return f"unknown unit {cells.get('per_unit', '')!r}"
    if not re.fullmatch(r"[0-9]{4}", year):
        return f"the price year {year!r} is not a year like 2024"
    source = cells.get("source", "").strip() or None
    amount = Decimal(value.group(1).replace(",", ""))
    return ProxyEntry(code, Proxy(amount, unit, int(year), source, span=span))
