"""The book's page chrome: light pages, French theme texts, a layout that fits a phone.

Registered from `generators.book.sphinx_ext.setup`. What it does, and why:

- MathJax: only the component the pages load (`tex-chtml.js`) and the fonts it asks for
  are shipped (sphinx-mathjax-offline's package holds the whole 24 MB distribution);
- no source maps in the site (3 MB nobody reading the course uses);
- no Font Awesome script (1.5 MB on every page): the theme's few icons are drawn by a
  small generated style sheet (`mq-icons.css`, SVG paths taken from the theme's own
  Font Awesome bundle at build time), and its web font is cut to the admonitions' glyphs;
- French texts where the themes hard-code English (template overrides in
  `templates/`), no doubled title on the home page;
- wide tables and long formulas scroll inside themselves, labelled, with a visible hint
  when they do not fit (`mq-chrome.css`, `mq-chrome.js`); diagrams get their alt text as
  an accessible name.
"""

from __future__ import annotations

import html as html_lib
import importlib
import re
import shutil
from pathlib import Path
from urllib.parse import quote

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from generators.authoring import typography
from generators.book import formulas, node
from generators.classroom.course import write_atomic

LOG = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
MATHJAX_COMPONENT = "tex-chtml.js"
MATHJAX_FONTS = "output/chtml/fonts/woff-v2"
ICONS_CSS = "mq-icons.css"
SOURCE_MAP_COMMENT = re.compile(
    r"\n?(?://# sourceMappingURL=\S+|/\*# sourceMappingURL=[^*]*\*/)[ \t]*(?=\n|$)"
)


def _templates(app: Sphinx, config) -> None:
    config.templates_path.insert(0, str(TEMPLATES))


# --- MathJax ---------------------------------------------------------------------------


def mathjax_source() -> Path:
    """The MathJax distribution of the sphinx-mathjax-offline package (data only: the
    extension itself, which copies all of it, is not loaded)."""
    package = importlib.import_module("sphinx-mathjax-offline")
    return Path(package.__file__).parent / "static" / "mathjax"


def mathjax_files(source: Path) -> list[str]:
    """What `tex-chtml.js` needs at run time: itself and the CHTML fonts (the browser asks
    only for the fonts a page's formulas use)."""
    fonts = sorted(p.relative_to(source).as_posix() for p in (source / MATHJAX_FONTS).glob("*.woff"))
    return [MATHJAX_COMPONENT, *fonts]


def pages_loading_mathjax(outdir: Path) -> list[Path]:
    """Pages whose formulas are left to the MathJax script (drawn at build time otherwise,
    see formulas.py); a page kept from an earlier build counts too."""
    return [
        page
        for page in outdir.rglob("*.html")
        if "_static" not in page.parts and f"mathjax/{MATHJAX_COMPONENT}" in page.read_text(encoding="utf-8")
    ]


def ship_mathjax(outdir: Path) -> None:
    """MathJax's files for the pages that load it, and none when no page does."""
    source = mathjax_source()
    target = outdir / "_static" / "mathjax"
    keep = set(mathjax_files(source)) if pages_loading_mathjax(outdir) else set()
    if target.exists():
        # a site built before this extension holds the whole distribution
        for path in sorted(target.rglob("*"), reverse=True):
            name = path.relative_to(target).as_posix()
            if path.is_file() and name not in keep:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        if not keep:
            shutil.rmtree(target, ignore_errors=True)
    for name in keep:
        origin, copy = source / name, target / name
        if not copy.exists() or copy.stat().st_size != origin.stat().st_size:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, copy)


# --- source maps and Font Awesome --------------------------------------------------------


def drop_source_maps(outdir: Path) -> None:
    for path in outdir.rglob("*.map"):
        path.unlink()
    for path in [*outdir.glob("_static/**/*.js"), *outdir.glob("_static/**/*.css")]:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        stripped = SOURCE_MAP_COMMENT.sub("", text)
        if stripped != text:
            write_atomic(path, stripped.encode("utf-8", errors="surrogateescape"), mode=0o644)


def solid_icons(bundle: str) -> dict[str, tuple[int, int, str]]:
    """{name: (width, height, SVG path)} of the solid pack of the theme's Font Awesome
    bundle (its icons are declared as `name:[w,h,[aliases],"unicode","path"]`)."""
    end = bundle.index('d("fas",p)')
    start = bundle.rindex("var p={", 0, end)
    found = {}
    pattern = r'[{,]"?([a-z0-9-]+)"?:\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]+","([^"]+)"\]'
    for match in re.finditer(pattern, bundle[start:end]):
        found[match.group(1)] = (int(match.group(2)), int(match.group(3)), match.group(4))
    return found


