"""Is a variant a pure function of its key, coherent, and different from a classmate's?"""

import math

import pytest

from generators.catalogue import load_catalogue
from generators.expressions import evaluate
from generators.variants import preview_variant, student_variant

CATALOGUE = load_catalogue()


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_same_inputs_same_numbers(exercise_id):
    ex = CATALOGUE[exercise_id]
    a = student_variant(ex, "secret", "devoir-1", "eleve001")
    b = student_variant(ex, "secret", "devoir-1", "eleve001")
    assert a.params == b.params and a.answers == b.answers and a.options == b.options


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_classmates_rarely_share_numbers(exercise_id):
    ex = CATALOGUE[exercise_id]
    given = {
        tuple(student_variant(ex, "secret", "devoir-1", f"eleve{i:03d}").params[n] for n in ex.given)
        for i in range(35)
    }
    assert len(given) >= 34


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_classmates_rarely_share_an_answer(exercise_id):
    """A copied answer must be wrong for nearly every classmate (35 students: 595 pairs, 1 % shared)."""
    ex = CATALOGUE[exercise_id]
    variants = [student_variant(ex, "secret", "devoir-1", f"eleve{i:03d}") for i in range(35)]
    for q in ex.questions:
        if q.kind != "number":
            continue
        answers = [v.answers[q.id] for v in variants]
        shared = sum(abs(a - b) <= q.abs_tolerance for i, a in enumerate(answers) for b in answers[i + 1 :])
        assert shared <= 6, (q.id, shared)


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_other_secret_or_assignment_changes_numbers(exercise_id):
    ex = CATALOGUE[exercise_id]
    base = student_variant(ex, "secret", "devoir-1", "eleve001").params
    assert student_variant(ex, "autre", "devoir-1", "eleve001").params != base
    assert student_variant(ex, "secret", "devoir-2", "eleve001").params != base


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_stress_constraints_ranges_and_mistakes_over_1000_seeds(exercise_id):
    ex = CATALOGUE[exercise_id]
    for seed in range(1000):
        v = preview_variant(ex, seed)
        for source in ex.constraints:
            assert evaluate(source, v.params), (seed, source)
        for name, spec in ex.parameters.items():
            if "min" in spec:
                assert spec["min"] <= v.params[name] <= spec["max"], (seed, name)
        for q in ex.questions:
            answer = v.answers[q.id]
            if q.kind == "number":
                assert math.isfinite(answer)
                if q.unit == "%":
                    assert 0 <= answer <= 100 or "croissance" in q.id, (seed, q.id, answer)
                for d in v.diagnoses[q.id]:
                    assert abs(d.value - answer) > q.abs_tolerance, (seed, q.id)
            else:
                assert [o.letter for o in v.options[q.id] if o.correct] == [answer]
