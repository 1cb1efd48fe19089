"""Benchmark: generating and releasing one assignment of 5 templates for a class of 300.

Compares, on the same machine in one run:
- `mercatique assign` (source notebook, nbgrader generate_assignment, 300 personalised
  notebooks, answer key, gradebook) followed by `mercatique release` (nbgrader exchange
  and the zip archives),
- plain `nbgrader generate_assignment` of the same source notebook plus writing its
  released notebook 300 times with nbformat (what stock nbgrader would need to hand
  every student a file),
and prints both, their ratio, the time per student, where assign and release spend it,
and each part of one student's work on one core (a sample of the class, drawn again).
Times are wall clock and CPU (this process and its children): on a busy machine the CPU
figures are the steadier ones.
Run: .venv/bin/python -m benchmarks.generate_assignment [--students 300]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from collections import defaultdict
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import nbformat

from benchmarks.common import scratch_course
from generators.authoring.catalogue import find_exercise
from generators.authoring.variants import student_variant
from generators.classroom import assign as assign_module
from generators.classroom import forked
from generators.classroom import release as release_module
from generators.classroom import staging as staging_module
from generators.classroom.assign import assign
from generators.classroom.notebook import NotebookWriter, personal_texts, plan_slots
from generators.classroom.release import release
from generators.classroom.setup_course import gradebook_students
from generators.grading.nbgrader_cli import run_nbgrader
from generators.outputs.spreadsheets import data_files

# five distinct templates: three KPI exercises, one concept question, one pandas case
EXERCISES = [
    "fnac-campagne-emailing",
    "kpi-emailing-ouverture-npai",
    "kpi-roi-roas",
    "concept-paid-owned-earned",
    "cas-fnac-faq",
]
A = "devoir-bench"

# (owner, attribute, label): the steps of assign and release, timed where they are called
STEPS = [
    (assign_module, "_generate_release", "nbgrader generate_assignment (pendant le tirage)"),
    (assign_module, "class_parts", "élèves : tirage, textes, tableaux (en parallèle)"),
    (NotebookWriter, "__init__", "structure nbformat (validée une fois)"),
    (NotebookWriter, "writes", "sérialisation JSON des notebooks"),
    (assign_module, "_write_staged", "écriture des notebooks"),
    (assign_module, "csv_text", "corrigé (CSV)"),
    (staging_module.Staging, "commit", "mise en place (carnet de notes compris)"),
    (assign_module, "record_in_gradebook", "  dont carnet de notes"),
    (release_module, "run_plugin", "release : échange nbgrader"),
    (release_module, "build_archives", "release : archives zip"),
]


def _cpu() -> float:
    """CPU seconds of this process (all threads) and of its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@contextmanager
def measured(results: dict, label: str):
    wall, cpu = time.perf_counter(), _cpu()
    yield
    results[label] = (time.perf_counter() - wall, _cpu() - cpu)


@contextmanager
def breakdown(totals: dict[str, float]):
    """Wall time spent in each step of STEPS (a step's time includes the steps it calls)."""
    saved = []
    for owner, name, label in STEPS:
        real = getattr(owner, name)

        def timed(*args, _real=real, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                totals[_label] += time.perf_counter() - start

        saved.append((owner, name, real))
        setattr(owner, name, wraps(real)(timed))
    try:
        yield
    finally:
        for owner, name, real in saved:
            setattr(owner, name, real)


def write_copies(released: Path, target: Path, students: int) -> None:
    """The baseline's file writing: nbgrader's released notebook, once per student, with nbformat."""
    nb = nbformat.read(released, as_version=4)
    for i in range(1, students + 1):
        path = target / f"eleve{i:04d}" / A / f"{A}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)


def per_student(course, count: int) -> dict[str, float]:
    """Seconds per student of each part of `student_parts`, on one core (a sample of the class)."""
    exercises = [find_exercise(e) for e in EXERCISES]
    slots = plan_slots(exercises)
    students = sorted(gradebook_students(course).values(), key=lambda s: s.id)[:count]
    times: dict[str, float] = defaultdict(float)
    for student in students:
        start = time.perf_counter()
        variants = {}
        for ex in exercises:
            variants[ex.id] = student_variant(ex, course.secret, A, student.id)
            now = time.perf_counter()
            times[f"tirage {ex.id}"] += now - start
            start = now
        personal_texts(student, variants, exercises, slots)
        now = time.perf_counter()
        times["textes de l'élève (Jinja, Markdown)"] += now - start
        data_files(variants)
        times["tableaux CSV et XLSX"] += time.perf_counter() - now
    return {label: total / len(students) for label, total in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()
    n = args.students
    folder, course = scratch_course(n)
    results: dict[str, tuple[float, float]] = {}
    steps: dict[str, float] = defaultdict(float)
    try:
        exchange = folder / "echange"
        exchange.mkdir()
        with breakdown(steps):
            with measured(results, "assign"):
                assign(course, A, EXERCISES)
            with measured(results, "release"):
                release(course, A, exchange=exchange)
        with measured(results, "generate_assignment"):
            run_nbgrader(course, "generate_assignment", A, "--force", plain=True)
        with measured(results, "writes"):
            write_copies(course.root / "release" / A / f"{A}.ipynb", folder / "copies", n)
        sample = per_student(course, min(n, 60))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def line(label: str, wall: float, cpu: float, per: bool = False) -> str:
        extra = f"   {wall / n * 1000:6.1f} ms/élève" if per else ""
        return f"{label:<46}{wall:7.2f} s   (CPU {cpu:6.2f} s){extra}"

    plain = tuple(a + b for a, b in zip(results["generate_assignment"], results["writes"], strict=True))
    ours = tuple(a + b for a, b in zip(results["assign"], results["release"], strict=True))
    workers = forked.workers_for(n)
    print(f"classe de {n} élèves, {len(EXERCISES)} exercices, {workers} processus pour les élèves")
    print(line("nbgrader generate_assignment seul", *results["generate_assignment"]))
    print(line(f"écriture de {n} notebooks (nbformat.write)", *results["writes"]))
    print(line("= nbgrader + écritures", *plain, per=True))
    print(line("mercatique assign", *results["assign"]))
    print(line("mercatique release (échange + archives)", *results["release"]))
    print(line("= assign + release", *ours, per=True))
    ratio = f"{ours[0] / plain[0]:.2f} (CPU {ours[1] / plain[1]:.2f})"
    print(f"rapport (assign + release) / (nbgrader + écritures) : {ratio}")
    print("où va le temps (horloge) :")
    for _, _, label in STEPS:
        print(f"  {label:<56}{steps[label]:7.2f} s   {steps[label] / n * 1000:6.1f} ms/élève")
    print(f"par élève, sur un cœur (échantillon de {min(n, 60)}) :")
    for label, seconds in sample.items():
        print(f"  {label:<56}{seconds * 1000:6.2f} ms")
    print(f"  {'= total':<56}{sum(sample.values()) * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
