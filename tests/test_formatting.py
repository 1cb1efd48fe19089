"""Are numbers written and read the French way?"""

import pytest

from generators.authoring import formatting

NNBSP, NBSP = "\u202f", "\u00a0"


def test_euros_use_french_separators():
    assert formatting.euros(12400.5, 2) == f"12{NNBSP}400,50{NBSP}€"
    assert formatting.euros(3000) == f"3{NNBSP}000{NBSP}€"


def test_percent_keeps_significant_decimals_only():
    assert formatting.percent(12.5) == f"12,5{NBSP}%"
    assert formatting.percent(20.0) == f"20{NBSP}%"
    assert formatting.percent(8.0597) == f"8,06{NBSP}%"


def test_percent_shows_as_many_decimals_as_asked_beyond_three():
    """Tiny funnel rates are asked to 4 decimals; Babel's default pattern stops at 3."""
    assert formatting.percent(0.26882, 4) == f"0,2688{NBSP}%"
    assert formatting.percent(12400.5, 1) == f"12{NNBSP}400,5{NBSP}%"


def test_rounding_is_half_up_as_taught():
    assert formatting.round_half_up(2.5) == 3
    assert formatting.round_half_up(2.675, 2) == 2.68
    assert formatting.round_half_up(2871456, -3) == 2871000


@pytest.mark.parametrize(
    "text, value",
    [
        ("12,5", 12.5),
        ("12.5", 12.5),
        ("12,5 %", 12.5),
        ("12,5\u00a0%", 12.5),
        ("1 250 €", 1250.0),
        ("1\u202f250,50\u00a0€", 1250.5),
        ("  -3,2 ", -3.2),
        ("'8,11 €'", 8.11),
        ("+12 points", 12.0),
    ],
)
def test_reads_numbers_as_a_french_reader_writes_them(text, value):
    assert formatting.parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "douze", "1.250,5", "12,5,3", "nan", "inf"])
def test_rejects_what_is_not_a_plain_number(text):
    assert formatting.parse_number(text) is None
