"""`mercatique release`: each student's own notebook reaches them, with or without a hub.

- Through nbgrader's exchange (JupyterHub): `generators.classroom.exchange.PersonalReleaseAssignment`
  puts every folder of release_per_student/ in the exchange; a student's *Fetch* brings
  back their own. The students' side needs the product installed and the folder written
  to exports/jupyter_eleves/, copied as the hub's /etc/jupyter/ (`student_config`).
- Without a hub: one zip per student, one per class and one for everyone in
  exports/distribution/<assignment>/, for the ENT, Moodle or a USB key.

The exchange folder is, by priority: `--echange`, the course's nbgrader_config.py
(`c.Exchange.root`), /srv/nbgrader/exchange. The course's config is kept in step, so the
teacher's own `nbgrader collect` and `release_feedback` use the same folder.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from generators.classroom.course import Course, export_folder, write_atomic
from generators.classroom.exchange import (
    DEFAULT_ROOT,
    PER_STUDENT_SOURCE,
    PLUGINS,
    ExchangeOnlyReleaseFeedback,
    PersonalReleaseAssignment,
)
from generators.classroom.roster import Student
from generators.classroom.setup_course import gradebook_students
from generators.classroom.student_config import (
    DEFAULT_CONFIG_DIR,
    STUDENT_CONFIG,
    STUDENT_FOLDER,
    check_config_dir,
    nbgrader_config_text,
    write_student_folder,
)
from generators.errors import MercatiqueError

COURSE_CONFIG = "nbgrader_config.py"
EXCHANGE_ROOT_LINE = re.compile(r"^c\.Exchange\.root\s*=.*$", re.MULTILINE)

COURSE_BLOCK = """
# Échange nbgrader (JupyterHub) : chaque élève reçoit son propre notebook
# (« mercatique release ») ; le dossier d'échange se change ici.
c.Exchange.root = {root}
c.ExchangeFactory.release_assignment = "{release_assignment}"
c.ExchangeFactory.fetch_assignment = "{fetch_assignment}"
c.ExchangeFactory.list = "{list}"
c.ExchangeFactory.release_feedback = "{release_feedback}"
"""

ARCHIVE_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f]')


@dataclass
class ReleaseResult:
    exchange_root: str | None = None
    released: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    unprotected: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # on the roster, no personal notebook
    distribution: Path | None = None
    archives: int = 0
    student_config: Path | None = None  # exports/nbgrader_config_eleves.py (old single file)
    student_folder: Path | None = None  # exports/jupyter_eleves/, the hub's /etc/jupyter/
    course_config_changed: bool = False


def personal_notebooks(course: Course, assignment: str) -> dict[str, Path]:
    """student id → their folder in release_per_student/ (whatever is there, newcomers included)."""
    source = course.root / PER_STUDENT_SOURCE
    if not source.is_dir():
        return {}
    return {
        folder.name: folder / assignment
        for folder in sorted(source.iterdir())
        if (folder / assignment / f"{assignment}.ipynb").is_file()
    }


def course_config(course: Course) -> Config:
    try:
        return PyFileConfigLoader(COURSE_CONFIG, path=str(course.root)).load_config()
    except Exception as exc:
        raise MercatiqueError(f"{course.root / COURSE_CONFIG} illisible : {exc}") from None


def exchange_root(course: Course, override: str | os.PathLike | None = None) -> str:
    if override:
        return str(Path(override).resolve())
    config = course_config(course)
    return str(config.Exchange.root) if "root" in config.Exchange else DEFAULT_ROOT


def _literal(path: str) -> str:
    """A path as a Python string literal, double-quoted like the rest of the config."""
    return json.dumps(path, ensure_ascii=False)


def configure_course(course: Course, root: str) -> bool:
    """Name the exchange plug-ins and folder in the course's config; True when it changed."""
    path = course.root / COURSE_CONFIG
    text = path.read_text("utf-8")
    if PLUGINS["fetch_assignment"].rpartition(".")[2] not in text:  # older courses name generators.exchange
        new = text.rstrip("\n") + "\n" + COURSE_BLOCK.format(root=_literal(root), **PLUGINS)
    elif EXCHANGE_ROOT_LINE.search(text):
        new = EXCHANGE_ROOT_LINE.sub(lambda _m: f"c.Exchange.root = {_literal(root)}", text, count=1)
    else:
        new = text.rstrip("\n") + f"\nc.Exchange.root = {_literal(root)}\n"
    if new != text:
        write_atomic(path, new)
    return new != text


