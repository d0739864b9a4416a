"""Documented limits (docs/limits.md), checked before expensive work so that hostile or
accidental input fails fast with a positioned error and the process stays usable."""

MAX_FILE_BYTES = 4 * 1024 * 1024  # a charter or catalogue file
MAX_DECLARATIONS = 50_000  # top-level declarations in one file
MAX_NAME_LENGTH = 100  # characters in an id
MAX_TEXT_LENGTH = 2_000  # characters in one quoted text
MAX_CATALOGUE_DEPTH = 4  # catalogues that use catalogues
MAX_JSON_BYTES = 32 * 1024 * 1024  # a JSON charter export
