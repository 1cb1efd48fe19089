"""Does every message of the command line, click's own included, read in French?"""

from __future__ import annotations

import re

import pytest

from generators import cli_french
from generators.cli import main
from tests.helpers import run

ENGLISH = ("Usage:", "Show this message", "Error:", "Missing argument", "Try '", "No such option",
           "does not exist", "Show the version", "Options:", "Commands:", "COURSE_DIR", "ASSIGNMENT",
           "EXERCISE_ID", "ZIP_OR_FOLDER", "TEXT", "INTEGER", "FLOAT", "BOOLEAN", "RANGE",
           "COMMAND [ARGS]")  # fmt: skip


def test_compiled_catalogue_matches_its_source():
    """Was click.fr.mo rebuilt after the last edit of click.fr.po (make locale)?"""
    import gettext
    from io import BytesIO

    fresh = gettext.GNUTranslations(BytesIO(cli_french.compile_catalogue()))
    shipped = cli_french.translations()
    messages = {k: v for k, v in fresh._catalog.items() if k}  # "" holds the header, with dates
    assert {k: v for k, v in shipped._catalog.items() if k} == messages
    assert len(messages) > 50


def _no_english(text: str) -> None:
    # whole words only (« TEXTE » is French, « TEXT » is click's English); a phrase that
    # ends with punctuation (« Try ' ») may be followed by anything
    def found(phrase: str) -> bool:
        end = r"(?!\w)" if phrase[-1].isalnum() else ""
        return re.search(rf"(?<!\w){re.escape(phrase)}{end}", text) is not None

    leftovers = [phrase for phrase in ENGLISH if found(phrase)]
    assert not leftovers, f"anglais restant : {leftovers}\n{text}"


def test_main_help_is_french():
    result = run("--help")
    assert result.exit_code == 0
    assert "Utilisation\u00a0:" in result.output
    assert "Affiche cette aide et s'arrête." in result.output
    assert "Commandes\u00a0:" in result.output
    _no_english(result.output)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_help_is_french(command):
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Utilisation\u00a0:")
    _no_english(result.output)


def test_missing_argument_is_french():
    result = run("grade")
    assert result.exit_code == 2
    assert "Erreur\u00a0: Argument manquant\u00a0: 'COURS'" in result.output
    assert "Pour l'aide, tapez «\u00a0" in result.output
    _no_english(result.output)


def test_unknown_option_and_command_are_french(tmp_path):
    result = run("list", "--chapitre-inexistant")
    assert "Option inconnue\u00a0: «\u00a0--chapitre-inexistant\u00a0»" in result.output
    _no_english(result.output)
    result = run("corriger")
    assert "Commande inconnue\u00a0: «\u00a0corriger\u00a0»" in result.output
    _no_english(result.output)


def test_missing_folder_is_french(tmp_path):
    result = run("grade", tmp_path / "absent", "devoir-1")
    assert result.exit_code == 2
    assert "Dossier «\u00a0" in result.output and "introuvable" in result.output
    _no_english(result.output)


def test_bad_number_is_french(tmp_path):
    result = run("preview", "kpi-cpc-ctr-cpm", "--seed", "deux")
    assert "n'est pas un nombre valide" in result.output
    _no_english(result.output)
