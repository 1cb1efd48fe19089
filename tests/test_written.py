"""Written answers (kind: written) and the spreadsheet path of case studies.

A written answer is nbgrader's « manually graded answer »: a markdown cell, solution and
grade, with points. Does it survive generate_assignment and autograde, wait for the
teacher (« à corriger », never a low total), and reach the exports and the feedback
page with the teacher's points and comment once marked as the formgrader marks it?
Does each student get their case-study table as CSV and XLSX equal to their data?
"""

from __future__ import annotations

import csv
import html
import io
import json
import shutil
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook
from openpyxl import load_workbook

import generators
from generators.authoring.catalogue import find_exercise, load_catalogue, load_exercise
from generators.authoring.stress import check_variant
from generators.authoring.variants import preview_variant, student_variant
from generators.book.selfcheck import self_check_data
from generators.classroom.course import write_atomic
from generators.classroom.notebook import WRITTEN_INSTRUCTION, WRITTEN_STUB
from generators.classroom.release import build_archives, personal_notebooks
from generators.classroom.setup_course import gradebook_students
from generators.errors import MercatiqueError
from generators.grading.grade import grade
from generators.outputs import spreadsheets
from generators.outputs.feedback import feedback_pages
from generators.outputs.report import build_report
from tests.helpers import Class, new_course, read_csv, run

A = "devoir-1"
ETUDE = "etude-air-france-soiree"
CASE = "cas-hertz-nps"
WRITTEN = ("crise_2011", "organisation")


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def written_cells(nb) -> dict[str, nbformat.NotebookNode]:
    return {
        nbgrader_meta(c)["grade_id"]: c
        for c in nb.cells
        if nbgrader_meta(c).get("grade_id", "").endswith(WRITTEN)
    }


# --- catalogue -------------------------------------------------------------------


def test_a_written_question_without_rubric_is_refused_in_french(tmp_path):
    folder = tmp_path / ETUDE
    shutil.copytree(find_exercise(ETUDE).folder, folder)
    meta = folder / "exercise.yml"
    text = meta.read_text("utf-8")
    start = text.index("    rubric:\n", text.index("id: crise_2011"))
    end = text.index("  - id: organisation")
    meta.write_text(text[:start] + text[end:], "utf-8")
    with pytest.raises(MercatiqueError) as error:
        load_exercise(folder)
    message = str(error.value)
    assert "questions[3].rubric" in message and "barème" in message


def test_a_rubric_must_add_up_to_the_points(tmp_path):
    folder = tmp_path / ETUDE
    shutil.copytree(find_exercise(ETUDE).folder, folder)
    meta = folder / "exercise.yml"
    meta.write_text(meta.read_text("utf-8").replace("    points: 3\n", "    points: 5\n", 1), "utf-8")
    with pytest.raises(MercatiqueError, match="les points du barème font 3 alors que la question vaut 5"):
        load_exercise(folder)


def test_a_written_question_cannot_have_an_answer_formula(tmp_path):
    folder = tmp_path / ETUDE
    shutil.copytree(find_exercise(ETUDE).folder, folder)
    meta = folder / "exercise.yml"
    text = meta.read_text("utf-8").replace(
        "    kind: written\n", '    kind: written\n    answer: "1"\n', 1
    )
    meta.write_text(text, "utf-8")
    with pytest.raises(MercatiqueError, match="une question written a model_answer et rubric"):
        load_exercise(folder)


def test_the_model_answer_carries_the_variants_numbers():
    ex = find_exercise(ETUDE)
    variant = preview_variant(ex, 3)
    part = variant.answers["part_soiree"]
    assert f"{part:.2f}".replace(".", ",") in variant.answers["organisation"]
    assert check_variant(variant) == []


