"""`mercatique assign`: source notebook, nbgrader release, one notebook per student, answer key.

Everything is built aside (`staging.py`) and swapped into the course at the end, so an
`assign` that fails or is killed leaves the course as it was. An assignment that already
has submissions is never changed silently: grading old copies against new exercises
would give wrong grades, so `assign` refuses unless told to replace it (`replace=True`),
and then archives the old results instead of losing them.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path

import nbformat

from generators.authoring.catalogue import Exercise, find_exercise, load_exercise
from generators.authoring.render import python_literal
from generators.authoring.variants import student_variant
from generators.classroom import forked
from generators.classroom.course import Course, check_assignment_name, csv_text, write_atomic
from generators.classroom.due import (
    describe_penalty,
    french_date,
    late_submissions,
    parse_due,
    parse_penalty,
    utc_naive,
)
from generators.classroom.nbgrader_generate import generate_assignment, scratch_gradebook
from generators.classroom.notebook import (
    WRITTEN_STUB,
    NotebookWriter,
    Slot,
    personal_texts,
    plan_slots,
    source_notebook,
)
from generators.classroom.setup_course import gradebook_students
from generators.classroom.staging import Staging
from generators.errors import MercatiqueError
from generators.outputs.spreadsheets import data_files
from generators.outputs.written_key import written_key

__all__ = ["assign", "build_assignment", "late_submissions", "read_answer_key", "existing_submissions"]

WRITTEN_KEY_SUFFIX = "_corrige_redige.md"
"""exports/<assignment>_corrige_redige.md: model answers and barème of the written questions."""
KEY_COLUMNS = ("student_id", "exercise", "question", "cell_id", "variable", "expected", "tolerance")
KEEP = object()
"""`due`/`late_penalty` not given: keep what the assignment had."""


def freeze_exercises(target: Path, exercises: list[Exercise]) -> list[Exercise]:
    """Copy the templates into the course: grading must not depend on later catalogue edits."""
    frozen = []
    for ex in exercises:
        shutil.copytree(ex.folder, target / ex.id, ignore=shutil.ignore_patterns("__pycache__"))
        frozen.append(load_exercise(target / ex.id))
    return frozen


def assign(
    course: Course,
    assignment: str,
    exercise_ids: list[str],
    progress: Callable[[int, int], None] | None = None,
    *,
    due: str | None = None,
    timezone: str | None = None,
    late_penalty: str | None = None,
    replace: bool = False,
) -> dict:
    """Build and release the assignment from catalogue exercises; returns what was written.

    `due` (« 2026-12-04 18:00 », « 04/12/2026 18h00 », « aucune ») and `late_penalty`
    (« 2/jour », « zero », « aucune »): when not given, the assignment keeps its own.
    """
    check_assignment_name(assignment)
    if not exercise_ids:
        raise MercatiqueError("indiquez au moins un exercice (voir « mercatique list »)")
    duplicates = sorted({e for e in exercise_ids if exercise_ids.count(e) > 1})
    if duplicates:
        raise MercatiqueError(f"exercice donné deux fois : {', '.join(duplicates)}")
    exercises = [find_exercise(e) for e in exercise_ids]
    when = KEEP if due is None else parse_due(due, timezone)
    rule = KEEP if late_penalty is None else parse_penalty(late_penalty)
    return build_assignment(
        course,
        assignment,
        exercises,
        progress,
        due=when,
        timezone=timezone,
        late_penalty=rule,
        replace=replace,
    )


def existing_submissions(course: Course, assignment: str) -> list[str]:
    """Students with anything submitted or graded for this assignment (files or gradebook)."""
    from nbgrader.api import Gradebook, MissingEntry

    found = set()
    for folder in ("submitted", "autograded"):
        found |= {p.parent.name for p in (course.root / folder).glob(f"*/{assignment}") if p.is_dir()}
    found |= {p.stem for p in (course.private / "verdicts" / assignment).glob("*.json")}
    with Gradebook(course.db_url, course.course_id) as gb, contextlib.suppress(MissingEntry):
        found |= {s.student.id for s in gb.find_assignment(assignment).submissions}
    return sorted(found)


def _exercises_digest(folders: list[Path]) -> str:
    """What grading depends on in the templates: every file of each exercise folder."""
    digest = hashlib.sha256()
    for folder in folders:
        digest.update(folder.name.encode() + b"\0\0")
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _previous(course: Course, assignment: str) -> dict | None:
    path = course.assignment_dir(assignment) / "manifest.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def build_assignment(
    course: Course,
    assignment: str,
    exercises: list[Exercise],
    progress: Callable[[int, int], None] | None = None,
    *,
    due=KEEP,
    timezone: str | None = None,
    late_penalty=KEEP,
    replace: bool = False,
) -> dict:
    """Check it replaces nothing graded, build everything aside, then swap it into the course.

    `due` is an aware datetime, None (no due date) or KEEP; `late_penalty` a rule from
    `due.parse_penalty`, None or KEEP. Also used by `init --depuis` with frozen exercises.
    """
    check_assignment_name(assignment)
    students = gradebook_students(course)
    if not students:
        raise MercatiqueError("aucun élève dans le carnet de notes : vérifiez la liste de classe")
    previous = _previous(course, assignment)
    A = assignment
    slots = plan_slots(exercises)
    manifest = {
        "assignment": A,
        "exercises": [ex.id for ex in exercises],
        "slots": [{**asdict(s), "key": s.key, "cell_id": s.cell_id, "report_id": s.report_id} for s in slots],
    }
    due_iso = (previous or {}).get("due") if due is KEEP else (due.isoformat() if due else None)
    rule = (previous or {}).get("late_penalty") if late_penalty is KEEP else late_penalty
    if due_iso:
        manifest["due"] = due_iso
    if rule:
        manifest["late_penalty"] = rule

    # checked before anything is written
    warnings, archive, remove_submissions = [], {}, False
    if previous is not None:
        frozen = course.frozen_exercises(A)
        same = (
            previous.get("exercises") == manifest["exercises"]
            and previous.get("slots") == manifest["slots"]
            and _exercises_digest([frozen / e for e in previous.get("exercises", [])])
            == _exercises_digest([ex.folder for ex in exercises])
        )
        submitted = existing_submissions(course, A)
        if submitted and not same and not replace:
            raise MercatiqueError(_refusal(A, submitted))
        if submitted and not same:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            archive = _archive_plan(course, A, f".mercatique/archives/{A}-{stamp}")
            remove_submissions = True
            warnings.append(
                f"remplacement forcé : {len(submitted)} copie(s) rendue(s) restent dans submitted/ ; "
                "leurs notes sont retirées du carnet de notes, et les copies corrigées, retours, "
                f"verdicts et exports de notes sont archivés dans .mercatique/archives/{A}-{stamp}/. "
                f"Au prochain « mercatique grade », ces copies seront corrigées avec les nouveaux "
                "exercices : seules celles faites sur les nouveaux notebooks auront une note juste."
            )
        elif submitted:
            warnings.append(
                f"exercices inchangés : les {len(submitted)} copie(s) rendue(s) et leurs notes "
                "sont conservées ; les notebooks personnels sont régénérés (nouveaux élèves compris)."
            )
        else:
            warnings.append(
                f"le devoir « {A} » existait déjà "
                f"(exercices : {', '.join(previous.get('exercises', []))}) : "
                "ses notebooks personnels, sa version nbgrader et son corrigé sont remplacés. "
                "Si vous aviez déjà distribué les anciens notebooks, redistribuez les nouveaux."
            )
        if previous.get("due") != manifest.get("due"):
            before = french_date(previous["due"]) if previous.get("due") else "aucune"
            after = french_date(manifest["due"]) if manifest.get("due") else "aucune"
            warnings.append(f"date limite changée : {before} → {after}")

    with Staging(course, A) as stage:
        new = stage.new
        manifest_rel = f".mercatique/assignments/{A}"
        exercises = freeze_exercises(new / manifest_rel / "exercises", exercises)
        write_atomic(new / manifest_rel / "manifest.json", json.dumps(manifest, indent=1))
        source_rel = f"source/{A}/{A}.ipynb"
        write_atomic(new / source_rel, nbformat.writes(source_notebook(A, exercises, slots)))
        ordered = sorted(students.values(), key=lambda s: s.id)
        # nbgrader builds the released notebook here (mostly waiting on its gradebook's disk
        # writes) while the workers draw every student's variants and texts, which do not
        # depend on it
        parts = class_parts(
            course.secret, A, exercises, slots, ordered, progress,
            close_fds=(stage.lock_fd,), meanwhile=lambda: _generate_release(course, stage),
        )  # fmt: skip
        writer = NotebookWriter(nbformat.read(new / "release" / A / f"{A}.ipynb", as_version=4))

        key_rows = []
        for student, (texts, rows, files) in zip(ordered, parts, strict=True):
            folder = new / "release_per_student" / student.id / A
            _write_staged(folder / f"{A}.ipynb", writer.writes(texts))
            for name, content in files.items():  # the case studies' tables, for a spreadsheet
                write_atomic(folder / name, content)
            key_rows += rows
        key_rel = f"exports/{A}_answer_key.csv"
        write_atomic(new / key_rel, csv_text(KEY_COLUMNS, key_rows))
        written_rel = f"exports/{A}{WRITTEN_KEY_SUFFIX}"
        written = written_key(course.secret, A, exercises, slots, ordered)
        if written:
            write_atomic(new / written_rel, written)

        gone = [
            p.relative_to(course.root).as_posix()
            for p in sorted((course.root / "release_per_student").glob(f"*/{A}"))
            if p.parent.name not in students
        ]
        stage.commit({
            "gradebook": {
                "assignment": A,
                "duedate": utc_naive(dt.datetime.fromisoformat(due_iso)).isoformat() if due_iso else None,
                "remove_submissions": remove_submissions,
            },
            "archive": archive,
            "remove": gone,
            "replace": [manifest_rel, f"source/{A}", f"release/{A}", key_rel]
            + ([written_rel] if written else [])
            + [f"release_per_student/{s.id}/{A}" for s in ordered],
        })  # fmt: skip
    return {
        "students": len(ordered),
        "per_student": course.root / "release_per_student",
        "answer_key": course.root / key_rel,
        "written_key": course.root / written_rel if written else None,
        "spreadsheets": any(
            "dataset" in spec for ex in exercises for name, spec in ex.parameters.items() if name in ex.given
        ),
        "source": course.root / source_rel,
        "due": due_iso,
        "late_penalty": rule,
        "due_text": f"{french_date(due_iso)} ; {describe_penalty(rule)}" if due_iso else None,
        "warnings": warnings,
    }


def _write_staged(path: Path, text: str) -> None:
    """A file inside the staging area: no temporary file and rename each, since the staging
    area is committed whole (a killed `assign` leaves the course untouched anyway)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")


