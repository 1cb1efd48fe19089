"""Tampered submissions (issue 10): each one is graded on what remains, or reported in
French with the reason, and always appears in the teacher's report; the class is graded.

The per-student data cell (no nbgrader metadata) must survive autograde: an honest
pandas computation on it earns its points.
"""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from generators.classroom.course import Course, open_course
from generators.grading.grade import _timestamp, check_notebook, check_timestamp
from generators.grading.nbgrader_ext import RepairSubmission, RestoreReportHelper
from generators.simulate import file_submission, set_answers
from tests.helpers import Class, new_course, read_csv, run

A = "devoir-t"
MIME = "application/vnd.mercatique.answer+json"
EXERCISES = ["fnac-campagne-emailing", "cas-heinz-brand-content"]
FRENCH = ("cellule", "rapport", "réponse", "correction", "horodatage", "note", "valeur")


def grade_id(cell) -> str | None:
    meta = cell.metadata.get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def forge(payloads) -> str:
    """An answer cell that replaces the report helper to send these payloads instead."""
    return (
        "import json as _j\nfrom IPython.display import display as _d\n"
        f"def _rapport(nom, *a):\n    for p in _j.loads({json.dumps(payloads)!r}):\n"
        f"        _d({{'{MIME}': p}}, raw=True)\n"
    )


def first_report(c: Class, student: str) -> str:
    return c.rows[student][0]["cell_id"] + "-verif"


def delete_question(c, s, nb):
    first = c.rows[s][0]["cell_id"]
    nb.cells = [x for x in nb.cells if grade_id(x) not in (first, first + "-verif")]


def rename(c, s, nb):
    for x in nb.cells:
        if grade_id(x) == first_report(c, s):
            x.metadata.nbgrader["grade_id"] = "ma-cellule"


def points(c, s, nb):
    for x in nb.cells:
        if grade_id(x) == first_report(c, s):
            x.metadata.nbgrader["points"] = 1000


def markdown(c, s, nb):
    for i, x in enumerate(nb.cells):
        if grade_id(x) == first_report(c, s):
            nb.cells[i] = nbformat.v4.new_markdown_cell(x.source, metadata=x.metadata)


def duplicate(c, s, nb):
    reports = [x for x in nb.cells if (grade_id(x) or "").endswith("-verif")]
    reports[1].metadata.nbgrader["grade_id"] = grade_id(reports[0])


def metadata_string(c, s, nb):
    for x in nb.cells:
        if grade_id(x) == first_report(c, s):
            x.metadata["nbgrader"] = "oui"


def solution_flag(c, s, nb):
    for x in nb.cells:
        if grade_id(x) == first_report(c, s):
            x.metadata.nbgrader["solution"] = True


CPL = "cout_par_lead"
FORGED = {
    "enorme": [{"variable": CPL, "defini": True, "nombre": 1e308, "texte": "1e308"}],
    "entier-geant": [{"variable": CPL, "defini": True, "nombre": 10**400, "texte": "1"}],
    "nan": [{"variable": CPL, "defini": True, "nombre": float("nan"), "texte": "nan"}],
    "infini": [{"variable": CPL, "defini": True, "nombre": float("inf"), "texte": "inf"}],
    "texte-objet": [{"variable": CPL, "defini": True, "nombre": None, "texte": {"a": [1]}}],
    "imbrique": [{"variable": {"x": 1}, "defini": {"y": 2}, "nombre": [1, 2], "texte": [1]}],
    "pas-un-dict": ["bonjour"],
    "plusieurs": [{"variable": CPL, "defini": True, "nombre": 1, "texte": "1"}] * 2,
    "autre-variable": [{"variable": "autre", "defini": True, "nombre": 1, "texte": "1"}],
}
EDITS = {
    "question-effacee": delete_question,
    "grade-id-renomme": rename,
    "points-changes": points,
    "rapport-en-markdown": markdown,
    "grade-id-en-double": duplicate,
    "metadonnees-texte": metadata_string,
    "drapeau-solution": solution_flag,
}


