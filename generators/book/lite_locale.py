"""JupyterLite's own words in French, added to the site's language pack.

jupyterlite-core's translation addon copies the installed language pack
(jupyterlab-language-pack-fr-FR) into `api/translations/fr_FR.json`. That pack translates
JupyterLab and Notebook, but JupyterLite's own plug-ins (File › Download, the About and
Clear Browser Data dialogs, the kernel status) use the `jupyterlite` and `@jupyterlite`
domains, which no published pack has: a student would read « Download » in a French menu.
The pack is also made for JupyterLab 4.5 and the site runs 4.6: a few newer menu items
are missing. This module adds both, from the strings of the shipped jupyterlite-core
(0.8.6); the pack's own translation wins where it has one, except for the few mistakes
listed in CORRECTED.
"""

from __future__ import annotations

import json
from pathlib import Path

from generators.authoring import typography
from generators.errors import MercatiqueError

LOCALE = "fr_FR"

# string -> French; None: the string is also JupyterLab's, whose translation the pack has
# (one word for one action across the whole interface)
JUPYTERLITE: dict[str, str | None] = {
    "About %1": None,
    "Version %1": None,
    "CONTRIBUTOR LIST": None,
    "JUPYTERLITE ON GITHUB": "JUPYTERLITE SUR GITHUB",
    "\u00a9 2021-, JupyterLite Contributors": "\u00a9 2021-, les contributeurs de JupyterLite",
    "Dismiss": None,
    "Help": None,
    "Download": None,
    "Download the file to your computer": None,
    "Cannot Download": None,
    "No context found for current widget!": "Aucun document ouvert à télécharger.",
    "OK": None,
    "File Operations": None,
    "Copy Shareable Link": None,
    "Clear Browser Data": "Effacer les données du navigateur",
    "Warning: Data Loss Risk": "Attention : risque de perte de données",
    "Clearing browser data will permanently remove data stored in your browser. This "
    "operation cannot be undone and may result in loss of:": (
        "Effacer les données du navigateur supprime définitivement ce qu'il garde pour ce "
        "site. C'est irréversible et peut faire perdre :"
    ),
    "User settings and preferences": "les paramètres et préférences",
    "Notebooks and files stored in the browser": "les notebooks et fichiers gardés dans le navigateur",
    "Workspace layouts and panel arrangements": "la disposition de l'espace de travail et des panneaux",
    "Unsaved work and changes": "le travail et les modifications non enregistrés",
    "Settings and preferences": "Paramètres et préférences",
    "Files and notebooks": "Fichiers et notebooks",
    "Workspace layouts": "Disposition de l'espace de travail",
    "(unavailable)": "(indisponible)",
    "This will reload the page after clearing the selected data.": (
        "La page se recharge une fois les données choisies effacées."
    ),
    "Cancel": None,
    "Clear": "Effacer",
    "Plugin Manager": None,
    "Advanced Plugin Manager": None,
    "Click to open kernel logs": "Cliquez pour ouvrir le journal du noyau",
}
# domain -> strings, added where the pack has no translation
ADDED: dict[str, dict[str, str | None]] = {
    "jupyterlite": JUPYTERLITE,
    "@jupyterlite": JUPYTERLITE,  # the clear-data dialog loads this domain
    # JupyterLab 4.6 and Notebook 7.6 items the 4.5 pack does not have
    "jupyterlab": {
        "Delete the cell": "Supprimer la cellule",
        "Go to cell…": "Aller à la cellule…",
        "Select Last Modified Cell": "Sélectionner la dernière cellule modifiée",
        "Select Next Modified Cell": "Sélectionner la cellule modifiée suivante",
        "Cell %1/%2": "Cellule %1/%2",
    },
    "notebook": {
        "Close and Shut Down Notebook…": None,
        "Table of Contents": "Table des matières",
    },
}

# the pack's few mistakes a student meets (its toolbar's Copy button says « Couper »):
# domain -> {string: its forms (singular, plural)}, replacing the pack's
CORRECTED: dict[str, dict[str, list[str]]] = {
    "jupyterlab": {
        "Copy this cell": ["Copier cette cellule", "Copier ces %1 cellules"],
        "Licenses": ["Licences"],
    },
}


def complete(data: dict) -> None:
    """Add ADDED's domains and strings to a pack's `data` (domain -> gettext JSON) and
    apply CORRECTED, in place."""
    jupyterlab = data["jupyterlab"]
    for domain, strings in ADDED.items():
        catalogue = data.setdefault(domain, {"": {**jupyterlab[""], "domain": domain}})
        for source, french in strings.items():
            if source in catalogue:
                continue
            if french is None:
                if source not in jupyterlab:
                    raise MercatiqueError(f"Le paquet de langue ne traduit plus « {source} ».")
                catalogue[source] = jupyterlab[source]
            else:
                catalogue[source] = [typography.text(french)]
    for domain, strings in CORRECTED.items():
        for source, forms in strings.items():
            data[domain][source] = [typography.text(form) for form in forms]


def complete_site_pack(api_translations: Path) -> None:
    """Complete the built site's French pack (`api/translations/fr_FR.json`)."""
    pack_file = api_translations / f"{LOCALE}.json"
    if not pack_file.is_file():
        raise MercatiqueError(
            "Le paquet de langue française de JupyterLab manque (jupyterlab-language-pack-fr-FR) : "
            "lancez make install."
        )
    pack = json.loads(pack_file.read_text(encoding="utf-8"))
    complete(pack["data"])
    pack_file.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
