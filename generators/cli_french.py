"""click's own messages in French (« Utilisation : », « Erreur : », the help option…).

click marks its messages for gettext (`from gettext import gettext as _` in each of its
modules) but ships no catalogue. `locale/click.fr.po` is that catalogue in French and
`locale/click.fr.mo` its compiled form (`make locale` rebuilds it with Babel; a test checks
they agree). It is bound to the names click's modules translate through, so the
translation applies whatever the teacher's system language is.
"""

from __future__ import annotations

import gettext
import importlib
from functools import cache
from io import BytesIO
from pathlib import Path

LOCALE = Path(__file__).parent / "locale"
CATALOGUE = LOCALE / "click.fr.po"
COMPILED = LOCALE / "click.fr.mo"
CLICK_MODULES = (
    "core", "decorators", "exceptions", "formatting", "parser", "shell_completion",
    "termui", "types", "utils",
)  # fmt: skip


def compile_catalogue() -> bytes:
    """The .mo bytes of the French catalogue (Babel reads the .po, writes the .mo)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    return compiled.getvalue()


@cache
def translations() -> gettext.GNUTranslations:
    with COMPILED.open("rb") as handle:
        return gettext.GNUTranslations(handle)


# click shows a parameter's type in capitals in the help (« --seed INTEGER »): these
# names are class attributes, not gettext messages
TYPE_NAMES = {
    "StringParamType": "texte",
    "IntParamType": "entier",
    "IntRange": "entier",
    "FloatParamType": "nombre",
    "FloatRange": "nombre",
    "BoolParamType": "oui/non",
}
SUBCOMMANDS = "COMMANDE [ARGUMENTS]..."
"""What a command group's usage line names its subcommand (click: « COMMAND [ARGS]... »)."""


def install() -> None:
    """Make click speak French (idempotent)."""
    import click.types

    for name, french_name in TYPE_NAMES.items():
        getattr(click.types, name).name = french_name
    french = translations()
    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = french.gettext
        if hasattr(module, "ngettext"):
            module.ngettext = french.ngettext


if __name__ == "__main__":  # python -m generators.cli_french: rebuild the .mo
    COMPILED.write_bytes(compile_catalogue())
