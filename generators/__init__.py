"""Marketing workbook: randomised exercises, per-student notebooks and nbgrader grading."""

import os
import sys
from pathlib import Path


def _scripts_on_path() -> None:
    """nbgrader runs `alembic` from PATH: make `.venv/bin` findable even when not activated."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def _skip_slow_iri_checker() -> None:
    """jsonschema (imported by nbformat, nbgrader and Jupyter Book) loads rfc3987-syntax
    when it is installed, and that package compiles 38 grammars at import: about 2 s on
    every command and every worker (python-jsonschema/jsonschema#1392). Nothing here
    validates the `iri` format, and jsonschema skips that checker when the import fails."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


_scripts_on_path()
_skip_slow_iri_checker()
