"""`mercatique feedback`: one French HTML page per student, from the grader's verdicts.

Unlike nbgrader's stock feedback (a render of the graded notebook), the page shows no
test code and nothing of the secret: the student's own statement, each answer with the
expected one and the diagnosis of a recognised typical mistake, and the worked solution.
Pages go where nbgrader's `release_feedback` expects them: feedback/<id>/<assignment>/,
with the submission's timestamp.txt and submission_secret.txt beside them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from . import formatting, render
from .catalogue import load_exercise
from .course import Course, write_atomic
from .errors import MercatiqueError
from .exchange import complete_feedback_folder
from .expressions import render_text
from .selfcheck import to_html
from .setup_course import gradebook_students
from .variants import student_variant


@cache
def templates() -> Environment:
    return Environment(
        loader=PackageLoader("generators", "templates"), autoescape=select_autoescape(["html", "j2"])
    )


def read_verdicts(course: Course, assignment: str) -> dict[str, dict]:
    folder = course.private / "verdicts" / assignment
    records = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text("utf-8"))
        records[record["student"]] = record
    return records


def feedback_pages(course: Course, assignment: str) -> list[Path]:
    manifest = course.manifest(assignment)
    records = read_verdicts(course, assignment)
    if not records:
        raise MercatiqueError(
            f"aucune copie corrigée pour « {assignment} » : lancez d'abord mercatique grade"
        )
    frozen = course.frozen_exercises(assignment)
    exercises = {ex_id: load_exercise(frozen / ex_id) for ex_id in manifest["exercises"]}
    students = gradebook_students(course)
    written = []
    for student_id, record in records.items():
        if student_id not in students:
            continue
        verdicts = {(v["exercise"], v["question"]): v for v in record["verdicts"]}
        blocks = []
        for ex_id, ex in exercises.items():
            variant = student_variant(ex, course.secret, assignment, student_id)
            questions = []
            for q in ex.questions:
                v = verdicts[(ex_id, q.id)]
                questions.append({
                    **v,
                    "prompt": to_html(render_text(q.prompt, variant.context)),
                    "points": formatting.number(v["points"]),
                    "max_points": formatting.number(v["max_points"]),
                })  # fmt: skip
            blocks.append({
                "title": ex.title,
                "statement": to_html(render.statement(variant)),
                "questions": questions,
                "solution": to_html(render.solution(variant)),
            })  # fmt: skip
        score = sum(v["points"] for v in record["verdicts"])
        page = (
            templates()
            .get_template("feedback.html.j2")
            .render(
                assignment=assignment,
                student=students[student_id],
                score=formatting.number(score),
                max_score=formatting.number(sum(s["points"] for s in manifest["slots"])),
                problems=record.get("problems", []),
                exercises=blocks,
            )
        )
        path = course.root / "feedback" / student_id / assignment / f"{assignment}.html"
        write_atomic(path, page)
        # readable once nbgrader's release_feedback has copied it (mode included) to the exchange
        path.chmod(0o644)
        complete_feedback_folder(course.submitted(student_id, assignment), path.parent)
        written.append(path)
    return written
