"""Sphinx extension of the course book.

- ``{exercices-chapitre} CHAPTER``: the catalogue's exercises of a chapter, each with an
  offline self-check (plain JavaScript, variants generated at build time).
- ``{glossaire-complet}``: one glossary assembled from the chapters' fragments
  (``book/_glossaire/*.yml``), each term defined once.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import cache
from pathlib import Path

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from generators.authoring import formatting, typography
from generators.authoring.catalogue_folders import exercise_folders
from generators.book import chrome, formulas
from generators.classroom.course import write_atomic

LOG = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
CACHE_FOLDER = "mercatique-exercices"
"""Under Sphinx's doctree folder: `mercatique book --all` starts it afresh."""
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _chapter_of(folder: Path) -> tuple[str, str]:
    """(id, chapter) of an exercise, read from its exercise.yml without loading it."""
    meta = yaml.load((folder / "exercise.yml").read_text(encoding="utf-8"), Loader=SafeLoader) or {}
    return str(meta.get("id", folder.name)), str(meta.get("chapter", ""))


@cache
def _code_digest() -> str:
    """The generators' own code: a cached widget is redone when the code that drew it changes."""
    digest = hashlib.sha256()
    root = Path(__file__).parent.parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _book_code_digest() -> str:
    """The generators' code with the book's own static files, templates and Node tools."""
    digest = hashlib.sha256(_code_digest().encode())
    book = Path(__file__).parent
    for path in sorted([*book.glob("static/**/*"), *book.glob("templates/**/*"), *book.glob("*.mjs")]):
        if path.is_file():
            digest.update(path.relative_to(book).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _outdated_when_code_changed(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Every page when the book's code changed since the last build (a new version of the
    product): Sphinx would otherwise keep the pages, and the style sheets and scripts they
    load, of the old one until their chapter is edited."""
    digest = _book_code_digest()
    if getattr(env, "mq_code_digest", None) == digest:
        return []
    env.mq_code_digest = digest
    return sorted(env.found_docs - added - changed - removed)


def _folder_digest(folder: Path) -> str:
    digest = hashlib.sha256(_code_digest().encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def exercise_entry(folder: Path, cache_dir: Path) -> dict:
    """Title, points and self-check widget of one exercise, kept between builds.

    Drawing the twelve preview variants (and loading the exercise, its schema, pandas) is
    most of a chapter page's reading time: a rebuild after editing a chapter's prose reuses
    the widget as long as the exercise's files and the generators' code are unchanged.
    """
    digest = _folder_digest(folder)
    path = cache_dir / f"{folder.name}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("digest") == digest:
            return entry
    except (OSError, ValueError):
        pass
    from generators.authoring.catalogue import load_exercise
    from generators.book.selfcheck import self_check_html

    ex = load_exercise(folder)
    entry = {
        "digest": digest,
        "id": ex.id,
        "title": ex.title,
        "points": ex.points,
        "html": self_check_html(ex),
    }
    cache_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(entry, ensure_ascii=False))
    return entry


class ChapterExercises(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        chapter = self.arguments[0]
        found = sorted((*_chapter_of(f), f) for f in exercise_folders())
        folders = [f for _, its_chapter, f in found if its_chapter == chapter]
        for folder in folders:
            for path in folder.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts:
                    self.env.note_dependency(str(path))
        if not folders:
            return [nodes.paragraph(text="Les exercices de ce chapitre arrivent bientôt.")]
        cache_dir = Path(self.env.doctreedir) / CACHE_FOLDER
        exercises = [exercise_entry(folder, cache_dir) for folder in folders]
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
            # a heading (h3) per exercise: screen-reader users jump from one to the next
            title = nodes.rubric(text=f"{ex['title']} ({formatting.number(ex['points'])} pts)")
            title["heading-level"] = title["level"] = 3  # Sphinx reads the first, MyST the second
            title["classes"].append("mq-exercise-title")
            result.append(title)
            result.append(nodes.raw("", ex["html"], format="html"))
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


class FrenchTypography(SphinxTransform):
    """French typography on every page's prose, set once at build time (the sources keep
    plain spaces and apostrophes). It runs before Sphinx registers labels (priority 850)
    and titles (880), so the table of contents, the search index and cross-references get
    it too; `_typeset_page_context` does the page title and the general index."""

    default_priority = 800
    VERBATIM = (nodes.FixedTextElement, nodes.literal, nodes.math, nodes.raw, nodes.comment)

    def apply(self, **kwargs) -> None:
        for node in list(self.document.findall(nodes.Text)):
            if any(isinstance(parent, self.VERBATIM) for parent in _ancestors(node)):
                continue
            typeset = typography.text(node.astext())
            if typeset != node.astext():
                node.parent.replace(node, nodes.Text(typeset))
        for diagram in self.document.findall(lambda n: n.tagname == "graphviz"):
            # a diagram's prose is its labels (quoted strings of the dot code) and its alt text
            diagram["code"] = _DOT_STRING.sub(lambda m: typography.text(m.group(0)), diagram["code"])
            if "alt" in diagram:
                diagram["alt"] = typography.text(diagram["alt"])


_DOT_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _ancestors(node: nodes.Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _typeset_page_context(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """The two texts the theme takes outside the doctrees: the page's <title> and the
    index entries (glossary terms are registered with their source spelling)."""
    if context.get("title"):
        # as entities: the layout's `striptags` filter folds whitespace characters,
        # no-break spaces included, into plain spaces
        title = typography.html(context["title"])
        context["title"] = title.replace(typography.NBSP, "&#160;").replace(typography.NNBSP, "&#8239;")
    if "genindexentries" in context:
        context["genindexentries"] = [
            (letter, [(typography.text(name), rest) for name, rest in entries])
            for letter, entries in context["genindexentries"]
        ]


def _drop_duplicate_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """sphinx-thebe (loaded by Jupyter Book) adds its inline configuration twice, and the
    second `const` declaration is a JavaScript error on every page: keep one of each."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (
            # the same inline script is registered once as filename None, once as ""
            chrome.asset_name(script),
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
    app.add_transform(FrenchTypography)
    app.connect("builder-inited", _static_path)
    app.connect("env-get-outdated", _outdated_when_code_changed)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.connect("html-page-context", _typeset_page_context)
    app.add_js_file("selfcheck.js")
    app.add_css_file("selfcheck.css")
    app.add_css_file("chapters.css")
    app.setup_extension("generators.book.printing")
    app.setup_extension("generators.book.search")
    formulas.setup(app)
    chrome.setup(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
