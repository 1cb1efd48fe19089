"""`mercatique grade`: a whole class, sandboxed, in parallel, resumable.

- Screening: unknown students and unreadable notebooks are reported, never graded.
- Workers (one process each, `workers` at once) grade one submission each with
  nbgrader's preprocessors and a sandboxed kernel; they never write the gradebook.
- This process is the gradebook's only writer: one transaction per submission, then
  a line in the grading journal. Killed at any point (even SIGKILL), a new run skips
  what the journal records as stored and unchanged, and grades the rest: the grades
  are those of an uninterrupted run. A re-submitted notebook changes its fingerprint
  and is graded again.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning

from .course import Course, csv_text, write_atomic
from .due import apply_late_penalties
from .errors import MercatiqueError
from .sandbox import Limits, require_sandbox
from .setup_course import gradebook_students
from .worker import Outcome, fingerprint, grade_submission

GRADE_COLUMNS = ("student_id", "last_name", "first_name", "score", "max_score")


@dataclass
class GradingReport:
    graded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Already graded and unchanged since (resumed run)."""
    unknown: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    not_submitted: list[str] = field(default_factory=list)
    grades_csv: Path | None = None


def check_notebook(path: Path) -> str | None:
    """Why this file cannot be graded (in French), or None if it can."""
    if not path.is_file():
        return f"notebook {path.name} absent du dossier rendu"
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except json.JSONDecodeError as exc:
        return f"{path.name} n'est pas un JSON valide (ligne {exc.lineno}) : fichier abîmé"
    except UnicodeDecodeError:
        return f"{path.name} n'est pas un fichier texte UTF-8"
    except Exception as exc:  # nbformat raises several kinds for a malformed notebook
        return f"{path.name} n'est pas un notebook valide ({type(exc).__name__})"
    return None


def screen_submissions(course: Course, assignment: str, roster: set[str], report: GradingReport) -> list[str]:
    """Student ids that may be graded; the others are recorded in the report."""
    gradable = []
    for folder in sorted((course.root / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        if student not in roster:
            report.unknown.append(student)
            continue
        problem = check_notebook(folder / f"{assignment}.ipynb")
        if problem:
            report.unreadable[student] = problem
        else:
            gradable.append(student)
    report.not_submitted = sorted(roster - set(gradable) - set(report.unreadable))
    return gradable


class Journal:
    """Which submissions are stored in the gradebook, by fingerprint (one JSON file, replaced atomically)."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, str] = json.loads(path.read_text("utf-8")) if path.exists() else {}

    def is_current(self, student: str, print_: str) -> bool:
        return self.entries.get(student) == print_

    def record(self, student: str, print_: str) -> None:
        self.entries[student] = print_
        write_atomic(self.path, json.dumps(self.entries, indent=1, sort_keys=True))


def _timestamp(course: Course, assignment: str, student: str):
    path = course.submitted(student, assignment) / "timestamp.txt"
    if path.exists():
        try:
            return parse_utc(path.read_text().strip())
        except Exception:
            return None
    return None


def store(gb: Gradebook, course: Course, assignment: str, outcome: Outcome) -> None:
    """One submission's scores in the gradebook, in one transaction."""
    student = outcome.student
    timestamp = _timestamp(course, assignment, student)
    extra = {"timestamp": timestamp} if timestamp is not None else {}
    with warnings.catch_warnings():
        # nbgrader's own session handling triggers this SQLAlchemy notice on every new submission
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_submission(assignment, student, **extra)
    try:
        for grade_id, score in outcome.scores.items():
            grade = gb.find_grade(grade_id, assignment, assignment, student)
            grade.auto_score = score
            grade.needs_manual_grade = grade.manual_score is not None or score is None
        gb.db.commit()
    except Exception:
        gb.db.rollback()
        raise


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def grade(
    course: Course,
    assignment: str,
    *,
    force: bool = False,
    workers: int | None = None,
    sandbox: bool = True,
    limits: Limits | None = None,
    progress: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> GradingReport:
    limits = limits or Limits()
    manifest = course.manifest(assignment)
    if sandbox:
        require_sandbox()
    students = gradebook_students(course)
    report = GradingReport()
    gradable = screen_submissions(course, assignment, set(students), report)
    if not gradable:
        raise MercatiqueError(
            f"aucune copie à corriger dans {course.root / 'submitted'} pour le devoir « {assignment} » "
            f"(attendu : submitted/<identifiant>/{assignment}/{assignment}.ipynb)"
        )
    journal = Journal(course.private / "grading" / f"{assignment}.json")
    manifest_path = course.assignment_dir(assignment) / "manifest.json"
    todo = []
    for student in gradable:
        current = fingerprint(course.submitted(student, assignment) / f"{assignment}.ipynb", manifest_path)
        if not force and journal.is_current(student, current):
            report.skipped.append(student)
        else:
            todo.append(student)
    if on_total:
        on_total(len(todo))

    with Gradebook(course.db_url, course.course_id) as gb:
        if todo:
            with ProcessPoolExecutor(max_workers=min(workers or default_workers(), len(todo))) as pool:
                futures = {
                    pool.submit(grade_submission, str(course.root), assignment, s, sandbox, limits): s
                    for s in todo
                }
                for future in as_completed(futures):
                    student = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as exc:  # a worker that died must not stop the class
                        report.unreadable[student] = f"correction impossible ({type(exc).__name__}: {exc})"
                    else:
                        store(gb, course, assignment, outcome)
                        journal.record(student, outcome.fingerprint)
                        report.graded.append(student)
                        if outcome.problems:
                            report.problems[student] = outcome.problems
                    if progress:
                        progress(student)
        apply_late_penalties(course, assignment)  # nbgrader's AssignLatePenalties, with the manifest's rule
        report.grades_csv = export_grades(gb, course, assignment, manifest, students)
    return report


def export_grades(gb: Gradebook, course: Course, assignment: str, manifest: dict, students) -> Path:
    """The grades CSV from the gradebook (where a teacher's manual grade wins)."""
    slots = manifest["slots"]
    header = list(GRADE_COLUMNS) + [s["key"] for s in slots]
    rows = []
    for student_id in sorted(students):
        try:
            notebook = gb.find_submission_notebook(assignment, assignment, student_id)
        except MissingEntry:
            continue
        scores = {g.name: g.score for g in notebook.grades}
        if all(scores.get(s["report_id"]) is None for s in slots):
            continue  # submission created but never graded
        per_question = [float(scores.get(s["report_id"]) or 0.0) for s in slots]
        late = float(notebook.late_submission_penalty or 0.0)  # late submission, see due.py
        student = students[student_id]
        rows.append([
            student_id, student.last_name, student.first_name,
            _num(sum(per_question) - late), _num(sum(s["points"] for s in slots)), *map(_num, per_question),
        ])  # fmt: skip
    path = course.exports / f"{assignment}_grades.csv"
    write_atomic(path, csv_text(header, rows))
    moodle = [[students[r[0]].email, r[0], r[1], r[2], r[3]] for r in rows]
    write_atomic(course.exports / f"{assignment}_moodle.csv", csv_text(MOODLE_COLUMNS + [assignment], moodle))
    return path


MOODLE_COLUMNS = ["email", "idnumber", "nom", "prenom"]
"""Moodle's gradebook import matches a student by e-mail address or by ID number (idnumber
= the roster's id); the last column is the grade item, in points."""


def _num(value: float) -> str:
    """Machine CSV: 2 and 2.5, not 2.0."""
    return str(int(value)) if float(value).is_integer() else repr(round(value, 4))
