"""Benchmark: the grader's memory on hostile submissions.

Grades, sandbox on, a class whose notebooks print 300 MB (in messages too big for the
grader, and in 2 000 messages it accepts), have 2 000 cells, display huge images, and
transmit huge and deeply nested JSON answers, next to honest copies. Prints the peak
resident memory of every grader process: the parent (resource.getrusage) and each
worker (its own getrusage, returned with each copy). The target is under 400 MB each.
The student's kernel is not a grader process: its memory is capped by the sandbox.
Run: .venv/bin/python -m benchmarks.grader_memory [--workers N]
"""

from __future__ import annotations

import argparse
import resource
import shutil

import nbformat

from benchmarks.common import scratch_course
from generators.classroom.assign import assign
from generators.classroom.notebook import ANSWER_MIME
from generators.grading.grade import default_workers, grade
from generators.grading.sandbox import missing_tools
from generators.simulate import file_submission, simulate_class

EXERCISES = ["fnac-campagne-emailing"]
TARGET_MB = 400

IMAGE = (
    "import base64\nfrom IPython.display import display\n"
    "blob = base64.b64encode(b'\\x89PNG' + bytes(range(256)) * 45_000).decode()\n"
)
HOSTILE = {
    "300 Mo en 8 messages trop gros": "import sys\nfor _ in range(8):\n    print('x' * 40_000_000)\n"
    "    sys.stdout.flush()",
    "300 Mo en 2 000 messages acceptés": "import sys\nfor _ in range(2000):\n    print('y' * 150_000)\n"
    "    sys.stdout.flush()",
    "images géantes (30 × 15 Mo)": IMAGE + "for _ in range(30):\n"
    "    display({'image/png': blob}, raw=True)",
    "réponse JSON énorme (12 Mo)": "from IPython.display import display\n"
    f"display({{{ANSWER_MIME!r}: list(range(1_500_000))}}, raw=True)",
    "réponse JSON profonde (900 niveaux)": "from IPython.display import display\nanswer = 1\n"
    "for _ in range(900):\n    answer = [answer]\n"
    f"for _ in range(200):\n    display({{{ANSWER_MIME!r}: answer}}, raw=True)",
}
MANY_CELLS = 2000
"""The notebook with many cells: each prints 2 kB."""


def _plant(course, assignment: str, student: str, code: str | None) -> None:
    """The student's honest (simulated) copy, with hostile code or cells in front."""
    path = course.submitted(student, assignment) / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    if code is None:
        extra = [nbformat.v4.new_code_cell(f"print('{i}' * 2000)") for i in range(MANY_CELLS)]
    else:
        extra = [nbformat.v4.new_code_cell(code)]
    nb.cells = extra + nb.cells
    file_submission(course, assignment, student, nb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    attacks = {**HOSTILE, f"{MANY_CELLS} cellules": None}
    folder, course = scratch_course(len(attacks) + 2)
    try:
        assign(course, "devoir-memoire", EXERCISES)
        simulated = simulate_class(course, "devoir-memoire")
        students = sorted({s.student_id for s in simulated})
        plan = dict(zip(attacks, students, strict=False))
        for attack, student in plan.items():
            _plant(course, "devoir-memoire", student, attacks[attack])
        sandbox = not missing_tools()
        report = grade(course, "devoir-memoire", workers=args.workers, sandbox=sandbox, force=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(students)} copies dont {len(plan)} hostiles, {args.workers} processus de correction, "
          f"{'isolé' if sandbox else 'SANS isolation'}")  # fmt: skip
    for attack, student in plan.items():
        state = "corrigée" if student in report.graded else f"non corrigée ({report.unreadable.get(student)})"
        print(f"  {attack:<40} : {state}, {len(report.problems.get(student, []))} problème(s) signalé(s)")
    rows = [("processus principal", parent_mb)]
    rows += [(f"processus de correction {pid}", kb / 1024) for pid, kb in sorted(report.peak_rss_kb.items())]
    print(f"\nMémoire résidente maximale (cible : moins de {TARGET_MB} Mo par processus) :")
    for name, mb in rows:
        print(f"  {name:<40} : {mb:7.1f} Mo  {'OK' if mb < TARGET_MB else 'DÉPASSÉ'}")


if __name__ == "__main__":
    main()
