"""French number formats, through Babel, for statements, solutions and feedback."""

from __future__ import annotations

import math
from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from generators.authoring.reading import read_answer

LOCALE = "fr_FR"


def _pattern(decimals: int, digit: str = "0") -> str:
    """Babel pattern with grouping and `decimals` digits; digit "#" drops trailing zeros."""
    return "#,##0" + ("." + digit * decimals if decimals > 0 else "")


def number(value: float, decimals: int | None = None) -> str:
    """`12 400,5`; with `decimals`, exactly that many digits after the comma."""
    if decimals is None:
        return format_decimal(value, locale=LOCALE)
    return format_decimal(value, format=_pattern(decimals), locale=LOCALE)


def euros(value: float, decimals: int | None = None) -> str:
    """`12 400,50 €`; whole amounts lose their cents unless `decimals` is given."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    pattern = _pattern(decimals) + "\u00a0¤"
    return format_currency(value, "EUR", format=pattern, locale=LOCALE, currency_digits=False)


def percent(value: float, decimals: int = 2) -> str:
    """A rate already expressed in percent (12.5 for 12,5 %), written `12,5 %`.

    Trailing zeros are dropped so that `20 %` stays `20 %`.
    """
    text = format_decimal(round_half_up(value, decimals), format=_pattern(decimals, "#"), locale=LOCALE)
    return f"{text}\u00a0%"


def points(value: float) -> str:
    """NPS-like scores: `+12 points`."""
    sign = "+" if value > 0 else ""
    return f"{sign}{number(value)}\u00a0points"


def round_half_up(value: float, decimals: int = 0) -> float:
    """Rounding as taught in class (2,5 → 3), not Python's banker's rounding."""
    if not math.isfinite(value):
        return value
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(repr(float(value))).quantize(quantum, rounding="ROUND_HALF_UP")
    return int(rounded) if decimals <= 0 else float(rounded)


def parse_number(text: str) -> float | None:
    """The number in an answer, whatever unit is written (None when it is not a number);
    read as the book reads it, by `generators.authoring.reading`."""
    return read_answer(text).value
