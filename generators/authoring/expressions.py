"""Formulas of exercise.yml, evaluated in Jinja's sandbox: teachers write no Python.

A formula is a Jinja expression (`budget / leads * 100`) over the parameters.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined
from jinja2.sandbox import SandboxedEnvironment

from generators.authoring import formatting, typography
from generators.errors import MercatiqueError


def _round(value: float, decimals: int = 0) -> float:
    return formatting.round_half_up(value, decimals)


FUNCTIONS = {
    "round": _round,
    "min": min,
    "max": max,
    "abs": abs,
    "sum": sum,
    "len": len,
    "int": int,
    "float": float,
    "sqrt": math.sqrt,
    "log": math.log,
    "exp": math.exp,
}


def table(frame, rows: int = 5) -> str:
    """The first rows of a data set as a Markdown table, numbers in French."""
    head = frame.head(rows)
    lines = ["| " + " | ".join(map(str, head.columns)) + " |", "|" + "---|" * len(head.columns)]
    for record in head.itertuples(index=False):
        cells = [formatting.number(v) if isinstance(v, (int, float)) else str(v) for v in record]
        lines.append("| " + " | ".join(cells) + " |")
    if len(frame) > rows:
        lines.append(f"\n*… {formatting.number(len(frame))} lignes en tout.*")
    return "\n".join(lines)


FILTERS = {
    "apercu": table,
    "euros": formatting.euros,
    "nombre": formatting.number,
    "pourcent": formatting.percent,
    "points": formatting.points,
    "arrondi": _round,
}


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    env.globals.update(FUNCTIONS)
    env.filters.update(FILTERS)
    return env


ENVIRONMENT = _environment()


class FormulaError(Exception):
    """A formula that cannot be read or evaluated (message in French)."""


@lru_cache(maxsize=4096)
def _compiled(source: str):
    try:
        return ENVIRONMENT.compile_expression(source, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise FormulaError(f"formule illisible « {source} » : {exc.message}") from None


def check_syntax(source: str) -> None:
    _compiled(source)


def evaluate(source: str, context: dict[str, Any]) -> Any:
    """Value of the formula; FormulaError names an unknown variable, ZeroDivisionError passes."""
    try:
        value = _compiled(source)(**context)
    except FormulaError:
        raise
    except ZeroDivisionError:
        raise
    except Exception as exc:  # Jinja raises several kinds for unknown names and bad operands
        raise FormulaError(f"formule « {source} » : {exc}") from None
    if isinstance(value, Undefined):
        raise FormulaError(f"formule « {source} » : variable inconnue")
    return value


@lru_cache(maxsize=4096)
def _template(source: str):
    try:
        return ENVIRONMENT.from_string(source)
    except TemplateSyntaxError as exc:
        raise MercatiqueError(f"gabarit illisible (ligne {exc.lineno}) : {exc.message}") from None


def render_text(source: str, context: dict[str, Any]) -> str:
    """Render a Jinja text (statement, prompt, option) with the French filters."""
    template = _template(source)
    try:
        return typography.markdown(template.render(**context))
    except Exception as exc:
        raise MercatiqueError(f"gabarit impossible à produire : {exc}") from None
