"""`mercatique collect`: a Moodle « Télécharger tous les travaux remis » archive into
nbgrader's `submitted/<id>/<devoir>/<devoir>.ipynb` layout, with its `timestamp.txt`.

Moodle names each submission after the student's full name and participant number
(« Léa Martin_12345_assignsubmission_file_/devoir-1.ipynb », or flat in older versions).
That top-level name, matched against the class list (accents, case and order ignored),
is the only identity a file has (see `collect_archive`). One student's bad upload never
stops the class: it becomes a French `Note` in the result. Every chosen notebook is
staged first, then swapped in per student, so a failed run leaves `submitted/` as it was
and an already collected submission missing from the new archive is kept.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import datetime as dt
import errno
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.utils import parse_utc

from generators.classroom.collect_archive import (
    Limits,
    Note,
    Notebook,
    Participant,
    open_source,
    owner,
    participants,
    printable,
    quote,
    student_notebooks,
)
from generators.classroom.course import Course, write_atomic
from generators.classroom.roster import Student, unaccented
from generators.classroom.setup_course import gradebook_students
from generators.errors import MercatiqueError

MOODLE_TZ = "Europe/Paris"
"""Moodle writes its zip entries' dates in the server's local time, with no zone."""
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # nbgrader's Exchange.timestamp_format
STAGING = "collect-staging"

__all__ = ["CollectResult", "Limits", "Note", "collect", "last_collect", "match_student", "name_index"]


@dataclass
class CollectResult:
    """What a collect did, for the CLI and the teacher's report (every text already printable)."""

    assignment: str
    imported: list[str] = field(default_factory=list)  # written (new, or newer than before)
    unchanged: list[str] = field(default_factory=list)  # the same notebook was already there
    kept: list[str] = field(default_factory=list)  # already collected, left as it was
    missing: list[str] = field(default_factory=list)  # on the class list, no submission at all
    unmatched: list[str] = field(default_factory=list)  # archive entries matched to nobody
    notes: list[Note] = field(default_factory=list)

    @property
    def collected(self) -> list[str]:
        """Students whose submission is the one of this archive."""
        return sorted(self.imported + self.unchanged)

    def __iter__(self):
        """`collected, unmatched = collect(...)`, as callers of the first version wrote."""
        return iter((self.collected, self.unmatched))


def _result_path(course: Course, assignment: str) -> Path:
    return course.private / "collect" / f"{assignment}.json"


def last_collect(course: Course, assignment: str) -> CollectResult | None:
    """The result of the last successful collect of this assignment (for the teacher's report)."""
    path = _result_path(course, assignment)
    if not path.is_file():
        return None
    data = json.loads(path.read_text("utf-8"))
    data["notes"] = [Note(**note) for note in data["notes"]]
    return CollectResult(**data)


def _fold(text: str) -> str:
    return " ".join(re.split(r"[\s\-'’]+", unaccented(text))).strip()


def _name_keys(student: Student) -> set[str]:
    return {
        _fold(f"{student.first_name} {student.last_name}"),
        _fold(f"{student.last_name} {student.first_name}"),
    }


def _homonyms(students: dict[str, Student]) -> set[str]:
    seen: dict[str, str] = {}
    shared = set()
    for s in students.values():
        for key in _name_keys(s):
            if seen.setdefault(key, s.id) != s.id:
                shared.add(key)
    return shared


def name_index(students: dict[str, Student]) -> dict[str, str]:
    """Folded « first last » and « last first » → student id (names shared by two students left out)."""
    shared = _homonyms(students)
    return {key: s.id for s in students.values() for key in _name_keys(s) if key not in shared}


def match_student(path: str, index: dict[str, str]) -> str | None:
    """The student id a Moodle path belongs to (by its top-level Moodle entry only), or None."""
    found = owner(path)
    return index.get(_fold(found[0].group("name"))) if found else None


def _who(student: Student) -> str:
    return f"{student.full_name} ({student.id})"


