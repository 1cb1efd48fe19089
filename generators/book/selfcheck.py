"""Self-check data for the book: a few variants of a template, as JSON for plain JavaScript.

The book works from file:// with no server, so everything a self-check needs (statement,
answers, typical mistakes, worked solution) is computed at build time from the same
templates as the graded notebooks and embedded in the page.
"""

from __future__ import annotations

import ast
import base64
import json
import zlib
from functools import cache
from typing import Any

from markdown_it import MarkdownIt

from generators.authoring import render, rounding, typography
from generators.authoring.catalogue import Exercise
from generators.authoring.expressions import render_text
from generators.authoring.variants import preview_variant
from generators.outputs import spreadsheets

BOOK_SEEDS = range(1, 13)
CASE_SEEDS = range(1, 7)
"""A case study on data carries its tables (as CSV) in the page: six versions, not twelve."""


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def to_html(markdown: str) -> str:
    return typography.html(_markdown().render(markdown))


def has_data(ex: Exercise) -> bool:
    """A case study on a data set (pandas in the notebook; a table and a CSV in the page)."""
    return any("dataset" in spec for spec in ex.parameters.values())


def _is_python(source: str) -> bool:
    try:
        ast.parse(source, mode="eval")
    except SyntaxError:
        return False
    return True


def csv_name(table: str, version: int) -> str:
    """The downloaded file's name: the table and the version, no exercise identifier."""
    return f"{table}_version-{version}.csv"


def pandas_code(variant, version: int) -> str:
    """The worked solution as pandas code that runs on the CSV files the page offers: the
    tables read back, the exercise's formulas (plain pandas expressions) and each number
    answer printed with the precision asked."""
    ex = variant.exercise
    tables = spreadsheets.tables(variant)
    lines = ["import pandas as pd", ""]
    for name in tables:
        lines.append(f'{name} = pd.read_csv("{csv_name(name, version)}", sep=";", decimal=",")')
    for name, spec in ex.parameters.items():
        if name in tables or "dataset" in spec:
            continue
        formula = spec.get("formula")
        if formula and _is_python(formula):
            lines.append(f"{name} = {formula}")
        else:
            lines.append(f"{name} = {render.python_literal(variant.params[name])}")
    for number, q in enumerate(ex.questions, start=1):
        if q.kind == "number" and _is_python(str(q.answer)):
            lines += ["", f"# Question {number}", f"{q.variable} = {q.answer}"]
            lines.append(f'print("Question {number} :", round({q.variable}, {q.decimals}))')
    return "\n".join(lines)


def _question(variant, q) -> dict[str, Any]:
    text = render_text(q.prompt, variant.context).strip()
    item: dict[str, Any] = {"id": q.id, "kind": q.kind, "prompt": to_html(text), "points": q.points}
    if q.written:  # no verdict in the page: the student compares with the model answer
        item["model_answer"] = to_html(render.model_answer(variant, q))
        item["rubric"] = to_html("\n".join(render.rubric_lines(q)))
    elif q.kind == "choice":
        item["options"] = [
            {"letter": o.letter, "text": o.text, "explanation": o.explanation} for o in variant.options[q.id]
        ]
        item["answer"] = variant.answers[q.id]
    else:
        answer = variant.answers[q.id]
        item.update(
            unit=q.unit,
            answer=answer,
            tolerance=q.abs_tolerance,
            decimals=q.decimals,
            near=rounding.near_values(answer, q.decimals, q.abs_tolerance),
            expected=render.expected_text(variant, q),
            mistakes=[{"value": d.value, "explanation": d.explanation} for d in variant.diagnoses[q.id]],
        )
    return item


def variant_data(variant, version: int | None = None) -> dict[str, Any]:
    """One variant as the self-check widget reads it (also what other outputs are compared
    with). A case study on data adds its tables as CSV files and its pandas code."""
    data = {
        "statement": to_html(render.statement(variant)),
        "questions": [_question(variant, q) for q in variant.exercise.questions],
        "solution": to_html(render.solution(variant)),
    }
    if version is not None and has_data(variant.exercise):
        data["files"] = [
            {"name": csv_name(name, version), "csv": spreadsheets.csv_text(frame), "rows": len(frame)}
            for name, frame in spreadsheets.tables(variant).items()
        ]
        code = pandas_code(variant, version)
        intro = "**Le même calcul avec pandas**, sur le fichier téléchargé :"
        data["solution"] += to_html(f"{intro}\n\n```python\n{code}\n```")
    return data


def rounding_texts(ex: Exercise) -> dict[str, dict[str, str]]:
    """For each precision the exercise asks: how to round (the graded notebook's sentence)
    and the « Presque » message. Once per exercise, not per variant: the page stays light."""
    asked = sorted({q.decimals for q in ex.questions if q.kind == "number"})
    return {
        str(d): {
            "hint": typography.text(render.rounding_hint(d)),
            "near": typography.text(rounding.near_message(d)),
        }
        for d in asked
    }


def self_check_data(ex: Exercise) -> dict[str, Any]:
    """Every variant of the widget; `rounding` holds the texts keyed by a question's `decimals`."""
    seeds = CASE_SEEDS if has_data(ex) else BOOK_SEEDS
    variants = [preview_variant(ex, seed) for seed in seeds]
    return {
        "id": ex.id,
        "title": typography.text(ex.title),
        "rounding": rounding_texts(ex),
        "variants": [variant_data(v, version) for version, v in enumerate(variants, start=1)],
    }


ENCODING = "deflate-raw"
"""The widget's data is deflated and base64-encoded in the page: a chapter's 12 versions of
each exercise repeat most of their text, and compress about 10 to 1. The browser inflates
them with its own DecompressionStream, from file:// too."""


def encode_data(data: dict[str, Any]) -> str:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9, wbits=-15)).decode("ascii")


def decode_data(packed: str) -> dict[str, Any]:
    """The widget's data read back from the page (what the browser does, for the tests)."""
    return json.loads(zlib.decompress(base64.b64decode(packed), wbits=-15).decode("utf-8"))


def self_check_html(ex: Exercise) -> str:
    """The widget's container and its data; selfcheck.js brings it to life."""
    return (
        f'<div class="mq-selfcheck" data-exercise="{ex.id}">'
        f'<script type="application/octet-stream" class="mq-data" data-encoding="{ENCODING}">'
        f"{encode_data(self_check_data(ex))}</script>"
        "<noscript>Activez JavaScript pour vous entraîner ici.</noscript></div>"
    )