def _refusal(assignment: str, submitted: list[str]) -> str:
    names = ", ".join(submitted[:5]) + ("…" if len(submitted) > 5 else "")
    return (
        f"le devoir « {assignment} » a déjà {len(submitted)} copie(s) rendue(s) ou corrigée(s) ({names}) : "
        "changer ses exercices fausserait leurs notes (les anciennes copies seraient corrigées avec les "
        "nouveaux exercices). Rien n'a été modifié. Créez plutôt un nouveau devoir (par exemple "
        f"« {assignment}-v2 »), ou relancez avec --remplacer pour le remplacer quand même "
        "(les notes actuelles de ce devoir seront retirées et archivées)."
    )


def _archive_plan(course: Course, assignment: str, archive: str) -> dict[str, str]:
    """Everything graded for the assignment, moved aside (not deleted) on a forced replacement."""
    root, A = course.root, assignment
    found = [p for folder in ("autograded", "feedback") for p in sorted((root / folder).glob(f"*/{A}"))]
    found += [course.private / "verdicts" / A, course.private / "grading" / f"{A}.json"]
    found += sorted(course.exports.glob(f"{A}_*"))
    moves = {}
    for path in found:
        rel = path.relative_to(root).as_posix()
        if path.exists() and rel != f"exports/{A}_answer_key.csv":
            moves[rel] = f"{archive}/{rel}"
    return moves


