"""Does text written by a student reach the teacher's terminal and spreadsheet harmless?"""

from __future__ import annotations

import csv
import io

import pytest

from generators.classroom.course import csv_text
from generators.grading.sanitize import for_spreadsheet, for_terminal, lines_for_terminal


@pytest.mark.parametrize(
    "raw",
    [
        "\x1b[2J\x1b[HLéa",  # clear screen, cursor home
        "\x1b]0;pwned\x07Léa",  # OSC: window title
        "\x1b]8;;http://x\x1b\\Léa\x1b]8;;\x1b\\",  # OSC 8 hyperlink
        "\x9b31mLéa",  # 8-bit CSI
        "L\x00é\x08a\x7f",  # NUL, backspace, DEL
        "\u202eLéa",  # right-to-left override
    ],
)
def test_terminal_text_loses_escape_sequences_and_controls(raw):
    assert for_terminal(raw) == "Léa"


def test_terminal_text_is_one_line_and_capped():
    forged = "erreur\n  - copie de « eleve002 » : 20/20\r\nfin"
    shown = for_terminal(forged)
    assert "\n" not in shown and "\r" not in shown
    assert shown == "erreur - copie de « eleve002 » : 20/20 fin"
    long = for_terminal("x" * 5000, limit=100)
    assert len(long) == 100 and long.endswith("…")


def test_unterminated_osc_swallows_the_rest_rather_than_leaking():
    assert for_terminal("Léa\x1b]0;title without end") == "Léa"


def test_multiline_message_keeps_its_lines_but_not_escapes():
    text = "liste refusée.\n  - ligne 2 : « \x1b[31mx\x1b[0m » invalide"
    assert lines_for_terminal(text) == "liste refusée.\n  - ligne 2 : « x » invalide"


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x","y")', "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx", "＝1+1"],
)
def test_formula_cells_are_shown_as_text(cell):
    assert for_spreadsheet(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-2.5", "-12,5", "-3", "+4", "-1.5e-05", "Léa", "", "12 %", "a=b"])
def test_numbers_and_plain_text_are_unchanged(cell):
    assert for_spreadsheet(cell) == cell


def test_numbers_pass_through_as_numbers():
    assert for_spreadsheet(-2.5) == -2.5 and for_spreadsheet(-3) == -3 and for_spreadsheet(None) is None


def test_every_cell_of_the_product_csv_writer_is_neutralised():
    text = csv_text(["id", "nom"], [["a1", '=HYPERLINK("http://x","y")'], ["a2", "-1.5"]], delimiter=";")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1] == ["a1", '\'=HYPERLINK("http://x","y")']
    assert rows[2] == ["a2", "-1.5"]


@pytest.mark.slow
def test_collect_prints_an_unknown_archive_entry_harmlessly(tmp_path):
    """A name in a Moodle archive is chosen by whoever uploaded the file."""
    import zipfile

    from tests.helpers import new_course, run

    root = new_course(tmp_path, 2, {"devoir-1": ["oasis-page-facebook"]})
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Personne\x1b[2J\x1b]0;titre\x07 Inconnue_9_assignsubmission_file_/d.ipynb", "{}")
    result = run("collect", root, "devoir-1", archive)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "Personne Inconnue" in result.output