def _identify(
    found: list[Participant], students: dict[str, Student], result: CollectResult
) -> dict[str, Participant]:
    """Roster id → its one Moodle participant; homonyms and doubles are refused, never guessed."""
    index, shared = name_index(students), _homonyms(students)
    claims: dict[str, list[Participant]] = {}
    for participant in found:
        key = _fold(participant.moodle_name)
        files = ", ".join(quote(printable(u.name, 60)) for u in participant.uploads[:3])
        name = printable(participant.moodle_name, 80)
        if key in shared:
            result.notes.append(
                Note(
                    None,
                    name,
                    "",
                    f"plusieurs élèves de la liste de classe portent ce nom\u00a0: "
                    f"travail non importé ({files}), à classer à la main",
                )
            )
        elif key in index:
            claims.setdefault(index[key], []).append(participant)
        else:
            result.unmatched.append(f"{name} ({files})")
    chosen = {}
    for student_id, claimants in claims.items():
        if len(claimants) == 1:
            chosen[student_id] = claimants[0]
            continue
        numbers = " et ".join(f"n°\u00a0{printable(p.number)}" for p in claimants)
        result.notes.append(
            Note(
                student_id,
                _who(students[student_id]),
                "",
                f"plusieurs participants Moodle ({numbers}) portent ce nom\u00a0: aucun n'est importé, "
                "à classer à la main",
            )
        )
    return chosen


def _choose(notebooks: list[Notebook], assignment: str, from_folder: bool, note) -> Notebook | None:
    """The notebook to grade: readable first, then the newest upload; every other one gets a note."""
    if not notebooks:
        return None
    readable = [n for n in notebooks if n.problem is None]
    pool = sorted(readable or notebooks, key=lambda n: n.label)
    pool.sort(
        key=lambda n: (n.uploaded, n.inner or n.uploaded, Path(n.label).name == f"{assignment}.ipynb"),
        reverse=True,
    )
    best = pool[0]
    for other in notebooks:
        if other.problem is not None and other is not best and readable:
            note(
                other.label,
                f"notebook illisible ({other.problem})\u00a0: ignoré, {quote(printable(best.label))} "
                "est retenu",
            )
    count = {2: "deux"}.get(len(pool), str(len(pool)))
    for other in pool[1:]:
        if other.uploaded != best.uploaded:
            basis = "d'après la date du fichier" if from_folder else "d'après la date de dépôt dans Moodle"
        elif (other.inner or other.uploaded) != (best.inner or best.uploaded):
            basis = "d'après la date du fichier dans l'archive de l'élève"
        else:
            basis = "même date\u00a0: " + (
                "celui qui porte le nom du devoir"
                if Path(best.label).name == f"{assignment}.ipynb"
                else "le premier par ordre alphabétique"
            )
        note(
            other.label,
            f"{count} notebooks rendus\u00a0: le plus récent ({basis}), "
            f"{quote(printable(best.label))}, est retenu, celui-ci est ignoré",
        )
    if best.problem is not None:
        note(
            best.label,
            f"notebook illisible ({best.problem})\u00a0: importé tel quel, la correction le signalera",
        )
    return best


