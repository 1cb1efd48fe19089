"""Does every exercise about a real brand say when its numbers are invented, wherever it is shown?"""

import pytest

from generators.authoring import render
from generators.authoring.catalogue import load_catalogue
from generators.authoring.variants import preview_variant, student_variant
from generators.book.selfcheck import self_check_data
from generators.classroom.roster import Student
from tests.test_notebook import personalise, plan_slots, source_notebook

CATALOGUE = load_catalogue()
BRANDED = sorted(ex_id for ex_id, ex in CATALOGUE.items() if ex.brand)
NOTICE = "Données fictives"


@pytest.mark.parametrize("exercise_id", BRANDED)
def test_an_exercise_about_a_brand_declares_invented_data_or_a_source(exercise_id):
    ex = CATALOGUE[exercise_id]
    assert ex.fictional_data or ex.data_source, (
        f"{exercise_id} : ajoutez fictional_data: true, ou data_source si les chiffres sont réels"
    )


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_the_notice_opens_the_statement_once_exactly_when_data_are_invented(exercise_id):
    ex = CATALOGUE[exercise_id]
    text = render.statement(preview_variant(ex, 0))
    assert text.count(NOTICE) == (1 if ex.fictional_data else 0)
    if ex.fictional_data:
        assert text.startswith(f"> **{NOTICE}.**")
        if ex.brand:
            assert f"la marque {ex.brand}" in text.split("\n\n")[0]


def test_the_notice_reaches_the_notebook_the_book_and_the_preview():
    ex = CATALOGUE["kpi-tcam"]
    assert ex.fictional_data
    slots = plan_slots([ex])
    variant = student_variant(ex, "secret", "devoir-1", "eleve001")
    source = source_notebook("devoir-1", [ex], slots)
    student = Student("eleve001", "Roux", "Zoé")
    notebook = personalise(source, student, {ex.id: variant}, [ex], slots)
    assert sum(cell.source.count(NOTICE) for cell in notebook.cells) == 1
    book = self_check_data(ex)
    assert all(NOTICE in v["statement"] for v in book["variants"])
    assert render.preview_text(preview_variant(ex, 1)).count(NOTICE) == 1


def test_a_whole_number_answer_asks_for_the_unit_not_zero_decimals():
    ex = CATALOGUE["cas-virgin-mobile-influenceurs"]
    q = next(q for q in ex.questions if q.decimals == 0)
    text = render.prompt(preview_variant(ex, 0), q, 1)
    assert "0 décimale" not in text
    assert "à l’unité" in text
