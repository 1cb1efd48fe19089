"""Does every template of the catalogue survive the stress test?

The full 1,000-seed run is marked slow; the fast suite runs 100 seeds.
"""

from dataclasses import replace

import pytest

from generators.catalogue import load_catalogue
from generators.stress import check_variant, max_shared_pairs, stress_test
from generators.variants import preview_variant

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
