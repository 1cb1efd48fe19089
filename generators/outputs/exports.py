"""Grades where the school keeps them, read from the gradebook: the grades CSV, Moodle, Pronote.

nbgrader's gradebook is the truth: a score the teacher changed in the formgrader (a
manual grade, extra credit) wins over the grader's, and nbgrader's late penalty applies
(`Grade.score`, `SubmittedAssignment.late_submission_penalty`, as `nbgrader export` does).
The feedback pages and the report read the same `class_results`, and `mercatique export`
rewrites the files without grading again. Every roster student has a line: a copy that is
absent or unreadable is marked, never silently left out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Assignment, Comment, Grade, Gradebook, SubmittedAssignment, SubmittedNotebook
from sqlalchemy.orm import selectinload, undefer

from generators.authoring import formatting
from generators.authoring.formatting import round_half_up
from generators.classroom.course import Course, csv_text, write_atomic
from generators.classroom.roster import Student
from generators.classroom.setup_course import gradebook_students
from generators.errors import MercatiqueError

GRADED, ABSENT, UNREADABLE, PENDING = "corrigée", "absent", "illisible", "non corrigée"
TO_MARK = "à corriger"
"""A student's status for one assignment, as written in the grades CSV. « à corriger »: the
automatic part is graded, written answers still wait for the teacher in the formgrader
(no total until then, so a copy half marked never looks like a low grade)."""

GRADE_COLUMNS = ("student_id", "last_name", "first_name", "score", "max_score")
STATUS_COLUMNS = ("status", "late", "late_penalty")
"""After the per-question columns: the copy's status, `oui` when handed in late, the penalty."""

FORMATS = ("notes", "moodle", "pronote")
IDENTIFIERS = ("email", "idnumber", "username")

MOODLE_COLUMNS = ["nom", "prenom"]
"""Moodle's grade import matches each row by ONE field the teacher picks on the import
screen (e-mail, idnumber = the roster's id, or username); a row whose identifier is empty
aborts the whole import, so such rows are left out. Then the grade item and a feedback
column; an empty grade means « no grade » to Moodle."""

MOODLE_NOTE = {
    ABSENT: "absent",
    UNREADABLE: "copie illisible",
    PENDING: "copie non corrigée",
    TO_MARK: "réponses rédigées à corriger",
}
PRONOTE_COLUMNS = ["Nom", "Prénom", "Note"]
PRONOTE_ABSENT = "Abs"
"""Pronote shows an absent student's grade as « Abs » (not confirmed by an Index Education
document: the column is meant to be pasted, and the teacher can still type it)."""

BOM = "\ufeff"
"""Excel (French) reads a UTF-8 CSV as UTF-8 only when it starts with a BOM."""


@dataclass(frozen=True)
class QuestionScore:
    """One question's score as the gradebook has it."""

    key: str
    exercise: str
    question: str
    score: float
    max_points: float
    auto: float | None
    manual: float | None
    extra: float | None
    comment: str = ""
    """The teacher's comment in the formgrader (on the question's answer cell)."""
    written: bool = False

    @property
    def to_mark(self) -> bool:
        """A written answer nbgrader leaves to the teacher, not graded yet."""
        return self.written and self.auto is None and self.manual is None

    @property
    def adjusted(self) -> bool:
        """The teacher changed the grader's score (manual grade or extra credit)."""
        if self.written:  # marked by the teacher by design: only extra credit is a change
            return bool(self.extra)
        return (self.manual is not None and self.manual != self.auto) or bool(self.extra)

    @property
    def adjusted_text(self) -> str:
        score, best = formatting.number(round(self.score, 2)), formatting.number(self.max_points)
        return f"note modifiée par l'enseignant\u00a0: {score}/{best}"


@dataclass
class Result:
    """One roster student for one assignment."""

    student: Student
    status: str
    max_score: float
    questions: list[QuestionScore] = field(default_factory=list)
    raw_score: float | None = None
    penalty: float = 0.0
    seconds_late: float = 0.0
    why: str = ""
    """Why an unreadable copy could not be graded (French)."""

    @property
    def graded(self) -> bool:
        return self.status == GRADED

    @property
    def score(self) -> float | None:
        """nbgrader's own rule: raw score minus the late penalty, never below zero."""
        return None if self.raw_score is None else max(0.0, self.raw_score - self.penalty)

    @property
    def late(self) -> bool:
        return self.seconds_late > 0

    @property
    def group(self) -> str:
        return getattr(self.student, "group", "") or ""

    def on_scale(self, sur: float | None) -> float | None:
        """The score out of `sur` (rounded to 2 decimals), or in points without a scale."""
        if self.score is None:
            return None
        if not sur:
            return self.score
        return round_half_up(self.score / self.max_score * sur, 2) if self.max_score else 0.0


