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

import datetime
import json
import os
import stat
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.reader import NotJSONError
from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning

from generators.authoring import formatting
from generators.classroom.course import Course, write_atomic
from generators.classroom.due import apply_late_penalties
from generators.classroom.setup_course import gradebook_students
from generators.errors import MercatiqueError
from generators.grading.sandbox import Limits, require_sandbox
from generators.grading.timings import Stopwatch
from generators.grading.worker import Outcome, fingerprint, grade_submission
from generators.outputs.exports import GRADE_COLUMNS, export_grades  # noqa: F401 (GRADE_COLUMNS: former home)


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
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    peak_rss_kb: dict[int, int] = field(default_factory=dict)
    """Per worker pid, its peak resident memory in kB as its last copy reported it."""
    """Per graded copy, seconds per phase (`generators.grading.timings.PHASES`), for the benchmark."""


NOTEBOOK_LIMIT = 100 * 1024 * 1024
"""A notebook bigger than this is not read (a student's notebook with images weighs a few MB)."""
TIMESTAMP_LIMIT = 4096


def _regular_file_problem(path: Path, limit: int) -> str | None:
    """Why this path is not a small regular file (directory, pipe, device, too big), or None."""
    try:
        info = path.stat()
    except OSError as exc:
        return f"{path.name} illisible ({type(exc).__name__})"
    if not stat.S_ISREG(info.st_mode):
        kind = "un dossier" if stat.S_ISDIR(info.st_mode) else "un fichier spécial"
        return f"{path.name} est {kind}, pas un fichier"
    if info.st_size > limit:
        return f"{path.name} est trop volumineux ({formatting.number(round(info.st_size / 2**20, 1))} Mo)"
    return None


def check_notebook(path: Path) -> str | None:
    """Why this file cannot be graded (in French), or None if it can."""
    if not path.exists() and not path.is_symlink():
        return f"notebook {path.name} absent du dossier rendu"
    problem = _regular_file_problem(path, NOTEBOOK_LIMIT)
    if problem:
        return problem
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except json.JSONDecodeError as exc:
        return f"{path.name} n'est pas un JSON valide (ligne {exc.lineno}) : fichier abîmé"
    except NotJSONError:
        return f"{path.name} n'est pas un JSON valide : fichier abîmé ou tronqué"
    except UnicodeDecodeError:
        return f"{path.name} n'est pas un fichier texte UTF-8"
    except Exception as exc:  # nbformat raises several kinds for a malformed notebook
        return f"{path.name} n'est pas un notebook valide ({type(exc).__name__})"
    if not isinstance(nb.get("cells"), list):
        return f"{path.name} n'est pas un notebook valide (pas de liste de cellules)"
    return None


def check_timestamp(folder: Path) -> str | None:
    """Why the submission's timestamp.txt cannot even be read (a folder, a pipe...), or None.

    An unreadable timestamp would stop the fingerprint of the submission, so the
    submission is reported instead of graded; a readable file with garbage is graded
    without a date (see `_timestamp`).
    """
    path = folder / "timestamp.txt"
    if not path.exists() and not path.is_symlink():
        return None
    problem = _regular_file_problem(path, TIMESTAMP_LIMIT)
    return f"horodatage du rendu illisible : {problem} ; redéposez la copie" if problem else None