def run_plugin(course: Course, plugin_class, assignment: str, root: str, **traits):
    """One of nbgrader's exchange actions, in this process, with the course's own config."""
    config = course_config(course)
    config.CourseDirectory.root = str(course.root)
    config.CourseDirectory.course_id = course.course_id
    config.CourseDirectory.assignment_id = assignment
    config.Exchange.root = root
    # quiet: what matters comes back as the plug-in's results or as an ExchangeError
    log = logging.getLogger("mercatique.exchange")
    log.propagate = False
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    coursedir = CourseDirectory(config=config)
    plugin = plugin_class(
        coursedir=coursedir, authenticator=Authenticator(config=config), config=config, log=log, **traits
    )
    try:
        plugin.start()
    except ExchangeError as exc:
        parent = root if os.path.isdir(root) else os.path.dirname(root)
        hint = (
            ""
            if os.access(parent, os.W_OK | os.X_OK)
            else " Le dossier d'échange doit exister et vous être accessible en écriture (voir le README, "
            "section JupyterHub) ; choisissez-en un autre avec --echange, ou, sans JupyterHub, "
            "utilisez --sans-echange."
        )
        raise MercatiqueError(f"échange nbgrader ({root}) : {exc}.{hint}") from None
    except OSError as exc:
        raise MercatiqueError(
            f"échange nbgrader ({root}) : {exc.strerror} ({exc.filename}). Le dossier d'échange doit "
            "exister et vous être accessible en écriture (voir le README, section JupyterHub) ; "
            "choisissez-en un autre avec --echange, ou, sans JupyterHub, utilisez --sans-echange."
        ) from None
    return plugin


