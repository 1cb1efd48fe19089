"""Deciding a student's answer, outside the kernel, against their recomputed variant.

The kernel's report is untrusted data: only its value is read, never its verdict.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from generators.authoring import formatting, render, rounding, typography
from generators.authoring.catalogue import Question
from generators.authoring.reading import (
    MIXED,
    MIXED_SEPARATORS,
    NOT_A_NUMBER,
    Reading,
    contradicts,
    read_answer,
    unit_message,
)
from generators.authoring.variants import Variant

CORRECT, MISTAKE, WRONG, MISSING, INVALID = "correct", "erreur-type", "faux", "absent", "illisible"
TO_MARK = "à corriger"
"""A written answer waiting for the teacher's grade in the formgrader."""


@dataclass(frozen=True)
class Verdict:
    exercise: str
    question: str
    status: str
    points: float
    max_points: float
    answer: str
    """The student's value as read (empty when absent)."""
    expected: str
    message: str
    """French feedback shown to the student."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_WRAPPED = re.compile(r"^[A-Za-z_][\w.]*\((.*)\)$")  # np.float64(12.5), Decimal('12.5')


MAX_TEXT = 200
"""The kernel's helper cuts `texte` there; a longer forged text is cut the same way."""
LIMIT = 1e15
"""No course answer comes near this; a bigger value is read as unreadable, not formatted."""


def _text(report: dict[str, Any]) -> str:
    """The report's `texte` as a short string, whatever type a forged report put there."""
    text = report.get("texte", "")
    return (text if isinstance(text, str) else "")[:MAX_TEXT]