def test_the_book_self_check_shows_a_written_question_with_its_model_answer():
    data = self_check_data(find_exercise(ETUDE))
    question = next(q for q in data["variants"][0]["questions"] if q["id"] == "crise_2011")
    assert question["kind"] == "written"
    assert "community manager" in question["model_answer"]
    assert "1\u00a0point" in question["rubric"]  # typeset: no-break space before the unit
    assert "answer" not in question  # nothing to judge in the page
    script = (Path(generators.__file__).parent / "book" / "static" / "selfcheck.js").read_text("utf-8")
    assert "Question rédigée : comparez avec le corrigé." in script


# --- a class ---------------------------------------------------------------------

ANSWER = "Le community manager était en congé : personne n'a répondu le week-end."


@pytest.fixture(scope="module")
def etude(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("written"), 3, {A: [ETUDE, CASE]})
    c = Class(root, A)
    writer, silent, absent = sorted(c.rows)
    nb = c.released(writer)
    cells = written_cells(nb)
    answers = {grade_id: f"{WRITTEN_INSTRUCTION}\n\n{ANSWER}" for grade_id in cells}
    answers.update(c.all_right(writer))
    c.submit(writer, answers, nb=nb)
    # right numbers; one written cell left as released, the other deleted
    silent_nb = c.released(silent)
    silent_nb.cells = [cell for cell in silent_nb.cells
                       if nbgrader_meta(cell).get("grade_id") != f"{ETUDE}-organisation"]  # fmt: skip
    c.submit(silent, c.all_right(silent), nb=silent_nb)
    grade(c.course, A, sandbox=False, workers=2)
    c.writer, c.silent, c.absent = writer, silent, absent
    c.auto_points = sum(float(p) for p in c.points.values()) - sum(
        float(s["points"]) for s in c.course.manifest(A)["slots"] if s.get("kind") == "written"
    )
    return c


@pytest.mark.slow
def test_the_notebooks_have_manually_graded_answer_cells(etude):
    c = etude
    source = nbformat.read(c.root / "source" / A / f"{A}.ipynb", as_version=4)
    released = nbformat.read(c.root / "release" / A / f"{A}.ipynb", as_version=4)
    mine = c.released(c.writer)
    for nb in (source, released, mine):
        cells = written_cells(nb)
        assert set(cells) == {f"{ETUDE}-{q}" for q in WRITTEN}
        for grade_id, cell in cells.items():
            meta = nbgrader_meta(cell)
            assert cell.cell_type == "markdown"
            assert meta["solution"] is True and meta["grade"] is True and meta["locked"] is False
            assert meta["points"] == (3 if grade_id.endswith("crise_2011") else 4)
            assert WRITTEN_INSTRUCTION in cell.source
    # the model answer and barème are nbgrader's solution: in source/, never for the student
    for cell in written_cells(source).values():
        assert "### BEGIN SOLUTION" in cell.source and "**Barème**" in cell.source
    for nb in (released, mine):
        for cell in written_cells(nb).values():
            assert cell.source == f"{WRITTEN_INSTRUCTION}\n\n{WRITTEN_STUB}"
            assert "checksum" in nbgrader_meta(cell)
        text = nbformat.writes(nb)
        assert "community manager est en congé" not in text and "Barème" not in text
    # the gradebook knows them as manually graded markdown cells
    with Gradebook(c.course.db_url, c.course.course_id) as gb:
        cells = {cell.name: cell for cell in gb.find_notebook(A, A).grade_cells}
        for q in WRITTEN:
            assert cells[f"{ETUDE}-{q}"].cell_type == "markdown"


@pytest.mark.slow
def test_autograde_leaves_written_answers_to_the_teacher(etude):
    c = etude
    with Gradebook(c.course.db_url, c.course.course_id) as gb:
        for q in WRITTEN:
            written = gb.find_grade(f"{ETUDE}-{q}", A, A, c.writer)
            assert written.auto_score is None and written.needs_manual_grade
            empty = gb.find_grade(f"{ETUDE}-{q}", A, A, c.silent)
            assert empty.auto_score == 0 and not empty.needs_manual_grade
    silent = json.loads(c.course.verdicts_file(A, c.silent).read_text("utf-8"))
    assert any("organisation" in p and "effacée" in p for p in silent["problems"])
    assert {v["question"]: v["status"] for v in silent["verdicts"]}["organisation"] == "absent"
    record = json.loads(c.course.verdicts_file(A, c.writer).read_text("utf-8"))
    verdicts = {v["question"]: v for v in record["verdicts"]}
    assert verdicts["crise_2011"]["status"] == "à corriger"
    assert verdicts["crise_2011"]["answer"] == ANSWER
    autograded = nbformat.read(c.root / "autograded" / c.writer / A / f"{A}.ipynb", as_version=4)
    assert ANSWER in written_cells(autograded)[f"{ETUDE}-crise_2011"].source


