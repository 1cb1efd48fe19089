"""The product's nbgrader preprocessors, wired in by the course's nbgrader_config.py.

Sanitize phase: `RestoreReportHelper` puts back the report helper if a student deleted it.
Autograde phase, right after `Execute`: `ReportVerdicts` reads what each report cell
transmitted, decides the verdict in this (grading) process against the student's
recomputed variant, and leaves in the cell a French feedback and the points as
nbgrader's partial credit, which `SaveAutoGrades` then stores.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from .catalogue import load_exercise
from .course import Course, open_course, write_atomic
from .notebook import ANSWER_MIME, HELPER_ID, HELPER_SOURCE
from .variants import Variant, student_variant
from .verdicts import Verdict, feedback_text, judge


class RestoreReportHelper(NbGraderPreprocessor):
    """Put the report helper cell back at the top when a student deleted it."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
        if HELPER_ID not in ids:
            self.log.warning("Cellule outil %s absente : remise en place", HELPER_ID)
            cell = new_code_cell(HELPER_SOURCE)
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
    """Turn each report cell's transmitted value into a verdict decided outside the kernel."""

    course_dir = Unicode("", help="The course directory (holds .mercatique/).").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        student = resources["nbgrader"]["student"]
        assignment = resources["nbgrader"]["assignment"]
        course, exercises, slots = _assignment(self.course_dir, assignment)
        variants = student_variants(course, assignment, exercises, student)
        verdicts: dict[str, Verdict] = {}
        for cell in nb.cells:
            slot = slots.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
            if slot is None or cell.cell_type != "code":
                continue
            variant = variants[slot["exercise"]]
            question = variant.question(slot["question"])
            reports = [
                out["data"][ANSWER_MIME]
                for out in cell.get("outputs", [])
                if out.get("output_type") in ("display_data", "execute_result")
                and ANSWER_MIME in out.get("data", {})
            ]
            # exactly one report, about the expected variable: several reports would let a
            # notebook try many values at once
            valid = len(reports) == 1 and reports[0].get("variable") == slot["variable"]
            verdict = judge(variant, question, reports[0] if valid else None)
            verdicts[slot["report_id"]] = verdict
            cell.outputs = [
                new_output("stream", name="stdout", text=feedback_text(verdict)),
                new_output("execute_result", data={"text/plain": repr(verdict.points)}, execution_count=None),
            ]
        for report_id, slot in slots.items():
            if report_id not in verdicts:
                variant = variants[slot["exercise"]]
                verdicts[report_id] = judge(variant, variant.question(slot["question"]), None)
        record = {
            "student": student,
            "assignment": assignment,
            "verdicts": [v.to_dict() for v in verdicts.values()],
            # what went wrong while running the notebook, when the grader knows (mercatique grade)
            "problems": resources.get("mercatique", {}).get("problems", []),
        }
        write_atomic(
            course.verdicts_file(assignment, student), json.dumps(record, ensure_ascii=False, indent=1)
        )
        return nb, resources
