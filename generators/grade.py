"""`mercatique grade`: check the submissions, run nbgrader autograde, export the grades.

nbgrader executes each notebook and stores the points that `ReportVerdicts`
decided outside the kernel; this module only screens what nbgrader would choke on
(unknown students, unreadable notebooks) and writes the grades CSV from the gradebook.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from .course import Course, write_atomic
from .errors import MercatiqueError
from .setup_course import gradebook_students

GRADE_COLUMNS = ("student_id", "last_name", "first_name", "score", "max_score")


@dataclass
class GradingReport:
    graded: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    not_submitted: list[str] = field(default_factory=list)
    nbgrader_errors: bool = False
    grades_csv: Path | None = None
    log: Path | None = None


def check_notebook(path: Path) -> str | None:
    """Why nbgrader could not grade this file (in French), or None if it can."""
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
    """Student ids nbgrader may grade; the others are recorded in the report."""
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


def _autograde(
    course: Course,
    assignment: str,
    exclude: list[str],
    force: bool,
    progress: Callable[[str], None] | None,
    log_path: Path,
) -> bool:
    """Run nbgrader autograde; True if it reported no error. Its log is kept."""
    args = [sys.executable, "-m", "nbgrader", "autograde", assignment]
    if force:
        args.append("--force")
    if exclude:
        args.append("--CourseDirectory.student_id_exclude=" + ",".join(exclude))
    pattern = re.compile(r"Autograding .*submitted[/\\]([^/\\]+)[/\\]")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            args, cwd=course.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            match = pattern.search(line)
            if match and progress:
                progress(match.group(1))
        return proc.wait() == 0


def grade(
    course: Course, assignment: str, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> GradingReport:
    manifest = course.manifest(assignment)
    students = gradebook_students(course)
    report = GradingReport()
    gradable = screen_submissions(course, assignment, set(students), report)
    if not gradable:
        raise MercatiqueError(
            f"aucune copie à corriger dans {course.root / 'submitted'} pour le devoir « {assignment} » "
            f"(attendu : submitted/<identifiant>/{assignment}/{assignment}.ipynb)"
        )
    excluded = sorted(report.unknown) + sorted(report.unreadable)
    report.log = course.private / "logs" / f"autograde-{assignment}.log"
    report.nbgrader_errors = not _autograde(course, assignment, excluded, force, progress, report.log)

    slots = manifest["slots"]
    header = list(GRADE_COLUMNS) + [s["key"] for s in slots]
    rows = []
    with Gradebook(course.db_url, course.course_id) as gb:
        for student_id in gradable:
            try:
                notebook = gb.find_submission_notebook(assignment, assignment, student_id)
            except MissingEntry:
                report.unreadable[student_id] = "nbgrader n'a pas pu corriger cette copie (voir le journal)"
                continue
            scores = {g.name: g.score for g in notebook.grades}
            per_question = [float(scores.get(s["report_id"]) or 0.0) for s in slots]
            student = students[student_id]
            rows.append(
                [
                    student_id,
                    student.last_name,
                    student.first_name,
                    _num(sum(per_question)),
                    _num(sum(s["points"] for s in slots)),
                    *map(_num, per_question),
                ]
            )
            report.graded.append(student_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    report.grades_csv = course.exports / f"{assignment}_grades.csv"
    write_atomic(report.grades_csv, buffer.getvalue())
    return report


def _num(value: float) -> str:
    """Machine CSV: 2 and 2.5, not 2.0."""
    return str(int(value)) if float(value).is_integer() else repr(round(value, 4))
