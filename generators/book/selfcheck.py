"""Self-check data for the book: a few variants of a template, as JSON for plain JavaScript.

The book works from file:// with no server, so everything a self-check needs (statement,
answers, typical mistakes, worked solution) is computed at build time from the same
templates as the graded notebooks and embedded in the page.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from markdown_it import MarkdownIt

from generators.authoring import render, rounding, typography
from generators.authoring.catalogue import Exercise
from generators.authoring.expressions import render_text
from generators.authoring.variants import preview_variant

BOOK_SEEDS = range(1, 13)


@cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def to_html(markdown: str) -> str:
    return typography.html(_markdown().render(markdown))


DOCUMENTARY_TAG = "etude-documentaire"
"""A documentary case study shows its small tables whole in its annexes: it works in the page."""


def has_self_check(ex: Exercise) -> bool:
    """Case studies on data need a notebook (pandas); the other templates work in the page."""
    return DOCUMENTARY_TAG in ex.tags or not any("dataset" in spec for spec in ex.parameters.values())


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


def variant_data(variant) -> dict[str, Any]:
    """One variant as the self-check widget reads it (also what other outputs are compared with)."""
    return {
        "statement": to_html(render.statement(variant)),
        "questions": [_question(variant, q) for q in variant.exercise.questions],
        "solution": to_html(render.solution(variant)),
    }


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
    variants = [preview_variant(ex, seed) for seed in BOOK_SEEDS]
    return {
        "id": ex.id,
        "title": typography.text(ex.title),
        "rounding": rounding_texts(ex),
        "variants": [variant_data(v) for v in variants],
    }


def self_check_html(ex: Exercise) -> str:
    """The widget's container and its data; selfcheck.js brings it to life."""
    payload = json.dumps(self_check_data(ex), ensure_ascii=False).replace("</", "<\\/")
    return (
        f'<div class="mq-selfcheck" data-exercise="{ex.id}">'
        f'<script type="application/json" class="mq-data">{payload}</script>'
        "<noscript>Activez JavaScript pour vous entraîner ici.</noscript></div>"
    )
