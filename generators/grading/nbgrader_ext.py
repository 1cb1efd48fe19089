"""The product's nbgrader preprocessors, wired in by the course's nbgrader_config.py.

Sanitize phase: `RepairSubmission` (first) puts the nbgrader metadata of an edited
notebook back as released, so that nbgrader's own steps do not stop on it;
`RestoreReportHelper` puts back the report helper if a student deleted it.
Autograde phase, right after `Execute`: `ReportVerdicts` reads what each report cell
transmitted, decides the verdict in this (grading) process against the student's
recomputed variant, and leaves in the cell a French feedback and the points as
nbgrader's partial credit, which `SaveAutoGrades` then stores.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from generators.authoring.catalogue import WRITTEN, load_exercise
from generators.authoring.variants import Variant, student_variant
from generators.classroom.course import Course, open_course, write_atomic
from generators.classroom.notebook import (
    ANSWER_MIME,
    HELPER_ID,
    HELPER_METADATA,
    HELPER_SOURCE,
    WRITTEN_INSTRUCTION,
    WRITTEN_STUB,
)
from generators.grading.verdicts import (
    INVALID,
    MISSING,
    REJECTED,
    Verdict,
    feedback_text,
    judge,
    judge_written,
    malformed,
    rejected,
)

REPAIRS = "mercatique_repairs"
"""resources key: what `RepairSubmission` put back, for the verdicts file's problems."""


class RepairSubmission(NbGraderPreprocessor):
    """Sanitize, first: nbgrader metadata put back as released, before nbgrader's own steps.

    nbgrader 0.9.6's sanitizers stop with KeyError or RuntimeError on some edited
    notebooks (a grade_id renamed or duplicated, a question's two cells deleted, points
    or flags changed on a locked cell). Here, against the released notebook: unknown and
    duplicate ids lose their nbgrader metadata (they become ordinary cells), known
    cells get their released metadata and type back, missing graded cells are put back
    in place (an answer cell empty). Each repair becomes a French problem line.
    """

    course_dir = Unicode("", help="The course directory (default: CourseDirectory.root).").tag(config=True)

    def _released(self, assignment: str) -> NotebookNode:
        root = self.course_dir or self.config.get("CourseDirectory", {}).get("root", "")
        return nbformat.read(Path(root) / "release" / assignment / f"{assignment}.ipynb", as_version=4)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        try:
            released = self._released(resources["nbgrader"]["assignment"])
        except OSError:  # no release folder (a course copied without it): nbgrader's steps alone
            self.log.warning("Notebook distribué introuvable : copie non réparée")
            return nb, resources
        source = {_grade_id(c): c for c in released.cells if _grade_id(c)}
        order = list(source)
        problems = resources.setdefault(REPAIRS, [])
        kept: dict[str, int] = {}
        cells = []
        for cell in nb.cells:
            if "nbgrader" not in cell.get("metadata", {}):
                cells.append(cell)
                continue
            grade_id = _grade_id(cell)
            if grade_id not in source or grade_id in kept:
                shown = grade_id[:40] if grade_id else "sans identifiant"
                why = "en double" if grade_id in kept else "inconnue du devoir"
                problems.append(f"cellule notée « {shown} » {why} dans la copie rendue : non notée")
                del cell.metadata["nbgrader"]
                cells.append(cell)
                continue
            original = source[grade_id]
            fields = ("grade", "solution", "locked", "points")
            if cell.cell_type != original.cell_type or any(
                cell.metadata["nbgrader"].get(f) != original.metadata["nbgrader"].get(f) for f in fields
            ):
                what = "type ou métadonnées nbgrader"
                problems.append(f"cellule « {grade_id} » modifiée ({what}) : remise comme distribuée")
                cell = _retyped(cell, original)
            cell.metadata["nbgrader"] = copy.deepcopy(original.metadata["nbgrader"])
            kept[grade_id] = len(cells)
            cells.append(cell)
        for position, grade_id in enumerate(order):
            if grade_id in kept:
                continue
            problems.append(f"cellule « {grade_id} » effacée dans la copie rendue : remise en place")
            restored = copy.deepcopy(source[grade_id])
            if restored.metadata["nbgrader"].get("solution") and restored.cell_type == "code":
                # a written answer (markdown) keeps its released text: nbgrader scores it 0 itself
                restored.source = "# (cellule de réponse effacée dans la copie rendue)"
            previous = [kept[g] for g in order[:position] if g in kept]
            at = max(previous) + 1 if previous else 0
            cells.insert(at, restored)
            kept = {g: i + (1 if i >= at else 0) for g, i in kept.items()}
            kept[grade_id] = at
        nb.cells = cells
        return nb, resources


