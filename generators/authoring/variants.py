"""One student's version of an exercise: a pure function of (secret, assignment, student, exercise).

Parameters are drawn in the order of exercise.yml from a keyed stream; a draw that
breaks a constraint, or for which an answer is undefined or a typical mistake gives
the right value, is redrawn from the next attempt's stream, so the result is still
a pure function of the key.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from generators.authoring import datasets
from generators.authoring.catalogue import Exercise, Question
from generators.authoring.expressions import FormulaError, evaluate, render_text
from generators.authoring.rng import Stream, derive_key
from generators.errors import MercatiqueError

MAX_ATTEMPTS = 500
PREVIEW_SECRET = "aperçu"


@dataclass(frozen=True)
class RenderedOption:
    letter: str
    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Diagnosis:
    """A typical mistake as it shows in this variant: its wrong value and why."""

    value: float
    explanation: str


@dataclass(frozen=True)
class Variant:
    exercise: Exercise
    params: dict[str, Any]
    answers: dict[str, Any]
    """Question id -> right answer: a float for `number`, a letter for `choice`, the
    model answer (Markdown) for `written`."""
    diagnoses: dict[str, tuple[Diagnosis, ...]]
    options: dict[str, tuple[RenderedOption, ...]]

    @property
    def context(self) -> dict[str, Any]:
        return {**self.params, "answers": self.answers}

    def fingerprint(self) -> str:
        """The drawn numbers as one comparable text (data sets as CSV)."""
        return "\n".join(
            f"{k}={v.to_csv(index=False) if hasattr(v, 'to_csv') else repr(v)}"
            for k, v in self.params.items()
        )

    def question(self, question_id: str) -> Question:
        return next(q for q in self.exercise.questions if q.id == question_id)


class _Redraw(Exception):
    """This attempt's draw is unusable; try the next one."""


def _grid_value(spec: dict[str, Any], stream: Stream) -> int | float:
    low, high = Decimal(str(spec["min"])), Decimal(str(spec["max"]))
    step = Decimal(str(spec.get("step", 1)))
    count = int((high - low) / step) + 1
    value = low + step * stream.below(count)
    return int(value) if value == value.to_integral_value() else float(value)


def _draw_params(exercise: Exercise, stream: Stream) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, spec in exercise.parameters.items():
        if "formula" in spec:
            try:
                params[name] = evaluate(spec["formula"], params)
            except ZeroDivisionError:
                raise _Redraw from None
        elif "dataset" in spec:
            params[name] = datasets.build(spec["dataset"], stream, params, spec.get("options", {}))
        elif "choices" in spec:
            params[name] = stream.choice(spec["choices"])
        else:
            params[name] = _grid_value(spec, stream)
    return params


def _number(source: str, context: dict[str, Any], memo: dict[str, Any]) -> float:
    try:
        value = float(evaluate(source, context, memo))
    except (ZeroDivisionError, OverflowError, ValueError):
        raise _Redraw from None
    if not math.isfinite(value):
        raise _Redraw
    return value


def _number_question(
    q: Question, context: dict[str, Any], memo: dict[str, Any]
) -> tuple[float, tuple[Diagnosis, ...]]:
    answer = _number(q.answer, context, memo)
    diagnoses = []
    for mistake in q.mistakes:
        wrong = _number(mistake.formula, context, memo)
        # a mistake must be told apart from the answer (or it would be graded right)
        # and from the other mistakes (or its diagnosis would be ambiguous)
        if any(
            abs(wrong - other) <= 2 * q.abs_tolerance for other in (answer, *(d.value for d in diagnoses))
        ):
            raise _Redraw
        diagnoses.append(Diagnosis(wrong, render_text(mistake.explanation, context)))
    return answer, tuple(diagnoses)


def _choice_question(q: Question, context: dict[str, Any], stream: Stream, memo: dict[str, Any]):
    order = stream.shuffled(q.options) if q.shuffle else list(q.options)
    rendered = []
    for letter, option in zip(string.ascii_uppercase, order, strict=False):
        correct = option.correct
        if isinstance(correct, str):
            correct = bool(evaluate(correct, context, memo))
        rendered.append(
            RenderedOption(
                letter,
                render_text(option.text, context),
                bool(correct),
                render_text(option.explanation, context),
            )
        )
    right = [o.letter for o in rendered if o.correct]
    if len(right) != 1:
        raise _Redraw  # exactly one right option per variant
    return right[0], tuple(rendered)


def _attempt(exercise: Exercise, stream: Stream) -> Variant:
    params = _draw_params(exercise, stream)
    # from here on the names keep their values: formulas share their common steps
    memo: dict[str, Any] = {}
    for source in exercise.constraints:
        try:
            if not evaluate(source, params, memo):
                raise _Redraw
        except ZeroDivisionError:
            raise _Redraw from None
    answers: dict[str, Any] = {}
    diagnoses: dict[str, tuple[Diagnosis, ...]] = {}
    options: dict[str, tuple[RenderedOption, ...]] = {}
    context = dict(params)
    for q in exercise.questions:
        if q.kind == "number":
            answers[q.id], diagnoses[q.id] = _number_question(q, context, memo)
        elif q.written:
            # the model answer with this variant's numbers (it may quote earlier answers)
            answers[q.id] = render_text(q.model_answer, {**context, "answers": answers}).strip()
            diagnoses[q.id] = ()
        else:
            answers[q.id], options[q.id] = _choice_question(q, context, stream, memo)
            diagnoses[q.id] = ()
    return Variant(exercise, params, answers, diagnoses, options)


def draw_variant(exercise: Exercise, key: bytes) -> Variant:
    """The variant of `exercise` for this key (see module docstring)."""
    for attempt in range(MAX_ATTEMPTS):
        stream = Stream(key + attempt.to_bytes(4, "big"))
        try:
            return _attempt(exercise, stream)
        except _Redraw:
            continue
        except FormulaError as exc:
            raise MercatiqueError(f"{exercise.folder / 'exercise.yml'} : {exc}") from None
    raise MercatiqueError(
        f"{exercise.folder / 'exercise.yml'} : aucun tirage sur {MAX_ATTEMPTS} ne respecte "
        "les contraintes (élargissez les intervalles ou assouplissez constraints)"
    )


def student_variant(exercise: Exercise, secret: str, assignment: str, student_id: str) -> Variant:
    return draw_variant(exercise, derive_key(secret, assignment, student_id, exercise.id))


def preview_variant(exercise: Exercise, seed: int) -> Variant:
    return draw_variant(exercise, derive_key(PREVIEW_SECRET, "seed", str(seed), exercise.id))