def _submissions(gb: Gradebook, assignment: str) -> dict:
    """The assignment's submissions by student, grades and cells loaded in a few queries."""
    query = (
        gb.db.query(SubmittedAssignment)
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
        .filter(Assignment.name == assignment)
        .options(
            undefer(SubmittedAssignment.late_submission_penalty),
            selectinload(SubmittedAssignment.notebooks).selectinload(SubmittedNotebook.grades)
            .selectinload(Grade.cell),
            selectinload(SubmittedAssignment.notebooks).selectinload(SubmittedNotebook.comments)
            .selectinload(Comment.cell),
        )
    )  # fmt: skip
    return {submission.student_id: submission for submission in query}


def _graded(result: Result, submission, slots: list[dict]) -> bool:
    """Fill `result` from the gradebook; False when nothing is graded yet."""
    grades = {g.name: g for nb in submission.notebooks for g in nb.grades}
    comments = {c.name: c.comment for nb in submission.notebooks for c in nb.comments}
    if not any(g.auto_score is not None or g.manual_score is not None for g in grades.values()):
        return False
    for slot in slots:
        g = grades.get(slot["report_id"])
        auto, manual, extra = (g.auto_score, g.manual_score, g.extra_credit) if g is not None else (None,) * 3
        score = float(g.score or 0.0) if g is not None else 0.0  # nbgrader's: manual, else auto, + extra
        result.questions.append(
            QuestionScore(slot["key"], slot["exercise"], slot["question"], score, float(slot["points"]),
                          auto, manual, extra, (comments.get(slot["cell_id"]) or "").strip(),
                          slot.get("kind") == "written")
        )  # fmt: skip
    result.penalty = float(submission.late_submission_penalty or 0.0)
    result.seconds_late = float(submission.total_seconds_late or 0.0)
    if any(q.to_mark for q in result.questions):
        result.status = TO_MARK  # no total until the teacher has marked every written answer
        return True
    result.status = GRADED
    result.raw_score = sum(q.score for q in result.questions)
    return True


def class_results(
    course: Course, assignment: str, *, unreadable: dict[str, str] | None = None
) -> list[Result]:
    """Every roster student's result for `assignment`, in class-list order, from the gradebook.

    `unreadable`: copies the grading run could not grade (with why), when known.
    """
    from generators.grading.grade import check_notebook

    slots = course.manifest(assignment)["slots"]
    max_score = float(sum(s["points"] for s in slots))
    students = gradebook_students(course)
    unreadable = unreadable or {}
    results = []
    with Gradebook(course.db_url, course.course_id) as gb:
        submissions = _submissions(gb, assignment)
        for sid in students:  # class-list order (gradebook_students)
            result = Result(students[sid], ABSENT, max_score)
            results.append(result)
            if sid in submissions and _graded(result, submissions[sid], slots):
                continue
            folder = course.submitted(sid, assignment)
            if not folder.is_dir():
                continue  # absent
            why = unreadable.get(sid) or check_notebook(folder / f"{assignment}.ipynb")
            result.status, result.why = (UNREADABLE, why) if why else (PENDING, "")
    return results


def groups_of(results: list[Result]) -> list[str]:
    """The roster's groups in class-list order ([] when the roster has none)."""
    return list(dict.fromkeys(r.group for r in results if r.group))


def _num(value: float) -> str:
    """Machine CSV: 2 and 2.5, not 2.0."""
    return str(int(value)) if float(value).is_integer() else repr(round(value, 4))


def _comma(value: float) -> str:
    """Pronote's French decimal comma: 12,5."""
    return _num(value).replace(".", ",")


def _slug(text: str) -> str:
    """A group name usable in a file name on any system."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_text).strip("-") or "groupe"


def _by_group(results: list[Result], groups: list[str]) -> dict[str, list[Result]]:
    """Each group's students under a distinct file-name part; the ungrouped ones apart."""
    parts: dict[str, list[Result]] = {}
    for g in [*groups, ""] if any(not r.group for r in results) else groups:
        name = _slug(g) if g else "sans-groupe"
        while name in parts:
            name += "-bis"
        parts[name] = [r for r in results if r.group == g]
    return parts


def notes_csv(results: list[Result], slots: list[dict]) -> str:
    """The grades CSV: a line per roster student, a column per question, status and lateness."""
    header = [*GRADE_COLUMNS, *(s["key"] for s in slots), *STATUS_COLUMNS]
    rows = []
    for r in results:
        s = r.student
        if r.graded:
            scores = [_num(r.score), _num(r.max_score), *(_num(q.score) for q in r.questions)]
        elif r.status == TO_MARK:  # the automatic points are known, the written ones are not
            scores = ["", _num(r.max_score), *("" if q.to_mark else _num(q.score) for q in r.questions)]
        else:
            scores = ["", _num(r.max_score), *("" for _ in slots)]
        late = "oui" if r.late else ""
        rows.append([s.id, s.last_name, s.first_name, *scores, r.status, late, _num(r.penalty)])
    return csv_text(header, rows)


