"""Through the CLI, for a class of 30: assign, submit (honest and cheating), grade.

What each submission deserves is computed here from the answer key CSV, never from
the grader's code: a question earns its points when the submitted value is the key's.
"""

from __future__ import annotations

import csv
import json

import nbformat
import pytest

from generators.authoring.catalogue import find_exercise
from generators.simulate import file_submission, set_answers
from tests.helpers import Class, new_course, read_csv, run

pytestmark = pytest.mark.slow

EXERCISES = ["fnac-campagne-emailing", "air-france-service-client", "oasis-page-facebook"]
A = "devoir-1"
MIME = "application/vnd.mercatique.answer+json"


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("e2e"), 30, {A: EXERCISES}, "--course-id", "bts-test")
    return Class(root, A)


@pytest.fixture(scope="module")
def graded(klass):
    c = klass
    students = sorted(c.rows)
    fnac = {r["question"].split("/")[1]: r for r in c.rows[students[5]] if r["exercise"] == EXERCISES[0]}
    plan = iter(students)

    s = next(plan)  # right, as Python numbers
    c.submit(s, c.all_right(s), deserved=c.max_points())
    s = next(plan)  # right, typed the French way, with the question's unit (another is wrong)
    french = {}
    units = {(e, q.id): q.unit for e in EXERCISES for q in find_exercise(e).questions}
    words = {"€": " €", "%": " %", "points": " points", "": ""}
    for r in c.rows[s]:
        value = c.expected(r)
        if not isinstance(value, str):
            unit = units[r["exercise"], r["question"].split("/")[1]]
            value = f"{value:.3f}".replace(".", ",") + words[unit]
        french[r["cell_id"]] = f"{r['variable']} = {value!r}"
    c.submit(s, french, deserved=c.max_points())
    s = next(plan)  # half right
    answers, deserved = {}, 0.0
    for i, r in enumerate(c.rows[s]):
        right = i % 2 == 0
        answers[r["cell_id"]] = f"{r['variable']} = {repr(c.expected(r)) if right else c.wrong(r)}"
        deserved += c.points[r["cell_id"]] if right else 0
    c.submit(s, answers, deserved=deserved)
    s = next(plan)  # returned empty
    c.submit(s, {}, deserved=0)
    s = next(plan)  # honest computation from the given variables
    rows = {r["question"].split("/")[1]: r for r in c.rows[s] if r["exercise"] == EXERCISES[0]}
    formulas = {
        rows["cpl"]["cell_id"]: f"{rows['cpl']['variable']} = budget / leads",
        rows["conversion"]["cell_id"]: f"{rows['conversion']['variable']} = commandes / leads * 100",
    }
    c.submit(s, formulas, deserved=4)
    s = next(plan)  # edits its numbers to easy ones, then computes honestly on them
    nb = c.released(s)
    for cell in nb.cells:
        if cell.metadata.get("mercatique", {}).get("role") == "given" and "budget" in cell.source:
            cell.source = "budget = 1000\nclics = 2000\nleads = 100\ncommandes = 10"
    c.submit(
        s,
        {
            fnac["cpl"]["cell_id"]: "cout_par_lead = budget / leads",
            fnac["conversion"]["cell_id"]: "taux_de_conversion = commandes / leads * 100",
        },
        nb=nb,
        deserved=0,
    )
    cheaters = {}
    s = next(plan)  # copies the first student's notebook (numbers and answers)
    copied = c.all_right(students[0])
    c.submit(s, copied, nb=c.released(students[0]))
    cheaters["copie"] = s
    for name, prefix in {
        "builtins": "abs = lambda *a, **k: 0\nround = lambda *a, **k: 0\nisinstance = lambda *a: True\n",
        "exceptions": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n",
        "modules": (
            "import math, json, IPython.display\nmath.isclose = lambda *a, **k: True\n"
            "json.dumps = lambda *a, **k: '{}'\nIPython.display.display = lambda *a, **k: None\n"
        ),
    }.items():
        s = next(plan)
        c.submit(s, c.all_wrong(s, prefix), deserved=0)
        cheaters[name] = s
    s = next(plan)  # forges many reports per cell, the right value among them
    right_cpl = c.expected(next(r for r in c.rows[s] if r["question"].endswith("/cpl")))
    forge = (
        "from IPython.display import display as _d\n"
        f"_values = [{right_cpl!r}] + [x / 2 for x in range(40)]\n"
        "def _forge(*a, **k):\n"
        f"    for v in _values:\n        _d({{'{MIME}': {{'variable': 'cout_par_lead', 'defini': True, "
        "'nombre': v, 'texte': repr(v)}}, raw=True)\n"
        "get_ipython().events.register('post_run_cell', _forge)\n"
    )
    c.submit(s, c.all_wrong(s, forge), deserved=0)
    cheaters["forge"] = s
    s = next(plan)  # renamed one answer, the rest right
    answers = c.all_right(s)
    renamed = next(r for r in c.rows[s] if r["question"].endswith("/cpl"))
    answers[renamed["cell_id"]] = f"cpl = {c.expected(renamed)!r}"
    c.submit(s, answers, deserved=c.max_points() - c.points[renamed["cell_id"]])
    s = next(plan)  # deleted the report helper cell, all right
    nb = c.released(s)
    nb.cells = [x for x in nb.cells if x.metadata.get("nbgrader", {}).get("grade_id") != "mercatique-rapport"]
    c.submit(s, c.all_right(s), nb=nb, deserved=c.max_points())
    broken = next(plan)  # not valid JSON
    path = c.course.submitted(broken, A) / f"{A}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"cells": [', encoding="utf-8")
    intruder_nb = c.released(students[0])  # a submission from an id not in the roster
    file_submission(c.course, A, "intrus", set_answers(intruder_nb, c.all_right(students[0])))
    for s in plan:  # everyone else: right
        c.submit(s, c.all_right(s), deserved=c.max_points())

    result = run("grade", c.root, A)
    assert result.exit_code == 0, result.output
    grades = {row["student_id"]: row for row in read_csv(c.root / "exports" / f"{A}_grades.csv")}
    return c, grades, result.output, cheaters, broken


