"""Printable worksheets: each student's own numbers on paper, the class in one print job, the key.

The numbers expected in the PDFs are read from what `assign` wrote (each student's
notebook and the answer key CSV) or from the book's self-check data, formatted by
generators/formatting: never from the worksheet code itself.
"""

from __future__ import annotations

import ast
import io
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from generators.authoring import formatting
from generators.authoring.catalogue import find_exercise
from generators.book.selfcheck import self_check_data
from generators.classroom.course import open_course
from tests.helpers import read_csv, run

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils manquant")

A = "devoir-fiches"
EXERCISES = ["kpi-cpc-ctr-recherche", "cas-virgin-mobile-influenceurs", "cas-hertz-nps", "concept-rgpd"]
# the class list's order on purpose neither alphabetical nor by id nor by class
ROSTER = """id,last_name,first_name,email,group
eleve003,Roux,Zoé,zoe@lycee.example,1STMG2
eleve001,André,Hugo,hugo@lycee.example,1STMG1
eleve004,Bernard,Léa,lea@lycee.example,1STMG2
eleve002,Müller,Théo,theo@lycee.example,1STMG1
"""
ORDER = {"1STMG2": ["eleve003", "eleve004"], "1STMG1": ["eleve001", "eleve002"]}
NAMES = {
    "eleve003": "ROUX Zoé", "eleve001": "ANDRÉ Hugo", "eleve004": "BERNARD Léa", "eleve002": "MÜLLER Théo"
}


def text(pdf: Path, page: int | None = None) -> str:
    """The PDF's text as pdftotext reads it, every kind of space made a plain one."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True)
    return re.sub(r"[\s\u00a0\u202f]+", " ", out.stdout)


def pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return [text(pdf, i) for i in range(1, count + 1)]


def plain(value: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", value)


def given_values(notebook: Path) -> dict[str, dict[str, object]]:
    """Exercise -> {name: value} from the student's data cells (the numbers they compute with)."""
    nb = nbformat.read(notebook, as_version=4)
    found: dict[str, dict[str, object]] = {}
    for cell in nb.cells:
        meta = cell.metadata.get("mercatique", {})
        if meta.get("role") != "given":
            continue
        values = found.setdefault(meta["exercise"], {})
        for node in ast.parse(cell.source).body:
            if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
                continue
            name = node.targets[0].id
            if isinstance(node.value, ast.Constant):
                values[name] = node.value.value
            elif isinstance(node.value, ast.Call):  # pd.read_csv(io.StringIO('...'))
                csv_text = node.value.args[0].args[0].value
                values[name] = pd.read_csv(io.StringIO(csv_text))
    return found


def french_forms(value) -> list[str]:
    """The ways the course writes a number (statement filters), as pdftotext gives them."""
    forms = [formatting.number(value), formatting.euros(value), formatting.percent(value)]
    forms += [formatting.number(value, 2), formatting.euros(value, 2)]
    return [plain(f) for f in forms]


def expected_forms(row: dict[str, str]) -> str:
    """The answer key's expected value written as the exercise's unit says."""
    value = ast.literal_eval(row["expected"])
    if isinstance(value, str):
        return value
    q = find_exercise(row["exercise"]).questions
    q = next(q for q in q if q.id == row["question"].split("/")[-1])
    decimals, unit = q.decimals, q.unit
    if unit == "%":
        return plain(formatting.percent(value, decimals))
    if unit == "€":
        return plain(formatting.euros(value, decimals))
    if unit == "points":
        return plain(formatting.points(formatting.round_half_up(value, decimals)))
    return plain(formatting.number(formatting.round_half_up(value, decimals)))


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    base = tmp_path_factory.mktemp("fiches")
    roster = base / "classe.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    root = base / "cours"
    assert run("init", root, "--roster", roster).exit_code == 0
    result = run("assign", root, A, *EXERCISES, "--date-limite", "2026-12-04 18:00")
    assert result.exit_code == 0, result.output
    result = run("sheet", root, A, "--titre", "Devoir n° 3 : indicateurs")
    assert result.exit_code == 0, result.output
    return root, root / "exports" / "fiches" / A


@pytest.mark.slow
def test_each_student_sheet_has_the_numbers_of_their_notebook(printed):
    root, folder = printed
    course = open_course(root)
    for group, ids in ORDER.items():
        for sid in ids:
            [pdf] = (folder / group).glob(f"* ({sid}).pdf")
            content = text(pdf)
            assert NAMES[sid].split()[0] in content and group in content
            assert "Devoir n° 3 : indicateurs" in content and "4 décembre 2026" in content
            for exercise, values in given_values(course.per_student_notebook(sid, A)).items():
                for name, value in values.items():
                    if isinstance(value, pd.DataFrame):
                        # the whole table, in place or as an annex
                        assert f"({formatting.number(len(value))} lignes)" in content.replace("\u202f", " ")
                        for cell in value.iloc[-1].tolist():
                            shown = cell if isinstance(cell, str) else plain(formatting.number(cell))
                            assert shown in content, (exercise, name, cell)
                    elif isinstance(value, str):
                        assert value in content
                    else:
                        assert any(f in content for f in french_forms(value)), (sid, exercise, name, value)
            # the answers are not on a student's sheet
            rows = [r for r in read_csv(root / "exports" / f"{A}_answer_key.csv") if r["student_id"] == sid]
            first = rows[0]
            assert expected_forms(first) not in content


