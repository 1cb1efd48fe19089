"""Benchmark: printable worksheets (`mercatique sheet`) for a class.

Times the whole `course_sheets` run (a PDF per student, the class PDF, the teacher's key)
for the same five templates as benchmarks.generate_assignment, and, as the plain tool on
the same machine, WeasyPrint alone laying out one sheet's HTML; prints both and the time
per student. Run: .venv/bin/python -m benchmarks.worksheets [--students 30]
"""

from __future__ import annotations

import argparse
import shutil
import time

from benchmarks.common import scratch_course, timed
from benchmarks.generate_assignment import EXERCISES
from generators.authoring.catalogue import find_exercise
from generators.authoring.variants import preview_variant
from generators.classroom.assign import assign
from generators.outputs.worksheet import Printer, Sheet, course_sheets, sheet_html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    folder, course = scratch_course(args.students)
    results: dict[str, float] = {}
    try:
        assign(course, "devoir-bench", EXERCISES)
        cpu = time.process_time()
        with timed(results, "sheet"):
            course_sheets(course, "devoir-bench")
        results["sheet cpu"] = time.process_time() - cpu
        variants = [preview_variant(find_exercise(e), 1) for e in EXERCISES]
        html = sheet_html([Sheet("Devoir", "", variants, draw=1)])
        printer = Printer()
        printer.render(html)  # fonts loaded once, as in a class run
        start, cpu = time.perf_counter(), time.process_time()
        printer.render(html).write_pdf()
        results["weasyprint"] = time.perf_counter() - start
        results["weasyprint cpu"] = time.process_time() - cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    n = args.students
    total, one = results["sheet"], results["weasyprint"]
    print(f"classe de {n} élèves, {len(EXERCISES)} exercices (temps écoulé ; temps processeur)")
    print(f"WeasyPrint seul, une fiche          : {one:6.2f} s ; {results['weasyprint cpu']:6.2f} s")
    print(
        f"mercatique sheet (tout compris)     : {total:6.2f} s ; {results['sheet cpu']:6.2f} s "
        f"({total / n:.2f} s ; {results['sheet cpu'] / n:.2f} s par élève)"
    )
    print(f"rapport par élève / WeasyPrint seul : {total / n / one:6.2f}")


if __name__ == "__main__":
    main()
