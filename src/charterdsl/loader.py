"""The whole front end in one call: text or file -> built charter -> catalogues -> checks.

``check_*`` functions never raise on a bad charter: they return every diagnostic found.
``parse*`` functions return the charter, or raise one :class:`CharterError` carrying all of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from charterdsl import limits
from charterdsl.builder import build_catalogue, build_charter_with_gaps
from charterdsl.catalogues import CatalogueLoader, display_name, read_source
from charterdsl.checks import check
from charterdsl.errors import (
    CharterError,
    CharterSyntaxError,
    CharterValidationError,
    Diagnostic,
    sort_diagnostics,
)
from charterdsl.model import Catalogue, Charter, Header
from charterdsl.source import Source, composed

PathLike = str | os.PathLike[str]


@attrs.frozen
class CheckResult:
    """What checking a file found: the charter (``None`` when it could not be built) and every
    diagnostic, errors and warnings."""

    charter: Charter | None
    diagnostics: tuple[Diagnostic, ...] = attrs.field(converter=sort_diagnostics)
    sources: Mapping[str, Source] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if not d.is_error)

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> Charter:
        if self.errors or self.charter is None:
            raise error_for(self.diagnostics)
        return self.charter


def error_for(diagnostics: Sequence[Diagnostic]) -> CharterError:
    """The most specific error class for a set of diagnostics."""
    if any(d.code.startswith("CH1") for d in diagnostics if d.is_error):
        return CharterSyntaxError(diagnostics)
    return CharterValidationError(diagnostics)


def check_source(
    source: Source, base_dir: Path, search_path: Sequence[PathLike] = ()
) -> CheckResult:
    """Build, load catalogues and check a charter already read into a Source."""
    if len(source.text) > limits.MAX_FILE_BYTES:
        return CheckResult(None, (_too_large(source),))
    charter, diagnostics, unparsed = build_charter_with_gaps(source)
    if charter is None:
        return CheckResult(None, tuple(diagnostics))
    loader = CatalogueLoader.for_folder(base_dir, [Path(p) for p in search_path])
    loader.load(charter.uses, source, base_dir.resolve())
    tables = [loader.load_proxies(use, source, base_dir.resolve()) for use in charter.proxy_uses]
    charter = attrs.evolve(charter, catalogues=tuple(loader.order),
                           proxy_tables=tuple(t for t in tables if t is not None))
    sources = {source.name: source}
    sources.update({d.source.name: d.source for d in loader.diagnostics if d.source})
    sources.update(_catalogue_sources(loader))
    incomplete = any(d.is_error for d in loader.diagnostics)
    found = check(charter, sources, unparsed, incomplete)
    return CheckResult(charter, tuple(diagnostics + loader.diagnostics + found), sources)


def _catalogue_sources(loader: CatalogueLoader) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for path, catalogue in loader.loaded.items():
        source = read_source(path, catalogue.source_name)
        if isinstance(source, Source):
            sources[catalogue.source_name] = source
    return sources


def _too_large(source: Source) -> Diagnostic:
    return Diagnostic(
        "CH601",
        f"{source.name} is {len(source.text):,} characters; the limit is "
        f"{limits.MAX_FILE_BYTES:,}",
        hint="split the charter, or move metrics into a catalogue",
        source=source,
    )


def check_text(
    text: str,
    name: str = "<string>",
    *,
    base_dir: PathLike | None = None,
    search_path: Sequence[PathLike] = (),
) -> CheckResult:
    """Check charter text. ``use catalogue`` paths resolve under ``base_dir`` (default: the
    working folder) or the ``search_path`` folders."""
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    return check_source(Source(composed(text), name), folder, search_path)


def check_file(path: PathLike, *, search_path: Sequence[PathLike] = ()) -> CheckResult:
    """Check a charter file; its catalogues resolve under its own folder."""
    file = Path(path)
    source = read_source(file, display_name(file))
    if isinstance(source, Diagnostic):
        return CheckResult(None, (source,))
    return check_source(source, file.parent, search_path)


def parse(
    text: str,
    name: str = "<string>",
    *,
    base_dir: PathLike | None = None,
    search_path: Sequence[PathLike] = (),
) -> Charter:
    """Parse and check charter text; raise :class:`CharterError` listing every problem."""
    return check_text(text, name, base_dir=base_dir, search_path=search_path).raise_for_errors()


def parse_file(path: PathLike, *, search_path: Sequence[PathLike] = ()) -> Charter:
    """Parse and check a charter file; raise :class:`CharterError` listing every problem."""
    return check_file(path, search_path=search_path).raise_for_errors()


@attrs.frozen
class CatalogueResult:
    catalogue: Catalogue | None
    diagnostics: tuple[Diagnostic, ...] = attrs.field(converter=sort_diagnostics)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def check_catalogue_file(path: PathLike) -> CatalogueResult:
    """Read and check one catalogue file on its own."""
    file = Path(path)
    source = read_source(file, display_name(file))
    if isinstance(source, Diagnostic):
        return CatalogueResult(None, (source,))
    catalogue, diagnostics = build_catalogue(source)
    if catalogue is None:
        return CatalogueResult(None, tuple(diagnostics))
    loader = CatalogueLoader.for_folder(file.parent)
    loader.load(catalogue.uses, source, file.parent.resolve())
    # Check the catalogue's metrics as if a charter used it, so that units, proxies and ratio
    # references are held to the same rules.
    probe = Charter(
        header=Header(catalogue.name),
        catalogues=(*loader.order, catalogue),
        source_name=source.name,
    )
    sources = {source.name: source, **_catalogue_sources(loader)}
    found = check(probe, sources)
    return CatalogueResult(catalogue, tuple(diagnostics + loader.diagnostics + found))


def load_catalogue(path: PathLike) -> Catalogue:
    result = check_catalogue_file(path)
    if not result.ok or result.catalogue is None:
        raise error_for(result.diagnostics)
    return result.catalogue