@pytest.mark.slow
def test_class_pdf_is_in_class_list_order_one_student_from_an_odd_page(printed):
    _, folder = printed
    for group, ids in ORDER.items():
        content = pages(folder / f"{A} - {group}.pdf")
        starts = [i for i, page in enumerate(content) if "Identifiant" in page and "Prénom" in page]
        owners = [next(sid for sid in ids if sid in content[i]) for i in starts]
        assert owners == ids
        assert all(i % 2 == 0 for i in starts)  # page 1, 3, 5…: duplex never mixes two students
        for i, page in enumerate(content):
            if i not in starts and "Page laissée blanche" not in page:
                # every other page carries its student's name in the running header
                owner = owners[max(k for k, s in enumerate(starts) if s <= i)]
                assert NAMES[owner] in page
    assert not (folder / f"{A} - tous les élèves.pdf").exists()


@pytest.mark.slow
def test_teacher_pdf_has_every_expected_answer_one_student_a_page(printed):
    root, folder = printed
    content = pages(folder / f"{A} - corrigé.pdf")
    key = read_csv(root / "exports" / f"{A}_answer_key.csv")
    starts = {sid: min(i for i, p in enumerate(content) if f"Corrigé – {NAMES[sid]}" in p) for sid in NAMES}
    ordered = sorted(starts, key=starts.get)
    assert ordered == ["eleve003", "eleve001", "eleve004", "eleve002"]  # the class list's order
    bounds = [*sorted(starts.values()), len(content)]
    for sid, first in starts.items():
        end = bounds[bounds.index(first) + 1]
        section = " ".join(content[first:end])
        assert section.count("Corrigé – ") >= 1
        for row in (r for r in key if r["student_id"] == sid):
            expected = expected_forms(row)
            needle = f"{expected} (" if len(expected) == 1 else expected
            assert needle in section, (sid, row["question"], expected)


@pytest.mark.slow
def test_a_page_is_drawn_not_blank(printed, tmp_path):
    from PIL import Image

    _, folder = printed
    [pdf] = (folder / "1STMG1").glob("*eleve001*.pdf")
    command = ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")]
    subprocess.run(command, check=True)
    [png] = tmp_path.glob("p*.png")
    image = Image.open(png).convert("L")
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert image.size[1] > image.size[0] * 1.3  # portrait A4
    assert dark > 0.01 * image.size[0] * image.size[1]


@pytest.mark.slow
def test_bad_inputs_give_a_french_error_and_write_nothing(printed, tmp_path):
    root, folder = printed
    result = run("sheet", root, "devoir-inconnu")
    assert result.exit_code == 2 and "devoir inconnu" in result.output
    result = run("sheet", root)
    assert result.exit_code == 2 and "indiquez le dossier du cours et le devoir" in result.output
    result = run("sheet", root, "../x")
    assert result.exit_code == 2 and "nom de devoir" in result.output
    assert not (root / "exports" / "fiches" / "devoir-inconnu").exists()

    # a copy of the course whose gradebook lost its students
    from nbgrader.api import Gradebook

    empty = tmp_path / "vide"
    shutil.copytree(root, empty)
    course = open_course(empty)
    with Gradebook(course.db_url, course.course_id) as gb:
        for student in [s.id for s in gb.students]:
            gb.remove_student(student)
    result = run("sheet", empty, A)
    assert result.exit_code == 2 and "aucun élève" in result.output


def test_without_a_course_draw_n_is_the_books_self_check_n(tmp_path):
    ex = find_exercise("kpi-cpc-ctr-recherche")
    out = tmp_path / "fiches"
    result = run("sheet", "--exercices", ex.id, "concept-rgpd", "--graine", "2", "--nombre", "2",
                 "--sortie", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    book = self_check_data(ex)["variants"]  # BOOK_SEEDS 1, 2, 3…: draw n is variants[n - 1]
    key = pages(out / "corrigé.pdf")
    for draw in (2, 3):
        section = " ".join(p for p in key if f"Tirage n° {draw}" in p)
        for q in book[draw - 1]["questions"]:
            assert plain(q["expected"]) in section
    sheets = " ".join(pages(out / "fiches.pdf"))
    assert "Tirage n° 2" in sheets and "Tirage n° 3" in sheets and "Tirage n° 1 " not in sheets


def test_without_a_course_bad_input_gives_a_french_error(tmp_path):
    result = run("sheet", "--exercices", "exercice-qui-n-existe-pas", "--sortie", tmp_path / "f")
    assert result.exit_code == 2 and "Erreur" in result.output
    result = run("sheet", "--exercices", "--sortie", tmp_path / "f")
    assert result.exit_code == 2 and "au moins un exercice" in result.output
    result = run("sheet", "--exercices", "kpi-nps", "--nombre", "0")
    assert result.exit_code == 2
    assert not (tmp_path / "f").exists()


@pytest.mark.slow
def test_a_failing_run_leaves_the_previous_sheets(printed, monkeypatch):
    from generators.outputs import worksheet

    root, folder = printed
    before = {p: p.read_bytes() for p in folder.rglob("*.pdf")}
    calls = []

    def broken(self, html):
        calls.append(html)
        if len(calls) == 2:
            raise RuntimeError("panne au milieu de la classe")
        return original(self, html)

    original = worksheet.Printer.render
    monkeypatch.setattr(worksheet.Printer, "render", broken)
    with pytest.raises(RuntimeError):
        worksheet.course_sheets(open_course(root), A, title="Autre titre")
    assert {p: p.read_bytes() for p in folder.rglob("*.pdf")} == before
    assert [p.name for p in folder.parent.iterdir()] == [A]  # no half-built folder left beside it
