"""Sphinx extension of the course book.

- ``{exercices-chapitre} CHAPTER``: the catalogue's exercises of a chapter, each with an
  offline self-check (plain JavaScript, variants generated at build time).
- ``{glossaire-complet}``: one glossary assembled from the chapters' fragments
  (``book/_glossaire/*.yml``), each term defined once.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import formatting
from .catalogue import load_catalogue
from .selfcheck import has_self_check, self_check_html

LOG = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "book_static"


class ChapterExercises(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        chapter = self.arguments[0]
        catalogue = load_catalogue()
        exercises = sorted((ex for ex in catalogue.values() if ex.chapter == chapter), key=lambda e: e.id)
        for ex in exercises:
            for name in ex.files:
                self.env.note_dependency(str(ex.folder / name))
        if not exercises:
            return [nodes.paragraph(text="Les exercices de ce chapitre arrivent bientôt.")]
        lines = [
            f"Ce chapitre compte {len(exercises)} exercice{'s' if len(exercises) > 1 else ''} du catalogue. "
            "Entraînez-vous ci-dessous : chaque clic sur « Nouvel exercice » change les nombres. "
            "Votre enseignant peut aussi vous les donner en devoir noté, avec vos propres nombres.",
            "",
        ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        result: list[nodes.Node] = [*container.children]
        for ex in exercises:
            section = nodes.rubric(text=f"{ex.title} ({formatting.number(ex.points)} pts)")
            result.append(section)
            if has_self_check(ex):
                result.append(nodes.raw("", self_check_html(ex), format="html"))
            else:
                result.append(
                    nodes.paragraph(
                        text="Étude de cas sur données (pandas) : elle se fait dans un notebook. "
                        f"Identifiant pour l'enseignant : {ex.id}."
                    )
                )
        return result


def _sort_key(term: str) -> str:
    folded = unicodedata.normalize("NFKD", term.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def glossary_entries(folder: Path) -> list[tuple[str, str, str]]:
    """(term, definition, chapter), each term once (the first chapter that defines it wins)."""
    seen: dict[str, tuple[str, str, str]] = {}
    for path in sorted(folder.glob("*.yml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            term, definition = str(entry["terme"]).strip(), " ".join(str(entry["definition"]).split())
            seen.setdefault(term.casefold(), (term, definition, path.stem))
    return sorted(seen.values(), key=lambda e: _sort_key(e[0]))


class FullGlossary(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        folder = Path(self.env.srcdir) / "book" / "_glossaire"
        for path in folder.glob("*.yml"):
            self.env.note_dependency(str(path))
        entries = glossary_entries(folder)
        lines = ["```{glossary}"]
        for term, definition, _ in entries:
            lines += [term, f"  {definition}", ""]
        lines.append("```")
        container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return container.children


def _drop_duplicate_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """sphinx-thebe (loaded by Jupyter Book) adds its inline configuration twice, and the
    second `const` declaration is a JavaScript error on every page: keep one of each."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (
            # the same inline script is registered once as filename None, once as ""
            str(getattr(script, "filename", script) or ""),
            repr(sorted(getattr(script, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _static_path(app: Sphinx) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict:
    app.add_directive("exercices-chapitre", ChapterExercises)
    app.add_directive("glossaire-complet", FullGlossary)
    app.connect("builder-inited", _static_path)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.add_js_file("selfcheck.js")
    app.add_css_file("selfcheck.css")
    app.add_css_file("chapters.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
