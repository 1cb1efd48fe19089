"""French number formats, through Babel, for statements, solutions and feedback."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_currency, format_decimal, parse_decimal

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


NOT_A_NUMBER, MIXED = "not-a-number", "mixed"
"""Why a typed answer is refused: it is no number, or it has both a point and a comma (or
several of them) and the decimal separator cannot be told apart."""


@dataclass(frozen=True)
class Reading:
    """A typed answer as read: its value and the unit written ("" for none), or why not."""

    value: float | None
    unit: str = ""
    refusal: str | None = None


# The same reading as the book's self-checks (readAnswer in generators/book/static/
# selfcheck.js); tests/data/answer_readings.json holds the cases both must agree on.
# [0-9], not \d: JavaScript's \d is ASCII only, Python's takes any script's digits.
_WRAPPING = re.compile(r"^[\"'«\s]+|[\"'»\s]+$")
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-"})
_TRAILING_UNIT = re.compile(r"(.*?[0-9]\s*)([^0-9\s.,][^0-9]*?)\.?")
_UNIT_WORDS = (
    (re.compile(r"€|euros?|eur", re.IGNORECASE), "€"),
    (re.compile(r"%|pour\s*cents?|pourcents?|p\.?\s?cent", re.IGNORECASE), "%"),
    (re.compile(r"points?|pts?\.?", re.IGNORECASE), "points"),
)
_SPACES = re.compile(r"[\s']+")
_SEPARATORS = re.compile(r"[.,].*[.,]")
_PLAIN = re.compile(r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)")


def _unit(word: str) -> str | None:
    """The unit a word after the number stands for, None when it is none of the course's."""
    return next((unit for pattern, unit in _UNIT_WORDS if pattern.fullmatch(word)), None)


def read_answer(text: str) -> Reading:
    """Read an answer as a French reader writes it: `12,5`, `12.5`, `1 250 €`, `46,88 euros`,
    `3,4 pour cent`, `+12 pts`, `−39` (U+2212 or a dash), between quotes or « ».

    `1.250,5` and `1,250.5` are refused (which one is the decimal separator?); a word
    after the number that is not €, % or points makes it no number (`12 k€`, `12 kg`)."""
    cleaned = _WRAPPING.sub("", text.strip()).translate(_DASHES)
    unit = ""
    found = _TRAILING_UNIT.fullmatch(cleaned)
    if found:
        unit = _unit(found.group(2).strip())
        if unit is None:
            return Reading(None, refusal=NOT_A_NUMBER)
        cleaned = found.group(1)
    cleaned = _SPACES.sub("", cleaned)
    if _SEPARATORS.search(cleaned):
        return Reading(None, refusal=MIXED)
    if not _PLAIN.fullmatch(cleaned):
        return Reading(None, refusal=NOT_A_NUMBER)
    try:
        value = float(parse_decimal(cleaned.replace(".", ","), locale=LOCALE, strict=False))
    except (NumberFormatError, InvalidOperation):
        return Reading(None, refusal=NOT_A_NUMBER)
    if not math.isfinite(value):
        return Reading(None, refusal=NOT_A_NUMBER)
    return Reading(value, unit)


def contradicts(typed: str, expected: str) -> bool:
    """Does the unit written contradict the question's? Points pass where none is asked."""
    return bool(typed) and typed != expected and not (expected == "" and typed == "points")


def parse_number(text: str) -> float | None:
    """The number in an answer, whatever unit is written (None when it is not a number)."""
    return read_answer(text).value