def _retyped(cell: NotebookNode, original: NotebookNode) -> NotebookNode:
    """The cell with the released type (a report cell turned into markdown becomes code again)."""
    if cell.cell_type == original.cell_type:
        return cell
    maker = new_code_cell if original.cell_type == "code" else new_markdown_cell
    return maker(cell.source, metadata=cell.metadata)


class RestoreReportHelper(NbGraderPreprocessor):
    """Put the report helper cell back at the top when a student deleted it."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
        if HELPER_ID not in ids:
            self.log.warning("Cellule outil %s absente : remise en place", HELPER_ID)
            cell = new_code_cell(HELPER_SOURCE, metadata=copy.deepcopy(HELPER_METADATA))
            cell.metadata["nbgrader"] = {
                "grade": False,
                "grade_id": HELPER_ID,
                "locked": True,
                "schema_version": 3,
                "solution": False,
            }
            nb.cells.insert(0, cell)
        return nb, resources


@cache
def _assignment(course_dir: str, assignment: str):
    course = open_course(Path(course_dir))
    manifest = course.manifest(assignment)
    frozen = course.frozen_exercises(assignment)
    exercises = {ex_id: load_exercise(frozen / ex_id) for ex_id in manifest["exercises"]}
    slots = {slot["report_id"]: slot for slot in manifest["slots"]}
    return course, exercises, slots


def student_variants(course: Course, assignment: str, exercises, student_id: str) -> dict[str, Variant]:
    return {
        ex_id: student_variant(ex, course.secret, assignment, student_id) for ex_id, ex in exercises.items()
    }


class ReportVerdicts(NbGraderPreprocessor):
    """Turn each report cell's transmitted value into a verdict decided outside the kernel.

    The outputs are untrusted: whatever their shape, each question ends with a verdict
    (0 point and a French reason when the report is missing, forged or damaged).
    """

    course_dir = Unicode("", help="The course directory (holds .mercatique/).").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        student = resources["nbgrader"]["student"]
        assignment = resources["nbgrader"]["assignment"]
        course, exercises, slots = _assignment(self.course_dir, assignment)
        variants = student_variants(course, assignment, exercises, student)
        answer_errors = _answer_errors(nb, slots)
        verdicts: dict[str, Verdict] = {}
        anomalies: list[str] = []
        for cell in nb.cells:
            slot = slots.get(_grade_id(cell))
            if slot is None or cell.cell_type != "code" or slot["report_id"] in verdicts:
                continue
            variant = variants[slot["exercise"]]
            question = variant.question(slot["question"])
            try:
                verdict = _cell_verdict(cell, slot, variant, question)
            except Exception as exc:  # a report no check foresaw must not stop the class
                verdict = rejected(variant, question, f"rapport impossible à lire ({type(exc).__name__})")
            if verdict.message.startswith(REJECTED):
                # a forged or damaged report: the teacher sees it among the report's flags
                anomalies.append(f"question {slot['key']} : {verdict.message[len(REJECTED):].rstrip('.')}")
            error = answer_errors.get(slot["cell_id"])
            if verdict.status == MISSING and error:
                verdict = replace(
                    verdict,
                    message=f"Votre cellule de réponse a produit une erreur ({error}) : "
                    f"`{slot['variable']}` n'a pas été définie.",
                )
            verdicts[slot["report_id"]] = verdict
            cell.outputs = [
                new_output("stream", name="stdout", text=feedback_text(verdict)),
                new_output("execute_result", data={"text/plain": repr(verdict.points)}, execution_count=None),
            ]
        for cell in nb.cells:  # written answers: nbgrader leaves them to the teacher
            slot = slots.get(_grade_id(cell))
            if slot is None or slot.get("kind") != WRITTEN or slot["report_id"] in verdicts:
                continue
            variant = variants[slot["exercise"]]
            verdicts[slot["report_id"]] = judge_written(
                variant, variant.question(slot["question"]), written_answer(cell)
            )
        for report_id, slot in slots.items():
            if report_id not in verdicts:
                variant = variants[slot["exercise"]]
                verdicts[report_id] = judge(variant, variant.question(slot["question"]), None)
        problems = list(resources.get(REPAIRS, []))
        problems += resources.get("mercatique", {}).get("problems", [])
        problems += [f"réponse transmise anormale, {a}" for a in anomalies]
        resources.setdefault("mercatique", {})["recorded"] = problems  # the grader prints them too
        write_verdicts(course, assignment, student, list(verdicts.values()), problems)
        return nb, resources


def written_answer(cell) -> str | None:
    """The student's written answer (the instruction line taken off), None when unchanged.

    Unchanged means nbgrader's own test: the cell's checksum is the released one."""
    from nbgrader.utils import compute_checksum

    if cell.cell_type != "markdown":
        return None
    checksum = cell.metadata.get("nbgrader", {}).get("checksum")
    if checksum and checksum == compute_checksum(cell):
        return None
    text = cell.source.replace(WRITTEN_INSTRUCTION, "").replace(WRITTEN_STUB, "").strip()
    return text or None


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def _answer_errors(nb: NotebookNode, slots: dict) -> dict[str, str]:
    """The first error of each answer cell, as `NameError : name 'x' is not defined`."""
    answer_ids = {slot["cell_id"] for slot in slots.values()}
    errors = {}
    for cell in nb.cells:
        grade_id = _grade_id(cell)
        if grade_id not in answer_ids or grade_id in errors:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors[grade_id] = f"{str(out.get('ename', ''))[:40]} : {str(out.get('evalue', ''))[:80]}"
                break
    return errors


def _cell_verdict(cell, slot: dict, variant: Variant, question) -> Verdict:
    reports = [
        out["data"][ANSWER_MIME]
        for out in cell.get("outputs", [])
        if out.get("output_type") in ("display_data", "execute_result")
        and isinstance(out.get("data"), dict)
        and ANSWER_MIME in out["data"]
    ]
    if not reports:
        return judge(variant, question, None)
    # several reports would let a notebook try many values at once
    if len(reports) > 1:
        why = "plusieurs réponses transmises pour une seule question (outil de correction modifié ?)"
        return rejected(variant, question, why)
    reason = malformed(reports[0], slot["variable"])
    if reason:
        return rejected(variant, question, reason)
    return judge(variant, question, reports[0])


def write_verdicts(course: Course, assignment: str, student: str, verdicts: list[Verdict], problems) -> None:
    """The student's verdicts file, which the feedback pages and the teacher's report read."""
    record = {
        "student": student,
        "assignment": assignment,
        "verdicts": [v.to_dict() for v in verdicts],
        # what went wrong while running the notebook, when the grader knows (mercatique grade)
        "problems": [str(p) for p in dict.fromkeys(problems)],
    }
    write_atomic(course.verdicts_file(assignment, student), json.dumps(record, ensure_ascii=False, indent=1))


def record_failure(course_dir: str, assignment: str, student: str, problem: str) -> None:
    """A submission the grader could not run: 0 to every question, the French reason as a problem.

    The student then appears in the teacher's report and gets a feedback page.
    """
    course, exercises, slots = _assignment(course_dir, assignment)
    verdicts = []
    for slot in slots.values():
        ex = exercises[slot["exercise"]]
        try:
            variant = student_variant(ex, course.secret, assignment, student)
            q = variant.question(slot["question"])
            verdicts.append(rejected(variant, q, "la copie n'a pas pu être corrigée"))
        except Exception:  # the exercise itself fails: still one line per question
            q = next(q for q in ex.questions if q.id == slot["question"])
            message = "Réponse non notée : copie non corrigée."
            verdicts.append(Verdict(ex.id, q.id, INVALID, 0.0, q.points, "", "", message))
    write_verdicts(course, assignment, student, verdicts, [problem])
