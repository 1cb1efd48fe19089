"""Marketing workbook: randomised exercises, per-student notebooks and nbgrader grading."""

import importlib
import importlib.abc
import importlib.util
import os
import sys
from pathlib import Path

MOVED = {
    "generators.exchange": "generators.classroom.exchange",
    "generators.due": "generators.classroom.due",
    "generators.nbgrader_ext": "generators.grading.nbgrader_ext",
}
"""Modules that a course's nbgrader_config.py names, from before the stage subpackages
(authoring, classroom, grading, outputs, book): a course created then keeps working."""


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


class _OldNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import generators.exchange` gives the module now at generators.classroom.exchange."""

    def find_spec(self, fullname, path=None, target=None):
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec):
        module = importlib.import_module(MOVED[spec.name])
        self.spec = module.__spec__  # the import system writes the old name's spec over it
        return module

    def exec_module(self, module) -> None:
        module.__spec__ = self.spec


if not any(isinstance(finder, _OldNames) for finder in sys.meta_path):
    sys.meta_path.append(_OldNames())
_scripts_on_path()
_skip_slow_iri_checker()
