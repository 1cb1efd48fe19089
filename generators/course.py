"""The course directory: nbgrader's layout plus the product's private folder.

COURSE_DIR/
  nbgrader_config.py, gradebook.db        nbgrader's own
  source/ release/ submitted/ autograded/ feedback/
  release_per_student/<student>/<assignment>/<assignment>.ipynb
  exports/<assignment>_answer_key.csv, <assignment>_grades.csv
  exports/jupyter_eleves/                 the students' /etc/jupyter/ on a hub (`release`)
  .mercatique/                            never given to students
    secret                                the course secret (variants)
    course.json                           course id, gradebook URL
    assignments/<assignment>/manifest.json, exercises/<id>/ (frozen templates)
    verdicts/<assignment>/<student>.json  what the grader decided, and why
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MercatiqueError
from .sanitize import for_spreadsheet

PRIVATE = ".mercatique"


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(header, rows, delimiter: str = ",") -> str:
    """A machine CSV (comma, LF line ends), written whole by `write_atomic`.

    Every cell goes through `sanitize.for_spreadsheet`: a roster name or an answer
    starting with `=` must not run as a formula when the teacher opens the file.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow([for_spreadsheet(c) for c in header])
    writer.writerows([for_spreadsheet(c) for c in row] for row in rows)
    return buffer.getvalue()


@dataclass(frozen=True)
class Course:
    root: Path

    @property
    def private(self) -> Path:
        return self.root / PRIVATE

    @property
    def config(self) -> dict[str, Any]:
        return json.loads((self.private / "course.json").read_text("utf-8"))

    @property
    def course_id(self) -> str:
        return self.config["course_id"]

    @property
    def db_url(self) -> str:
        return self.config["db_url"]

    @property
    def secret(self) -> str:
        return (self.private / "secret").read_text("utf-8").strip()

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    def assignment_dir(self, assignment: str) -> Path:
        return self.private / "assignments" / assignment

    def manifest(self, assignment: str) -> dict[str, Any]:
        path = self.assignment_dir(assignment) / "manifest.json"
        if not path.is_file():
            raise MercatiqueError(
                f"devoir inconnu : « {assignment} ». Créez-le d'abord avec "
                f"« mercatique assign {self.root} {assignment} EXERCICE... »"
            )
        return json.loads(path.read_text("utf-8"))

    def frozen_exercises(self, assignment: str) -> Path:
        return self.assignment_dir(assignment) / "exercises"

    def submitted(self, student_id: str, assignment: str) -> Path:
        return self.root / "submitted" / student_id / assignment

    def per_student_notebook(self, student_id: str, assignment: str) -> Path:
        return self.root / "release_per_student" / student_id / assignment / f"{assignment}.ipynb"

    def verdicts_file(self, assignment: str, student_id: str) -> Path:
        return self.private / "verdicts" / assignment / f"{student_id}.json"


def new_secret() -> str:
    return secrets.token_hex(32)


def open_course(path: Path) -> Course:
    course = Course(Path(path).resolve())
    if not (course.private / "course.json").is_file() or not (course.private / "secret").is_file():
        raise MercatiqueError(
            f"{path} n'est pas un cours mercatique (pas de {PRIVATE}/course.json). "
            f"Créez-le avec « mercatique init {path} --roster classe.csv »."
        )
    return course