def screen_submissions(course: Course, assignment: str, roster: set[str], report: GradingReport) -> list[str]:
    """Student ids that may be graded; the others are recorded in the report."""
    gradable = []
    for folder in sorted((course.root / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        if student not in roster:
            report.unknown.append(student)
            continue
        problem = check_notebook(folder / f"{assignment}.ipynb") or check_timestamp(folder)
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


def _failed(course: Course, assignment: str, student: str, exc: BaseException) -> str:
    """The French reason a submission could not be graded, kept in its verdicts file too."""
    from generators.grading.nbgrader_ext import record_failure

    remote = str(exc.__cause__ or "")  # a worker's traceback, as text (concurrent.futures)
    if "nbgrader/preprocessors/" in remote:
        reason = (
            "copie non corrigée : ses cellules notées ont été modifiées ou effacées et nbgrader "
            "n'a pas pu les remettre en place ; à corriger à la main"
        )
    else:
        reason = f"correction impossible ({type(exc).__name__} : {str(exc)[:200]})"
    try:
        record_failure(str(course.root), assignment, student, reason)
    except Exception as again:  # the reason is still printed and reported
        reason += f" ; fiche de correction non écrite ({type(again).__name__})"
    return reason


def _timestamp(course: Course, assignment: str, student: str):
    """The submission's date from timestamp.txt, or None with a French problem when unreadable."""
    path = course.submitted(student, assignment) / "timestamp.txt"
    if not path.exists():
        return None, None
    problem = "horodatage du rendu illisible (timestamp.txt) : date de rendu non enregistrée"
    if _regular_file_problem(path, TIMESTAMP_LIMIT):
        return None, problem
    try:
        when = parse_utc(path.read_text("utf-8", errors="replace").strip())
    except Exception:  # dateutil raises several kinds on garbage
        return None, problem
    if not isinstance(when, datetime.datetime) or not 1970 <= when.year <= 2200:
        return None, problem
    return when, None


def store(gb: Gradebook, course: Course, assignment: str, outcome: Outcome) -> None:
    """One submission's scores in the gradebook, in one transaction.

    Only the assignment's graded cells are stored, each score a number between 0 and
    its points (0 otherwise); a score out of range or an unreadable timestamp adds a
    French problem to the outcome and to the student's verdicts file.
    """
    student = outcome.student
    timestamp, problem = _timestamp(course, assignment, student)
    problems = [problem] if problem else []
    points = {slot["report_id"]: float(slot["points"]) for slot in course.manifest(assignment)["slots"]}
    scores = {}
    for grade_id, maximum in points.items():
        score = outcome.scores.get(grade_id, 0.0)
        if score is None:  # nbgrader's "needs manual grading": a teacher decides
            scores[grade_id] = None
            continue
        try:
            valid = 0.0 <= float(score) <= maximum
        except (TypeError, ValueError, OverflowError):
            valid = False
        if not valid:
            problems.append(f"note reçue pour « {grade_id} » hors limites ({str(score)[:20]}) : 0 retenu")
        scores[grade_id] = float(score) if valid else 0.0
    extra = {"timestamp": timestamp} if timestamp is not None else {}
    with warnings.catch_warnings():
        # nbgrader's own session handling triggers this SQLAlchemy notice on every new submission
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_submission(assignment, student, **extra)
    try:
        for grade_id, score in scores.items():
            grade = gb.find_grade(grade_id, assignment, assignment, student)
            grade.auto_score = score
            grade.needs_manual_grade = grade.manual_score is not None or score is None
        gb.db.commit()
    except Exception:
        gb.db.rollback()
        raise
    if problems:
        outcome.problems += [p for p in problems if p not in outcome.problems]
        _add_problems(course, assignment, student, problems)


def _add_problems(course: Course, assignment: str, student: str, problems: list[str]) -> None:
    """Append problem lines to the verdicts file the worker wrote (kept if unreadable)."""
    path = course.verdicts_file(assignment, student)
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return
    record["problems"] = list(dict.fromkeys([*record.get("problems", []), *problems]))
    write_atomic(path, json.dumps(record, ensure_ascii=False, indent=1))


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
            count = min(workers or default_workers(), len(todo))
            with ProcessPoolExecutor(max_workers=count) as pool:
                # a worker starts its next copy's kernel ahead, except near the end of the class
                futures = {
                    pool.submit(grade_submission, str(course.root), assignment, s, sandbox, limits,
                                prestart=n < len(todo) - count): s
                    for n, s in enumerate(todo)
                }  # fmt: skip
                for future in as_completed(futures):
                    student = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as exc:  # a worker that died must not stop the class
                        report.unreadable[student] = _failed(course, assignment, student, exc)
                    else:
                        watch = Stopwatch()
                        watch.phases = outcome.timings
                        with watch.phase("gradebook"):
                            store(gb, course, assignment, outcome)
                        with watch.phase("journal"):
                            journal.record(student, outcome.fingerprint)
                        report.timings[student] = outcome.timings
                        pid, peak = outcome.worker
                        report.peak_rss_kb[pid] = max(peak, report.peak_rss_kb.get(pid, 0))
                        report.graded.append(student)
                        if outcome.problems:
                            report.problems[student] = outcome.problems
                    if progress:
                        progress(student)
    apply_late_penalties(course, assignment)  # nbgrader's AssignLatePenalties, with the manifest's rule
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