def _groups(course: Course) -> dict[str, str]:
    """id → class/group from the stored class list, when it has such a column."""
    path = course.private / "roster.csv"
    if not path.is_file():
        return {}
    text = path.read_text("utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    names = {(n or "").strip().lower(): n for n in reader.fieldnames or []}
    column = next((names[c] for c in ("group", "classe", "groupe", "division") if c in names), None)
    id_column = names.get("id")
    if not column or not id_column:
        return {}
    return {row[id_column].strip(): (row[column] or "").strip() for row in reader if row.get(id_column)}


def archive_name(student_id: str, student: Student | None) -> str:
    """« NOM Prénom (id) », the way a teacher looks for a student; the id alone if unknown."""
    label = f"{student.last_name.upper()} {student.first_name} ({student_id})" if student else student_id
    return ARCHIVE_UNSAFE.sub("-", label).strip(" .") or student_id


COMPRESSED = {".xlsx", ".zip", ".png", ".jpg", ".jpeg", ".pdf"}
"""Already compressed: stored as they are (deflating them again saves nothing)."""
ZIP_LEVEL = 1
"""zlib's fastest level: notebooks and CSV files shrink almost as much as at its default (6)
for about half the time, and a class's archives are built at every release."""


def _zip_folder(archive: Path, entries: list[tuple[Path, str]]) -> None:
    """entries: (folder, name inside the archive); files in a stable order."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as zf:
        for folder, prefix in entries:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                if ".ipynb_checkpoints" in path.parts:
                    continue
                stored = path.suffix.lower() in COMPRESSED
                zf.write(
                    path,
                    f"{prefix}/{path.relative_to(folder).as_posix()}",
                    compress_type=zipfile.ZIP_STORED if stored else None,
                )


def build_archives(course: Course, assignment: str, folders: dict[str, Path]) -> tuple[Path, int]:
    """exports/distribution/<assignment>/[<Classe>/]<NOM Prénom (id)>.zip, per class and for all."""
    students = gradebook_students(course)
    groups = _groups(course)
    target = course.exports / "distribution" / assignment
    with export_folder(target) as staging:
        jobs: list[tuple[Path, list[tuple[Path, str]]]] = []  # (archive, its entries)
        by_group: dict[str, list[tuple[Path, str]]] = {}
        everyone = []
        for student_id, folder in folders.items():
            name = archive_name(student_id, students.get(student_id))
            group = ARCHIVE_UNSAFE.sub("-", groups.get(student_id, "")).strip(" .")
            place = staging / group if group else staging
            jobs.append((place / f"{name}.zip", [(folder, assignment)]))
            by_group.setdefault(group, []).append((folder, f"{name}/{assignment}"))
            everyone.append((folder, f"{group}/{name}/{assignment}" if group else f"{name}/{assignment}"))
        for group, entries in by_group.items():
            if group:
                jobs.append((staging / f"{assignment} - {group}.zip", entries))
        # the whole class's archive is as big as all the others together: a second thread
        # builds it (zlib and file writes release the GIL) while this one builds the rest
        with ThreadPoolExecutor(max_workers=1) as pool:
            whole = pool.submit(_zip_folder, staging / f"{assignment} - tous les élèves.zip", everyone)
            for archive, entries in jobs:
                _zip_folder(archive, entries)
            whole.result()
        count = len(jobs) + 1
    return target, count


def write_student_config(course: Course, root: str, config_dir: str = DEFAULT_CONFIG_DIR) -> Path:
    """exports/jupyter_eleves/ for the hub's /etc/jupyter/, and the old single-file copy."""
    write_student_folder(course.exports / STUDENT_FOLDER, course.course_id, root, config_dir)
    path = course.exports / STUDENT_CONFIG
    write_atomic(path, nbgrader_config_text(course.course_id, root, config_dir))
    path.chmod(0o644)
    return path


def release(
    course: Course,
    assignment: str,
    exchange: str | os.PathLike | None = None,
    use_exchange: bool = True,
    archives: bool = True,
    config_dir: str = DEFAULT_CONFIG_DIR,
) -> ReleaseResult:
    """Publish every personal notebook of `assignment`; re-running it is safe and adds newcomers.

    `config_dir`: where the hub administrator copies exports/jupyter_eleves/ (its settings
    name their own absolute path)."""
    course.manifest(assignment)  # the assignment must exist
    config_dir = check_config_dir(config_dir)
    folders = personal_notebooks(course, assignment)
    if not folders:
        raise MercatiqueError(
            f"aucun notebook personnel pour « {assignment} » dans {course.root / PER_STUDENT_SOURCE} : "
            f"lancez d'abord « mercatique assign {course.root} {assignment} EXERCICE... »"
        )
    result = ReleaseResult()
    result.missing = sorted(set(gradebook_students(course)) - set(folders))
    if use_exchange:
        root = exchange_root(course, exchange)
        plugin = run_plugin(course, PersonalReleaseAssignment, assignment, root, force=True)
        result.exchange_root = root
        result.released = plugin.released
        result.protected = plugin.protected
        result.unprotected = plugin.unprotected
        result.course_config_changed = configure_course(course, root)
        result.student_config = write_student_config(course, root, config_dir)
        result.student_folder = course.exports / STUDENT_FOLDER
    else:
        result.released = sorted(folders)
    if archives:
        result.distribution, result.archives = build_archives(course, assignment, folders)
    return result


def release_feedback(course: Course, assignment: str, exchange: str | os.PathLike | None = None):
    """`nbgrader release_feedback` that tells which pages went to the exchange and which did not."""
    course.manifest(assignment)
    pages = sorted((course.root / "feedback").glob(f"*/{assignment}/*.html"))
    if not pages:
        raise MercatiqueError(
            f"aucune page de correction pour « {assignment} » : lancez d'abord "
            f"« mercatique feedback {course.root} {assignment} »"
        )
    root = exchange_root(course, exchange)
    plugin = run_plugin(course, ExchangeOnlyReleaseFeedback, assignment, root)
    students = sorted({p.parent.parent.name for p in pages})
    return [s for s in students if s not in plugin.skipped], plugin.skipped, root