def icons_css(names: set[str], icons: dict[str, tuple[int, int, str]]) -> str:
    """CSS drawing each icon as a mask filled with the text colour, as Font Awesome's
    own SVGs are (1em high, as wide as the glyph, coloured by `currentColor`)."""
    rules = [
        "/* Generated by generators/book/chrome.py from the theme's Font Awesome icons (CC BY 4.0). */",
        ".fa-lg { font-size: 1.25em; line-height: .05em; vertical-align: -.075em; }",
    ]
    for name in sorted(names):
        width, height, path = icons[name]
        svg = (
            f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}'><path d='{path}'/></svg>"
        )
        url = 'url("data:image/svg+xml,' + quote(svg, safe="/:=' ") + '")'
        rules.append(
            f".fa-{name}::before {{ content: ''; display: inline-block; vertical-align: -.125em; "
            f"height: 1em; width: {width / height:.4g}em; background-color: currentColor; "
            f"-webkit-mask: {url} center / contain no-repeat; mask: {url} center / contain no-repeat; }}"
        )
    return "\n".join(rules) + "\n"


ICON_CLASS = re.compile(r'class="([^"]*\bfa-[^"]*)"')


def draw_icons(outdir: Path) -> None:
    """Replace the Font Awesome script by the CSS of the icons the pages use."""
    theme = importlib.import_module("pydata_sphinx_theme")
    static = Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    bundle = static / "scripts" / "fontawesome.js"
    icons = solid_icons(bundle.read_text(encoding="utf-8"))
    used = set()
    for page in outdir.rglob("*.html"):
        if "_static" in page.parts:
            continue
        for classes in ICON_CLASS.findall(page.read_text(encoding="utf-8")):
            used |= {c[3:] for c in classes.split() if c.startswith("fa-") and c[3:] in icons}
    write_atomic(outdir / "_static" / ICONS_CSS, icons_css(used, icons), mode=0o644)
    for path in (outdir / "_static" / "scripts").glob("fontawesome.js*"):
        path.unlink()


PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def subset_icon_font(outdir: Path) -> None:
    """Font Awesome's web fonts (the solid one, 156 kB, loaded by every page for the
    admonitions' icons) cut down to the glyphs the theme's style sheets name as characters
    (its `--pst-icon-*` variables); the icons of the page chrome are drawn by `mq-icons.css`."""
    from fontTools import subset

    used = set()
    for sheet in outdir.glob("_static/**/*.css"):
        used |= set(PRIVATE_USE.findall(sheet.read_text(encoding="utf-8", errors="replace")))
    fonts = outdir / "_static" / "vendor" / "fontawesome" / "webfonts"
    for font in [*fonts.glob("fa-*.woff2"), *fonts.glob("fa-*.ttf")]:
        options = subset.Options()
        options.flavor = "woff2" if font.suffix == ".woff2" else None
        options.layout_features = ["*"]
        loaded = subset.load_font(str(font), options)
        if len(loaded.getGlyphOrder()) < 100:
            continue  # already cut by an earlier build
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(c) for c in used))
        subsetter.subset(loaded)
        partial = font.with_name(font.name + ".tmp")
        subset.save_font(loaded, str(partial), options)
        partial.replace(font)