@pytest.mark.slow
def test_an_unmarked_copy_is_a_corriger_not_a_low_grade(etude):
    c = etude
    assert run("export", c.root, A, "--format", "notes", "--format", "pronote").exit_code == 0
    rows = {r["student_id"]: r for r in read_csv(c.root / "exports" / f"{A}_grades.csv")}
    mine = rows[c.writer]
    assert mine["status"] == "à corriger" and mine["score"] == ""
    assert mine[f"{ETUDE}/crise_2011"] == "" and float(mine[f"{ETUDE}/part_soiree"]) == 2
    # nothing written: nbgrader's own 0, and the copy is graded
    assert rows[c.silent]["status"] == "corrigée"
    assert float(rows[c.silent]["score"]) == c.auto_points
    pronote = (c.root / "exports" / f"{A}_pronote.csv").read_text("utf-8-sig")
    marks = {(r["Nom"], r["Prénom"]): r["Note"] for r in csv.DictReader(io.StringIO(pronote), delimiter=";")}
    writer = gradebook_students(c.course)[c.writer]
    assert marks[(writer.last_name, writer.first_name)] == ""
    page = html.unescape(build_report(c.course, A).read_text("utf-8"))
    assert "à corriger" in page and "formgrader" in page


@pytest.mark.slow
def test_a_teachers_manual_grade_and_comment_reach_exports_and_feedback(etude):
    c = etude
    with Gradebook(c.course.db_url, c.course.course_id) as gb:  # as the formgrader saves them
        for q, score in (("crise_2011", 2.0), ("organisation", 3.5)):
            g = gb.find_grade(f"{ETUDE}-{q}", A, A, c.writer)
            g.manual_score = score
            g.needs_manual_grade = False
            comment = gb.find_comment(f"{ETUDE}-{q}", A, A, c.writer)
            comment.manual_comment = f"Bonne analyse, mais citez l'annexe ({q})."
        gb.db.commit()
    assert run("export", c.root, A, "--format", "notes").exit_code == 0
    rows = {r["student_id"]: r for r in read_csv(c.root / "exports" / f"{A}_grades.csv")}
    mine = rows[c.writer]
    assert mine["status"] == "corrigée"
    assert float(mine[f"{ETUDE}/crise_2011"]) == 2.0 and float(mine[f"{ETUDE}/organisation"]) == 3.5
    assert float(mine["score"]) == c.auto_points + 5.5
    feedback_pages(c.course, A)
    page = html.unescape((c.root / "feedback" / c.writer / A / f"{A}.html").read_text("utf-8"))
    # the page is set in French typography: compare with spaces and apostrophes as typed
    page = page.replace("\u202f", " ").replace("\u00a0", " ").replace("’", "'")
    assert "Bonne analyse, mais citez l'annexe (crise_2011)." in page
    assert "3,5 / 4" in page and "2 / 3" in page
    assert ANSWER in page
    assert "community manager est en congé" in page  # the model answer, after grading
    assert "Barème" in page


@pytest.mark.slow
def test_answer_keys_for_the_grader_and_for_the_teacher(etude):
    c = etude
    assert not [r for r in c.key if r["question"].endswith(WRITTEN)]
    key = (c.root / "exports" / f"{A}_corrige_redige.md").read_text("utf-8")
    assert key.count("**Barème**") == 2
    assert "community manager est en congé" in key
    for student in c.rows:
        assert student in key  # the second model answer quotes each student's numbers


