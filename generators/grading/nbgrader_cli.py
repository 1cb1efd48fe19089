"""Running nbgrader's own commands on a course, with their log kept for a French error."""

from __future__ import annotations

import subprocess
import sys

from generators.classroom.course import Course
from generators.errors import MercatiqueError


def run_nbgrader(course: Course, *args: str, plain: bool = False) -> str:
    """`nbgrader ARGS` from the course directory (so its nbgrader_config.py applies).

    Launched through `generators.launch` for a faster start; `plain=True` runs stock
    `python -m nbgrader` (the benchmarks' baseline).
    """
    tool = ["-m", "nbgrader"] if plain else ["-m", "generators.launch", "nbgrader"]
    command = [sys.executable, *tool, *args]
    result = subprocess.run(command, cwd=course.root, capture_output=True, text=True)
    log = result.stdout + result.stderr
    if result.returncode != 0:
        tail = "\n".join(log.strip().splitlines()[-25:])
        raise MercatiqueError(f"la commande « nbgrader {' '.join(args)} » a échoué :\n{tail}")
    return log
