"""Benchmark: generating one assignment of 5 templates for a class of 300.

Compares `mercatique assign` (source notebook, nbgrader generate_assignment, 300
personalised notebooks, answer key) with plain `nbgrader generate_assignment` of the
same source notebook, on the same machine, in one run; prints both and the ratio.
Run: .venv/bin/python -m benchmarks.generate_assignment [--students 300]
"""

from __future__ import annotations

import argparse
import shutil

from benchmarks.common import scratch_course, timed
from generators.assign import assign
from generators.nbgrader_cli import run_nbgrader

# five distinct templates: three KPI exercises, one concept question, one pandas case
EXERCISES = [
    "fnac-campagne-emailing",
    "kpi-emailing-ouverture-npai",
    "kpi-roi-roas",
    "concept-paid-owned-earned",
    "cas-fnac-faq",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()
    exercises = EXERCISES
    folder, course = scratch_course(args.students)
    results: dict[str, float] = {}
    try:
        with timed(results, "mercatique assign"):
            assign(course, "devoir-bench", exercises)
        with timed(results, "nbgrader generate_assignment"):
            run_nbgrader(course, "generate_assignment", "devoir-bench", "--force", plain=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    plain, ours = results["nbgrader generate_assignment"], results["mercatique assign"]
    print(f"classe de {args.students} élèves, {len(exercises)} exercices")
    print(f"nbgrader generate_assignment seul : {plain:6.2f} s")
    print(
        f"mercatique assign (tout compris)  : {ours:6.2f} s  ({ours / args.students * 1000:.1f} ms par élève)"
    )
    print(f"rapport mercatique / nbgrader     : {ours / plain:6.2f}")


if __name__ == "__main__":
    main()