def staged_config(course: Course, stage: Staging):
    """The course's nbgrader config, pointed at the staging folder and a scratch gradebook.

    The real gradebook is written only after the commit point (`record_in_gradebook`),
    from the cells nbgrader saved in the scratch one.
    """
    from generators.classroom.release import course_config

    config = course_config(course)
    config.CourseDirectory.root = str(stage.new)
    config.CourseDirectory.assignment_id = stage.name
    config.CourseDirectory.db_url = scratch_gradebook(stage.path / "scratch.db", course.db_url)
    config.ClearSolutions.text_stub = WRITTEN_STUB  # written answers (courses made before them)
    return config


def _generate_release(course: Course, stage: Staging) -> None:
    """nbgrader generate_assignment of the staged source, in this process (`nbgrader_generate`)."""
    generate_assignment(staged_config(course, stage))


def record_in_gradebook(course: Course, stage_path: Path, info: dict) -> None:
    """The assignment, its due date and its cells in the real gradebook (can be run again).

    The cells are the ones nbgrader's SaveCells stored in the scratch gradebook during
    generate_assignment; they are copied as SaveCells itself would have written them.
    """
    from nbgrader.api import Gradebook, MissingEntry

    A = info["assignment"]
    due = dt.datetime.fromisoformat(info["duedate"]) if info["duedate"] else None
    scratch = f"sqlite:///{stage_path / 'scratch.db'}"
    # nbgrader's preprocessors open the gradebook without a course id, which adds nbgrader's
    # « default_course » row the first time; SaveCells did so at generate_assignment, and
    # the grading workers must not race to create it
    Gradebook(course.db_url).close()
    with Gradebook(scratch, course.course_id) as src, Gradebook(course.db_url, course.course_id) as gb:
        if info["remove_submissions"]:
            try:
                for student in [s.student.id for s in gb.find_assignment(A).submissions]:
                    gb.remove_submission(A, student)
            except MissingEntry:
                pass
        assignment = gb.update_or_create_assignment(A, duedate=due)
        for old in list(assignment.notebooks):
            if old.name != A and not old.submissions:
                gb.remove_notebook(old.name, A)
        new = src.find_notebook(A, A)
        try:
            old = gb.find_notebook(A, A)
        except MissingEntry:
            old = None
        if old is not None and not old.submissions:
            gb.remove_notebook(A, A)
            old = None
        if old is None:
            _add_notebook(gb, gb.find_assignment(A), new)
            return
        for c in new.grade_cells:
            gb.update_or_create_grade_cell(c.name, A, A, max_score=c.max_score, cell_type=c.cell_type)
        for c in new.solution_cells:
            gb.update_or_create_solution_cell(c.name, A, A)
        for c in new.task_cells:
            gb.update_or_create_task_cell(c.name, A, A, max_score=c.max_score, cell_type=c.cell_type)
        for c in new.source_cells:
            gb.update_or_create_source_cell(
                c.name, A, A, cell_type=c.cell_type, locked=c.locked, source=c.source, checksum=c.checksum
            )


