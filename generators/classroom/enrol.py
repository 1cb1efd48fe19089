"""Students who join a running course: gradebook, stored class list, their own notebooks.

`enrol` gives a newcomer a notebook for every devoir already assigned, built exactly as
`assign` builds them (the released notebook, the frozen exercises, the student's
variant), and appends their rows to the answer key; nobody else's file is touched.
`import_roster` and `add_student` only ever add students or update a class or an
e-mail: nobody is deleted, nor their grades. Everything is computed before the first
write, and a failure while writing puts back what was there.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from generators.authoring.catalogue import Exercise, load_exercise
from generators.classroom.assign import KEY_COLUMNS, WRITTEN_KEY_SUFFIX, student_release
from generators.classroom.course import Course, csv_text, write_atomic
from generators.classroom.notebook import NotebookWriter, Slot
from generators.classroom.roster import (
    STORED_ROSTER,
    RosterResult,
    Row,
    Student,
    by_group,
    fold_name,
    load_roster,
    settle,
    stored_roster_text,
)
from generators.classroom.setup_course import _import_students, gradebook_students
from generators.errors import MercatiqueError
from generators.outputs.written_key import written_key


@dataclass
class ImportReport:
    """What an import did to the course's class list (nobody is ever removed)."""

    added: list[Student] = field(default_factory=list)
    updated: list[tuple[Student, Student]] = field(default_factory=list)  # (before, after)
    unchanged: list[Student] = field(default_factory=list)
    missing: list[Student] = field(default_factory=list)  # in the course, not in the file: kept
    warnings: list[str] = field(default_factory=list)
    notebooks: dict[str, list[Path]] = field(default_factory=dict)  # devoir → newcomers' notebooks


@dataclass
class Devoir:
    """An assignment as `assign` left it, enough to personalise one more notebook."""

    name: str
    exercises: list[Exercise]
    slots: list[Slot]
    released: nbformat.NotebookNode
    writer: NotebookWriter | None = None  # built from `released` for the first newcomer


def existing_assignments(course: Course) -> list[str]:
    root = course.private / "assignments"
    return sorted(p.parent.name for p in root.glob("*/manifest.json")) if root.is_dir() else []


def load_devoir(course: Course, assignment: str) -> Devoir:
    manifest = course.manifest(assignment)
    released_path = course.root / "release" / assignment / f"{assignment}.ipynb"
    if not released_path.is_file():
        raise MercatiqueError(
            f"devoir « {assignment} » : notebook publié introuvable ({released_path}). "
            f"Recréez le devoir avec « mercatique assign » avant d'ajouter des élèves."
        )
    frozen = course.frozen_exercises(assignment)
    exercises = [load_exercise(frozen / ex_id) for ex_id in manifest["exercises"]]
    slots = [
        Slot(s["exercise"], s["question"], s["variable"], s["points"], s.get("kind", "number"))
        for s in manifest["slots"]
    ]
    released = nbformat.read(released_path, as_version=4)
    return Devoir(assignment, exercises, slots, released)


def personalised_notebook(course: Course, devoir: Devoir, student: Student) -> tuple[str, list[tuple]]:
    """The student's notebook text and answer-key rows, as `assign` makes them."""
    text, rows, _ = _release(course, devoir, student)
    return text, rows


def _release(course: Course, d: Devoir, student: Student) -> tuple[str, list[tuple], dict]:
    """The newcomer's notebook, answer-key rows and data files, as `assign` makes them."""
    if d.writer is None:
        d.writer = NotebookWriter(d.released)
    return student_release(course.secret, d.name, d.released, d.exercises, d.slots, student, d.writer)


