"""`mercatique init`: an nbgrader course directory wired to the product's extensions."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.api import Student as GradebookStudent

from generators.authoring.catalogue import load_exercise
from generators.classroom.course import (
    LOCAL_SQLITE,
    PRIVATE,
    Course,
    nbgrader_db_line,
    new_secret,
    open_course,
    portable_db_url,
    sqlite_path,
    with_sqlite_path,
    write_atomic,
)
from generators.classroom.roster import (
    STORED_ROSTER,
    Student,
    load_roster,
    read_stored_groups,
    stored_roster_text,
)
from generators.errors import MercatiqueError

COURSE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")

NBGRADER_CONFIG = '''"""Configuration nbgrader du cours « {course_id} », écrite par « mercatique init ».

Les commandes nbgrader habituelles fonctionnent depuis ce dossier ; « mercatique »
y ajoute les variantes par élève et la correction hors du noyau de l'élève.
"""

import os

from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    Execute,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from generators.grading.nbgrader_ext import RepairSubmission, ReportVerdicts, RestoreReportHelper

c = get_config()  # noqa: F821 (provided by nbgrader)
HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = {course_id!r}
{db_line}

# Students are imported from the roster by « mercatique init »: an unknown id is refused.
c.Autograde.create_student = False

# Sanitize: nbgrader's list, plus the submission's nbgrader metadata put back as released
# (RepairSubmission, before nbgrader's own steps, which stop on some edited notebooks) and
# the report helper restored if a student deleted it.
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    RepairSubmission,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    RestoreReportHelper,
    CheckCellMetadata,
]
# Autograde: ReportVerdicts must come right after Execute (it reads the kernel's
# reports) and before SaveAutoGrades (which stores the points it leaves behind).
c.Autograde.autograde_preprocessors = [
    Execute,
    ReportVerdicts,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
c.ReportVerdicts.course_dir = HERE
# Late penalty: nbgrader's plugin point, with the rule given to « mercatique assign --penalite-retard ».
c.AssignLatePenalties.plugin_class = "generators.classroom.due.LatePenalty"
c.LatePenalty.course_dir = HERE
c.OverwriteCells.add_missing_cells = True
c.OverwriteCells.missing_cell_notification = (
    "Cette cellule (id : {{cell_id}}) manquait dans la copie rendue ; elle a été remise en place.\\n"
)
c.Execute.timeout = 60
c.ClearSolutions.code_stub = {{"python": "# VOTRE RÉPONSE ICI\\nraise NotImplementedError()"}}
# Written answers (markdown cells graded in the formgrader): the line that replaces the model answer.
c.ClearSolutions.text_stub = "*Écrivez votre réponse ici.*"

# Échange nbgrader (JupyterHub) : chaque élève reçoit son propre notebook
# (« mercatique release ») ; le dossier d'échange se change ici.
c.Exchange.root = "/srv/nbgrader/exchange"
c.ExchangeFactory.release_assignment = "generators.classroom.exchange.PersonalReleaseAssignment"
c.ExchangeFactory.fetch_assignment = "generators.classroom.exchange.PersonalFetchAssignment"
c.ExchangeFactory.list = "generators.classroom.exchange.PersonalList"
c.ExchangeFactory.release_feedback = "generators.classroom.exchange.ExchangeOnlyReleaseFeedback"
'''


def init_course(
    root: Path, roster_path: Path, course_id: str | None = None, db_url: str | None = None
) -> tuple[Course, list[Student], list[str]]:
    """Create the course: (course, students, the class list's warnings for the teacher).

    The roster is checked whole before anything is written, and a failure while writing
    removes what this call created (the folder is as it was). The gradebook is SQLite in
    the course folder unless `db_url` names another database (PostgreSQL for a school:
    postgresql://user:password@host/database). A SQLite file inside the folder is recorded
    relative to it: the course can be moved or copied.
    """
    root = Path(root).resolve()
    course_id = course_id or root.name
    if not COURSE_ID.match(course_id):
        raise MercatiqueError(
            f"identifiant de cours « {course_id} » invalide : lettres sans accent, chiffres, - ou _ "
            "(choisissez-le avec --course-id)"
        )
    roster = load_roster(roster_path)
    students = roster.students
    course = Course(root)
    if (course.private / "course.json").exists():
        raise MercatiqueError(f"{root} contient déjà un cours ; choisissez un autre dossier.")
    db_url = db_url or LOCAL_SQLITE
    if not db_url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg2:", "mysql")):
        raise MercatiqueError(
            f"adresse de base de données non reconnue : « {db_url} » (sqlite:/// ou postgresql://)"
        )
    path = sqlite_path(db_url)
    if path is not None and db_url != LOCAL_SQLITE and not os.path.isabs(path):
        db_url = with_sqlite_path(db_url, os.path.abspath(path))  # as typed: from the current folder
    db_url = portable_db_url(db_url, root)
    before = set(root.iterdir()) if root.is_dir() else None
    try:
        _write_new_course(course, course_id, db_url, students)
    except BaseException:
        _remove_created(root, before)
        raise
    return course, students, roster.warnings


def _write_new_course(course: Course, course_id: str, db_url: str, students: list[Student]) -> None:
    root = course.root
    root.mkdir(parents=True, exist_ok=True)
    (root / "source").mkdir(exist_ok=True)
    course.exports.mkdir(exist_ok=True)
    write_atomic(
        root / "nbgrader_config.py",
        NBGRADER_CONFIG.format(course_id=course_id, db_line=nbgrader_db_line(db_url)),
    )
    _import_students(_resolved(db_url, root), course_id, students)
    secret = course.private / "secret"
    write_atomic(secret, new_secret() + "\n")
    secret.chmod(0o600)
    write_atomic(course.private / STORED_ROSTER, stored_roster_text(students))
    # course.json last: its presence is what marks a finished course directory
    write_atomic(
        course.private / "course.json",
        json.dumps({"course_id": course_id, "db_url": db_url}, indent=1),
    )
    write_atomic(course.private / ".gitignore", "*\n")


def _remove_created(root: Path, before: set[Path] | None) -> None:
    """Undo a failed `init`: the folder it made, or what it added to an existing one."""
    if before is None:
        shutil.rmtree(root, ignore_errors=True)
        return
    for path in set(root.iterdir()) - before:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _resolved(db_url: str, root: Path) -> str:
    path = sqlite_path(db_url)
    return with_sqlite_path(db_url, str(root / path)) if path and not os.path.isabs(path) else db_url


SETTINGS_NOT_COPIED = ("course_id", "db_url")


def init_course_from(
    root: Path,
    previous_root: Path,
    roster_path: Path,
    course_id: str | None = None,
    db_url: str | None = None,
) -> tuple[Course, list[Student], list[str]]:
    """A new course from last year's: its assignments and settings, a new class and secret.

    Copied: each assignment's frozen exercises (not today's catalogue), hence the same
    manifest and source, and its late-penalty rule; the course settings. Not copied:
    students, submissions, grades, feedback, due dates, the secret (new numbers for
    everyone). Built in a hidden folder next to `root`, renamed at the end: a failure
    leaves nothing behind. Returns the course, its students and the assignments copied.
    """
    from generators.classroom.assign import build_assignment

    previous = open_course(previous_root)
    root = Path(root).resolve()
    if root == previous.root:
        raise MercatiqueError("le nouveau cours doit être dans un autre dossier que l'ancien")
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise MercatiqueError(f"{root} existe déjà et n'est pas vide : choisissez un nouveau dossier")
    assignments = sorted(
        p.parent.name for p in (previous.private / "assignments").glob("*/manifest.json")
    )
    root.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".init", dir=root.parent))
    try:
        course, students, _ = init_course(building / "cours", roster_path, course_id or root.name, db_url)
        settings = {k: v for k, v in previous.config.items() if k not in SETTINGS_NOT_COPIED}
        if settings:
            write_atomic(course.private / "course.json", json.dumps({**course.config, **settings}, indent=1))
        for assignment in assignments:
            manifest = previous.manifest(assignment)
            frozen = previous.frozen_exercises(assignment)
            exercises = [load_exercise(frozen / ex_id) for ex_id in manifest["exercises"]]
            build_assignment(course, assignment, exercises, due=None,
                             late_penalty=manifest.get("late_penalty"))  # fmt: skip
        os.replace(building / "cours", root)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return open_course(root), students, assignments


def _without_password(db_url: str) -> str:
    """The database address as it may be shown on screen (password masked)."""
    return re.sub(r"^([a-z0-9+]+://[^:/@]+):[^@]*@", r"\1:***@", db_url)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _import_students(db_url: str, course_id: str, students: list[Student]) -> None:
    """One transaction: the gradebook gets every student or none."""
    try:
        gradebook = Gradebook(db_url, course_id)
    except Exception as exc:
        raise MercatiqueError(
            f"impossible d'ouvrir le carnet de notes {_without_password(db_url)} : vérifiez l'adresse, "
            "le serveur de base de données et les droits. Détail technique : "
            + _first_line(getattr(exc, "orig", None) or exc)
        ) from None
    with gradebook as gb:
        try:
            for s in students:
                gb.db.merge(
                    GradebookStudent(
                        id=s.id, first_name=s.first_name, last_name=s.last_name, email=s.email or None
                    )
                )
            gb.db.commit()
        except Exception:
            gb.db.rollback()
            raise


def gradebook_students(course: Course) -> dict[str, Student]:
    """The course's students in class-list order: names and e-mail from the gradebook, class
    from the stored list."""
    groups = read_stored_groups(course.private)  # in class-list order
    with Gradebook(course.db_url, course.course_id) as gb:
        found = {
            s.id: Student(s.id, s.last_name or "", s.first_name or "", s.email or "", groups.get(s.id, ""))
            for s in gb.students
        }
    ordered = {sid: found[sid] for sid in groups if sid in found}
    return ordered | {sid: s for sid, s in found.items() if sid not in ordered}


__all__ = ["init_course", "init_course_from", "gradebook_students", "PRIVATE"]
