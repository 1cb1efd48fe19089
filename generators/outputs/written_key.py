"""The teacher's key for written answers: model answer and marking scheme of each question.

The grader's CSV key holds the values it judges; a written answer is marked by the
teacher in the formgrader, who needs the expected elements and the barème instead.
A model answer that quotes a student's numbers is given student by student.
"""

from __future__ import annotations

from generators.authoring import render
from generators.authoring.catalogue import Exercise
from generators.authoring.variants import student_variant
from generators.classroom.notebook import Slot


def written_key(secret: str, assignment: str, exercises: list[Exercise], slots: list[Slot], students) -> str:
    """The Markdown key, or "" when the assignment has no written question."""
    written = [s for s in slots if s.written]
    if not written:
        return ""
    by_id = {ex.id: ex for ex in exercises}
    numbers = {ex.id: n for n, ex in enumerate(exercises, start=1)}
    ordered = sorted(students, key=lambda s: s.id)
    parts = [
        f"# Devoir « {assignment} » : corrigé des questions rédigées",
        "",
        "À noter dans le formgrader de nbgrader (onglet « Manual Grading ») : chaque réponse "
        "rédigée y attend une note et, si vous le souhaitez, un commentaire pour l'élève.",
    ]
    for slot in written:
        ex = by_id[slot.exercise]
        q = next(q for q in ex.questions if q.id == slot.question)
        number = ex.questions.index(q) + 1
        parts += [
            "",
            f"## Exercice {numbers[ex.id]}, question {number} ({render.points_label(q.points)}) : {ex.title}",
            "",
            f"Identifiant de la cellule dans le formgrader : `{slot.cell_id}`",
            "",
            "**Barème**",
            "",
            *render.rubric_lines(q),
        ]
        answers: dict[str, list[str]] = {}
        for student in ordered:
            variant = student_variant(ex, secret, assignment, student.id)
            answers.setdefault(render.model_answer(variant, q), []).append(student.id)
        if len(answers) <= 1:
            parts += ["", "**Corrigé (éléments attendus)**", "", *answers]
            continue
        for text, ids in answers.items():
            parts += ["", f"**Corrigé pour {', '.join(ids)}**", "", text]
    return "\n".join(parts) + "\n"
