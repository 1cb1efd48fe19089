"""`mercatique book`: build the course book with Jupyter Book 1, warnings as errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from generators.errors import MercatiqueError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def build_book(root: Path = PROJECT_ROOT, *, full: bool = False) -> Path:
    """Build `_build/html`; notebooks are executed through Jupyter Book's cache.

    Nitpicky mode and warnings-as-errors make a broken internal link or an unknown
    glossary term fail the build instead of shipping.
    """
    if shutil.which("dot") is None:
        # the chapters' synthesis diagrams are drawn by Graphviz at build time
        raise MercatiqueError(
            "Graphviz (la commande dot) est nécessaire pour dessiner les schémas du livre : "
            "installez-le (sudo apt-get install graphviz, ou make system-deps) puis relancez."
        )
    command = [
        sys.executable,
        "-m",
        "generators.launch",
        "jupyter_book.cli.main:main",
        "build",
        str(root),
        "-W",
        "-n",
        "--keep-going",
    ]
    if full:
        # start from an empty site (no page of a removed chapter left behind); the
        # execution cache beside it is kept
        for stale in ("html", ".doctrees"):
            shutil.rmtree(root / "_build" / stale, ignore_errors=True)
        command.append("--all")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        log = (result.stdout + result.stderr).splitlines()
        problems = [line for line in log if "WARNING" in line or "ERROR" in line] or log[-20:]
        raise MercatiqueError("la construction du livre a échoué :\n" + "\n".join(problems[:40]))
    return root / "_build" / "html"