def moodle_identifier(student: Student, identifier: str) -> str:
    if identifier == "email":
        return student.email
    if identifier == "idnumber":
        return student.id
    # the hub login is the roster id; a roster that knows the Moodle username gives it
    return getattr(student, "username", "") or student.id


IDENTIFIER_LABELS = {"email": "adresse e-mail", "idnumber": "identifiant", "username": "nom d'utilisateur"}


def moodle_csv(
    results: list[Result], assignment: str, identifier: str, sur: float | None
) -> tuple[str, list[str]]:
    """Moodle's grade import file and the French warnings about rows left out."""
    rows, warnings = [], []
    for r in results:
        key = moodle_identifier(r.student, identifier)
        if not key:
            warnings.append(
                f"Moodle : {r.student.full_name} ({r.student.id}) sans {IDENTIFIER_LABELS[identifier]} "
                "dans la liste de classe : ligne non écrite (Moodle refuserait tout le fichier). "
                "Complétez la liste ou choisissez un autre --identifiant."
            )
            continue
        grade = r.on_scale(sur)
        shown = "" if grade is None else _num(grade)
        note = ", ".join(filter(None, [MOODLE_NOTE.get(r.status, ""), "rendu en retard" if r.late else ""]))
        rows.append([key, r.student.last_name, r.student.first_name, shown, note])
    column = f"{assignment} (sur {_num(sur)})" if sur else assignment
    return BOM + csv_text([identifier, *MOODLE_COLUMNS, column, "commentaire"], rows), warnings


def pronote_csv(results: list[Result], sur: float) -> str:
    """A grade column to paste into Pronote: class-list order, `;`, decimal comma, out of `sur`."""
    rows = []
    for r in results:
        grade = r.on_scale(sur)
        mark = PRONOTE_ABSENT if r.status == ABSENT else "" if grade is None else _comma(grade)
        rows.append([r.student.last_name, r.student.first_name, mark])
    return BOM + csv_text(PRONOTE_COLUMNS, rows, delimiter=";")


@dataclass
class Exported:
    paths: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    grades_csv: Path | None = None


def export_grades(
    course: Course,
    assignment: str,
    *,
    formats: tuple[str, ...] | list[str] = FORMATS,
    sur: float | None = None,
    identifier: str = "email",
    group: str | None = None,
    unreadable: dict[str, str] | None = None,
) -> Exported:
    """Write the chosen export files from the gradebook (no grading); `group` keeps one group.

    `sur` rescales Moodle's grades (points when None); Pronote's are out of `sur` or 20.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or identifier not in IDENTIFIERS:
        raise MercatiqueError(
            f"format ou identifiant inconnu : {', '.join(unknown) or identifier} "
            f"(formats : {', '.join(FORMATS)} ; identifiants : {', '.join(IDENTIFIERS)})"
        )
    if sur is not None and sur <= 0:
        raise MercatiqueError(f"--sur doit être un nombre positif (par exemple 20), pas {_num(sur)}")
    slots = course.manifest(assignment)["slots"]
    results = class_results(course, assignment, unreadable=unreadable)
    groups = groups_of(results)
    suffix = ""
    if group is not None:
        if group not in groups:
            known = ", ".join(f"« {g} »" for g in groups) or "aucun (la liste de classe n'a pas de groupes)"
            raise MercatiqueError(f"groupe « {group} » inconnu ; groupes de la classe : {known}")
        results = [r for r in results if r.group == group]
        groups, suffix = [group], f"_{_slug(group)}"
    out, files = Exported(), {}
    if "notes" in formats:
        out.grades_csv = course.exports / f"{assignment}_grades{suffix}.csv"
        files[out.grades_csv.name] = notes_csv(results, slots)
    if "moodle" in formats:
        text, out.warnings = moodle_csv(results, assignment, identifier, sur)
        files[f"{assignment}_moodle{suffix}.csv"] = text
    if "pronote" in formats:
        if groups and group is None:
            for name, members in _by_group(results, groups).items():
                files[f"{assignment}_pronote_{name}.csv"] = pronote_csv(members, sur or 20)
        else:
            files[f"{assignment}_pronote{suffix}.csv"] = pronote_csv(results, sur or 20)
    for name, text in files.items():  # everything computed first: a failure writes nothing
        write_atomic(course.exports / name, text)
        out.paths.append(course.exports / name)
    return out
