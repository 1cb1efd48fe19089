"""Simulated submissions for the demo class: right, partly right, typical mistakes, empty.

Answers are written exactly as a student would, as `variable = value` in the answer
cell, sometimes in French format (`"12,5 %"`), then filed in nbgrader's `submitted/`.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import nbformat

from generators.authoring import render
from generators.authoring.catalogue import load_exercise
from generators.authoring.variants import student_variant
from generators.classroom.assign import read_answer_key
from generators.classroom.course import Course, write_atomic

PROFILES = ("juste", "format-francais", "partiel", "erreur-type", "vide")
PROFILE_LABELS = {
    "juste": "tout juste",
    "format-francais": "tout juste, saisi à la française",
    "partiel": "à moitié juste",
    "erreur-type": "erreurs fréquentes",
    "vide": "copie rendue vide",
}


@dataclass(frozen=True)
class Simulated:
    student_id: str
    profile: str
    deserved: float


def set_answers(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """Replace the source of each answer cell (by nbgrader grade_id) with `variable = value`."""
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def file_submission(
    course: Course,
    assignment: str,
    student_id: str,
    nb: nbformat.NotebookNode,
    when: dt.datetime | None = None,
) -> None:
    """Put a notebook where `nbgrader collect` would, with its timestamp."""
    folder = course.submitted(student_id, assignment)
    write_atomic(folder / f"{assignment}.ipynb", nbformat.writes(nb))
    when = when or dt.datetime.now(dt.UTC)
    write_atomic(folder / "timestamp.txt", when.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))


def _wrong_letter(expected: str, letters: str = "ABCD") -> str:
    return next(letter for letter in letters if letter != expected)


def simulate_class(course: Course, assignment: str) -> list[Simulated]:
    key = read_answer_key(course.exports / f"{assignment}_answer_key.csv")
    by_student: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in key:
        by_student[row["student_id"]].append(row)
    frozen = course.frozen_exercises(assignment)
    exercises = {ex_id: load_exercise(frozen / ex_id) for ex_id in course.manifest(assignment)["exercises"]}
    points = {s["cell_id"]: s["points"] for s in course.manifest(assignment)["slots"]}
    results = []
    for index, (student_id, rows) in enumerate(sorted(by_student.items())):
        profile = PROFILES[index % len(PROFILES)]
        variants = {
            e: student_variant(ex, course.secret, assignment, student_id) for e, ex in exercises.items()
        }
        answers: dict[str, str] = {}
        deserved = 0.0
        for position, row in enumerate(rows):
            expected = ast.literal_eval(row["expected"])  # a literal written by `assign`
            variant = variants[row["exercise"]]
            q = variant.question(row["question"].split("/", 1)[1])
            right = profile in ("juste", "format-francais") or (profile == "partiel" and position % 2 == 0)
            if profile == "vide":
                continue
            if right:
                deserved += points[row["cell_id"]]
                if profile == "format-francais" and q.kind == "number":
                    value = repr(render.format_value(q, expected))
                else:
                    value = repr(expected)
            elif q.kind == "choice":
                value = repr(_wrong_letter(expected))
            elif profile == "erreur-type" and variant.diagnoses[q.id]:
                value = repr(variant.diagnoses[q.id][0].value)
            else:
                value = repr(expected * 1.5 + 7)
            answers[row["cell_id"]] = f"{row['variable']} = {value}"
        released = nbformat.read(course.per_student_notebook(student_id, assignment), as_version=4)
        file_submission(course, assignment, student_id, set_answers(released, answers))
        results.append(Simulated(student_id, profile, deserved))
    return results
