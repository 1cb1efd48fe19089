"""A student's typed answer read as the book's self-checks read it (readAnswer and judge in
generators/book/static/selfcheck.js), with the same French explanations when it is refused.

tests/data/answer_readings.json holds the cases both implementations must agree on. The
grader imports this module; the practice site's check cell (generators/book/lite.py) runs
its source as is in the browser's kernel, so it needs nothing but the standard library
(Babel has nothing left to do once the text is reduced to digits and one separator).
"""

import math
import re
from dataclasses import dataclass

NOT_A_NUMBER, MIXED = "not-a-number", "mixed"
"""Why a typed answer is refused: it is no number, or it has both a point and a comma (or
several of them) and the decimal separator cannot be told apart."""

UNIT_TYPED = {"€": "un montant en euros", "%": "un pourcentage", "points": "des points"}
UNIT_EXPECTED = {"€": "en euros (€)", "%": "en pourcentage (%)", "points": "en points", "": "sans unité"}
MIXED_SEPARATORS = "sans point entre les milliers, avec une virgule pour les décimales"


@dataclass(frozen=True)
class Reading:
    """A typed answer as read: its value and the unit written ("" for none), or why not."""

    value: float | None
    unit: str = ""
    refusal: str | None = None


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
    value = float(cleaned.replace(",", "."))
    if not math.isfinite(value):
        return Reading(None, refusal=NOT_A_NUMBER)
    return Reading(value, unit)


def contradicts(typed: str, expected: str) -> bool:
    """Does the unit written contradict the question's? Points pass where none is asked."""
    return bool(typed) and typed != expected and not (expected == "" and typed == "points")


def unit_message(typed: str, expected: str) -> str:
    """Why a number written in another unit than the question's is wrong (the book's words)."""
    return (
        f"Unité incohérente : vous avez écrit {UNIT_TYPED[typed]}, "
        f"la réponse attendue est {UNIT_EXPECTED[expected]}."
    )
