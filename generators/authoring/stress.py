"""Stress test of a template over many seeds, in the spirit of R/exams' stresstest_exercise.

For each seed: the draw respects its declared ranges and constraints, every answer is
finite and within its declared range, the reference answer is accepted (as a number
and written the French way), each typical mistake is rejected *and* recognised as
that mistake, every wrong option is rejected. Then, over a class, how often two
students share an answer (a copied answer must be wrong for nearly everyone).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from generators.authoring import render
from generators.authoring.catalogue import Exercise
from generators.authoring.expressions import evaluate, render_text
from generators.authoring.variants import Variant, preview_variant, student_variant
from generators.errors import MercatiqueError
from generators.grading.verdicts import CORRECT, MISTAKE, judge


@dataclass
class StressReport:
    exercise: str
    seeds: int
    failures: list[str] = field(default_factory=list)
    answer_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    shared_pairs: dict[str, int] = field(default_factory=dict)
    class_size: int = 35

    @property
    def ok(self) -> bool:
        return not self.failures


def _report(value) -> dict:
    number = value if isinstance(value, (int, float)) else None
    text = value if isinstance(value, str) else repr(value)
    return {"variable": "x", "defini": True, "nombre": number, "texte": text}


def _choice_problems(v: Variant, q) -> list[str]:
    """A right option that follows from the numbers must agree with every criterion it declares.

    `correct` picks the option; each `also` is another reading a teacher could defend
    (e.g. clicks per delivered e-mail besides open rate): it must hold exactly when
    `correct` does, or the expected answer is debatable for this draw.
    """
    problems = []
    derived = [o for o in q.options if isinstance(o.correct, str)]
    if not derived:
        return problems
    holding = [o for o in derived if evaluate(o.correct, v.params)]
    expected = next(o for o in v.options[q.id] if o.letter == v.answers[q.id])
    if len(holding) != 1 or render_text(holding[0].text, v.params) != expected.text:
        problems.append(f"{q.id} : la bonne option ne découle pas d'une seule condition vraie")
    for o in derived:
        truth = bool(evaluate(o.correct, v.params))
        for source in o.also:
            if bool(evaluate(source, v.params)) != truth:
                problems.append(f"{q.id} : « {o.text[:40]} » : le critère {source} contredit {o.correct}")
    return problems


def check_variant(v: Variant) -> list[str]:
    """Everything that must hold for one variant; each problem as a French sentence."""
    ex, problems = v.exercise, []
    for name, spec in ex.parameters.items():
        if "min" in spec and not spec["min"] <= v.params[name] <= spec["max"]:
            problems.append(f"paramètre {name} = {v.params[name]} hors de [{spec['min']}, {spec['max']}]")
    for source in ex.constraints:
        if not evaluate(source, v.params):
            problems.append(f"contrainte non respectée : {source}")
    for q in ex.questions:
        answer = v.answers[q.id]
        if q.written:  # marked by the teacher: its texts must render, with this draw's numbers
            if len(answer) < 10:
                problems.append(f"{q.id} : le corrigé rédigé est vide")
            if not render_text(q.prompt, v.context).strip():
                problems.append(f"{q.id} : la consigne est vide")
            if "None" in answer or "nan" in answer.split():
                problems.append(f"{q.id} : le corrigé rédigé contient une valeur manquante")
            continue
        if judge(v, q, _report(answer)).status != CORRECT:
            problems.append(f"{q.id} : la réponse de référence est refusée")
        if q.kind == "choice":
            problems += _choice_problems(v, q)
            for option in v.options[q.id]:
                if not option.correct and judge(v, q, _report(option.letter)).status == CORRECT:
                    problems.append(f"{q.id} : l'option fausse {option.letter} est acceptée")
            continue
        if not math.isfinite(answer):
            problems.append(f"{q.id} : réponse non finie")
        if q.range and not q.range[0] <= answer <= q.range[1]:
            problems.append(f"{q.id} : réponse {answer} hors de l'intervalle {list(q.range)}")
        written = render.format_value(q, answer)
        if judge(v, q, _report(written)).status != CORRECT:
            problems.append(f"{q.id} : la réponse écrite « {written} » est refusée")
        for d in v.diagnoses[q.id]:
            verdict = judge(v, q, _report(d.value))
            if verdict.status != MISTAKE or d.explanation not in verdict.message:
                problems.append(f"{q.id} : l'erreur type « {d.explanation[:40]}… » n'est pas reconnue")
    return problems


def stress_test(ex: Exercise, seeds: int = 1000, class_size: int = 35) -> StressReport:
    report = StressReport(ex.id, seeds, class_size=class_size)
    failures: Counter[str] = Counter()
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    for seed in range(seeds):
        try:
            variant = preview_variant(ex, seed)
        except MercatiqueError as exc:
            failures[str(exc)] += 1
            continue
        for problem in check_variant(variant):
            failures[problem] += 1
        for q in ex.questions:
            if q.kind == "number":
                value = variant.answers[q.id]
                lows[q.id] = min(lows.get(q.id, value), value)
                highs[q.id] = max(highs.get(q.id, value), value)
    report.failures = [f"{text} ({n} tirage(s))" for text, n in failures.most_common()]
    report.answer_ranges = {k: (lows[k], highs[k]) for k in lows}
    klass = [student_variant(ex, "stress", "classe", f"eleve{i:03d}") for i in range(class_size)]
    for q in ex.questions:
        if q.kind == "number":
            answers = [v.answers[q.id] for v in klass]
            report.shared_pairs[q.id] = sum(
                abs(a - b) <= q.abs_tolerance for i, a in enumerate(answers) for b in answers[i + 1 :]
            )
    return report


def max_shared_pairs(class_size: int) -> int:
    """At most 1 % of the pairs of a class may share an answer."""
    return max(1, class_size * (class_size - 1) // 200)
