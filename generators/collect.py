"""`mercatique collect`: a Moodle « Télécharger tous les travaux remis » archive into
nbgrader's `submitted/` layout, through nbgrader's own `zip_collect`.

Moodle names each submission after the student's full name and participant number
(« Léa Martin_12345_assignsubmission_file_/devoir-1.ipynb », or flat in older versions).
`MoodleCollector` is the collector plugin nbgrader calls for each extracted file: it
matches the full name against the class list (accents, case and order ignored).
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin

from .course import Course
from .errors import MercatiqueError
from .nbgrader_cli import run_nbgrader
from .roster import Student
from .setup_course import gradebook_students

MOODLE_NAME = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assign(?:submission|feedback)_")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.split(r"[\s\-'’]+", letters)).strip()


def name_index(students: dict[str, Student]) -> dict[str, str]:
    """Folded « first last » and « last first » → student id (ambiguous names left out)."""
    index: dict[str, str | None] = {}
    for s in students.values():
        for key in {_fold(f"{s.first_name} {s.last_name}"), _fold(f"{s.last_name} {s.first_name}")}:
            index[key] = None if key in index and index[key] != s.id else s.id
    return {k: v for k, v in index.items() if v}


def match_student(path: str, index: dict[str, str]) -> str | None:
    """The student id a Moodle file path belongs to, or None."""
    for part in reversed(Path(path).parts):
        found = MOODLE_NAME.match(part)
        if found:
            return index.get(_fold(found.group("name")))
    return None


class MoodleCollector(FileNameCollectorPlugin):
    """nbgrader zip_collect plugin: Moodle file names → roster ids."""

    def collect(self, submitted_file: str):
        coursedir = self.parent.coursedir
        if not hasattr(self, "_index"):
            from .course import open_course

            self._index = name_index(gradebook_students(open_course(Path(coursedir.root))))
        if not submitted_file.endswith(".ipynb"):
            return None
        student = match_student(submitted_file, self._index)
        if student is None:
            return None
        return {"student_id": student, "file_id": f"{coursedir.assignment_id}.ipynb"}


def collect(course: Course, assignment: str, source: Path) -> tuple[list[str], list[str]]:
    """Import the archive (or folder); returns (collected ids, files that matched nobody)."""
    course.manifest(assignment)  # the assignment must exist
    source = Path(source)
    if not source.exists():
        raise MercatiqueError(f"archive introuvable : {source}")
    archive = course.root / "downloaded" / assignment / "archive"
    extracted = course.root / "downloaded" / assignment / "extracted"
    for folder in (archive, extracted):
        shutil.rmtree(folder, ignore_errors=True)
    archive.mkdir(parents=True)
    if source.is_dir():
        shutil.copytree(source, archive / source.name)
    elif source.suffix.lower() == ".zip":
        shutil.copy(source, archive / source.name)
    else:
        raise MercatiqueError(
            f"{source} : donnez l'archive .zip téléchargée de Moodle, ou son dossier décompressé"
        )
    run_nbgrader(
        course, "zip_collect", assignment, "--force", "--collector=generators.collect.MoodleCollector"
    )
    index = name_index(gradebook_students(course))
    collected, unmatched = set(), []
    for path in sorted(extracted.rglob("*.ipynb")):
        student = match_student(str(path), index)
        if student is None:
            unmatched.append(str(path.relative_to(extracted)))
        else:
            collected.add(student)
    return sorted(collected), unmatched
