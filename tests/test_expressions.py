"""The formulas' shared steps (`evaluate(..., memo=...)`) give Jinja's values and refusals."""

import math

import pandas as pd
import pytest

from generators.authoring.catalogue import load_catalogue
from generators.authoring.expressions import FormulaError, evaluate
from generators.authoring.variants import preview_variant

CATALOGUE = load_catalogue()


def _formulas(ex) -> list[str]:
    found = [spec["formula"] for spec in ex.parameters.values() if "formula" in spec]
    found += list(ex.constraints)
    for q in ex.questions:
        if q.kind == "number":
            found += [q.answer, *(m.formula for m in q.mistakes)]
        for option in q.options if q.kind == "choice" else ():
            if isinstance(option.correct, str):
                found.append(option.correct)
    return found


def _outcome(source: str, context: dict, memo: dict | None):
    try:
        value = evaluate(source, context, memo)
    except (FormulaError, ZeroDivisionError) as exc:
        return type(exc).__name__, str(exc)
    if isinstance(value, pd.Series | pd.DataFrame):
        return "frame", value.to_csv()
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return type(value).__name__, value


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_shared_steps_give_the_compiled_expressions_values(exercise_id):
    """Every formula of every template, over several variants, one memo per variant as
    `variants` uses it: the same value (same type) as Jinja's compiled expression."""
    ex = CATALOGUE[exercise_id]
    for seed in range(4):
        context = dict(preview_variant(ex, seed).params)
        memo: dict = {}
        for source in _formulas(ex):
            assert _outcome(source, context, memo) == _outcome(source, context, None), source


HOSTILE = [
    "budget.__class__",
    "budget.__class__.__mro__[1].__subclasses__()",
    "journal.to_csv.__globals__",
    "journal.__init__.__globals__['os']",
    "(1).__class__.__base__.__subclasses__()",
    "sum.__self__.__dict__",
    "journal.appels.mean.__func__.__code__",
    "inconnu + 1",
    "journal.colonne_absente.mean()",
    "'{0.__class__}'.format(budget)",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_shared_steps_refuse_what_the_sandbox_refuses(source):
    journal = pd.DataFrame({"appels": [1, 2, 3]})
    context = {"budget": 1200, "journal": journal}
    with pytest.raises(FormulaError):
        evaluate(source, context, None)
    with pytest.raises(FormulaError):
        evaluate(source, context, {})


def test_a_shared_step_is_computed_once_per_memo():
    calls = []

    class Table:
        def total(self):
            calls.append(1)
            return 10

    context = {"t": Table()}
    memo: dict = {}
    assert evaluate("t.total() / 2", context, memo) == 5
    assert evaluate("t.total() * 3 - t.total()", context, memo) == 20
    assert len(calls) == 1
    assert evaluate("t.total() + 1", context, {}) == 11
    assert len(calls) == 2
