"""Every number question says how to round, and a value rounded too early is « Presque »,
in the book's self-checks as in the graded notebook's feedback (issue #12)."""

from __future__ import annotations

import re

import pytest
import yaml

from generators.authoring.catalogue import find_exercise, load_catalogue, load_exercise
from generators.authoring.rounding import is_near_miss, near_values, tolerance_agrees
from generators.authoring.variants import student_variant
from generators.book.selfcheck import self_check_data
from generators.errors import MercatiqueError
from generators.grading.verdicts import CORRECT, MISTAKE, WRONG, judge

SELF_CHECKS = list(load_catalogue().values())  # every exercise practises in the page


def stated_decimals(hint: str) -> int:
    """The precision a student reads in the page, parsed from the French sentence."""
    if "à l’unité" in hint or "à l'unité" in hint:
        return 0
    found = re.search(r"au moins (\d+)\W+décimales?", hint)
    assert found, hint
    return int(found.group(1))


def test_there_are_number_questions_to_check():
    numbers = [q for ex in SELF_CHECKS for q in ex.questions if q.kind == "number"]
    assert len(SELF_CHECKS) >= 40 and len(numbers) >= 60


@pytest.mark.parametrize("ex", SELF_CHECKS, ids=lambda ex: ex.id)
def test_every_number_question_of_every_variant_says_how_to_round(ex):
    """Precision stated in the page ⇔ tolerance: a value rounded as asked is accepted,
    so the tolerance is at least half a unit of the last decimal stated, and at most one
    unit (« au centième » ⇔ 0,005 ≤ tolérance ≤ 0,01)."""
    data = self_check_data(ex)
    for variant in data["variants"]:
        for q in variant["questions"]:
            if q["kind"] != "number":
                continue
            texts = data["rounding"][str(q["decimals"])]
            decimals = stated_decimals(texts["hint"])
            unit = 10.0**-decimals
            assert 0.5 * unit <= q["tolerance"] + 1e-12, (ex.id, q["id"], texts["hint"], q["tolerance"])
            assert q["tolerance"] <= unit + 1e-12, (ex.id, q["id"], texts["hint"], q["tolerance"])
            # the answer rounded as stated is right: its distance stays within the tolerance
            shown = round(q["answer"] + 1e-12, decimals)
            assert abs(shown - q["answer"]) <= q["tolerance"] + 1e-9, (ex.id, q["id"])
            if decimals:
                said = re.search(r"Presque\W+arrondissez .* \((\d+)\W+décimales?\)", texts["near"])
                assert said and int(said.group(1)) == decimals, texts["near"]


def test_precision_and_tolerance_agreement_rule():
    assert tolerance_agrees(2, 0.01) and tolerance_agrees(2, 0.005) and tolerance_agrees(0, 1)
    assert not tolerance_agrees(2, 0.1) and not tolerance_agrees(2, 0.001)


def test_near_values_are_earlier_roundings_outside_the_tolerance():
    # the examples, by hand: 46,875 € at 2 decimals, 3,38 %, an NPS of 39,2 at 1
    assert 46.9 in near_values(46.875, 2, 0.01) and 47 in near_values(46.875, 2, 0.01)
    assert 46.8 in near_values(46.875, 2, 0.01)  # cut rather than rounded: still « Presque »
    assert 3.4 in near_values(3.38, 2, 0.01)
    assert near_values(39.2, 1, 0.1) == [39]
    assert 40 not in near_values(39.2, 1, 0.1)  # not a rounding of 39,2
    assert near_values(46.875, 0, 1) == []  # asked to the unit: nothing is « too early »
    assert is_near_miss(-2.3, -2.345, 2, 0.01) and not is_near_miss(-2.4, -2.345, 2, 0.01)


EX = find_exercise("fnac-campagne-emailing")
V = student_variant(EX, "secret", "devoir-1", "eleve001")


def report(value):
    return {"variable": "x", "defini": True, "nombre": value, "texte": repr(value)}


def test_graded_feedback_says_presque_without_changing_the_grade():
    q = V.question("cpl")
    exact = V.params["budget"] / V.params["leads"]
    early = round(exact, 1)
    assert abs(early - exact) > 0.01  # this variant's CPL is not already a tenth
    verdict = judge(V, q, report(early))
    assert (verdict.status, verdict.points) == (WRONG, 0)
    assert verdict.message.startswith("Presque : arrondissez au centième (2 décimales)")
    assert judge(V, q, report(round(exact, 2))).status == CORRECT
    assert "Presque" not in judge(V, q, report(exact + 3)).message


def test_typical_mistake_comes_before_presque():
    q = V.question("conversion")
    forgot_100 = V.params["commandes"] / V.params["leads"]  # the ratio, not the percentage
    verdict = judge(V, q, report(forgot_100))
    assert verdict.status == MISTAKE and "multiplier par 100" in verdict.message


def test_a_tolerance_that_contradicts_the_stated_precision_stops_the_exercise(exercise_copy):
    folder = exercise_copy()
    path = folder / "exercise.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"][0].update(decimals=2, tolerance=0.5)  # « au centième » but ±0,5 accepted
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(MercatiqueError) as caught:
        load_exercise(folder)
    message = str(caught.value)
    assert "questions[0].tolerance" in message and "entre 0.005 et 0.01" in message
    data["questions"][0].update(tolerance=0.005)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_exercise(folder).questions[0].abs_tolerance == 0.005
