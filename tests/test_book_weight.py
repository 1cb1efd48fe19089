"""What a page of the book weighs, and that making it light took nothing away.

Formulas are drawn at build time (no MathJax script), Sphinx's search files load on the
search page only, and the theme's style sheets are trimmed by PurgeCSS: checked here
against the untrimmed sheets, rule by rule, on the elements pages show in light and dark
mode, on a phone with its menu open, with the search box open and an exercise answered.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from benchmarks.page_weight import exercise_data_size, page_files
from tests.browser import book_loaded

pytestmark = pytest.mark.slow
PHONE, DESKTOP = {"width": 360, "height": 800}, {"width": 1280, "height": 900}


def _pages(html: Path) -> list[Path]:
    return sorted(p for p in (html / "book").glob("*.html"))


def test_every_page_loads_well_under_a_megabyte_before_exercise_data(book_html):
    weights = {}
    for page in _pages(book_html):
        files = page_files(page, book_html)
        weights[page.name] = sum(files.values()) - exercise_data_size(page)
        names = {p.name for p in files}
        assert not names & {"searchindex.js", "searchtools.js", "tex-chtml.js"}, page.name
    assert max(weights.values()) < 800_000, weights
    # a chapter without formulas: the theme, the scripts and the text
    assert weights["parcours-client.html"] < 500_000, weights
    assert weights["index.html"] < 450_000, weights
    assert not (book_html / "_static" / "mathjax").exists()


def test_the_search_page_still_loads_the_search_index(book_html):
    names = {p.name for p in page_files(book_html / "search.html", book_html)}
    assert {"searchindex.js", "searchtools.js", "language_data.js"} <= names


def _untrimmed_sheets() -> dict[str, str]:
    """The theme's style sheets as their packages ship them: {file name: CSS}."""
    pydata = Path(importlib.import_module("pydata_sphinx_theme").__file__).parent
    book = Path(importlib.import_module("sphinx_book_theme").__file__).parent
    mystnb = Path(importlib.import_module("myst_nb").__file__).parent
    found = {
        "pydata-sphinx-theme.css": pydata / "theme/pydata_sphinx_theme/static/styles/pydata-sphinx-theme.css",
        "sphinx-book-theme.css": book / "theme/sphinx_book_theme/static/styles/sphinx-book-theme.css",
        "mystnb.css": next(mystnb.rglob("mystnb.css")),
    }
    return {name: path.read_text(encoding="utf-8") for name, path in found.items()}


def _trimmed_sheet(html: Path, name: str) -> str:
    stem = name.removesuffix(".css")
    path = next(p for p in (html / "_static").rglob(f"{stem}*.css"))
    return path.read_text(encoding="utf-8")


# Every single selector of a sheet whose elements are on the page now. A selector with a
# pseudo-element or a state the page is not in (:hover, :focus…) is matched without it.
USED_SELECTORS = """
([sheet, KEEP_ALL]) => {
  const STATES = new RegExp("::?(" + [
    "before", "after", "placeholder", "marker", "selection", "first-letter", "first-line", "backdrop",
    "file-selector-button", "-webkit-[a-z-]+", "-moz-[a-z-]+", "hover", "focus-visible", "focus-within",
    "focus", "active", "visited", "target", "checked", "disabled", "indeterminate",
  ].join("|") + ")(?![\\w-])", "g");
  const singles = (text) => {
    const out = []; let depth = 0, start = 0;
    for (let i = 0; i < text.length; i++) {
      if ("([".includes(text[i])) depth++;
      else if (")]".includes(text[i])) depth--;
      else if (text[i] === "," && depth === 0) { out.push(text.slice(start, i).trim()); start = i + 1; }
    }
    out.push(text.slice(start).trim());
    return out;
  };
  const used = new Set();
  const walk = (rules) => {
    for (const rule of rules) {
      if (rule.cssRules && !rule.selectorText) { walk(rule.cssRules); continue; }
      if (!rule.selectorText) continue;
      for (const selector of singles(rule.selectorText)) {
        let probe = selector.replace(STATES, "");
        if (/^\\s*$|[>+~]\\s*$/.test(probe)) probe += "*";
        try {
          if (KEEP_ALL || document.querySelector(probe)) used.add(selector);
        } catch (e) { /* a selector this browser cannot test */ }
      }
    }
  };
  const parsed = new CSSStyleSheet();
  parsed.replaceSync(sheet);
  walk(parsed.cssRules);
  return [...used];
}
"""



def _states(page):
    """The states a reader puts the page in, one after the other."""
    yield "chargée"
    toggle = page.locator("button.primary-toggle:visible")
    if toggle.count():
        toggle.first.click()
        page.wait_for_timeout(400)
        yield "menu ouvert"
        page.keyboard.press("Escape")
    page.keyboard.press("Control+k")
    page.wait_for_timeout(300)
    yield "recherche ouverte"
    page.keyboard.press("Escape")
    check = page.locator(".mq-selfcheck button", has_text="Vérifier").first
    if check.count():
        check.click()
        page.locator(".mq-selfcheck button", has_text="corrigé").first.click()
        yield "exercice vérifié, corrigé ouvert"


@pytest.mark.parametrize(
    "scheme,viewport", [("light", DESKTOP), ("dark", PHONE)], ids=["clair-1280", "sombre-360"]
)
def test_trimmed_theme_keeps_every_rule_the_pages_use(book_html, chromium, scheme, viewport):
    untrimmed = _untrimmed_sheets()
    context = chromium.new_context(viewport=viewport, color_scheme=scheme)
    # the theme keeps the reader's choice in localStorage: start from the one under test
    context.add_init_script(f"['theme', 'mode'].forEach((k) => localStorage.setItem(k, '{scheme}'))")
    page = context.new_page()
    page.route(re.compile(r"^(?!file:|data:|blob:|about:).*"), lambda route: route.abort())
    kept = {}
    for name in untrimmed:
        page.goto("about:blank")
        kept[name] = set(page.evaluate(USED_SELECTORS, [_trimmed_sheet(book_html, name), True]))
    missing, checked = [], 0
    chapters = ("index", "parcours-client", "mesure-efficacite", "formulaire-kpi", "etudes-de-cas")
    for path in [book_html / "book" / f"{n}.html" for n in chapters] + [book_html / "search.html"]:
        page.goto(path.as_uri() + ("?q=reseaux" if path.name == "search.html" else ""))
        if path.parent.name == "book":
            book_loaded(page)
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        for state in _states(page):
            for name, css in untrimmed.items():
                used = page.evaluate(USED_SELECTORS, [css, False])
                checked += len(used)
                missing += [(path.name, state, name, s) for s in used if s not in kept[name]]
    context.close()
    assert checked > 500
    assert not missing, sorted({(name, s) for _, _, name, s in missing})
