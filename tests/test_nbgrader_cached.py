"""The worker's set-up-once twins of nbgrader's OverwriteCells and CheckCellMetadata give
nbgrader's own result on honest and tampered notebooks (generators/grading/nbgrader_cached.py)."""

from __future__ import annotations

import copy

import pytest
from nbgrader.nbgraderformat import ValidationError
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, OverwriteCells, OverwriteKernelspec
from traitlets.config import PyFileConfigLoader

from generators.grading.nbgrader_cached import FastCheckCellMetadata, SnapshotOverwriteCells
from tests.helpers import Class, new_course

A = "devoir-c"


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    return Class(new_course(tmp_path_factory.mktemp("cache"), 2, {A: ["fnac-campagne-emailing"]}), A)


def _graded(cell):
    return cell.metadata.get("nbgrader", {}).get("grade")


def tampered(c: Class, student: str, how: str):
    nb = c.released(student)
    locked = [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("locked")]
    graded = [cell for cell in nb.cells if _graded(cell)]
    if how == "locked-source":
        locked[0].source = "print('réécrit par l’élève')"
    elif how == "points":
        graded[0].metadata.nbgrader["points"] = 1000
    elif how == "unlocked":
        locked[-1].metadata.nbgrader["locked"] = False
    elif how == "unknown-id":
        graded[0].metadata.nbgrader["grade_id"] = "inconnue"
    elif how == "deleted":
        nb.cells.remove(graded[0])
    return nb


def _resources(c: Class, student: str, version: str = "v1"):
    meta = {"student": student, "assignment": A, "notebook": A, "db_url": c.course.db_url}
    return {"nbgrader": {**meta, "source_version": version}}


def _config(c: Class):
    return PyFileConfigLoader("nbgrader_config.py", path=str(c.root)).load_config()


@pytest.mark.parametrize("how", ["honest", "locked-source", "points", "unlocked", "unknown-id", "deleted"])
def test_snapshot_overwrite_cells_matches_nbgrader(klass, how):
    student = sorted(klass.rows)[0]
    config = _config(klass)
    results = []
    for step in (OverwriteCells, SnapshotOverwriteCells):
        nb = tampered(klass, student, how)
        resources = _resources(klass, student)
        for before in (ClearOutput, OverwriteKernelspec):
            nb, resources = before(config=config).preprocess(nb, resources)
        try:
            nb, _ = step(config=config).preprocess(nb, resources)
        except Exception as exc:  # nbgrader 0.9.6 stops on some edits (RepairSubmission runs first)
            nb = f"{type(exc).__name__} : {exc}"
        results.append(nb)
    assert results[0] == results[1]
    if how == "locked-source":
        assert "réécrit" not in str(results[1].cells)


def test_the_snapshot_serves_many_copies_without_the_gradebook(klass):
    first, second = sorted(klass.rows)
    config = _config(klass)
    step = SnapshotOverwriteCells(config=config)
    for student in (first, second):
        nb, _ = step.preprocess(tampered(klass, student, "points"), _resources(klass, student, "v2"))
        points = [cell.metadata.nbgrader["points"] for cell in nb.cells if _graded(cell)]
        assert 1000 not in points


def _metadata_cases(c: Class, student: str):
    nb = c.released(student)
    graded = next(i for i, cell in enumerate(nb.cells) if _graded(cell))
    yield "honest", copy.deepcopy(nb)
    bad = copy.deepcopy(nb)
    bad.cells[graded].metadata.nbgrader["points"] = "beaucoup"
    yield "points-text", bad
    bad = copy.deepcopy(nb)
    bad.cells[graded].metadata.nbgrader["grade"] = "oui"
    yield "grade-text", bad
    bad = copy.deepcopy(nb)
    bad.cells.append(copy.deepcopy(bad.cells[graded]))
    yield "duplicate", bad
    bad = copy.deepcopy(nb)
    bad.cells[graded].metadata.nbgrader["schema_version"] = 99
    yield "too-new", bad


def _outcome(step, nb) -> str:
    try:
        step.preprocess(nb, {})
    except ValidationError as exc:
        return f"refusé : {exc}"
    except Exception as exc:  # nbgrader's own kinds (SchemaTooNewError...)
        return f"{type(exc).__name__} : {exc}"
    return "accepté"


def test_fast_metadata_check_decides_as_nbgrader(klass):
    student = sorted(klass.rows)[0]
    outcomes = {}
    for name, nb in _metadata_cases(klass, student):
        theirs = _outcome(CheckCellMetadata(), copy.deepcopy(nb))
        outcomes[name] = (theirs, _outcome(FastCheckCellMetadata(), nb))
    for name, (theirs, ours) in outcomes.items():
        assert theirs == ours, name
    assert outcomes["honest"][1] == "accepté"
    assert all(ours != "accepté" for name, (_, ours) in outcomes.items() if name != "honest")
