"""Run a Jupyter tool's command line with this package's start-up fixes applied.

`python -m generators.launch nbgrader autograde ...` behaves like `python -m nbgrader
autograde ...`, and `python -m generators.launch jupyter_book.cli.main:main build .`
like `jupyter-book build .`, each about two seconds faster to start
(see `generators._skip_slow_iri_checker`).
"""

from __future__ import annotations

import importlib
import runpy
import sys

import generators  # noqa: F401  (applies the start-up fixes before the tool is imported)


def main() -> None:
    target, *arguments = sys.argv[1:]
    module, _, function = target.partition(":")
    sys.argv = [module, *arguments]
    if function:
        sys.exit(getattr(importlib.import_module(module), function)())
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