@pytest.mark.slow
def test_each_student_gets_their_tables_as_csv_and_xlsx(etude):
    c = etude
    for student in c.rows:
        folder = c.course.per_student_notebook(student, A).parent
        for ex_id, table in ((ETUDE, "tranches"), (CASE, "enquete")):
            expected = student_variant(find_exercise(ex_id), c.course.secret, A, student).params[table]
            stem = folder / f"{ex_id}_{table}"
            raw = stem.with_suffix(".csv").read_bytes()
            assert raw.startswith("\ufeff".encode()) and b";" in raw.splitlines()[0]
            pd.testing.assert_frame_equal(spreadsheets.read_csv(stem.with_suffix(".csv")), expected)
            pd.testing.assert_frame_equal(pd.read_excel(stem.with_suffix(".xlsx")), expected)
            assert load_workbook(stem.with_suffix(".xlsx")).sheetnames == [table]
        nb = c.released(student)
        statement = next(cell.source for cell in nb.cells if f"`{ETUDE}_tranches.csv`" in cell.source)
        assert "vous pouvez répondre avec un tableur" in statement
    # the archives for the ENT hand each student their own folder, tables included
    folders = personal_notebooks(c.course, A)
    target, _ = build_archives(c.course, A, folders)
    for student in c.rows:
        archive = next(target.rglob(f"*({student}).zip"))
        with zipfile.ZipFile(archive) as zf:
            name = f"{A}/{ETUDE}_tranches.csv"
            mine = c.course.per_student_notebook(student, A).parent / f"{ETUDE}_tranches.csv"
            assert zf.read(name) == mine.read_bytes()
            assert f"{A}/{CASE}_enquete.xlsx" in zf.namelist()


def test_every_case_studys_table_reads_back_from_csv_and_xlsx(tmp_path):
    """What a spreadsheet student opens is the data set of the variant, for every case study."""
    cases = [ex for ex in load_catalogue().values() if spreadsheets.tables(preview_variant(ex, 0))]
    assert len(cases) >= 16  # the 8 pandas cases and the 8 documentary case studies
    for ex in cases:
        variant = preview_variant(ex, 1)
        files = spreadsheets.data_files({ex.id: variant})
        for name, frame in spreadsheets.tables(variant).items():
            stem = tmp_path / spreadsheets.file_stem(ex.id, name)
            write_atomic(stem.with_suffix(".csv"), files[f"{stem.name}.csv"])
            write_atomic(stem.with_suffix(".xlsx"), files[f"{stem.name}.xlsx"])
            pd.testing.assert_frame_equal(spreadsheets.read_csv(stem.with_suffix(".csv")), frame, obj=ex.id)
            pd.testing.assert_frame_equal(pd.read_excel(stem.with_suffix(".xlsx")), frame, obj=ex.id)
        notice = spreadsheets.spreadsheet_notice(variant)
        assert "vous pouvez répondre avec un tableur" in notice and f"{ex.id}_" in notice


@pytest.mark.slow
def test_a_newcomer_gets_tables_and_model_answers(tmp_path):
    root = new_course(tmp_path, 2, {A: [ETUDE]})
    result = run("roster", "add", root, "--nom", "Nouvelle", "--prenom", "Élise", "--classe", "1STMG2")
    assert result.exit_code == 0, result.output
    course = Class(root, A).course
    folder = course.per_student_notebook("nouvelle.elise", A).parent
    expected = student_variant(find_exercise(ETUDE), course.secret, A, "nouvelle.elise").params["tranches"]
    pd.testing.assert_frame_equal(spreadsheets.read_csv(folder / f"{ETUDE}_tranches.csv"), expected)
    pd.testing.assert_frame_equal(pd.read_excel(folder / f"{ETUDE}_tranches.xlsx"), expected)
    key = (root / "exports" / f"{A}_corrige_redige.md").read_text("utf-8")
    assert "nouvelle.elise" in key and "eleve001" in key
