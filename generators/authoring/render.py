"""Texts of a variant: statement, question prompts, worked solution, expected answers."""

from __future__ import annotations

from typing import Any

import pandas as pd

from generators.authoring import formatting, typography
from generators.authoring.catalogue import Question
from generators.authoring.expressions import render_text
from generators.authoring.variants import Variant

UNIT_HINTS = {
    "€": "en euros",
    "%": "en %, par exemple 12.5 pour 12,5 %",
    "points": "en points",
    "": "",
}


FICTIONAL_NOTICE = "> **Données fictives.** Les données de cet exercice sont inventées pour l'entraînement"


def fictional_notice(exercise) -> str:
    """The notice that opens the statement of an exercise with invented numbers ("" if real)."""
    if not exercise.fictional_data:
        return ""
    if exercise.brand:
        return (
            f"{FICTIONAL_NOTICE} ; la situation s'inspire de la marque {exercise.brand}, "
            "sans reproduire ses chiffres réels."
        )
    return f"{FICTIONAL_NOTICE}."


def statement(variant: Variant) -> str:
    """The statement as every output shows it, opened by the « données fictives » notice if any."""
    text = render_text(variant.exercise.statement_template, variant.context).strip()
    notice = typography.markdown(fictional_notice(variant.exercise))
    return f"{notice}\n\n{text}" if notice else text


def solution(variant: Variant) -> str:
    return render_text(variant.exercise.solution_template, variant.context).strip()


def points_label(value: float) -> str:
    return f"{formatting.number(value)} point{'s' if value >= 2 else ''}"


def format_value(q: Question, value: float) -> str:
    """A number as the course writes it for this question's unit."""
    if q.unit == "€":
        return formatting.euros(value, q.decimals)
    if q.unit == "%":
        return formatting.percent(value, q.decimals)
    if q.unit == "points":
        return formatting.points(formatting.round_half_up(value, q.decimals))
    return formatting.number(formatting.round_half_up(value, q.decimals))


WRITTEN_EXPECTED = "réponse rédigée, notée par l'enseignant (voir le corrigé)"
WRITTEN_HINT = (
    "Répondez en quelques phrases dans la cellule « Votre réponse rédigée » ci-dessous ; "
    "votre enseignant la note avec le barème du devoir."
)


def model_answer(variant: Variant, q: Question) -> str:
    """A written question's expected elements, with this variant's numbers."""
    return render_text(q.model_answer, variant.context).strip()


def rubric_lines(q: Question) -> list[str]:
    """The marking scheme as Markdown list items."""
    return [f"- {points_label(c.points)} : {c.criterion}" for c in q.rubric]


def expected_text(variant: Variant, q: Question) -> str:
    if q.written:
        return WRITTEN_EXPECTED
    answer = variant.answers[q.id]
    if q.kind == "choice":
        option = next(o for o in variant.options[q.id] if o.letter == answer)
        return f"{answer} ({option.text})"
    return format_value(q, answer)


def prompt(variant: Variant, q: Question, number: int, variable: str | None = None) -> str:
    """The question as the student reads it, with the options or the expected unit."""
    text = render_text(q.prompt, variant.context).strip()
    variable = variable or q.variable
    lines = [f"**Question {number}** ({points_label(q.points)}) : {text}", ""]
    if q.written:
        lines.append(WRITTEN_HINT)
    elif q.kind == "choice":
        lines += [f"- **{o.letter}.** {o.text}" for o in variant.options[q.id]]
        example = f'`{variable} = "B"` ou `{variable} = B`'
        lines += ["", f"Écrivez la lettre choisie dans `{variable}`, par exemple {example}."]
    else:
        hint = UNIT_HINTS[q.unit]
        detail = f" ({hint})" if hint else ""
        lines.append(f"Écrivez votre calcul dans `{variable}`{detail}. {rounding_hint(q.decimals)}")
    return typography.markdown("\n".join(lines))


def decimals_label(decimals: int) -> str:
    """« 1 décimale », « 2 décimales »: the precision the notebook, the sheets and the
    quizzes ask for."""
    return f"{decimals} décimale{'s' if decimals > 1 else ''}"


def rounding_hint(decimals: int) -> str:
    """How far a student may round: to the unit for a whole answer, else n decimals."""
    if decimals == 0:
        return "Inutile d'arrondir ; si vous arrondissez, arrondissez à l'unité."
    return f"Inutile d'arrondir ; si vous arrondissez, gardez au moins {decimals_label(decimals)}."


def python_literal(value: Any) -> str:
    """A parameter as Python code for the student's data cell."""
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    return repr(value)


def given_code(variant: Variant, preview_rows: int | None = None) -> str:
    """The student's own numbers, as Python variables, ready to compute with.

    A data set becomes a pandas DataFrame read from CSV text inside the cell, so the
    notebook needs no side file: in the notebook the CSV is one string literal on one
    line (the editor shows one line, `.head()` shows the table); `preview_rows` writes
    the first rows out instead, for a terminal.
    """
    ex = variant.exercise
    lines = ["# Vos données (elles sont propres à votre énoncé)"]
    tables = [n for n in ex.given if isinstance(variant.params[n], pd.DataFrame)]
    if tables:
        lines += ["import io", "", "import pandas as pd", ""]
    for name in ex.given:
        value = variant.params[name]
        if isinstance(value, pd.DataFrame):
            if preview_rows is None:
                csv_text = value.to_csv(index=False, lineterminator="\n")
                lines.append(f"{name} = pd.read_csv(io.StringIO({csv_text!r}))")
                continue
            csv_text = value.head(preview_rows).to_csv(index=False, lineterminator="\n")
            more = f"# … ({len(value)} lignes en tout)\n"
            lines.append(f'{name} = pd.read_csv(io.StringIO("""\\\n{csv_text}"""))\n{more}')
            continue
        unit = ex.parameters[name].get("unit")
        comment = f"  # {unit}" if unit else ""
        lines.append(f"{name} = {python_literal(value)}{comment}")
    if tables and preview_rows is None:
        lines += ["", f"{tables[0]}.head()  # les premières lignes du tableau"]
    return "\n".join(lines).rstrip()


def preview_text(variant: Variant) -> str:
    """A whole variant, readable in a terminal (mercatique preview)."""
    ex = variant.exercise
    parts = [f"# {ex.title}", f"({ex.id} · chapitre {ex.chapter} · {points_label(ex.points)})"]
    parts += ["", "## Énoncé", "", statement(variant)]
    if ex.given:
        parts += ["", "```python", given_code(variant, preview_rows=5), "```"]
    for i, q in enumerate(ex.questions, start=1):
        parts += ["", prompt(variant, q, i)]
    parts += ["", "## Réponses attendues", ""]
    for i, q in enumerate(ex.questions, start=1):
        if q.written:
            parts.append(f"- Question {i} (rédigée), éléments attendus :")
            parts += [f"    {line}" for line in model_answer(variant, q).splitlines()]
            parts += [f"    {line}" for line in ["Barème :", *rubric_lines(q)]]
            continue
        parts.append(f"- Question {i} (`{q.variable}`) : {expected_text(variant, q)}")
        for d in variant.diagnoses.get(q.id, ()):
            parts.append(f"    - erreur type → {format_value(q, d.value)} : {d.explanation}")
    parts += ["", "## Corrigé", "", solution(variant)]
    return "\n".join(parts) + "\n"