def test_every_student_has_distinct_numbers(klass):
    givens = set()
    for student in klass.rows:
        nb = klass.released(student)
        givens.add(
            tuple(c.source for c in nb.cells if c.metadata.get("mercatique", {}).get("role") == "given")
        )
    assert len(givens) >= 29


def test_second_assign_gives_the_same_variants(klass, tmp_path):
    before = (klass.root / "exports" / f"{A}_answer_key.csv").read_text()
    notebook = klass.course.per_student_notebook(sorted(klass.rows)[3], A).read_text()
    assert run("assign", klass.root, A, *EXERCISES).exit_code == 0
    assert (klass.root / "exports" / f"{A}_answer_key.csv").read_text() == before
    after = klass.course.per_student_notebook(sorted(klass.rows)[3], A).read_text()
    strip = lambda text: [c["source"] for c in json.loads(text)["cells"]]  # noqa: E731
    assert strip(after) == strip(notebook)


def test_answer_key_has_the_contract_columns_and_a_row_per_student_and_question(klass):
    assert list(klass.key[0]) == [
        "student_id",
        "exercise",
        "question",
        "cell_id",
        "variable",
        "expected",
        "tolerance",
    ]
    assert len(klass.key) == 30 * 9


def test_grades_csv_contract(graded):
    c, grades, *_ = graded
    header = list(next(iter(grades.values())))
    questions = list(dict.fromkeys(r["question"] for r in c.key))
    contract = ["student_id", "last_name", "first_name", "score", "max_score"]
    assert header == [*contract, *questions, "status", "late", "late_penalty"]


def test_scores_are_what_each_submission_deserves(graded):
    c, grades, *_ = graded
    assert c.deserved, "no submission planned"
    for student, deserved in c.deserved.items():
        row = grades[student]
        assert float(row["score"]) == deserved, (student, row)
        assert float(row["max_score"]) == c.max_points()
        assert sum(float(row[q]) for q in row if "/" in q) == float(row["score"])


def test_cheating_gains_nothing(graded):
    c, grades, _, cheaters, _ = graded
    for name, student in cheaters.items():
        if name != "copie":
            assert float(grades[student]["score"]) == 0, (name, grades[student])
    # the copy earns only the answers that happen to be the copier's too (mostly choice letters)
    copier, source = cheaters["copie"], sorted(c.rows)[0]
    lucky = sum(
        c.points[mine["cell_id"]]
        for mine, theirs in zip(c.rows[copier], c.rows[source], strict=True)
        if c.same_answer(mine, theirs)
    )
    assert float(grades[copier]["score"]) == lucky
    assert lucky < c.max_points() / 3


