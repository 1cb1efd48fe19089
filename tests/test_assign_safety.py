"""`assign` never loses anything: it refuses to change an assignment that has submissions,
replaces one only when told (archiving the old results), and a failed or killed `assign`
leaves the course as it was (or, past its commit point, as a finished one)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from generators.classroom import assign as assign_module
from generators.classroom import staging
from generators.classroom.assign import assign
from generators.classroom.course import open_course
from generators.errors import MercatiqueError
from tests.course_state import course_state, differences
from tests.helpers import Class, new_course, read_csv, run

A = "devoir-1"
FIRST = ["fnac-campagne-emailing"]
OTHER = ["oasis-page-facebook"]


@pytest.fixture(scope="module")
def course_with_submission(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("safety"), 4, {A: FIRST})
    klass = Class(root, A)
    student = sorted(klass.rows)[0]
    klass.submit(student, klass.all_right(student))
    return root, student


@pytest.mark.slow
def test_changing_an_assignment_with_a_submission_is_refused_before_any_write(course_with_submission):
    root, student = course_with_submission
    before = course_state(root)
    result = run("assign", root, A, *OTHER)
    assert result.exit_code == 2
    assert "Erreur : le devoir « devoir-1 » a déjà 1 copie(s) rendue(s)" in result.output
    assert "Rien n'a été modifié" in result.output and "--remplacer" in result.output
    assert "Traceback" not in result.output
    assert differences(before, course_state(root)) == []


@pytest.mark.slow
def test_graded_copies_and_gradebook_submissions_count_as_submissions(course_with_submission, tmp_path):
    root, student = course_with_submission
    copy = tmp_path / "copie"
    shutil.copytree(root, copy)
    shutil.rmtree(copy / "submitted")
    (copy / "autograded" / student / A).mkdir(parents=True)  # graded, the submitted copy since deleted
    with pytest.raises(MercatiqueError, match="1 copie"):
        assign(open_course(copy), A, OTHER)
    shutil.rmtree(copy / "autograded")
    course = open_course(copy)
    with Gradebook(course.db_url, course.course_id) as gb, warnings.catch_warnings():  # known only to it
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session handling
        gb.add_submission(A, student)
    before = course_state(copy)
    with pytest.raises(MercatiqueError, match=student):
        assign(course, A, OTHER)
    assert differences(before, course_state(copy)) == []


@pytest.mark.slow
def test_same_exercises_again_keeps_the_submissions(course_with_submission, tmp_path):
    root, student = course_with_submission
    copy = tmp_path / "copie"
    shutil.copytree(root, copy)
    before = course_state(copy)
    result = run("assign", copy, A, *FIRST)
    assert result.exit_code == 0, result.output
    assert "exercices inchangés : les 1 copie(s) rendue(s) et leurs notes sont conservées" in result.output
    changed = differences(before, course_state(copy))
    # the same notebooks (new random cell ids), same manifest, gradebook and submissions
    assert all(path.endswith(".ipynb") and not path.startswith("submitted") for path in changed), changed
    assert differences(course_state(root, cell_ids=False), course_state(copy, cell_ids=False)) == []


@pytest.mark.slow
def test_forced_replacement_archives_the_old_grades(course_with_submission, tmp_path):
    root, student = course_with_submission
    copy = tmp_path / "copie"
    shutil.copytree(root, copy)
    graded = run("grade", copy, A, "--workers", "1")
    assert graded.exit_code == 0, graded.output
    old_grades = (copy / "exports" / f"{A}_grades.csv").read_text()
    result = run("assign", copy, A, *OTHER, "--remplacer")
    assert result.exit_code == 0, result.output
    assert "remplacement forcé : 1 copie(s) rendue(s) restent dans submitted/" in result.output
    assert "leurs notes sont retirées du carnet de notes" in result.output
    archives = list((copy / ".mercatique" / "archives").iterdir())
    assert len(archives) == 1
    assert (archives[0] / "exports" / f"{A}_grades.csv").read_text() == old_grades
    assert (archives[0] / "autograded" / student / A / f"{A}.ipynb").is_file()
    assert (archives[0] / ".mercatique" / "verdicts" / A / f"{student}.json").is_file()
    assert not (copy / "autograded" / student / A).exists()
    assert (copy / "submitted" / student / A / f"{A}.ipynb").is_file()
    course = open_course(copy)
    assert course.manifest(A)["exercises"] == OTHER
    with Gradebook(course.db_url, course.course_id) as gb:
        assignment = gb.find_assignment(A)
        assert assignment.submissions == []
        assert {c.name for c in assignment.notebooks[0].grade_cells} == {
            s["report_id"] for s in course.manifest(A)["slots"]
        }
    # the old copy answered other questions: looked at again against the new exercise, it keeps
    # nothing of its old grade (today the grader reports it as a copy it cannot grade)
    regraded = run("grade", copy, A, "--workers", "1")
    assert regraded.exit_code == 0, regraded.output
    assert f"« {student} »" in regraded.output
    grades = {r["student_id"]: r for r in read_csv(copy / "exports" / f"{A}_grades.csv")}
    assert float(grades.get(student, {}).get("score", 0)) == 0, regraded.output


@pytest.mark.slow
def test_replacing_without_submissions_warns_what_it_replaces(tmp_path):
    root = new_course(tmp_path, 3, {A: FIRST})
    result = run("assign", root, A, *OTHER)
    assert result.exit_code == 0, result.output
    assert "le devoir « devoir-1 » existait déjà (exercices : fnac-campagne-emailing)" in result.output
    assert "redistribuez les nouveaux" in result.output
    assert open_course(root).manifest(A)["exercises"] == OTHER


class Injected(Exception):
    pass


def _fail_on_call(monkeypatch, owner, name: str, call: int) -> None:
    real = getattr(owner, name)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise Injected(f"{name} #{call}")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A course with an assignment, and the state a finished replacement gives it."""
    base = tmp_path_factory.mktemp("reference")
    root = new_course(base, 5, {A: FIRST})
    done = base / "done"
    shutil.copytree(root, done)
    assign(open_course(done), A, OTHER, due="04/12/2026 18:00")
    return root, course_state(root), course_state(done, cell_ids=False)


