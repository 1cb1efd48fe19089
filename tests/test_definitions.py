"""Do the exercises use the formula sheet's definitions: same KPI names, same bases, same interactions?

The sheet (book/formulaire-kpi.md) is the reference a student revises from: its tables are
parsed here, and every question that declares `kpi:` is checked against them.
"""

import re
from pathlib import Path

import pandas as pd
import pytest

from generators.authoring import render
from generators.authoring.catalogue import load_catalogue
from generators.authoring.variants import preview_variant

SHEET = Path(__file__).resolve().parents[1] / "book" / "formulaire-kpi.md"
CATALOGUE = load_catalogue()
ENGAGEMENT = "Taux d'engagement (réseaux sociaux)"
# how each interaction the sheet names is called in the exercises' data
INTERACTION_COLUMNS = {
    "« J'aime »": "likes",
    "commentaires": "commentaires",
    "partages": "partages",
    "enregistrements": "enregistrements",
}
# the base a prompt states, and the variable its denominator must use
ENGAGEMENT_BASES = {"portée": "portee", "abonnés": "abonnes", "fans": "fans", "impressions": "impressions"}


def tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table of the page, as rows of cells (separator lines dropped)."""
    found, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


TABLES = tables(SHEET.read_text(encoding="utf-8"))
BASES_TABLE = next(t for t in TABLES if t[0][1] == "Base retenue dans ce livre")
DEFINED = {row[0] for t in TABLES if t is not BASES_TABLE for row in t[1:]}
BASES = {
    row[0]: {w.lower() for w in re.findall(r"\*\*(.+?)\*\*", row[1] + row[2])} for row in BASES_TABLE[1:]
}
QUESTIONS = [(ex, q) for ex in CATALOGUE.values() for q in ex.questions if q.kpi]


def ids(pairs):
    return [f"{ex.id}/{q.id}" for ex, q in pairs]


def test_the_sheet_defines_every_kpi_of_its_bases_table_and_many_questions_name_one():
    assert set(BASES) <= DEFINED, set(BASES) - DEFINED
    assert len(QUESTIONS) >= 35


@pytest.mark.parametrize("ex, q", QUESTIONS, ids=ids(QUESTIONS))
def test_a_question_names_a_kpi_of_the_sheet_and_states_its_base(ex, q):
    assert q.kpi in DEFINED, f"{q.kpi} n'est pas une ligne du formulaire"
    if q.kpi not in BASES:
        return
    for seed in range(5):
        prompt = render.prompt(preview_variant(ex, seed), q, 1).lower()
        assert any(word in prompt for word in BASES[q.kpi]), (prompt, BASES[q.kpi])


def sheet_interactions() -> set[str]:
    sentence = next(
        line for line in SHEET.read_text(encoding="utf-8").splitlines() if line.startswith("Les interactions")
    )
    return {column for name, column in INTERACTION_COLUMNS.items() if name in sentence}


ENGAGEMENT_QUESTIONS = [(ex, q) for ex, q in QUESTIONS if q.kpi == ENGAGEMENT]


def test_the_sheet_counts_the_four_interactions_and_several_exercises_compute_engagement():
    assert sheet_interactions() == set(INTERACTION_COLUMNS.values())
    assert len({ex.id for ex, _ in ENGAGEMENT_QUESTIONS}) >= 5


def available_names(variant) -> set[str]:
    """Parameter names and data-set columns the student is given."""
    names = set()
    for name in variant.exercise.given:
        value = variant.params[name]
        names |= set(value.columns) if isinstance(value, pd.DataFrame) else {name}
    return names


@pytest.mark.parametrize("ex, q", ENGAGEMENT_QUESTIONS, ids=ids(ENGAGEMENT_QUESTIONS))
def test_engagement_adds_every_interaction_given_and_divides_by_the_stated_base(ex, q):
    variant = preview_variant(ex, 0)
    tokens = set(re.findall(r"[a-z_]+", q.answer))
    given = {name.split("_", 1)[-1] for name in available_names(variant)} | available_names(variant)
    counted = sheet_interactions() & given
    if counted:  # the data list interactions one by one: each must be added
        assert counted <= tokens, f"interactions oubliées : {counted - tokens}"
    assert not {"clics", "clics_boutique"} & tokens, "un clic n'est pas une interaction"
    prompt = render.prompt(variant, q, 1).lower()
    stated = [base for base in ENGAGEMENT_BASES if base in prompt]
    assert len(stated) == 1, f"la base doit être annoncée, une seule fois : {stated}"
    denominator = q.answer.rsplit("/", 1)[1]
    assert ENGAGEMENT_BASES[stated[0]] in denominator, (stated, q.answer)
