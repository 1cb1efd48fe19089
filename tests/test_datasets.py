"""Are case-study data sets reproducible, coherent, and handed to the student intact?"""

import pandas as pd
import pytest

from generators import datasets
from generators.catalogue import load_catalogue
from generators.errors import MercatiqueError
from generators.render import given_code
from generators.rng import Stream, derive_key
from generators.variants import student_variant

CASES = [ex for ex in load_catalogue().values() if any("dataset" in p for p in ex.parameters.values())]


@pytest.mark.parametrize("name", datasets.names())
def test_same_key_same_table(name):
    key = derive_key("secret", "devoir", "eleve001", name)
    a = datasets.build(name, Stream(key), {}, {})
    b = datasets.build(name, Stream(key), {}, {})
    pd.testing.assert_frame_equal(a, b)
    assert len(a) >= 20
    other = datasets.build(name, Stream(derive_key("secret", "devoir", "eleve002", name)), {}, {})
    assert not a.equals(other)


@pytest.mark.parametrize("exercise_id", [ex.id for ex in CASES])
def test_notebook_cell_rebuilds_the_exact_table(exercise_id):
    """The student computes on the very table the grader recomputes."""
    ex = load_catalogue()[exercise_id]
    variant = student_variant(ex, "secret", "devoir-1", "eleve007")
    namespace: dict = {}
    exec(given_code(variant), namespace)  # the code cell the student runs
    for name in ex.given:
        value = variant.params[name]
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(namespace[name], value)
        else:
            assert namespace[name] == value


def test_air_france_messages_are_coherent():
    table = datasets.build("air_france_messages", Stream(b"k"), {}, {"rows": 500})
    assert (table.delai_minutes >= 2).all()
    assert table.langue.nunique() == 9
    means = table.groupby("canal").delai_minutes.mean()
    assert means["X (Twitter)"] < means["LinkedIn"]


def test_unknown_dataset_is_named():
    with pytest.raises(MercatiqueError, match="jeu de données inconnu"):
        datasets.build("inexistant", Stream(b"k"), {}, {})