BEFORE_COMMIT = [
    ("freeze_exercises", 1),
    ("plan_slots", 1),
    ("source_notebook", 1),
    ("generate_assignment", 1),
    ("personal_texts", 3),
    ("csv_text", 1),
]


@pytest.mark.slow
@pytest.mark.parametrize(("function", "call"), BEFORE_COMMIT)
def test_a_failure_before_the_commit_point_leaves_the_course_as_it_was(
    reference, tmp_path, monkeypatch, function, call
):
    root, before, _ = reference
    copy = tmp_path / "cours"
    shutil.copytree(root, copy)
    _fail_on_call(monkeypatch, assign_module, function, call)
    with pytest.raises(Injected):
        assign(open_course(copy), A, OTHER, due="04/12/2026 18:00")
    assert differences(before, course_state(copy)) == []


@pytest.mark.slow
def test_a_failing_nbgrader_leaves_the_course_as_it_was(reference, tmp_path, monkeypatch):
    """nbgrader itself fails (its gradebook is unreachable): a French error, nothing changed."""
    root, before, _ = reference
    copy = tmp_path / "cours"
    shutil.copytree(root, copy)
    real = assign_module.staged_config

    def unreachable_gradebook(course, stage):
        config = real(course, stage)
        config.CourseDirectory.db_url = "postgresql://x@/absente?host=/nulle/part"
        return config

    monkeypatch.setattr(assign_module, "staged_config", unreachable_gradebook)
    with pytest.raises(MercatiqueError, match="nbgrader generate_assignment"):
        assign(open_course(copy), A, OTHER)
    assert differences(before, course_state(copy)) == []


@pytest.mark.slow
@pytest.mark.parametrize("call", [1, 2, 4, 7])
def test_a_failure_during_the_swap_is_finished_by_the_next_command(reference, tmp_path, monkeypatch, call):
    root, _, after = reference
    copy = tmp_path / "cours"
    shutil.copytree(root, copy)
    _fail_on_call(monkeypatch, staging, "_move", call)
    with pytest.raises(Injected):
        assign(open_course(copy), A, OTHER, due="04/12/2026 18:00")
    monkeypatch.undo()
    assert (copy / ".mercatique" / "staging" / A / "plan.json").is_file()
    open_course(copy)  # what every command does first
    assert differences(after, course_state(copy, cell_ids=False)) == []


@pytest.mark.slow
def test_a_killed_assign_leaves_the_course_before_or_after(reference, tmp_path):
    """SIGKILL at several moments of a real `mercatique assign` process."""
    root, before, after = reference
    stage = Path(".mercatique") / "staging" / A
    moments = [stage, stage / "new" / "source", stage / "new" / "release" / A, stage / "plan.json", None]
    outcomes = []
    for number, moment in enumerate(moments):
        copy = tmp_path / f"cours-{number}"
        shutil.copytree(root, copy)
        command = [sys.executable, "-m", "generators.cli", "assign", str(copy), A, *OTHER,
                   "--due", "04/12/2026 18:00"]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if moment is not None:
            while process.poll() is None and not (copy / moment).exists():
                time.sleep(0.002)
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 120  # a killed assign's nbgrader finishes alone, holding the lock
        open_course(copy)
        while (copy / ".mercatique" / "staging").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
            open_course(copy)
        state, finished = course_state(copy), course_state(copy, cell_ids=False)
        outcome = "before" if not differences(before, state) else None
        outcome = outcome or ("after" if not differences(after, finished) else None)
        assert outcome, (moment, differences(before, state), differences(after, finished))
        outcomes.append(outcome)
    assert outcomes[0] == "before" and outcomes[-1] == "after", outcomes


def test_two_assigns_of_one_assignment_never_mix(tmp_path, roster_file):
    """While one command builds an assignment, another is refused and the next
    `open_course` leaves its work alone; once it is gone, its leftovers are cleaned."""
    root = tmp_path / "cours"
    assert run("init", root, "--roster", roster_file(2)).exit_code == 0
    course = open_course(root)
    before = course_state(root)
    with staging.Staging(course, A) as stage:
        (stage.new / "source").mkdir()
        with pytest.raises(MercatiqueError, match="une autre commande prépare déjà « devoir-1 »"):
            staging.Staging(course, A).__enter__()
        open_course(root)
        assert (stage.new / "source").is_dir()
    assert differences(before, course_state(root)) == []