def _existing_timestamp(folder: Path) -> dt.datetime | None:
    """The UTC date of an already collected submission (naive, as nbgrader's parse_utc gives it)."""
    with contextlib.suppress(OSError, ValueError, OverflowError):
        return parse_utc((folder / "timestamp.txt").read_text("utf-8").strip())
    return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_in(staged: Path, target: Path) -> None:
    """Put a staged submission folder in place of `target`; the previous one is never half-replaced."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(staged, target)
    elif _exchange(staged, target):
        shutil.rmtree(staged)  # now holds the previous submission
    else:
        previous = staged.with_name(staged.name + ".previous")
        os.rename(target, previous)
        try:
            os.rename(staged, target)
        except BaseException:
            os.rename(previous, target)
            raise
        shutil.rmtree(previous)


def _recover(course: Course) -> None:
    """A run killed between two renames left a previous submission aside: put it back."""
    for leftover in sorted((course.private / STAGING).glob("*")):
        for previous in leftover.glob("*/*.previous"):
            target = course.submitted(previous.name.removesuffix(".previous"), previous.parent.name)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(previous, target)
        shutil.rmtree(leftover, ignore_errors=True)


def _stage(
    course: Course, assignment: str, student_id: str, notebook: Notebook, staging: Path, result, note
) -> Path | None:
    """Write one new submission beside `submitted/`; an unchanged or newer one stays as it is."""
    target = course.submitted(student_id, assignment)
    current = target / f"{assignment}.ipynb"
    when = notebook.uploaded.astimezone(dt.UTC)
    if current.is_file():
        if current.read_bytes() == notebook.data:
            result.unchanged.append(student_id)
            return None
        previous = _existing_timestamp(target)
        if previous is not None and previous > when.replace(tzinfo=None):
            result.kept.append(student_id)
            note(
                notebook.label,
                f"la copie déjà importée (déposée le {previous:%d/%m/%Y à %H:%M} UTC) "
                "est plus récente que celle de l'archive\u00a0: elle est conservée",
            )
            return None
    folder = staging / assignment / student_id
    folder.mkdir(parents=True)
    (folder / f"{assignment}.ipynb").write_bytes(notebook.data)
    (folder / "timestamp.txt").write_text(when.strftime(TIMESTAMP_FORMAT), encoding="utf-8")
    return folder


def collect(
    course: Course,
    assignment: str,
    source: Path,
    *,
    limits: Limits | None = None,
    moodle_tz: str = MOODLE_TZ,
) -> CollectResult:
    """Import a Moodle archive (or its unzipped folder) into `submitted/`; see `CollectResult`."""
    course.manifest(assignment)  # the assignment must exist
    source, limits = Path(source), limits or Limits()
    if not source.exists():
        raise MercatiqueError(f"archive introuvable\u00a0: {source}")
    students = gradebook_students(course)
    result = CollectResult(assignment)
    answered: set[str] = set()
    staged: dict[str, tuple[Path, str]] = {}
    _recover(course)
    (course.private / STAGING).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=course.private / STAGING))
    try:
        with open_source(source, limits, moodle_tz) as entries:
            found, result.unmatched = participants(entries)
            if not found:
                raise MercatiqueError(
                    f"{source}\u00a0: aucun travail au format Moodle "
                    "(« Prénom Nom_123_assignsubmission_file_ »). Donnez l'archive de "
                    "« Télécharger tous les travaux remis » du devoir."
                )
            for student_id, participant in sorted(_identify(found, students, result).items()):
                who = _who(students[student_id])

                def note(file: str, message: str, student_id=student_id, who=who) -> None:
                    result.notes.append(Note(student_id, who, printable(file), message))

                best = _choose(
                    student_notebooks(participant, limits, note), assignment, source.is_dir(), note
                )
                if best is None:
                    earlier = course.submitted(student_id, assignment).is_dir()
                    note("", "aucun notebook utilisable rendu\u00a0: rien n'est importé"
                         + (", la copie déjà importée est conservée" if earlier else ""))  # fmt: skip
                    continue
                answered.add(student_id)
                try:
                    folder = _stage(course, assignment, student_id, best, staging, result, note)
                except OSError as exc:
                    raise MercatiqueError(
                        f"écriture impossible dans {course.root} ({exc.strerror})\u00a0: rien n'a été "
                        "importé. Libérez de la place sur le disque puis relancez la commande."
                    ) from None
                if folder is not None:
                    staged[student_id] = (folder, best.label)
        # Everything is read and staged: only now does submitted/ change, one student at a time.
        for student_id, (folder, label) in staged.items():
            try:
                _swap_in(folder, course.submitted(student_id, assignment))
            except OSError as exc:
                result.notes.append(
                    Note(
                        student_id,
                        _who(students[student_id]),
                        printable(label),
                        f"copie impossible à mettre en place ({exc.strerror})\u00a0: submitted/ est resté "
                        "comme avant pour cet élève",
                    )
                )
                continue
            result.imported.append(student_id)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    present = {p.parent.name for p in (course.root / "submitted").glob(f"*/{assignment}") if p.is_dir()}
    result.kept = sorted(set(result.kept) | (present - answered))
    result.missing = sorted(set(students) - present)
    write_atomic(
        _result_path(course, assignment), json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=1)
    )
    return result
