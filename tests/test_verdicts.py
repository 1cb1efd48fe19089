"""Is a reported value judged against the student's own variant, as a French reader writes it?"""

from dataclasses import replace

import pytest

from generators.authoring.catalogue import find_exercise
from generators.authoring.variants import student_variant
from generators.grading.verdicts import (
    CORRECT,
    INVALID,
    MISSING,
    MISTAKE,
    WRONG,
    feedback_text,
    judge,
    malformed,
    rejected,
)

EX = find_exercise("fnac-campagne-emailing")
V = student_variant(EX, "secret", "devoir-1", "eleve001")
CPL = V.question("cpl")
CONVERSION = V.question("conversion")
CHOICE = V.question("indicateur")


def report(value=None, text=None, defined=True, variable="cout_par_lead"):
    return {
        "variable": variable,
        "defini": defined,
        "nombre": value,
        "texte": text if text is not None else repr(value),
    }


def test_exact_and_rounded_numbers_are_right():
    expected = V.params["budget"] / V.params["leads"]
    assert judge(V, CPL, report(expected)).status == CORRECT
    assert judge(V, CPL, report(round(expected, 2))).points == CPL.points


def test_french_strings_are_read():
    expected = V.params["commandes"] / V.params["leads"] * 100
    french = f"{expected:.2f}".replace(".", ",") + " %"
    assert judge(V, CONVERSION, report(None, french)).status == CORRECT


def test_numpy_scalar_repr_is_read():
    expected = V.params["budget"] / V.params["leads"]
    assert judge(V, CPL, report(None, f"np.float64({expected!r})")).status == CORRECT


def test_typical_mistake_is_recognised_and_explained():
    cpa = V.params["budget"] / V.params["commandes"]
    verdict = judge(V, CPL, report(cpa))
    assert verdict.status == MISTAKE and verdict.points == 0
    assert "coût par acquisition" in verdict.message


def test_other_wrong_value_scores_zero():
    verdict = judge(V, CPL, report(V.answers["cpl"] + 5))
    assert (verdict.status, verdict.points) == (WRONG, 0)


def test_missing_answers():
    assert judge(V, CPL, None).status == MISSING
    assert judge(V, CPL, report(defined=False, text="Ellipsis")).status == MISSING
    assert judge(V, CPL, report(None, "Ellipsis")).status == MISSING


def test_unreadable_answer():
    assert judge(V, CPL, report(None, "'environ dix euros'")).status == INVALID


@pytest.mark.parametrize("written", ["{}", "{} ", "{}.", "{})"])
def test_choice_letter_in_any_case(written):
    right = V.answers["indicateur"]
    for letter in (right, right.lower()):
        verdict = judge(V, CHOICE, report(None, written.format(letter), variable="choix_indicateur"))
        assert verdict.status == CORRECT


def test_wrong_choice_shows_why():
    wrong = next(o for o in V.options["indicateur"] if not o.correct)
    verdict = judge(V, CHOICE, report(None, wrong.letter, variable="choix_indicateur"))
    assert verdict.points == 0 and wrong.explanation in verdict.message


def test_the_classmates_answer_is_wrong_for_me():
    other = student_variant(EX, "secret", "devoir-1", "eleve002")
    assert judge(V, CPL, report(other.answers["cpl"])).points == 0


@pytest.mark.parametrize(
    "number", [1e308, 10**400, float("nan"), float("inf"), -float("inf"), True, [1, 2], {"a": 1}]
)
def test_absurd_numbers_are_unreadable_not_a_crash(number):
    verdict = judge(V, CPL, {"variable": "cout_par_lead", "defini": True, "nombre": number, "texte": "x"})
    assert (verdict.status, verdict.points) == (INVALID, 0)
    assert verdict.message.startswith("Réponse illisible")


@pytest.mark.parametrize("text", [{"a": [1]}, ["C"], 12, None, "9" * 5000, "1e400", "nan"])
def test_forged_texts_are_unreadable_not_a_crash(text):
    for q in (CPL, CHOICE):
        verdict = judge(V, q, {"variable": q.variable, "defini": True, "nombre": None, "texte": text})
        assert verdict.points == 0 and verdict.status in (INVALID, MISSING)


@pytest.mark.parametrize(
    ("report", "fault"),
    [
        ("bonjour", "forme attendue"),
        (["cout_par_lead"], "forme attendue"),
        ({"variable": "autre", "defini": True, "nombre": 1, "texte": "1"}, "ne concerne pas"),
        ({"variable": {"x": 1}, "defini": True, "nombre": 1, "texte": "1"}, "ne concerne pas"),
        ({"variable": "cout_par_lead", "defini": "oui", "nombre": 1, "texte": "1"}, "forme attendue"),
        ({"variable": "cout_par_lead", "defini": True, "nombre": [1], "texte": "1"}, "forme attendue"),
        ({"variable": "cout_par_lead", "defini": True, "nombre": 1, "texte": {"a": 1}}, "forme attendue"),
    ],
)
def test_malformed_reports_are_named_in_french(report, fault):
    reason = malformed(report, "cout_par_lead")
    assert reason and fault in reason
    verdict = rejected(V, CPL, reason)
    assert verdict.points == 0 and verdict.message.startswith("Réponse non notée :")


def test_a_well_formed_report_is_not_malformed():
    assert malformed(report(12.5), "cout_par_lead") is None
    assert malformed(report(None, "12,5 %"), "cout_par_lead") is None


def test_an_answer_left_as_ellipsis_is_no_answer_not_a_deleted_cell():
    verdict = judge(V, CPL, report(None, "Ellipsis"))
    assert verdict.status == MISSING and "laissé `...`" in verdict.message


def test_a_contradicting_unit_is_wrong_and_explained_as_the_book_does():
    """The right number in percent for a question in euros: wrong, with the book's words,
    set in French typography; the student's answer is shown as typed."""
    right = f"{V.answers['cpl']:.2f}".replace(".", ",")
    verdict = judge(V, CPL, report(None, f"{right} pour cent"))
    assert (verdict.status, verdict.points) == (WRONG, 0)
    lines = feedback_text(verdict).splitlines()
    assert lines[0] == (
        "✘ Unité incohérente\u00a0: vous avez écrit un pourcentage, la réponse attendue est en euros (€)."
    )
    assert lines[2] == f"Votre réponse\u00a0: {right} pour cent"
    assert lines[3].startswith("Réponse attendue\u00a0: ") and lines[3].endswith("\u00a0€")


def test_a_point_and_a_comma_ask_for_a_plain_number():
    verdict = judge(V, CPL, report(None, "1.250,5"))
    assert (verdict.status, verdict.points) == (INVALID, 0)
    assert "sans point entre les milliers, avec une virgule pour les décimales" in verdict.message
    assert '"1250,5"' in verdict.message  # quoted: 1250,5 unquoted is a tuple in Python


def test_a_right_answer_in_words_and_with_a_minus_sign_is_read():
    rate = f"{V.answers['conversion']:.2f}".replace(".", ",")
    assert judge(V, CONVERSION, report(None, f"« {rate} pour cent »")).status == CORRECT
    negative = replace(V, answers={**V.answers, "cpl": -V.answers["cpl"]})
    cost = f"{V.answers['cpl']:.2f}".replace(".", ",")
    assert judge(negative, CPL, report(None, f"\u2212{cost} €")).status == CORRECT