def _finite(value: Any) -> float | None:
    """A plain number within reach, else None (bool, NaN, inf, 10**400, nested objects...)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) and abs(number) <= LIMIT else None


def read_report(report: dict[str, Any]) -> Reading:
    """The number a report carries: its float, else its text read as the book reads it
    (value and unit written, or why it is refused)."""
    number = _finite(report.get("nombre"))
    if number is not None:
        return Reading(number)
    text = _text(report)
    match = _WRAPPED.match(text.strip())
    if match:
        text = match.group(1)
    reading = read_answer(text)
    if reading.value is not None and _finite(reading.value) is None:
        return Reading(None, refusal=NOT_A_NUMBER)
    return reading


def read_letter(report: dict[str, Any], letters: list[str]) -> str | None:
    text = _text(report).strip().strip("\"'").strip().rstrip(".)").strip().upper()
    return text if text in letters else None


def malformed(report: Any, variable: str) -> str | None:
    """Why a report cannot be read (French), or None when its shape is the helper's.

    The helper sends a dict with `variable` (str), `defini` (bool), `nombre` (number or
    None), `texte` (str); anything else was forged or damaged.
    """
    if not isinstance(report, dict):
        return "le rapport transmis n'a pas la forme attendue (cellule de vérification modifiée ?)"
    if report.get("variable") != variable:
        return (
            f"le rapport transmis ne concerne pas la variable `{variable}` "
            "(cellule de vérification ou outil de correction modifié ?)"
        )
    if not isinstance(report.get("defini"), bool) or not isinstance(report.get("texte", ""), str):
        return "le rapport transmis n'a pas la forme attendue (cellule de vérification modifiée ?)"
    number = report.get("nombre")
    if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float))):
        return "le rapport transmis n'a pas la forme attendue (cellule de vérification modifiée ?)"
    return None


def judge(variant: Variant, q: Question, report: dict[str, Any] | None) -> Verdict:
    """The verdict for one question; `report` is None when the kernel sent none."""
    expected = render.expected_text(variant, q)

    def verdict(status: str, points: float, answer: str, message: str) -> Verdict:
        return Verdict(variant.exercise.id, q.id, status, points, q.points, answer, expected, message)

    if report is None:
        return verdict(
            MISSING,
            0.0,
            "",
            "Aucune réponse n'a été transmise : la cellule de vérification "
            "n'a pas pu s'exécuter, ou a été modifiée.",
        )
    if not isinstance(report, dict):
        return verdict(INVALID, 0.0, "", "Réponse illisible : le rapport transmis n'a pas la forme attendue.")
    if not report.get("defini", False):
        name = report.get("variable") if isinstance(report.get("variable"), str) else q.variable
        return verdict(
            MISSING,
            0.0,
            "",
            f"La variable `{name[:40]}` n'est pas définie : sa cellule de réponse a produit une erreur, "
            "n'a pas été exécutée, ou a été effacée ou renommée.",
        )
    shown = _text(report)[:80]
    if shown in ("Ellipsis", "None"):
        return verdict(MISSING, 0.0, "", "Pas de réponse : vous avez laissé `...` dans la cellule.")

    if q.kind == "choice":
        letters = [o.letter for o in variant.options[q.id]]
        letter = read_letter(report, letters)
        if letter is None:
            return verdict(
                INVALID,
                0.0,
                shown,
                f"Réponse illisible : écrivez une lettre parmi {', '.join(letters)}, "
                'entre guillemets (par exemple "B").',
            )
        if letter == variant.answers[q.id]:
            return verdict(CORRECT, q.points, letter, "Bonne réponse.")
        option = next(o for o in variant.options[q.id] if o.letter == letter)
        why = f" {option.explanation}" if option.explanation else ""
        return verdict(MISTAKE if why else WRONG, 0.0, letter, f"Ce n'est pas la bonne réponse.{why}")

    reading = read_report(report)
    if reading.refusal == MIXED:
        # the book's example, 1250,5, would be a tuple in Python: quoted here
        message = f'Réponse illisible : écrivez le nombre {MIXED_SEPARATORS}, par exemple "1250,5" ou 1250.5.'
        return verdict(INVALID, 0.0, shown, message)
    if reading.value is None:
        return verdict(
            INVALID, 0.0, shown, 'Réponse illisible : écrivez un nombre, par exemple 12.5 ou "12,5 %".'
        )
    if contradicts(reading.unit, q.unit):
        return verdict(WRONG, 0.0, shown, unit_message(reading.unit, q.unit))
    value = reading.value
    answer_text = render.format_value(q, value)
    if abs(value - variant.answers[q.id]) <= q.abs_tolerance:
        return verdict(CORRECT, q.points, answer_text, "Bonne réponse.")
    for diagnosis in variant.diagnoses[q.id]:
        if abs(value - diagnosis.value) <= q.abs_tolerance:
            return verdict(MISTAKE, 0.0, answer_text, f"Erreur fréquente. {diagnosis.explanation}")
    if rounding.is_near_miss(value, variant.answers[q.id], q.decimals, q.abs_tolerance):
        return verdict(WRONG, 0.0, answer_text, rounding.near_message(q.decimals))
    return verdict(
        WRONG, 0.0, answer_text, "Ce n'est pas la bonne valeur : comparez votre calcul au corrigé."
    )


MAX_WRITTEN = 2000
"""A written answer is kept this long in the verdicts file (the notebook keeps it whole)."""
WRITTEN_MESSAGE = "Réponse rédigée : elle est notée par votre enseignant, avec le barème du devoir."
WRITTEN_EMPTY = "Pas de réponse : la cellule « Votre réponse rédigée » n'a pas été modifiée."


def judge_written(variant: Variant, q: Question, text: str | None) -> Verdict:
    """A written answer is not judged here: it waits for the teacher (or is absent).

    `text`: the student's answer, None when the cell is as released (nbgrader then
    gives it 0 itself, from the cell's checksum)."""
    expected = render.WRITTEN_EXPECTED
    if text is None:
        return Verdict(variant.exercise.id, q.id, MISSING, 0.0, q.points, "", expected, WRITTEN_EMPTY)
    answer = text[:MAX_WRITTEN]
    return Verdict(variant.exercise.id, q.id, TO_MARK, 0.0, q.points, answer, expected, WRITTEN_MESSAGE)


REJECTED = "Réponse non notée : "


def rejected(variant: Variant, q: Question, reason: str) -> Verdict:
    """0 point with the French reason why the question could not be judged."""
    return Verdict(
        variant.exercise.id, q.id, INVALID, 0.0, q.points, "", render.expected_text(variant, q),
        f"{REJECTED}{reason}.",
    )


def feedback_text(v: Verdict) -> str:
    """The few lines the student reads under the question in the graded notebook, set in
    French typography as the book's self-checks set theirs (the student's answer as typed)."""
    head = "✔ " if v.status == CORRECT else "✘ "
    lines = [
        typography.text(f"{head}{v.message}"),
        typography.text(f"Points : {formatting.number(v.points)} / {formatting.number(v.max_points)}"),
    ]
    if v.status != CORRECT:
        if v.answer:
            lines.append(typography.text("Votre réponse : ") + v.answer)
        lines.append(typography.text(f"Réponse attendue : {v.expected}"))
    return "\n".join(lines) + "\n"