@pytest.fixture(scope="module")
def tampered(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("tamper"), 26, {A: EXERCISES})
    c = Class(root, A)
    plan = iter(sorted(c.rows))
    cases: dict[str, str] = {}
    for name, edit in EDITS.items():
        s = cases[name] = next(plan)
        nb = set_answers(c.released(s), c.all_right(s))
        edit(c, s, nb)
        file_submission(c.course, A, s, nb)
    for name, payloads in FORGED.items():
        s = cases["forge-" + name] = next(plan)
        answers = c.all_right(s)
        first = c.rows[s][0]["cell_id"]
        answers[first] = forge(payloads) + answers[first]
        c.submit(s, answers)
    s = cases["horodatage-dossier"] = next(plan)
    c.submit(s, c.all_right(s))
    stamp = c.course.submitted(s, A) / "timestamp.txt"
    stamp.unlink()
    stamp.mkdir()
    s = cases["horodatage-illisible"] = next(plan)
    c.submit(s, c.all_right(s))
    (c.course.submitted(s, A) / "timestamp.txt").write_bytes(b"\xff\xfe pas une date")
    honest = {}
    s = honest["pandas-et-lettres-nues"] = next(plan)
    answers = {}
    for r in c.rows[s]:
        value = c.expected(r)
        answers[r["cell_id"]] = f"{r['variable']} = {value if c.is_choice(r) else repr(value)}"
        if r["variable"] == "fans_pour_mille_vues":
            computed = "lecons.fans_gagnes.sum() / lecons.vues.sum() * 1000"
            answers[r["cell_id"]] = f"{r['variable']} = {computed}"
    c.submit(s, answers, deserved=c.max_points())
    s = honest["faute-de-frappe"] = next(plan)
    answers = c.all_right(s)
    cpl = next(r for r in c.rows[s] if r["variable"] == CPL)
    answers[cpl["cell_id"]] = f"{CPL} = budjet / leads"
    c.submit(s, answers, deserved=c.max_points() - c.points[cpl["cell_id"]])
    for s in plan:
        c.submit(s, c.all_right(s), deserved=c.max_points())
    result = run("grade", root, A)
    report = run("report", root, A)
    return c, cases, honest, result, report


def record(c: Class, student: str) -> dict:
    return json.loads(c.course.verdicts_file(A, student).read_text("utf-8"))


@pytest.mark.slow
def test_the_class_is_graded_without_a_traceback(tampered):
    c, cases, honest, result, report = tampered
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert report.exit_code == 0, report.output
    rows = read_csv(c.root / "exports" / f"{A}_grades.csv")
    grades = {r["student_id"]: float(r["score"]) for r in rows if r["status"] == "corrigée"}
    for student, deserved in c.deserved.items():
        assert grades[student] == deserved, student


@pytest.mark.slow
def test_each_tampered_submission_has_a_score_and_a_french_reason(tampered):
    c, cases, honest, result, report = tampered
    slots = len(c.course.manifest(A)["slots"])
    for name, student in cases.items():
        if name == "horodatage-dossier":
            continue
        r = record(c, student)
        assert len(r["verdicts"]) == slots, name
        score = sum(v["points"] for v in r["verdicts"])
        assert 0 <= score <= c.max_points(), name
        reasons = r["problems"] + [v["message"] for v in r["verdicts"] if v["status"] != "correct"]
        if not reasons:  # nbgrader's own sanitize steps put it back silently: full marks
            assert score == c.max_points(), name
            continue
        assert all(any(word in reason.lower() for word in FRENCH) for reason in reasons), (name, reasons)
        assert not any(e in " ".join(reasons) for e in ("KeyError", "RuntimeError", "OverflowError")), name
        # graded on what remains (the sanitize steps repaired it), or reported whole
        repaired = any("remise" in p or "non notée" in p for p in r["problems"])
        assert name not in EDITS or repaired or any("à corriger à la main" in p for p in r["problems"]), name


@pytest.mark.slow
def test_a_forged_report_earns_nothing_and_is_flagged(tampered):
    c, cases, honest, result, report = tampered
    for name in FORGED:
        student = cases["forge-" + name]
        first = c.rows[student][0]
        verdicts = record(c, student)["verdicts"]
        verdict = next(v for v in verdicts if f"{v['exercise']}/{v['question']}" == first["question"])
        assert verdict["points"] == 0, name
        # a value the report cannot carry is unreadable; 10**400 falls back to its text, "1"
        assert verdict["message"].startswith(("Réponse non notée", "Réponse illisible", "Ce n'est pas")), name
        assert verdict["status"] != "correct", name


@pytest.mark.slow
def test_metadata_edits_cost_at_most_the_edited_question(tampered):
    """Graded on what remains when the sanitize steps can repair the notebook, reported otherwise."""
    c, cases, honest, result, report = tampered
    for name in ("points-changes", "rapport-en-markdown"):
        r = record(c, cases[name])
        assert sum(v["points"] for v in r["verdicts"]) == c.max_points(), name


