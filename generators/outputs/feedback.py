"""`mercatique feedback`: one French HTML page per student, from the grader's verdicts.

The scores come from the gradebook (a grade the teacher changed in the formgrader wins,
and says so); the verdicts files give the diagnosis text.

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

from generators.authoring import formatting, render, typography
from generators.authoring.catalogue import load_exercise
from generators.authoring.expressions import render_text
from generators.authoring.variants import student_variant
from generators.book.selfcheck import to_html
from generators.classroom.course import Course, write_atomic
from generators.classroom.exchange import complete_feedback_folder
from generators.classroom.setup_course import gradebook_students
from generators.errors import MercatiqueError
from generators.grading.sanitize import for_terminal
from generators.grading.verdicts import CORRECT, MISSING
from generators.outputs.exports import class_results


@cache
def templates() -> Environment:
    return Environment(
        loader=PackageLoader("generators.outputs", "templates"), autoescape=select_autoescape(["html", "j2"])
    )


def render_page(template: str, **context) -> str:
    """A page for a student or the teacher, with French typography applied once, here."""
    return typography.html(templates().get_template(template).render(**context))


def read_verdicts(course: Course, assignment: str) -> dict[str, dict]:
    folder = course.private / "verdicts" / assignment
    records = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text("utf-8"))
        records[record["student"]] = record
    return records


def _written(variant, q, verdict: dict, score) -> dict:
    """A written answer's feedback: the teacher's points, the expected elements, the barème."""
    if verdict["status"] == MISSING:
        message, status = verdict["message"], MISSING
    else:
        message = "Réponse rédigée, notée par votre enseignant."
        status = CORRECT if score.score >= score.max_points else verdict["status"]
    return {
        "written": True,
        "status": status,
        "message": message,
        "model_answer": to_html(render.model_answer(variant, q)),
        "rubric": to_html("Barème :\n\n" + "\n".join(render.rubric_lines(q))),
    }


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
    results = {r.student.id: r for r in class_results(course, assignment) if r.graded}
    written = []
    for student_id, record in records.items():
        if student_id not in students or student_id not in results:
            continue  # not in the roster, or no grade in the gradebook
        result = results[student_id]
        scores = {(q.exercise, q.question): q for q in result.questions}
        verdicts = {(v["exercise"], v["question"]): v for v in record["verdicts"]}
        blocks = []
        for ex_id, ex in exercises.items():
            variant = student_variant(ex, course.secret, assignment, student_id)
            questions = []
            for q in ex.questions:
                v = verdicts[(ex_id, q.id)]
                score = scores[(ex_id, q.id)]
                questions.append({
                    **v,
                    **(_written(variant, q, v, score) if q.written else {}),
                    "prompt": to_html(render_text(q.prompt, variant.context)),
                    "points": formatting.number(round(score.score, 2)),
                    "max_points": formatting.number(score.max_points),
                    "adjusted": score.adjusted_text if score.adjusted else "",
                    "comment": for_terminal(score.comment, 2000),
                    # typed by the student: no control chars
                    "answer": for_terminal(v["answer"], 2000 if q.written else 200),
                })  # fmt: skip
            blocks.append({
                "title": ex.title,
                "statement": to_html(render.statement(variant)),
                "questions": questions,
                "solution": to_html(render.solution(variant)),
            })  # fmt: skip
        page = render_page(
            "feedback.html.j2",
            assignment=assignment,
            student=students[student_id],
            score=formatting.number(round(result.score, 2)),
            max_score=formatting.number(result.max_score),
            penalty=formatting.number(round(result.penalty, 2)) if result.penalty else "",
            late=result.late,
            problems=[for_terminal(p, 500) for p in record.get("problems", [])],
            exercises=blocks,
        )
        path = course.root / "feedback" / student_id / assignment / f"{assignment}.html"
        write_atomic(path, page)
        # readable once nbgrader's release_feedback has copied it (mode included) to the exchange
        path.chmod(0o644)
        complete_feedback_folder(course.submitted(student_id, assignment), path.parent)
        written.append(path)
    return written
