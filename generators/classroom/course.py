"""The course directory: nbgrader's layout plus the product's private folder.

COURSE_DIR/                               a folder: move, copy or rsync it whole
  nbgrader_config.py, gradebook.db        nbgrader's own (SQLite path relative to the folder)
  source/ release/ submitted/ autograded/ feedback/
  release_per_student/<student>/<assignment>/<assignment>.ipynb
  exports/<assignment>_answer_key.csv, <assignment>_grades.csv
  exports/jupyter_eleves/                 the students' /etc/jupyter/ on a hub (`release`)
  .mercatique/                            never given to students
    secret                                the course secret (variants)
    course.json                           course id, gradebook URL
    assignments/<assignment>/manifest.json, exercises/<id>/ (frozen templates)
    verdicts/<assignment>/<student>.json  what the grader decided, and why
    staging/<assignment>/                 an `assign` being built (see staging.py)
    archives/<assignment>-<date>/         old results of an assignment replaced by force
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generators.errors import MercatiqueError
from generators.grading.sanitize import for_spreadsheet

PRIVATE = ".mercatique"
ASSIGNMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
LOCAL_SQLITE = "sqlite:///gradebook.db"
"""The default gradebook, relative to the course folder (resolved by `Course.db_url`)."""


def check_assignment_name(assignment: str) -> str:
    """Every path built from an assignment name goes through here: no `..`, `/`, spaces."""
    if not isinstance(assignment, str) or not ASSIGNMENT_NAME.match(assignment):
        raise MercatiqueError(
            f"nom de devoir « {assignment} » invalide : lettres sans accent, chiffres, - ou _ "
            "(64 caractères au plus, sans espace ni /), par exemple « devoir-1 »"
        )
    return assignment


SQLITE_URL = re.compile(r"^(sqlite(?:\+\w+)?):///([^?]*)(\?.*)?$")


def sqlite_path(db_url: str) -> str | None:
    """The file of a SQLite URL (as written, maybe relative), None for another database."""
    found = SQLITE_URL.match(db_url)
    return (found.group(2) or None) if found else None


def with_sqlite_path(db_url: str, path: str) -> str:
    found = SQLITE_URL.match(db_url)
    return f"{found.group(1)}:///{path}{found.group(3) or ''}"


def portable_db_url(db_url: str, root: Path) -> str:
    """A SQLite file inside the course folder is stored relative to it; other URLs as given.

    An old absolute `<old folder>/gradebook.db` is read as this folder's own gradebook when
    it lies inside the folder, or when the folder was moved or copied (it has its own
    gradebook.db): a copy never reads or writes the original's grades.
    """
    path = sqlite_path(db_url)
    if path is None or not os.path.isabs(path):
        return db_url
    absolute = Path(path)
    try:
        return with_sqlite_path(db_url, absolute.relative_to(root).as_posix())
    except ValueError:
        pass
    if absolute.name == "gradebook.db" and (root / "gradebook.db").is_file():
        return with_sqlite_path(db_url, "gradebook.db")
    return db_url


def write_atomic(path: Path, content: str | bytes, mode: int | None = None) -> None:
    """Write text (UTF-8) or bytes through a temporary file and rename: a crash never
    leaves half a file. `mode`: the file's permissions (the temporary file's 0600 else)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_folder(staging: Path, target: Path) -> None:
    """Put a folder built aside (`staging`, next to `target`) in place of `target`, whole.

    The old folder is first moved out of the way, then removed: a reader sees the old
    folder or the new one, never a mix."""
    if target.exists():
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-old-"))
        target.rename(old / "x")
        staging.rename(target)
        shutil.rmtree(old)
    else:
        staging.rename(target)


@contextmanager
def export_folder(target: Path) -> Iterator[Path]:
    """A folder of exports (worksheets, archives) built aside, then swapped in whole and
    readable by all (0755/0644); a run that fails leaves the previous folder untouched."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        yield staging
        for path in staging.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        staging.chmod(0o755)
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
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
        """The gradebook URL, a relative SQLite path resolved against the folder now."""
        url = portable_db_url(self.config.get("db_url") or LOCAL_SQLITE, self.root)
        path = sqlite_path(url)
        if path is not None and not os.path.isabs(path):
            return with_sqlite_path(url, str(self.root / path))
        return url

    @property
    def secret(self) -> str:
        return (self.private / "secret").read_text("utf-8").strip()

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    def assignment_dir(self, assignment: str) -> Path:
        return self.private / "assignments" / check_assignment_name(assignment)

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
        return self.root / "submitted" / student_id / check_assignment_name(assignment)

    def per_student_notebook(self, student_id: str, assignment: str) -> Path:
        check_assignment_name(assignment)
        return self.root / "release_per_student" / student_id / assignment / f"{assignment}.ipynb"

    def verdicts_file(self, assignment: str, student_id: str) -> Path:
        return self.private / "verdicts" / check_assignment_name(assignment) / f"{student_id}.json"


def new_secret() -> str:
    return secrets.token_hex(32)


def open_course(path: Path) -> Course:
    """The course in `path`, with an interrupted `assign` finished or undone first."""
    course = Course(Path(path).resolve())
    if not (course.private / "course.json").is_file() or not (course.private / "secret").is_file():
        raise MercatiqueError(
            f"{path} n'est pas un cours mercatique (pas de {PRIVATE}/course.json). "
            f"Créez-le avec « mercatique init {path} --roster classe.csv »."
        )
    _migrate_db_url(course)
    if (course.private / "staging").exists():
        from generators.classroom.staging import recover

        recover(course)
    return course


DB_LINE = re.compile(r"^c\.CourseDirectory\.db_url = .*$", re.MULTILINE)


def nbgrader_db_line(db_url: str) -> str:
    """nbgrader_config.py's gradebook line: a relative SQLite file is found from the file's folder."""
    path = sqlite_path(db_url)
    if path is not None and not os.path.isabs(path):
        return f'c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, {path!r})'
    return f"c.CourseDirectory.db_url = {db_url!r}"


def _migrate_db_url(course: Course) -> None:
    """Courses made before gradebooks were relative: rewrite course.json and nbgrader_config.py once."""
    config = course.config
    portable = portable_db_url(config.get("db_url") or LOCAL_SQLITE, course.root)
    if portable == config.get("db_url"):
        return
    try:
        nbgrader_config = course.root / "nbgrader_config.py"
        if nbgrader_config.is_file():
            text = nbgrader_config.read_text("utf-8")
            line = nbgrader_db_line(portable)
            write_atomic(nbgrader_config, DB_LINE.sub(lambda _: line, text, count=1))
        write_atomic(course.private / "course.json", json.dumps({**config, "db_url": portable}, indent=1))
    except OSError:
        pass  # a read-only course still works: `Course.db_url` reads the old path leniently