def _add_notebook(gb, assignment, new) -> None:
    """The notebook and its cells as nbgrader's add_notebook/add_*_cell make them, in one
    transaction instead of one commit (and disk sync) per cell."""
    from nbgrader.api import GradeCell, Notebook, SolutionCell, SourceCell, TaskCell

    notebook = Notebook(name=new.name, assignment=assignment, kernelspec=new.kernelspec)
    rows = [notebook]
    rows += [
        GradeCell(name=c.name, notebook=notebook, max_score=c.max_score, cell_type=c.cell_type)
        for c in new.grade_cells
    ]
    rows += [SolutionCell(name=c.name, notebook=notebook) for c in new.solution_cells]
    rows += [
        TaskCell(name=c.name, notebook=notebook, max_score=c.max_score, cell_type=c.cell_type)
        for c in new.task_cells
    ]
    rows += [
        SourceCell(name=c.name, notebook=notebook, cell_type=c.cell_type, locked=c.locked, source=c.source,
                   checksum=c.checksum)
        for c in new.source_cells
    ]  # fmt: skip
    try:
        gb.db.add_all(rows)
        gb.db.commit()
    except Exception:
        gb.db.rollback()
        raise


def student_parts(
    secret: str, assignment: str, exercises: list[Exercise], slots: list[Slot], student
) -> tuple[dict, list[tuple], dict[str, str | bytes]]:
    """One student's notebook texts (see `notebook.personal_texts`), answer-key rows and
    data files (each case study's table as CSV and XLSX, for a spreadsheet)."""
    variants = {ex.id: student_variant(ex, secret, assignment, student.id) for ex in exercises}
    texts = personal_texts(student, variants, exercises, slots)
    return texts, _key_rows(student.id, variants, slots), data_files(variants)


