"""Formulas drawn when the book is built, so that no page loads MathJax.

Sphinx writes each formula as TeX for MathJax to draw in the browser: 1.2 MB of script
and fonts on the two pages that have formulas. Here MathJax itself (npm `@mathjax/src`,
run once per page by Node.js, `tex2svg.mjs`) draws them at build time as SVG:

- the glyphs a page uses are written once at the top of its body, each drawing points
  to them, and the drawings take the text colour (dark mode);
- a display formula wider than a phone's column also gets a drawing broken over lines
  (MathJax 4's line breaking), shown on narrow screens instead of a sideways scroll;
- each drawing keeps MathJax's hidden MathML, which screen readers read.

Drawings are cached beside Sphinx's doctrees, by page content and MathJax version.
Without Node.js or the npm package the pages keep the MathJax script (`_static/mathjax`,
see `chrome.ship_mathjax`), and the build says how to draw them instead.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path
from typing import NamedTuple

from sphinx.application import Sphinx
from sphinx.util import logging

from generators.book import node
from generators.classroom.course import write_atomic

LOG = logging.getLogger(__name__)
SCRIPT = "tex2svg.mjs"
MATHJAX = "@mathjax/src"
STYLESHEET = "mq-formulas.css"
CACHE_FOLDER = "mercatique-formules"
NARROW_PX = 288
"""Display formulas wider than this get a broken version: a 360 px phone's text column is
328 px, and MathJax counts 8 px to the ex where the page's font has up to 9 (328 / 9 × 8)."""

INLINE = re.compile(r'<span class="math notranslate nohighlight">\\\((.*?)\\\)</span>', re.S)
BLOCK = re.compile(r'<div class="math notranslate nohighlight"([^>]*)>(.*?)\\\[(.*?)\\\]\s*</div>', re.S)
ERROR = 'data-mml-node="merror"'
# MathJax's own bookkeeping on every element (a third of a drawing's weight): the TeX of
# each subexpression, the MathML node names, the characters of each glyph
BOOKKEEPING = re.compile(r' data-(?:latex|latex-item|c|mml-node|semantic-[a-z-]+)="[^"]*"')

# MathJax's style sheet thickens its glyphs through `use[data-c]`, gone with the bookkeeping
GLYPH_STROKE = '\nmjx-container[jax="SVG"] use {\n  stroke-width: 3;\n}\n'


class Drawn(NamedTuple):
    body: str
    css: str
    errors: int


def available() -> bool:
    return node.available(MATHJAX)


def draw(formulas: list[tuple[str, bool]], cache: Path | None = None) -> dict:
    """MathJax's drawing of each (tex, display) of one page: {css, glyphs, formulas}."""
    request = {
        "narrow": NARROW_PX,
        "formulas": [{"tex": tex, "display": display} for tex, display in formulas],
    }
    digest = hashlib.sha256(json.dumps([request, node.package_version(MATHJAX)]).encode())
    digest.update(Path(node.__file__).with_name(SCRIPT).read_bytes())  # the drawing code itself
    cached = cache / f"{digest.hexdigest()}.json" if cache else None
    if cached and cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    drawn = node.run(SCRIPT, request)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(cached, json.dumps(drawn).encode("utf-8"), mode=0o644)
    return drawn


def _formulas_of(body: str) -> list[tuple[str, bool]]:
    found = [(m.start(), html.unescape(m.group(1)), False) for m in INLINE.finditer(body)]
    found += [(m.start(), html.unescape(m.group(3)), True) for m in BLOCK.finditer(body)]
    return [(tex, display) for _, tex, display in sorted(found)]


def _display(attributes: str, before: str, drawn: dict) -> str:
    """A display formula: its wide drawing, and its broken one for phones when it has one."""
    if not drawn["narrow"]:
        return f'<div class="math mq-formula"{attributes}>{before}{drawn["wide"]}</div>'
    return (
        f'<div class="math mq-formula mq-formula-breaks"{attributes}>{before}'
        f'<div class="mq-formula-wide">{drawn["wide"]}</div>'
        f'<div class="mq-formula-narrow">{drawn["narrow"]}</div></div>'
    )


def drawn_body(body: str, cache: Path | None = None) -> Drawn:
    """The page's body with every formula drawn, MathJax's style sheet ("" when the page
    has no formula) and how many formulas MathJax could not read. Raises node.NodeToolError
    when MathJax cannot run."""
    formulas = _formulas_of(body)
    if not formulas:
        return Drawn(body, "", 0)
    result = draw(formulas, cache)
    drawings = iter(result["formulas"])
    # both patterns are applied in page order, as _formulas_of listed the formulas
    pattern = re.compile(f"{INLINE.pattern}|{BLOCK.pattern}", re.S)

    def replace(match: re.Match) -> str:
        drawn = next(drawings)
        if match.group(1) is not None:
            return f'<span class="math mq-formula">{drawn["wide"]}</span>'
        return _display(match.group(2), match.group(3), drawn)

    body = pattern.sub(replace, body)
    errors = body.count(ERROR)
    glyphs = (
        '<svg class="mq-formula-glyphs" style="display: none" aria-hidden="true" focusable="false">'
        f'<defs>{result["glyphs"]}</defs></svg>'
    )
    return Drawn(BOOKKEEPING.sub("", glyphs + body), result["css"] + GLYPH_STROKE, errors)


# --- Sphinx --------------------------------------------------------------------------


def _page_context(app: Sphinx, pagename: str, templatename, context: dict, doctree) -> None:
    if app.builder.format != "html" or not context.get("body") or not available():
        return
    try:
        drawn = drawn_body(context["body"], Path(app.doctreedir) / CACHE_FOLDER)
    except node.NodeToolError as error:
        LOG.warning("formules de %s non dessinées (le navigateur les dessinera) : %s", pagename, error)
        return
    if not drawn.css:
        return
    if drawn.errors:
        LOG.warning("%s : %d formule(s) que MathJax n'a pas su lire", pagename, drawn.errors)
    context["body"] = drawn.body
    app.builder.mq_formulas_css = drawn.css
    app.add_css_file(STYLESHEET)
    context["mq_formulas_drawn"] = True


def _finished(app: Sphinx, exception) -> None:
    css = getattr(app.builder, "mq_formulas_css", "")
    if exception is None and css:
        write_atomic(Path(app.outdir) / "_static" / STYLESHEET, css.encode("utf-8"), mode=0o644)


def setup(app: Sphinx) -> None:
    if not available():
        LOG.info(
            "formules : Node.js ou le paquet npm @mathjax/src manque (make node-deps) ; "
            "MathJax les dessinera dans le navigateur"
        )
    app.connect("html-page-context", _page_context, priority=550)
    app.connect("build-finished", _finished, priority=800)
