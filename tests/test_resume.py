"""Is grading resumable and idempotent? Kill it (SIGKILL) mid-way, run it again: same
grades as an uninterrupted run; a re-submitted notebook, and only it, is graded again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from generators.classroom.course import open_course
from generators.grading.grade import grade
from tests.helpers import Class, new_course, read_csv

pytestmark = pytest.mark.slow
A = "devoir-r"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    base = tmp_path_factory.mktemp("resume")
    root = new_course(base, 12, {A: ["fnac-campagne-emailing", "oasis-page-facebook"]})
    c = Class(root, A)
    for i, student in enumerate(sorted(c.rows)):
        answers = c.all_right(student) if i % 3 else c.all_wrong(student)
        c.submit(student, answers)
    reference = base / "reference"
    shutil.copytree(root, reference)
    grade(open_course(reference), A)
    return c, read_csv(reference / "exports" / f"{A}_grades.csv")


def test_killed_run_resumes_to_the_same_grades(prepared):
    c, reference = prepared
    journal = c.course.private / "grading" / f"{A}.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "generators.cli", "grade", str(c.root), A, "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline:
        if journal.exists() and len(json.loads(journal.read_text())) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(json.loads(journal.read_text()))
    assert 3 <= done < 12, "the run must be killed mid-way"

    report = grade(c.course, A)
    assert len(report.skipped) >= done and len(report.graded) == 12 - len(report.skipped)
    assert read_csv(c.root / "exports" / f"{A}_grades.csv") == reference

    again = grade(c.course, A)
    assert again.graded == [] and len(again.skipped) == 12
    assert read_csv(c.root / "exports" / f"{A}_grades.csv") == reference


def test_resubmitted_notebook_alone_is_graded_again(prepared):
    c, reference = prepared
    grade(c.course, A)
    student = sorted(c.rows)[0]  # submitted all wrong at first
    time.sleep(0.01)
    c.submit(student, c.all_right(student))
    report = grade(c.course, A)
    assert report.graded == [student]
    rows = {r["student_id"]: r for r in read_csv(c.root / "exports" / f"{A}_grades.csv")}
    assert float(rows[student]["score"]) == c.max_points()
    others = {r["student_id"]: r for r in reference if r["student_id"] != student}
    assert all(rows[s] == others[s] for s in others)
