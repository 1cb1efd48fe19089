"""`mercatique assign`: source notebook, nbgrader release, one notebook per student, answer key."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import nbformat

from .catalogue import Exercise, find_exercise, load_exercise
from .course import Course, csv_text, write_atomic
from .errors import MercatiqueError
from .nbgrader_cli import run_nbgrader
from .notebook import Slot, personalise, plan_slots, source_notebook
from .render import python_literal
from .setup_course import gradebook_students
from .variants import student_variant

ASSIGNMENT_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
KEY_COLUMNS = ("student_id", "exercise", "question", "cell_id", "variable", "expected", "tolerance")


def _check_assignment_id(assignment: str) -> None:
    import re

    if not re.match(ASSIGNMENT_ID, assignment):
        raise MercatiqueError(
            f"nom de devoir « {assignment} » invalide : lettres sans accent, chiffres, - ou _, sans espace"
        )


def freeze_exercises(course: Course, assignment: str, exercises: list[Exercise]) -> list[Exercise]:
    """Copy the templates into the course: grading must not depend on later catalogue edits."""
    frozen_root = course.frozen_exercises(assignment)
    if frozen_root.exists():
        shutil.rmtree(frozen_root)
    frozen = []
    for ex in exercises:
        shutil.copytree(ex.folder, frozen_root / ex.id, ignore=shutil.ignore_patterns("__pycache__"))
        frozen.append(load_exercise(frozen_root / ex.id))
    return frozen


def assign(
    course: Course,
    assignment: str,
    exercise_ids: list[str],
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Build and release the assignment; returns where things were written."""
    _check_assignment_id(assignment)
    if not exercise_ids:
        raise MercatiqueError("indiquez au moins un exercice (voir « mercatique list »)")
    duplicates = sorted({e for e in exercise_ids if exercise_ids.count(e) > 1})
    if duplicates:
        raise MercatiqueError(f"exercice donné deux fois : {', '.join(duplicates)}")
    exercises = [find_exercise(e) for e in exercise_ids]
    students = gradebook_students(course)
    if not students:
        raise MercatiqueError("aucun élève dans le carnet de notes : vérifiez la liste de classe")

    exercises = freeze_exercises(course, assignment, exercises)
    slots = plan_slots(exercises)
    manifest = {
        "assignment": assignment,
        "exercises": [ex.id for ex in exercises],
        "slots": [{**asdict(s), "key": s.key, "cell_id": s.cell_id, "report_id": s.report_id} for s in slots],
    }
    write_atomic(course.assignment_dir(assignment) / "manifest.json", json.dumps(manifest, indent=1))

    source = course.root / "source" / assignment / f"{assignment}.ipynb"
    source.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(source, nbformat.writes(source_notebook(assignment, exercises, slots)))
    run_nbgrader(course, "generate_assignment", assignment, "--force")
    released = nbformat.read(course.root / "release" / assignment / f"{assignment}.ipynb", as_version=4)

    key_rows = []
    ordered = sorted(students.values(), key=lambda s: s.id)
    for done, student in enumerate(ordered, start=1):
        variants = {ex.id: student_variant(ex, course.secret, assignment, student.id) for ex in exercises}
        nb = personalise(released, student, variants, exercises, slots)
        write_atomic(course.per_student_notebook(student.id, assignment), nbformat.writes(nb))
        key_rows += _key_rows(student.id, variants, slots)
        if progress:
            progress(done, len(ordered))

    key_path = course.exports / f"{assignment}_answer_key.csv"
    write_atomic(key_path, csv_text(KEY_COLUMNS, key_rows))
    return {
        "students": len(ordered),
        "per_student": course.root / "release_per_student",
        "answer_key": key_path,
        "source": source,
    }


def _key_rows(student_id: str, variants, slots: list[Slot]) -> list[tuple]:
    rows = []
    for slot in slots:
        variant = variants[slot.exercise]
        q = variant.question(slot.question)
        expected = variant.answers[q.id]
        tolerance = python_literal(q.abs_tolerance) if q.kind == "number" else ""
        rows.append(
            (student_id, slot.exercise, slot.key, slot.cell_id, slot.variable, repr(expected), tolerance)
        )
    return rows


def read_answer_key(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