@dataclass
class _Plan:
    notebooks: dict[Path, str] = field(default_factory=dict)
    files: dict[Path, str | bytes] = field(default_factory=dict)
    """The case studies' tables (CSV, XLSX) beside each newcomer's notebook."""
    keys: dict[Path, str] = field(default_factory=dict)
    written: dict[str, list[Path]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _plan_enrolment(course: Course, students: list[Student]) -> _Plan:
    """Every file the newcomers need, in memory: nothing is written yet."""
    plan = _Plan()
    if not students:
        return plan
    ids = {s.id for s in students}
    for assignment in existing_assignments(course):
        devoir = load_devoir(course, assignment)
        new_rows: list[tuple] = []
        plan.written[assignment] = []
        d = devoir
        for student in sorted(students, key=lambda s: s.id):
            text, rows, files = _release(course, d, student)
            path = course.per_student_notebook(student.id, assignment)
            plan.notebooks[path] = text
            plan.files.update({path.parent / name: content for name, content in files.items()})
            plan.written[assignment].append(path)
            new_rows += rows
        key_path = course.exports / f"{assignment}_answer_key.csv"
        if not key_path.is_file():
            plan.warnings.append(
                f"corrigé {key_path} absent : les réponses attendues des nouveaux élèves n'y sont pas "
                f"ajoutées (« mercatique assign » le réécrit pour toute la classe)"
            )
            continue
        with key_path.open(encoding="utf-8", newline="") as handle:
            kept = list(csv.reader(handle))
        if not kept or tuple(kept[0]) != KEY_COLUMNS:
            raise MercatiqueError(
                f"{key_path} : en-tête inattendu ; recréez le devoir avec « mercatique assign »"
            )
        kept = [row for row in kept[1:] if row and row[0] not in ids]  # stale rows of a newcomer
        plan.keys[key_path] = csv_text(KEY_COLUMNS, kept + new_rows)
        everyone = {**gradebook_students(course), **{s.id: s for s in students}}
        written = written_key(course.secret, assignment, d.exercises, d.slots, everyone.values())
        if written:  # the written answers' key, newcomers' model answers included
            plan.keys[course.exports / f"{assignment}{WRITTEN_KEY_SUFFIX}"] = written
    return plan


def _restore(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.undo.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class _Writes:
    """Atomic writes that can all be put back if a later one fails."""

    def __init__(self):
        self.before: dict[Path, bytes | None] = {}

    def write(self, path: Path, content: str | bytes) -> None:
        if path not in self.before:
            self.before[path] = path.read_bytes() if path.is_file() else None
        write_atomic(path, content)

    def undo(self) -> None:
        """Best effort: each file is put back even if another one cannot be."""
        for path, old in self.before.items():
            try:
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    _restore(path, old)
            except OSError:
                pass  # the write that failed never happened


def enrol(course: Course, students: list[Student]) -> dict[str, list[Path]]:
    """Each student's notebook for every existing devoir, and their answer-key rows."""
    plan = _plan_enrolment(course, students)
    writes = _Writes()
    try:
        _write_plan(plan, writes)
    except BaseException:
        writes.undo()
        raise
    return plan.written


def _write_plan(plan: _Plan, writes: _Writes) -> None:
    for path, text in plan.notebooks.items():
        writes.write(path, text)
    for path, content in plan.files.items():
        writes.write(path, content)
    for path, text in plan.keys.items():
        writes.write(path, text)


def students_by_group(course: Course) -> dict[str, list[Student]]:
    """Class or group → its students, alphabetical; students without a group under ""."""
    return by_group(gradebook_students(course).values())


def import_roster(course: Course, path: Path, dry_run: bool = False) -> ImportReport:
    """Add the newcomers of a new class list; report who is unchanged, updated or missing.

    With `dry_run` nothing is written: the report says what the import would do.
    """
    existing = gradebook_students(course)
    result = load_roster(path, existing)
    _refuse_new_logins(result, existing, str(path))
    return _apply(course, existing, result, dry_run)


def _refuse_new_logins(result: RosterResult, existing: dict[str, Student], name: str) -> None:
    """A course student absent by id but present by name would be duplicated under a new login."""
    in_file = {s.id for s in result.students}
    absent: dict[tuple[str, str], list[Student]] = {}
    for s in existing.values():
        if s.id not in in_file:
            absent.setdefault((fold_name(s.last_name), fold_name(s.first_name)), []).append(s)
    problems = []
    for s in result.students:
        if s.id in existing:
            continue
        for before in absent.get((fold_name(s.last_name), fold_name(s.first_name)), []):
            problems.append(
                f"ligne {result.lines[s.id]} : {before.full_name} est déjà dans le cours avec l'identifiant "
                f"« {before.id} », le fichier lui donne « {s.id} ». Un identifiant ne change pas en cours "
                "d'année : corrigez la colonne Identifiant, ou retirez-la pour reconnaître les élèves "
                "par leur nom. Un homonyme s'ajoute avec « mercatique roster add … --identifiant »."
            )
    if problems:
        listing = "\n  - ".join(problems)
        raise MercatiqueError(f"{name} : liste de classe refusée, rien n'a été importé.\n  - {listing}")


def add_student(
    course: Course,
    last_name: str,
    first_name: str,
    group: str = "",
    email: str = "",
    identifier: str = "",
) -> ImportReport:
    """One newcomer typed on the command line; the same checks as a file's line."""
    existing = gradebook_students(course)
    row = Row("", 0, identifier.strip(), " ".join(last_name.split()), " ".join(first_name.split()),
              email.strip(), " ".join(group.split()))  # fmt: skip
    name = f"{row.first_name} {row.last_name}".strip() or "élève"
    result = settle([row], name, existing, has_ids=bool(identifier.strip()), refused="élève non ajouté.")
    [student] = result.students
    if student.id in existing:
        before = existing[student.id]
        if identifier.strip():
            raise MercatiqueError(f"l'identifiant « {student.id} » est déjà celui de {before.full_name}")
        base = f"{fold_name(student.last_name)}.{fold_name(student.first_name)}"
        free, n = base, 1
        while free.casefold() in {sid.casefold() for sid in existing}:
            n += 1
            free = f"{base}-{n}"
        raise MercatiqueError(
            f"{before.full_name} est déjà dans le cours (identifiant « {before.id} »). "
            f"S'il s'agit d'un homonyme, donnez-lui un identifiant : --identifiant {free}"
        )
    report = _apply(course, existing, result)
    report.missing = []  # one student added: nobody else is concerned
    return report


def _apply(
    course: Course, existing: dict[str, Student], result: RosterResult, dry_run: bool = False
) -> ImportReport:
    """Sort the list's students into added, updated and unchanged, then write it all or nothing."""
    report = ImportReport(warnings=list(result.warnings))
    seen = set()
    for s in result.students:
        seen.add(s.id)
        before = existing.get(s.id)
        if before is None:
            report.added.append(s)
            continue
        after = Student(before.id, before.last_name, before.first_name, s.email or before.email,
                        s.group or before.group)  # fmt: skip
        if after != before:
            report.updated.append((before, after))
        else:
            report.unchanged.append(before)
    report.missing = [s for sid, s in sorted(existing.items()) if sid not in seen]
    if not report.added and not report.updated:
        return report

    plan = _plan_enrolment(course, report.added)  # may fail: nothing written yet
    report.warnings += plan.warnings
    if dry_run:
        report.notebooks = plan.written
        return report
    everyone = dict(existing)
    everyone.update({after.id: after for _, after in report.updated})
    everyone.update({s.id: s for s in report.added})
    changed = report.added + [after for _, after in report.updated]
    _import_students(course.db_url, course.course_id, changed)
    writes = _Writes()
    try:
        writes.write(course.private / STORED_ROSTER, stored_roster_text(everyone.values()))
        _write_plan(plan, writes)
    except BaseException:
        try:
            writes.undo()
        finally:
            _undo_gradebook(course, report)
        raise
    report.notebooks = plan.written
    return report


def _undo_gradebook(course: Course, report: ImportReport) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id) as gb:
        for s in report.added:
            gb.remove_student(s.id)
    _import_students(course.db_url, course.course_id, [before for before, _ in report.updated])
