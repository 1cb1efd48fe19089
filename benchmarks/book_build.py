"""Benchmark: full build of the course book, then the rebuild after editing one chapter.

Works on a scratch copy of the book sources (the repository is not touched), with an
empty execution cache, so the full build executes every notebook. Prints both times
and the ratio. Run: .venv/bin/python -m benchmarks.book_build
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import timed
from generators.book import PROJECT_ROOT, build_book

EDITED = "book/parcours-client.md"


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="mercatique-livre-"))
    results: dict[str, float] = {}
    try:
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy(PROJECT_ROOT / name, scratch / name)
        shutil.copytree(PROJECT_ROOT / "book", scratch / "book")
        with timed(results, "full"):
            build_book(scratch)
        chapter = scratch / EDITED
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nUne phrase ajoutée.\n", encoding="utf-8")
        with timed(results, "rebuild"):
            build_book(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    full, rebuild = results["full"], results["rebuild"]
    print(f"construction complète (notebooks exécutés)   : {full:6.1f} s")
    print(f"reconstruction après modification de {EDITED} : {rebuild:6.1f} s")
    print(f"part de la construction complète              : {rebuild / full:6.1%}")


if __name__ == "__main__":
    main()