def class_parts(
    secret: str,
    assignment: str,
    exercises: list[Exercise],
    slots: list[Slot],
    students: list,
    progress: Callable[[int, int], None] | None = None,
    *,
    workers: int | None = None,
    close_fds: tuple[int, ...] = (),
    meanwhile: Callable[[], None] | None = None,
) -> list[tuple[dict, list[tuple], dict[str, str | bytes]]]:
    """`student_parts` of every student, in order, on the machine's cores (`forked`);
    `workers`: how many processes (default: as many as the class and the cores allow);
    `meanwhile`: run here while the workers compute."""
    done = 0

    def advanced(count: int) -> None:
        nonlocal done
        for _ in range(count):
            done += 1
            if progress:
                progress(done, len(students))

    task = partial(student_parts, secret, assignment, exercises, slots)
    workers = forked.workers_for(len(students)) if workers is None else workers
    return forked.map_forked(
        task, students, workers, close_fds=close_fds, on_done=advanced, meanwhile=meanwhile
    )


def student_release(
    secret: str,
    assignment: str,
    released,
    exercises: list[Exercise],
    slots: list[Slot],
    student,
    writer: NotebookWriter | None = None,
) -> tuple[str, list[tuple], dict[str, str | bytes]]:
    """One student's notebook (text), answer-key rows and data files (each case study's
    table as CSV and XLSX): what `assign` writes for each student, and `enrol` for a
    student who joins later (`writer`: built once from `released` for several students)."""
    texts, rows, files = student_parts(secret, assignment, exercises, slots, student)
    return (writer or NotebookWriter(released)).writes(texts), rows, files


def _key_rows(student_id: str, variants, slots: list[Slot]) -> list[tuple]:
    rows = []
    for slot in slots:
        if slot.written:  # marked by the teacher: its model answer is in the written key
            continue
        variant = variants[slot.exercise]
        q = variant.question(slot.question)
        expected = variant.answers[q.id]
        tolerance = python_literal(q.abs_tolerance) if q.kind == "number" else ""
        rows.append(
            (student_id, slot.exercise, slot.key, slot.cell_id, slot.variable, repr(expected), tolerance)
        )
    return rows


def read_answer_key(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
