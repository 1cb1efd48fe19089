"""Benchmark: grading 100 submissions.

Grades the same submissions twice, in one run on the same machine: with plain sequential
`nbgrader autograde` (the course's nbgrader configuration, no sandbox), and with
`mercatique grade` (sandboxed kernels, parallel workers). Prints both times, the ratio,
and the floor: the kernel start times the number of notebooks divided by the workers.
Then where a copy's time goes: the mean per copy of each phase, as measured by the
workers and the parent (`generators.grading.timings`); a phase's time is spent by one worker,
so the phases of one copy add up to about `workers` times the wall time per copy.
Run: .venv/bin/python -m benchmarks.grading [--students 100] [--workers N] [--skip-nbgrader]
"""

from __future__ import annotations

import argparse
import shutil

from benchmarks.common import scratch_course, timed
from generators.classroom.assign import assign
from generators.classroom.course import open_course
from generators.grading.grade import default_workers, grade
from generators.grading.nbgrader_cli import run_nbgrader
from generators.grading.sandbox import missing_tools
from generators.grading.timings import PHASES, means
from generators.simulate import simulate_class

EXERCISES = ["fnac-campagne-emailing", "air-france-service-client", "oasis-page-facebook"]
KERNEL_START = 0.8  # seconds, measured in DESIGN.md §4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--skip-nbgrader", action="store_true", help="only mercatique (profiling)")
    args = parser.parse_args()
    folder, course = scratch_course(args.students)
    results: dict[str, float] = {}
    try:
        assign(course, "devoir-bench", EXERCISES)
        simulate_class(course, "devoir-bench")
        twin = folder / "copie"
        shutil.copytree(course.root, twin)
        if args.skip_nbgrader:
            results["nbgrader"] = float("nan")
        else:
            with timed(results, "nbgrader"):
                run_nbgrader(open_course(twin), "autograde", "devoir-bench", "--force", plain=True)
        sandbox = not missing_tools()
        with timed(results, "mercatique"):
            report = grade(course, "devoir-bench", workers=args.workers, sandbox=sandbox, force=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    plain, ours = results["nbgrader"], results["mercatique"]
    floor = KERNEL_START * args.students / args.workers
    print(f"{args.students} copies, {len(EXERCISES)} exercices, {args.workers} processus de correction")
    label = "isolé" if sandbox else "SANS isolation"
    lines = [
        ("nbgrader autograde (séquentiel, sans isolation)", plain, f"{plain / args.students:.2f} s/copie"),
        (f"mercatique grade ({label}, parallèle)", ours, f"{ours / args.students:.2f} s/copie"),
        ("démarrage des noyaux ÷ processus (sans anticipation)", floor, ""),
    ]
    for text, seconds, detail in lines:
        print(f"{text:<50} : {seconds:7.2f} s  {detail}")
    print(f"{'accélération nbgrader / mercatique':<50} : {plain / ours:7.2f}")
    print_breakdown(report.timings.values(), ours, args.students, args.workers)


def print_breakdown(per_copy, wall: float, copies: int, workers: int) -> None:
    """Each phase's mean per copy, and what is left of the workers' time (waits, queues)."""
    phases = means(list(per_copy))
    print("\nRépartition par copie (moyenne, en secondes de travail d'un processus) :")
    for name, seconds in phases.items():
        print(f"  {PHASES.get(name, name):<72} : {seconds:6.3f} s")
    busy = sum(seconds for name, seconds in phases.items() if name not in ("gradebook", "journal"))
    print(f"  {'total mesuré dans un processus de correction':<72} : {busy:6.3f} s")
    print(f"  {'temps des processus de correction par copie (durée × processus ÷ copies)':<72} : "
          f"{wall * workers / copies:6.3f} s")


if __name__ == "__main__":
    main()
