"""Formulas of exercise.yml, evaluated in Jinja's sandbox: teachers write no Python.

A formula is a Jinja expression (`budget / leads * 100`) over the parameters.

One variant evaluates many formulas over the same parameters, and a case study's answers
and typical mistakes repeat the same pandas steps (`journal[journal.periode == 'avant
FAQ']`, its `.appels.mean()`...), each costing far more than the arithmetic around it.
`evaluate(..., memo=...)` walks the formula's Jinja syntax tree itself and keeps the value
of each step in `memo`, so a step shared by several formulas is computed once per
variant. Every attribute, item and call goes through the sandbox's own checks
(`environment.getattr`, `getitem`, `call`), as in the compiled expression; a formula using
anything else (filters, tests, slices, `~`...), and any formula that fails, is evaluated
by the compiled expression instead, so values and errors are Jinja's.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, nodes
from jinja2.parser import Parser
from jinja2.runtime import new_context
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


@lru_cache(maxsize=16384, typed=True)
def _cell_number(value: int | float) -> str:
    """A table cell's number (Babel is slow and a class's tables share many values)."""
    return formatting.number(value)


def table(frame, rows: int = 5) -> str:
    """The first rows of a data set as a Markdown table, numbers in French."""
    head = frame.head(rows)
    lines = ["| " + " | ".join(map(str, head.columns)) + " |", "|" + "---|" * len(head.columns)]
    columns = [head[name].tolist() for name in head.columns]  # Python scalars, as itertuples gives
    for record in zip(*columns, strict=True):
        cells = [_cell_number(v) if isinstance(v, (int, float)) else str(v) for v in record]
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


def evaluate(source: str, context: dict[str, Any], memo: dict[str, Any] | None = None) -> Any:
    """Value of the formula; FormulaError names an unknown variable, ZeroDivisionError passes.

    `memo`: values of formula steps already computed over the same `context` (see the
    module docstring); give one dict per context, never reuse it once a name changes.
    """
    if memo is not None:
        step = _steps(source)
        if step is not None:
            try:
                return step(context, memo, _Scope(context))
            except Exception:  # the compiled expression says what is wrong, Jinja's way
                pass
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


Step = Callable[[dict[str, Any], dict[str, Any], "_Scope"], Any]

_BINARY = {
    "Add": operator.add,
    "Sub": operator.sub,
    "Mul": operator.mul,
    "Div": operator.truediv,
    "FloorDiv": operator.floordiv,
    "Mod": operator.mod,
    "Pow": operator.pow,
}
_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}


class _Unsupported(Exception):
    """A node the step walker leaves to the compiled expression."""


class _Scope:
    """The Jinja context a call needs (`environment.call`), made only when a call happens."""

    def __init__(self, variables: dict[str, Any]):
        self.variables, self._context = variables, None

    @property
    def context(self):
        if self._context is None:
            globals_ = ENVIRONMENT.make_globals(None)  # as the compiled expression's template
            self._context = new_context(ENVIRONMENT, None, {}, dict(self.variables), False, globals_)
        return self._context


def _defined(value: Any) -> Any:
    if isinstance(value, Undefined):
        raise _Unsupported  # unknown or unsafe attribute: the compiled expression reports it
    return value


def _name(name: str) -> Step:
    def step(context, memo, scope):
        if name in context:
            return context[name]
        return ENVIRONMENT.globals[name]  # KeyError: unknown, reported by the compiled expression

    return step


def _memoised(key: str, compute: Step) -> Step:
    def step(context, memo, scope):
        if key in memo:
            return memo[key]
        value = memo[key] = compute(context, memo, scope)
        return value

    return step


def _step(node: nodes.Node) -> Step:  # noqa: C901 (one branch per kind of node)
    """The node as a function of (context, memo, scope); _Unsupported for any other node."""
    if isinstance(node, nodes.Const):
        value = node.value
        return lambda context, memo, scope: value
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return _name(node.name)
    if isinstance(node, (nodes.List, nodes.Tuple)):
        items = [_step(item) for item in node.items]
        kind = list if isinstance(node, nodes.List) else tuple
        compute = lambda context, memo, scope: kind(item(context, memo, scope) for item in items)  # noqa: E731
    elif isinstance(node, nodes.Getattr):
        obj, attr = _step(node.node), node.attr

        def compute(context, memo, scope):
            return _defined(ENVIRONMENT.getattr(obj(context, memo, scope), attr))
    elif isinstance(node, nodes.Getitem):
        if isinstance(node.arg, nodes.Slice):
            raise _Unsupported
        obj, arg = _step(node.node), _step(node.arg)

        def compute(context, memo, scope):
            return _defined(ENVIRONMENT.getitem(obj(context, memo, scope), arg(context, memo, scope)))
    elif isinstance(node, nodes.Call):
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise _Unsupported
        function = _step(node.node)
        args = [_step(a) for a in node.args]
        kwargs = [(k.key, _step(k.value)) for k in node.kwargs]

        def compute(context, memo, scope):
            f = function(context, memo, scope)
            values = [a(context, memo, scope) for a in args]
            named = {k: v(context, memo, scope) for k, v in kwargs}
            return ENVIRONMENT.call(scope.context, f, *values, **named)
    elif type(node).__name__ in _BINARY and isinstance(node, nodes.BinExpr):
        if node.operator in ENVIRONMENT.intercepted_binops:
            raise _Unsupported
        left, right, op = _step(node.left), _step(node.right), _BINARY[type(node).__name__]

        def compute(context, memo, scope):
            return op(left(context, memo, scope), right(context, memo, scope))
    elif isinstance(node, (nodes.And, nodes.Or)):
        left, right, is_and = _step(node.left), _step(node.right), isinstance(node, nodes.And)

        def compute(context, memo, scope):
            value = left(context, memo, scope)
            if bool(value) is is_and:
                return right(context, memo, scope)
            return value
    elif isinstance(node, (nodes.Neg, nodes.Pos, nodes.Not)):
        if node.operator in ENVIRONMENT.intercepted_unops:
            raise _Unsupported
        inner = _step(node.node)
        op = {nodes.Neg: operator.neg, nodes.Pos: operator.pos, nodes.Not: operator.not_}[type(node)]

        def compute(context, memo, scope):
            return op(inner(context, memo, scope))
    elif isinstance(node, nodes.Compare):
        first = _step(node.expr)
        ops = [(_COMPARE[o.op], _step(o.expr)) for o in node.ops]

        def compute(context, memo, scope):
            left = first(context, memo, scope)
            for op, right_step in ops[:-1]:  # a < b < c: Python's chained comparison
                right = right_step(context, memo, scope)
                result = op(left, right)
                if not result:
                    return result
                left = right
            op, right_step = ops[-1]
            return op(left, right_step(context, memo, scope))
    elif isinstance(node, nodes.CondExpr) and node.expr2 is not None:
        test, yes, no = _step(node.test), _step(node.expr1), _step(node.expr2)

        def compute(context, memo, scope):
            return yes(context, memo, scope) if test(context, memo, scope) else no(context, memo, scope)
    else:
        raise _Unsupported
    return _memoised(repr(node), compute)


@lru_cache(maxsize=4096)
def _steps(source: str) -> Step | None:
    """The formula as steps, None when it uses what the walker leaves to Jinja."""
    try:
        parser = Parser(ENVIRONMENT, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            return None
        return _step(expr)
    except (_Unsupported, TemplateSyntaxError, KeyError):
        return None


@lru_cache(maxsize=4096)
def _template(source: str):
    try:
        return ENVIRONMENT.from_string(source)
    except TemplateSyntaxError as exc:
        raise MercatiqueError(f"gabarit illisible (ligne {exc.lineno}) : {exc.message}") from None


JINJA_MARKS = ("{{", "{%", "{#")


@lru_cache(maxsize=2048)
def _french(text: str) -> str:
    """typography.markdown, kept for texts that come out the same for many students
    (options, explanations of typical mistakes, prompts without numbers)."""
    return typography.markdown(text)


def render_text(source: str, context: dict[str, Any]) -> str:
    """Render a Jinja text (statement, prompt, option) with the French filters."""
    if "\r" not in source and not any(mark in source for mark in JINJA_MARKS):
        return _french(source)  # no Jinja in it (nor line ends Jinja would rewrite): itself
    template = _template(source)
    try:
        return _french(template.render(**context))
    except Exception as exc:
        raise MercatiqueError(f"gabarit impossible à produire : {exc}") from None
