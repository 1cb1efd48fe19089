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
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning

from .course import Course, write_atomic
from .errors import MercatiqueError
from .exports import GRADE_COLUMNS, export_grades  # noqa: F401 (GRADE_COLUMNS: former home)
from .sandbox import Limits, require_sandbox
from .setup_course import gradebook_students
from .worker import Outcome, fingerprint, grade_submission


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
    export_warnings: list[str] = field(default_factory=list)


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
    students: list[str] | None = None,
) -> GradingReport:
    """Grade the class, or only `students` (always regraded); the exports cover everyone."""
    limits = limits or Limits()
    course.manifest(assignment)
    if sandbox:
        require_sandbox()
    only = list(dict.fromkeys(students)) if students else None
    students = gradebook_students(course)
    report = GradingReport()
    gradable = screen_submissions(course, assignment, set(students), report)
    if only is not None:
        gradable = _only(only, gradable, students, report, assignment)
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
        if not force and only is None and journal.is_current(student, current):
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
    exported = export_grades(course, assignment, unreadable=report.unreadable)
    report.grades_csv, report.export_warnings = exported.grades_csv, exported.warnings
    return report


def _only(only: list[str], gradable: list[str], roster, report: GradingReport, assignment: str) -> list[str]:
    """The named students' gradable copies; a name that cannot be graded is a French error."""
    unknown = [s for s in only if s not in roster]
    if unknown:
        raise MercatiqueError(
            f"élève inconnu de la liste de classe : {', '.join(unknown)} (--eleve attend l'identifiant)"
        )
    blocked = [s for s in only if s not in gradable]
    if blocked:
        none = f"aucune copie rendue pour « {assignment} »"
        reasons = [f"{s} : {report.unreadable.get(s, none)}" for s in blocked]
        raise MercatiqueError("copie impossible à corriger : " + " ; ".join(reasons))
    return [s for s in gradable if s in only]
