"""How precisely a number question wants its answer, and which wrong values are only
rounded too early (« Presque »): the one rule the book's self-checks and the graded
notebook's feedback share.

A question asks for `decimals` decimals (default 2) and accepts any value within its
tolerance (default one unit of the last decimal asked). Rounding correctly at that
precision moves a value by at most half a unit of the last decimal, so a consistent
question has 0.5·10⁻ᵈ ≤ tolerance ≤ 10⁻ᵈ: « au centième » goes with a tolerance between
0,005 and 0,01.

A near miss is the exact answer rounded (half up, as taught) or truncated to fewer
decimals than asked: 46,9 or 46,8 for 46,875 €, 3,4 for 3,38 %, 39 for 39,2. It earns no
point; its feedback says how to round instead of « faux ».
"""

from __future__ import annotations

import math

from generators.authoring.formatting import round_half_up

PRECISION_WORDS = {0: "à l'unité", 1: "au dixième", 2: "au centième", 3: "au millième", 4: "au dix-millième"}


def precision_label(decimals: int) -> str:
    """« au centième »: the precision a question asks for, in words."""
    return PRECISION_WORDS.get(decimals, f"à {decimals} décimales")


def near_message(decimals: int) -> str:
    """The feedback for a value rounded too early (French, plain spaces: typeset later)."""
    from generators.authoring.render import (
        decimals_label,  # render needs the catalogue, which checks with this module
    )

    shown = f" ({decimals_label(decimals)})" if decimals in PRECISION_WORDS and decimals else ""
    return (
        f"Presque : arrondissez {precision_label(decimals)}{shown}, "
        "ou n'arrondissez pas : votre valeur est arrondie trop tôt."
    )


def tolerance_agrees(decimals: int, tolerance: float) -> bool:
    """True when a correctly rounded answer is accepted and a value off by more than one
    unit of the last decimal asked is not."""
    unit = 10.0 ** (-decimals)
    return 0.5 * unit - 1e-12 <= tolerance <= unit + 1e-12


def _truncate(value: float, decimals: int) -> float:
    factor = 10**decimals
    return math.trunc(round(value * factor, 9)) / factor


def near_values(answer: float, decimals: int, tolerance: float) -> list[float]:
    """The answer rounded or truncated to 0 … decimals-1 decimals, when that is outside the
    tolerance (inside it, the value is simply right). Sorted, without repeats."""
    found: set[float] = set()
    for fewer in range(decimals):
        for value in (float(round_half_up(answer, fewer)), _truncate(answer, fewer)):
            if abs(value - answer) > tolerance + 1e-9:
                found.add(round(value, fewer))
    return sorted(found)


def is_near_miss(value: float, answer: float, decimals: int, tolerance: float) -> bool:
    """True when `value` is the answer rounded too early (see near_values)."""
    nears = near_values(answer, decimals, tolerance)
    return any(abs(value - near) <= 1e-9 * max(1.0, abs(near)) for near in nears)
