"""Benchmark: full build of the course book, then the rebuild after editing one chapter.

Works on a scratch copy of the book sources (the repository is not touched), with an
empty execution cache, so the full build executes every notebook. Also times a rebuild
with nothing changed: starting Jupyter Book and Sphinx, the floor of any rebuild.
Prints the times (wall clock, and the CPU time of the build processes, steadier on a
busy machine), the rebuild's share of the full build, the size of _build/html, and what
a browser loads for one chapter page (the HTML and the style sheets, scripts, fonts and
images it references).
Run: .venv/bin/python -m benchmarks.book_build
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.page_weight import exercise_data_size, folder_size, page_files
from generators.book.build import PROJECT_ROOT, build_book

EDITED = "book/parcours-client.md"
KINDS = {".html": "HTML", ".css": "CSS", ".js": "JavaScript", ".woff2": "polices", ".woff": "polices"}
KINDS |= dict.fromkeys((".ttf", ".otf"), "polices")
KINDS |= dict.fromkeys((".svg", ".png", ".jpg", ".gif"), "images")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_build(root: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one `build_book`."""
    wall, cpu = time.perf_counter(), _children_cpu()
    build_book(root)
    return time.perf_counter() - wall, _children_cpu() - cpu


def _mb(size: int) -> str:
    return f"{size / 1e6:6.2f} Mo"


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="mercatique-livre-"))
    try:
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy(PROJECT_ROOT / name, scratch / name)
        shutil.copytree(PROJECT_ROOT / "book", scratch / "book")
        full = timed_build(scratch)
        unchanged = timed_build(scratch)  # the floor: starting Jupyter Book and Sphinx
        chapter = scratch / EDITED
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nUne phrase ajoutée.\n", encoding="utf-8")
        rebuild = timed_build(scratch)
        html = scratch / "_build" / "html"
        site = folder_size(html)
        page = html / Path(EDITED).with_suffix(".html")
        files = page_files(page, html)
        data = exercise_data_size(page)
        every_page = {
            other.name: sum(page_files(other, html).values()) - exercise_data_size(other)
            for other in sorted((html / "book").glob("*.html"))
        }
        mathjax_at_run_time = (html / "_static" / "mathjax").exists()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"construction complète (notebooks exécutés)   : {full[0]:6.1f} s   (CPU {full[1]:6.1f} s)")
    floor = f"{unchanged[0]:6.1f} s   (CPU {unchanged[1]:6.1f} s)"
    print(f"reconstruction sans modification (plancher)   : {floor}")
    print(f"reconstruction après modification de {EDITED} : {rebuild[0]:6.1f} s   (CPU {rebuild[1]:6.1f} s)")
    share = f"{rebuild[0] / full[0]:6.1%}   (CPU {rebuild[1] / full[1]:6.1%})"
    print(f"part de la construction complète              : {share}")
    print(f"taille de _build/html                         : {_mb(site)}")
    by_kind: Counter[str] = Counter()
    for path, size in files.items():
        kind = "index de recherche" if path.name == "searchindex.js" else KINDS.get(path.suffix, "autres")
        by_kind[kind] += size
    total = sum(files.values())
    print(f"octets chargés par la page {page.name} : {_mb(total)} en {len(files)} fichiers")
    print(f"  dont données des exercices {_mb(data)}, hors données : {_mb(total - data)}")
    for kind, size in by_kind.most_common():
        print(f"  {kind:<20} {_mb(size)}")
    light, heavy = min(every_page, key=every_page.get), max(every_page, key=every_page.get)
    print(f"hors données, la page la plus légère ({light}) : {_mb(every_page[light])}")
    print(f"hors données, la page la plus lourde ({heavy}) : {_mb(every_page[heavy])}")
    if mathjax_at_run_time:
        print("  (formules dessinées dans le navigateur : sans les fichiers que MathJax charge lui-même)")


if __name__ == "__main__":
    main()