def _finished(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    ship_mathjax(outdir)
    drop_source_maps(outdir)
    draw_icons(outdir)
    subset_icon_font(outdir)
    trim_style_sheets(outdir)


# --- the theme's style sheets -------------------------------------------------------------

OUR_STYLE_SHEETS = {p.name for p in (Path(__file__).parent / "static").glob("*.css")} | {
    ICONS_CSS,
    formulas.STYLESHEET,
}


def theme_style_sheets(outdir: Path) -> list[Path]:
    """The style sheets that come with the themes and extensions (Bootstrap in
    pydata-sphinx-theme's alone is 400 kB, on every page), not the book's own."""
    return sorted(p for p in (outdir / "_static").rglob("*.css") if p.name not in OUR_STYLE_SHEETS)


def trim_style_sheets(outdir: Path) -> None:
    """The theme's style sheets less the rules no page can use (PurgeCSS, `trim_css.mjs`).
    Sphinx copies the theme's untrimmed files again at each build, so the trimming always
    starts from them and sees every page of the site."""
    if not node.available("purgecss"):
        LOG.info("feuilles de style du thème non allégées : PurgeCSS manque (make node-deps)")
        return
    try:
        sheets = [str(p) for p in theme_style_sheets(outdir)]
        node.run("trim_css.mjs", {"root": str(outdir), "sheets": sheets})
    except node.NodeToolError as error:
        LOG.warning("feuilles de style du thème non allégées : %s", error)


# --- page context ----------------------------------------------------------------------

TABLE_BOX = re.compile(r'<div class="pst-scrollable-table-container">(\s*<table.*?</table>)', re.S)
HEADER_CELLS = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
DIAGRAM = re.compile(r'(<object [^>]*class="graphviz"[^>]*)>(\s*<p class="warning">(.*?)</p>)', re.S)
SCROLL_HINT = "Tableau plus large que l'écran : faites-le glisser pour voir toutes les colonnes."


def _plain(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _table_box(match: re.Match) -> str:
    table = match.group(1)
    head = table.split("</tr>", 1)[0]
    columns = [c for c in (_plain(cell) for cell in HEADER_CELLS.findall(head)) if c]
    label = "Tableau : " + ", ".join(columns) if columns else "Tableau"
    hint = html_lib.escape(typography.text(SCROLL_HINT), quote=False)
    return (
        '<div class="mq-wide">'
        f'<p class="mq-scroll-hint" aria-hidden="true">{hint}</p>'
        '<div class="pst-scrollable-table-container" role="region" '
        f'aria-label="{html_lib.escape(typography.text(label))}">{table}</div>'
    )


def _diagram(match: re.Match) -> str:
    alt = html_lib.escape(_plain(match.group(3)))
    return f'{match.group(1)} role="img" aria-label="{alt}">{match.group(2)}'


def chrome_body(body: str) -> str:
    """A page's body with its wide tables labelled scroll regions and its diagrams named."""
    body = TABLE_BOX.sub(_table_box, body)
    return DIAGRAM.sub(_diagram, body)


def _page_context(app: Sphinx, pagename, templatename, context, doctree) -> None:
    if context.get("body"):
        context["body"] = chrome_body(context["body"])
    _mathjax_only_with_formulas(app, pagename, context)
    _design_only_where_used(context)


def asset_name(asset) -> str:
    """The file a page's script or style sheet entry names ("" for an inline script):
    Sphinx gives objects with a `filename` or plain strings."""
    return str(getattr(asset, "filename", asset) or "")


DESIGN_ASSETS = ("sphinx-design.min.css", "design-tabs.js")


def _design_only_where_used(context: dict) -> None:
    """sphinx-design's style sheet and tab script (62 kB) come with Jupyter Book on every
    page; keep them on a page that shows one of its cards, tabs or badges."""
    if 'class="sd-' in context.get("body", "") or ' sd-' in context.get("body", ""):
        return

    def is_design(asset) -> bool:
        return asset_name(asset).rsplit("/", 1)[-1] in DESIGN_ASSETS

    context["css_files"] = [css for css in context.get("css_files", []) if not is_design(css)]
    context["script_files"] = [js for js in context.get("script_files", []) if not is_design(js)]


def _mathjax_only_with_formulas(app: Sphinx, pagename: str, context: dict) -> None:
    """The MathJax script (1.2 MB) only where formulas are left for it to draw: not on a
    page whose formulas were drawn at build time (formulas.py), nor on a page without
    any (Sphinx counts the formulas of every page a toctree includes as the page's own)."""
    drawn = context.get("mq_formulas_drawn", False)
    if app.env.get_domain("math").data["has_equations"].get(pagename) and not drawn:
        return
    mathjax = app.config.mathjax_path

    def is_mathjax(script) -> bool:
        body = getattr(script, "attributes", {}).get("body", "")
        return asset_name(script) in (mathjax, f"_static/{mathjax}") or body.startswith("window.MathJax")

    context["script_files"] = [script for script in context.get("script_files", []) if not is_mathjax(script)]


class ImageAltTypography(SphinxTransform):
    """French typography in the alternative text of images (the charts' `alt`, set in
    their code cell's `mystnb.image` options): the prose transform sees text nodes only."""

    default_priority = 800

    def apply(self, **kwargs) -> None:
        for image in self.document.findall(nodes.image):
            if image.get("alt"):
                image["alt"] = typography.text(image["alt"])


def setup(app: Sphinx) -> None:
    app.add_transform(ImageAltTypography)
    app.connect("config-inited", _templates)
    app.connect("html-page-context", _page_context, priority=600)
    app.connect("build-finished", _finished, priority=900)
    app.add_css_file(ICONS_CSS)
    app.add_css_file("mq-chrome.css")
    app.add_js_file("mq-chrome.js", loading_method="defer")