@pytest.mark.slow
def test_every_student_appears_in_the_teacher_report(tampered):
    c, cases, honest, result, report = tampered
    page = (c.root / "exports" / f"{A}_bilan.html").read_text("utf-8")
    for name, student in cases.items():
        r = record(c, student) if name != "horodatage-dossier" else {"problems": ["x"]}
        if r["problems"]:
            assert student in page, name
    assert "horodatage" in page
    assert "26 élève(s)" in page


@pytest.mark.slow
def test_a_timestamp_folder_is_reported_and_a_garbage_one_costs_only_the_date(tampered):
    c, cases, honest, result, report = tampered
    assert "horodatage" in result.output
    garbage = record(c, cases["horodatage-illisible"])
    assert sum(v["points"] for v in garbage["verdicts"]) == c.max_points()
    assert any("horodatage" in p for p in garbage["problems"])


@pytest.mark.slow
def test_a_typo_in_an_answer_is_explained_in_french(tampered):
    c, cases, honest, result, report = tampered
    r = record(c, honest["faute-de-frappe"])
    missing = next(v for v in r["verdicts"] if v["status"] != "correct")
    assert "cellule de réponse a produit une erreur (NameError" in missing["message"]


@pytest.mark.slow
def test_repair_lets_nbgrader_sanitize_every_edited_notebook(tampered):
    """RepairSubmission first, then nbgrader's own sanitize steps, on each edited notebook."""
    from nbgrader import preprocessors as nbp
    from traitlets.config import Config

    c, cases, honest, result, report = tampered
    course = open_course(c.root)
    config = Config()
    config.CourseDirectory.root = str(course.root)
    config.OverwriteCells.add_missing_cells = True
    released = nbformat.read(course.root / "release" / A / f"{A}.ipynb", as_version=4)
    expected_ids = [grade_id(x) for x in released.cells if grade_id(x)]
    for name in EDITS:
        student = cases[name]
        nb = nbformat.read(course.submitted(student, A) / f"{A}.ipynb", as_version=4)
        resources = {
            "nbgrader": {"student": student, "assignment": A, "notebook": A, "db_url": course.db_url},
        }
        steps = (nbp.ClearOutput, RepairSubmission, nbp.DeduplicateIds, nbp.OverwriteKernelspec,
                 nbp.OverwriteCells, RestoreReportHelper, nbp.CheckCellMetadata)  # fmt: skip
        for step in steps:  # each would stop with KeyError/RuntimeError without the repair
            nb, resources = step(config=config).preprocess(nb, resources)
        ids = [grade_id(x) for x in nb.cells if grade_id(x)]
        assert ids == expected_ids, name
        assert resources["mercatique_repairs"], name
        for cell in nb.cells:
            original = next((x for x in released.cells if grade_id(x) and grade_id(x) == grade_id(cell)), 0)
            original = original or None
            if original is not None and original.metadata.nbgrader["locked"]:
                assert (cell.cell_type, cell.source) == (original.cell_type, original.source), name


def test_a_submission_folder_that_is_not_files_is_screened_in_french(tmp_path):
    folder = tmp_path / "devoir"
    (folder / "devoir.ipynb").mkdir(parents=True)
    assert "est un dossier" in check_notebook(folder / "devoir.ipynb")
    os.mkfifo(tmp_path / "tube.ipynb")  # reading a pipe would block the whole class
    assert "fichier spécial" in check_notebook(tmp_path / "tube.ipynb")
    (tmp_path / "abime.ipynb").write_text('{"cells": [', encoding="utf-8")
    assert "JSON valide" in check_notebook(tmp_path / "abime.ipynb")
    assert "absent" in check_notebook(tmp_path / "absent.ipynb")
    (folder / "timestamp.txt").mkdir()
    assert "horodatage" in check_timestamp(folder)
    assert check_timestamp(tmp_path) is None  # no timestamp at all is fine


@pytest.mark.parametrize(
    ("text", "dated"),
    [
        (b"2026-11-23 10:00:00.000000 UTC", True),
        (b"\xff\xfe garbage", False),
        (b"9999-01-01 00:00:00", False),
    ],
)
def test_timestamp_garbage_is_a_french_problem_not_a_crash(tmp_path, text, dated):
    course = Course(tmp_path)
    folder = course.submitted("eleve001", "devoir")
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_bytes(text)
    when, problem = _timestamp(course, "devoir", "eleve001")
    assert (when is not None, problem is None) == (dated, dated)
    if not dated:
        assert problem.startswith("horodatage du rendu illisible")
