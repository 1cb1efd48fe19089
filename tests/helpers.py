"""Test helpers: the CLI, CSV files, and a course after `assign` with its answer key."""

from __future__ import annotations

import ast
import csv
from collections import defaultdict
from pathlib import Path

import nbformat
from click.testing import CliRunner

from generators.classroom.course import open_course
from generators.cli import main
from generators.simulate import file_submission, set_answers


def run(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class Class:
    """The course after assign, with helpers to file submissions."""

    def __init__(self, root: Path, assignment: str):
        self.root, self.assignment = root, assignment
        A = assignment
        self.course = open_course(root)
        self.key = read_csv(root / "exports" / f"{A}_answer_key.csv")
        self.rows = defaultdict(list)
        for row in self.key:
            self.rows[row["student_id"]].append(row)
        self.points = {s["cell_id"]: s["points"] for s in self.course.manifest(A)["slots"]}
        self.deserved: dict[str, float] = {}

    def released(self, student: str):
        return nbformat.read(self.course.per_student_notebook(student, self.assignment), as_version=4)

    def expected(self, row) -> object:
        return ast.literal_eval(row["expected"])

    def is_choice(self, row) -> bool:
        return isinstance(self.expected(row), str)

    def same_answer(self, mine, theirs) -> bool:
        a, b = self.expected(mine), self.expected(theirs)
        return a == b if isinstance(a, str) else abs(a - b) <= float(mine["tolerance"])

    def wrong(self, row) -> str:
        value = self.expected(row)
        return repr("A" if value != "A" else "B") if isinstance(value, str) else repr(value * 3 + 11)

    def submit(self, student, answers: dict[str, str], nb=None, deserved: float | None = None):
        nb = nb if nb is not None else self.released(student)
        file_submission(self.course, self.assignment, student, set_answers(nb, answers))
        if deserved is not None:
            self.deserved[student] = deserved

    def all_right(self, student, fmt=repr):
        return {r["cell_id"]: f"{r['variable']} = {fmt(self.expected(r))}" for r in self.rows[student]}

    def all_wrong(self, student, prefix: str = ""):
        answers = {r["cell_id"]: f"{r['variable']} = {self.wrong(r)}" for r in self.rows[student]}
        first = self.rows[student][0]["cell_id"]
        answers[first] = prefix + answers[first]
        return answers

    def max_points(self):
        return sum(self.points.values())


def new_course(base: Path, size: int, assignments: dict[str, list[str]], *init_args: str) -> Path:
    """A course for a class of `size` (French names) with its assignments created."""
    from tests.conftest import roster_text

    roster = base / "classe.csv"
    roster.write_text(roster_text(size), encoding="utf-8")
    root = base / "cours"
    result = run("init", root, "--roster", roster, *init_args)
    assert result.exit_code == 0, result.output
    for assignment, exercises in assignments.items():
        result = run("assign", root, assignment, *exercises)
        assert result.exit_code == 0, result.output
    return root