def test_unknown_and_broken_submissions_are_reported_and_the_rest_graded(graded):
    c, grades, output, _, broken = graded
    assert "intrus" not in grades
    assert grades[broken]["status"] == "illisible" and grades[broken]["score"] == ""
    assert "« intrus »" in output and "liste de classe" in output
    assert f"« {broken} »" in output and "JSON" in output
    assert len(grades) == 30  # the whole roster
    assert sum(row["status"] == "corrigée" for row in grades.values()) == 29


def test_feedback_in_graded_notebook_is_french_and_shows_the_diagnosis(graded):
    c, *_ = graded
    student = sorted(c.rows)[2]  # half right
    nb = nbformat.read(c.root / "autograded" / student / A / f"{A}.ipynb", as_version=4)
    texts = [
        o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []) if o.get("name") == "stdout"
    ]
    assert any("Bonne réponse" in t for t in texts)
    assert any("Réponse attendue" in t for t in texts)


def test_bad_roster_is_refused_and_nothing_created(tmp_path):
    roster = tmp_path / "classe.csv"
    roster.write_text("id,last_name,first_name,email\na1,Roux,Zoé,\na1,Petit,Léo,\n", encoding="utf-8")
    result = run("init", tmp_path / "cours", "--roster", roster)
    assert result.exit_code == 2
    assert "ligne 3" in result.output and "« a1 » déjà donné ligne 2" in result.output
    assert not (tmp_path / "cours" / "gradebook.db").exists()


def test_list_and_preview(tmp_path):
    listing = run("list")
    assert listing.exit_code == 0 and all(e in listing.output for e in EXERCISES)
    assert "fnac" not in run("list", "--chapter", "reseaux-sociaux-grc").output
    preview = run("preview", "oasis-page-facebook", "--seed", "4")
    assert preview.exit_code == 0
    assert "Réponses attendues" in preview.output and "Corrigé" in preview.output
    assert run("preview", "oasis-page-facebook", "--seed", "4").output == preview.output
    unknown = run("preview", "inconnu")
    assert unknown.exit_code == 2 and "exercice inconnu" in unknown.output


def test_per_student_notebook_answer_cells_show_the_variable(klass):
    nb = klass.released(sorted(klass.rows)[0])
    answers = [c.source for c in nb.cells if c.metadata.get("mercatique", {}).get("role") == "answer"]
    variables = [r["variable"] for r in klass.rows[sorted(klass.rows)[0]]]
    assert [a.split(" = ")[0] for a in answers] == variables


def test_feedback_pages_show_answers_diagnosis_and_no_test_code_or_secret(graded):
    c, grades, _, cheaters, _ = graded
    result = run("feedback", c.root, A)
    assert result.exit_code == 0, result.output
    secret = c.course.secret
    for student in (s for s, row in grades.items() if row["status"] == "corrigée"):
        page = (c.root / "feedback" / student / A / f"{A}.html").read_text(encoding="utf-8")
        assert "Réponse attendue" in page and "Corrigé" in page
        assert "_rapport" not in page and "mercatique.answer" not in page and secret not in page
    half = sorted(c.rows)[2]
    page = (c.root / "feedback" / half / A / f"{A}.html").read_text(encoding="utf-8")
    assert f"Note\u00a0: {grades[half]['score']} / " in page.replace("\u202f", "")


def test_teacher_report_flags_unknown_broken_and_copied(graded):
    c, grades, _, cheaters, broken = graded
    result = run("report", c.root, A)
    assert result.exit_code == 0, result.output
    page = (c.root / "exports" / f"{A}_bilan.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2
    assert "intrus" in page and broken in page
    assert (
        f"{min(cheaters['copie'], sorted(c.rows)[0])} et {max(cheaters['copie'], sorted(c.rows)[0])}" in page
    )
    assert 'src="http' not in page and 'href="http' not in page


def test_moodle_export_matches_by_email(graded):
    c, grades, *_ = graded
    with (c.root / "exports" / f"{A}_moodle.csv").open(encoding="utf-8-sig", newline="") as handle:
        moodle = list(csv.DictReader(handle))
    assert list(moodle[0]) == ["email", "nom", "prenom", A, "commentaire"]
    for row in moodle:
        student = row["email"].removesuffix("@lycee.example")
        assert row[A] == grades[student]["score"]
    assert len(moodle) == len(grades)
