"""Marketing workbook: randomised exercises, per-student notebooks and nbgrader grading."""

import os
import sys
from pathlib import Path


def _scripts_on_path() -> None:
    """nbgrader runs `alembic` from PATH: make `.venv/bin` findable even when not activated."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


_scripts_on_path()
