"""`mercatique report`: one offline HTML page for the teacher, charts included.

Every roster student appears (graded, absent, unreadable), by group when the roster has
groups. Scores come from the gradebook (the teacher's changes in the formgrader win),
question statistics and frequent mistakes from the grader's verdicts, with pandas.
Charts are matplotlib PNGs embedded in the page (data URIs), so it opens from a USB
stick with no network.
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

from generators.authoring import formatting  # noqa: E402
from generators.classroom.collect import last_collect  # noqa: E402
from generators.classroom.course import Course, write_atomic  # noqa: E402
from generators.errors import MercatiqueError  # noqa: E402
from generators.grading.grade import GradingReport, Journal, screen_submissions  # noqa: E402
from generators.grading.sanitize import for_terminal  # noqa: E402
from generators.grading.verdicts import CORRECT, MISSING, MISTAKE  # noqa: E402
from generators.grading.worker import fingerprint  # noqa: E402
from generators.outputs.exports import (  # noqa: E402
    ABSENT,
    GRADED,
    PENDING,
    TO_MARK,
    UNREADABLE,
    Result,
    class_results,
    groups_of,
)
from generators.outputs.feedback import read_verdicts, render_page  # noqa: E402

COPY_THRESHOLD = 2
"""Identical numeric answers shared by two students before the pair is flagged."""


VERDICT_COLUMNS = ["student", "exercise", "question", "status", "points", "max_points", "answer", "expected",
                   "message", "key"]  # fmt: skip


def verdict_table(records: dict[str, dict]) -> pd.DataFrame:
    rows = [
        {"student": student, **v, "key": f"{v['exercise']}/{v['question']}"}
        for student, record in records.items()
        for v in record["verdicts"]
    ]
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


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


def _mean(values: list[float]) -> str:
    return formatting.number(round(float(pd.Series(values).mean()), 2)) if values else "–"


def _median(values: list[float]) -> str:
    return formatting.number(round(float(pd.Series(values).median()), 2)) if values else "–"


STATUS_LABELS = {
    GRADED: "corrigée",
    ABSENT: "absent",
    UNREADABLE: "illisible",
    PENDING: "non corrigée",
    TO_MARK: "à corriger",
}
TO_MARK_REASON = (
    "réponses rédigées à corriger dans le formgrader de nbgrader ({questions}), "
    "puis relancez mercatique export et mercatique feedback"
)


def _student_row(result: Result, records: dict[str, dict]) -> dict:
    notes = [f"{q.key} : {q.adjusted_text}" for q in result.questions if q.adjusted]
    if result.late:
        penalty = formatting.number(round(result.penalty, 2))
        notes.append("en retard" + (f", pénalité de {penalty} point(s)" if result.penalty else ""))
    notes += [for_terminal(p, 500) for p in records.get(result.student.id, {}).get("problems", [])]
    if result.why:
        notes.append(result.why)
    return {
        "id": result.student.id,
        "name": f"{result.student.last_name} {result.student.first_name}",
        "group": result.group,
        "status": STATUS_LABELS[result.status],
        "score": formatting.number(round(result.score, 2)) if result.graded else "",
        "notes": notes,
        "flag": not result.graded or bool(notes),
    }


def _group_summary(name: str, results: list[Result]) -> dict:
    scores = [r.score for r in results if r.graded]
    return {
        "name": name,
        "roster": len(results),
        "graded": len(scores),
        "absent": sum(r.status == ABSENT for r in results),
        "unreadable": sum(r.status in (UNREADABLE, PENDING) for r in results),
        "mean": _mean(scores),
        "median": _median(scores),
    }


def _stale(course: Course, assignment: str, graded: list[str]) -> list[str]:
    """Graded students whose copy changed since (re-submitted): the grade is not theirs any more."""
    journal = Journal(course.private / "grading" / f"{assignment}.json")
    manifest = course.assignment_dir(assignment) / "manifest.json"
    stale = []
    for student in graded:
        notebook = course.submitted(student, assignment) / f"{assignment}.ipynb"
        known = student in journal.entries and notebook.is_file()
        if known and not journal.is_current(student, fingerprint(notebook, manifest)):
            stale.append(student)
    return stale


def build_report(course: Course, assignment: str) -> Path:
    """The class report: every roster student (graded, absent, unreadable), from the gradebook."""
    manifest = course.manifest(assignment)
    results = class_results(course, assignment)
    graded = [r for r in results if r.graded]
    if not graded and any(r.status == TO_MARK for r in results):
        raise MercatiqueError(
            f"aucune copie entièrement corrigée pour « {assignment} » : notez d'abord les réponses "
            "rédigées dans le formgrader de nbgrader (onglet Manual Grading), puis relancez"
        )
    if not graded:
        raise MercatiqueError(
            f"aucune copie corrigée pour « {assignment} » : lancez d'abord mercatique grade"
        )
    graded_ids = {r.student.id for r in graded}
    records = {s: r for s, r in read_verdicts(course, assignment).items() if s in graded_ids}
    table = verdict_table(records)
    max_score = sum(s["points"] for s in manifest["slots"])
    scores = pd.Series([r.score for r in graded], index=[r.student.id for r in graded])

    figure, axis = plt.subplots(figsize=(6.5, 3))
    top = max(max_score, float(scores.max()))  # extra credit can go past the maximum
    axis.hist(scores, bins=min(20, int(top) + 1), range=(0, top), color="#2f6db5", edgecolor="white")
    axis.set_xlabel("Note (points)")
    axis.set_ylabel("Nombre d'élèves")
    scores_png = _png(figure)

    keys = [s["key"] for s in manifest["slots"]]
    written = {s["key"] for s in manifest["slots"] if s.get("kind") == "written"}
    by_question = dict(iter(table.groupby("key", sort=False)))
    success = pd.Series(  # a written answer has no right answer: its share of points says more
        {k: (by_question[k].status == CORRECT).mean() for k in keys if k in by_question and k not in written},
        dtype=float,
    )
    figure, axis = plt.subplots(figsize=(6.5, 0.45 * len(success) + 1))
    axis.barh(list(success.index)[::-1], list(success.values * 100)[::-1], color="#1c7a35")
    axis.set_xlim(0, 100)
    axis.set_xlabel("Élèves ayant la bonne réponse (%)")
    questions_png = _png(figure)

    earned = {key: [] for key in keys}  # share of the points, from the gradebook
    for r in graded:
        for q in r.questions:
            earned[q.key].append(q.score / q.max_points if q.max_points else 0.0)

    def share(key: str, status: str) -> str:
        if key not in by_question or (key in written and status != MISSING):
            return "–"
        return _percent((by_question[key].status == status).mean())

    questions = [
        {
            "key": key,
            "success": share(key, CORRECT),
            "mistakes": share(key, MISTAKE),
            "missing": share(key, MISSING),
            "points": _percent(sum(earned[key]) / len(earned[key])),
        }
        for key in keys
    ]
    mistakes = (
        table[table.status == MISTAKE]
        .groupby(["key", "message"])
        .size()
        .sort_values(ascending=False)
        .head(10)
    )
    students = {r.student.id: r for r in results}
    flags = [
        {"student": s, "reason": for_terminal(problem, 500)}  # the notebook's own text: one clean line
        for s, r in sorted(records.items())
        for problem in r.get("problems", [])
    ]
    collected = last_collect(course, assignment)  # what the Moodle collect set aside or chose
    flags += [
        {"student": note.student or note.who,
         "reason": "ramassage Moodle" + (f", « {note.file} »" if note.file else "") + f" : {note.message}"}
        for note in (collected.notes if collected else [])
    ]  # fmt: skip
    screening = GradingReport()
    screen_submissions(course, assignment, set(students), screening)
    unknown = "identifiant absent de la liste de classe"
    flags += [{"student": for_terminal(s), "reason": unknown} for s in screening.unknown]
    for r in results:
        reason = {
            UNREADABLE: r.why,
            PENDING: "copie rendue mais pas encore corrigée : lancez mercatique grade",
            TO_MARK: TO_MARK_REASON.format(questions=", ".join(q.key for q in r.questions if q.to_mark)),
        }.get(r.status)
        if r.graded and r.student.id not in records:
            reason = "corrigée sans diagnostic (fichier de verdicts absent)"
        if reason:
            flags.append({"student": r.student.id, "reason": reason})
    flags += [
        {"student": s, "reason": "copie modifiée depuis sa correction : relancez mercatique grade"}
        for s in _stale(course, assignment, sorted(graded_ids))
    ]
    flags += [
        {
            "student": f"{a} et {b}",
            "reason": f"{n} réponses chiffrées identiques alors que leurs nombres diffèrent : copie possible",
        }
        for a, b, n in suspected_copies(table)
    ]
    group_names = groups_of(results)
    sections = [
        {"name": g, "students": [_student_row(r, records) for r in results if r.group == g]}
        for g in group_names
    ]
    if not group_names or any(not r.group for r in results):
        rest = [_student_row(r, records) for r in results if not r.group]
        sections.append({"name": "sans groupe" if group_names else "", "students": rest})
    page = render_page(
        "report.html.j2",
        assignment=assignment,
        summary={
            **_group_summary("", results),
            "mean": formatting.number(round(scores.mean(), 2)),
            "median": formatting.number(round(scores.median(), 2)),
            "min": formatting.number(round(scores.min(), 2)),
            "top": formatting.number(round(scores.max(), 2)),
            "max": formatting.number(max_score),
        },
        groups=[_group_summary(g, [r for r in results if r.group == g]) for g in group_names],
        sections=sections,
        charts={"scores": scores_png, "questions": questions_png},
        questions=questions,
        mistakes=[{"key": k, "message": m, "count": n} for (k, m), n in mistakes.items()],
        flags=flags,
    )
    path = course.exports / f"{assignment}_bilan.html"
    write_atomic(path, page)
    return path
