"""Does every template of the catalogue survive the stress test?

The full 1,000-seed run is marked slow; the fast suite runs 100 seeds.
"""

from dataclasses import replace

import pytest

from generators.authoring.catalogue import load_catalogue
from generators.authoring.stress import check_variant, max_shared_pairs, stress_test
from generators.authoring.variants import preview_variant

CATALOGUE = load_catalogue()


def assert_sound(report):
    assert report.ok, report.failures
    limit = max_shared_pairs(report.class_size)
    assert all(n <= limit for n in report.shared_pairs.values()), report.shared_pairs


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_template_over_100_seeds(exercise_id):
    assert_sound(stress_test(CATALOGUE[exercise_id], seeds=100))


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_template_over_1000_seeds(exercise_id):
    assert_sound(stress_test(CATALOGUE[exercise_id], seeds=1000))


def test_the_checker_fails_on_a_broken_variant():
    """A mistake whose value is the right answer, or a parameter out of range, must be reported."""
    ex = CATALOGUE["fnac-campagne-emailing"]
    variant = preview_variant(ex, 3)
    assert check_variant(variant) == []
    first = variant.diagnoses["cpl"][0]
    same = type(first)(variant.answers["cpl"], first.explanation)
    broken = replace(variant, diagnoses={**variant.diagnoses, "cpl": (same,)})
    assert any("n'est pas reconnue" in p for p in check_variant(broken))
    out_of_range = replace(variant, params={**variant.params, "budget": 10**9})
    assert any("budget" in p and "hors de" in p for p in check_variant(out_of_range))


def test_a_right_option_that_a_second_criterion_contradicts_is_reported():
    """The CTOR case: the open rate picks subject A while B gets more clicks per delivered e-mail.

    Without the constraint that ties the two (and with CTORs drawn far apart), the stress
    test must report the draws where the declared `also` criterion disagrees.
    """
    ex = CATALOGUE["kpi-emailing-ctor"]
    assert_sound(stress_test(ex, seeds=200))
    loose = replace(
        ex,
        constraints=tuple(c for c in ex.constraints if "clics_a" not in c),
        parameters={**ex.parameters, "ecart_react": {"min": -9, "max": 9, "step": 0.001}},
    )
    report = stress_test(loose, seeds=200)
    assert any("meilleur_objet" in f and "contredit" in f for f in report.failures), report.failures


def test_every_option_derived_from_numbers_names_the_answer():
    """Over the stress seeds, the option whose condition holds is the expected answer."""
    derived = [
        (ex, q)
        for ex in CATALOGUE.values()
        for q in ex.questions
        if q.kind == "choice" and any(isinstance(o.correct, str) for o in q.options)
    ]
    assert len(derived) >= 15
    for ex, q in derived:
        for seed in range(50):
            variant = preview_variant(ex, seed)
            holding = [o for o in variant.options[q.id] if o.correct]
            assert [o.letter for o in holding] == [variant.answers[q.id]], (ex.id, q.id, seed)
            assert not [p for p in check_variant(variant) if p.startswith(q.id)], (ex.id, q.id, seed)
