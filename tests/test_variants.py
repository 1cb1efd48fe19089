"""Is a variant a pure function of its key, coherent, and different from a classmate's?"""

from functools import cache

import pytest

from generators.authoring.catalogue import load_catalogue
from generators.authoring.variants import student_variant

CATALOGUE = load_catalogue()


@cache
def class_of_35(exercise_id: str) -> tuple:
    """The variants of one class, drawn once and shared by the anti-copy tests."""
    ex = CATALOGUE[exercise_id]
    return tuple(student_variant(ex, "secret", "devoir-1", f"eleve{i:03d}") for i in range(35))


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_same_inputs_same_numbers(exercise_id):
    ex = CATALOGUE[exercise_id]
    a = student_variant(ex, "secret", "devoir-1", "eleve001")
    b = student_variant(ex, "secret", "devoir-1", "eleve001")
    assert a.fingerprint() == b.fingerprint()
    assert a.answers == b.answers and a.options == b.options


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_classmates_rarely_share_numbers(exercise_id):
    ex = CATALOGUE[exercise_id]
    variants = class_of_35(exercise_id)
    if all(q.kind == "choice" for q in ex.questions):
        # a concept question draws from a pool of a few dozen situations: the situation
        # and the order of the options together must still differ for nearly everyone
        drawn = {(v.fingerprint(), tuple(sorted(v.answers.items()))) for v in variants}
        assert len(drawn) >= 30
    else:
        assert len({v.fingerprint() for v in variants}) >= 34


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_a_copied_letter_is_wrong_for_most_classmates(exercise_id):
    ex = CATALOGUE[exercise_id]
    variants = class_of_35(exercise_id)
    for q in ex.questions:
        if q.kind == "choice":
            letters = [v.answers[q.id] for v in variants]
            same = sum(a == b for i, a in enumerate(letters) for b in letters[i + 1 :])
            assert same <= 0.5 * 595, (q.id, same)


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_classmates_rarely_share_an_answer(exercise_id):
    """A copied answer must be wrong for nearly every classmate (35 students: 595 pairs, 1 % shared)."""
    ex = CATALOGUE[exercise_id]
    variants = class_of_35(exercise_id)
    for q in ex.questions:
        if q.kind != "number":
            continue
        answers = [v.answers[q.id] for v in variants]
        shared = sum(abs(a - b) <= q.abs_tolerance for i, a in enumerate(answers) for b in answers[i + 1 :])
        assert shared <= 6, (q.id, shared)


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_other_secret_or_assignment_changes_numbers(exercise_id):
    ex = CATALOGUE[exercise_id]
    base = student_variant(ex, "secret", "devoir-1", "eleve001").fingerprint()
    assert student_variant(ex, "autre", "devoir-1", "eleve001").fingerprint() != base
    assert student_variant(ex, "secret", "devoir-2", "eleve001").fingerprint() != base
