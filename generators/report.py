"""`mercatique report`: one offline HTML page for the teacher, charts included.

Built from the grader's verdicts with pandas; charts are matplotlib PNGs embedded in
the page (data URIs), so it opens from a USB stick with no network.
"""

from __future__ import annotations

import base64
import io
from itertools import combinations
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from . import formatting  # noqa: E402
from .course import Course, write_atomic  # noqa: E402
from .errors import MercatiqueError  # noqa: E402
from .feedback import read_verdicts, templates  # noqa: E402
from .grade import GradingReport, screen_submissions  # noqa: E402
from .setup_course import gradebook_students  # noqa: E402
from .verdicts import CORRECT, MISSING, MISTAKE  # noqa: E402

COPY_THRESHOLD = 2
"""Identical numeric answers shared by two students before the pair is flagged."""


def verdict_table(records: dict[str, dict]) -> pd.DataFrame:
    rows = [
        {"student": student, **v, "key": f"{v['exercise']}/{v['question']}"}
        for student, record in records.items()
        for v in record["verdicts"]
    ]
    return pd.DataFrame(rows)


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _percent(value: float) -> str:
    return formatting.percent(value * 100, 0)


def suspected_copies(table: pd.DataFrame) -> list[tuple[str, str, int]]:
    """Pairs of students who typed the same numeric answers on several questions.

    Every student has their own numbers, so two identical values (right for one, or
    wrong for both) are unlikely by chance; choice letters are left out (4 options).
    """
    typed = table[(table.answer.str.len() > 1) & (table.status != MISSING)]
    answers = {s: set(zip(g.key, g.answer, strict=True)) for s, g in typed.groupby("student")}
    pairs = []
    for a, b in combinations(sorted(answers), 2):
        shared = len(answers[a] & answers[b])
        if shared >= COPY_THRESHOLD:
            pairs.append((a, b, shared))
    return pairs


def build_report(course: Course, assignment: str) -> Path:
    manifest = course.manifest(assignment)
    records = read_verdicts(course, assignment)
    if not records:
        raise MercatiqueError(
            f"aucune copie corrigée pour « {assignment} » : lancez d'abord mercatique grade"
        )
    students = gradebook_students(course)
    table = verdict_table({s: r for s, r in records.items() if s in students})
    max_score = sum(s["points"] for s in manifest["slots"])
    scores = table.groupby("student").points.sum()

    figure, axis = plt.subplots(figsize=(6.5, 3))
    axis.hist(
        scores, bins=min(20, int(max_score) + 1), range=(0, max_score), color="#2f6db5", edgecolor="white"
    )
    axis.set_xlabel("Note (points)")
    axis.set_ylabel("Nombre d'élèves")
    scores_png = _png(figure)

    by_question = table.groupby("key", sort=False)
    success = by_question.apply(lambda g: (g.status == CORRECT).mean(), include_groups=False)
    figure, axis = plt.subplots(figsize=(6.5, 0.45 * len(success) + 1))
    axis.barh(list(success.index)[::-1], list(success.values * 100)[::-1], color="#1c7a35")
    axis.set_xlim(0, 100)
    axis.set_xlabel("Élèves ayant la bonne réponse (%)")
    questions_png = _png(figure)

    questions = [
        {
            "key": key,
            "success": _percent((g.status == CORRECT).mean()),
            "mistakes": _percent((g.status == MISTAKE).mean()),
            "missing": _percent((g.status == MISSING).mean()),
        }
        for key, g in by_question
    ]
    mistakes = (
        table[table.status == MISTAKE]
        .groupby(["key", "message"])
        .size()
        .sort_values(ascending=False)
        .head(10)
    )
    flags = [
        {"student": s, "reason": problem}
        for s, r in sorted(records.items())
        for problem in r.get("problems", [])
    ]
    screening = GradingReport()
    screen_submissions(course, assignment, set(students), screening)
    flags += [{"student": s, "reason": "identifiant absent de la liste de classe"} for s in screening.unknown]
    flags += [{"student": s, "reason": why} for s, why in sorted(screening.unreadable.items())]
    flags += [
        {
            "student": f"{a} et {b}",
            "reason": f"{n} réponses chiffrées identiques alors que leurs nombres diffèrent : copie possible",
        }
        for a, b, n in suspected_copies(table)
    ]
    page = (
        templates()
        .get_template("report.html.j2")
        .render(
            assignment=assignment,
            summary={
                "graded": len(scores),
                "roster": len(students),
                "mean": formatting.number(round(scores.mean(), 2)),
                "median": formatting.number(round(scores.median(), 2)),
                "min": formatting.number(scores.min()),
                "top": formatting.number(scores.max()),
                "max": formatting.number(max_score),
            },
            charts={"scores": scores_png, "questions": questions_png},
            questions=questions,
            mistakes=[{"key": k, "message": m, "count": n} for (k, m), n in mistakes.items()],
            flags=flags,
        )
    )
    path = course.exports / f"{assignment}_bilan.html"
    write_atomic(path, page)
    return path
