"""The book's pages as a phone and a desktop show them, in light and dark theme: offline
from file:// with every other request aborted, no console error, nothing wider than a
360 px screen, no serious accessibility fault in the page chrome (the self-check widgets
have their own tests), formulas drawn, and a site that ships only what the pages load."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generators.book.build import PROJECT_ROOT
from generators.book.chrome import ICONS_CSS
from tests.browser import Screenshots, axe_violations, book_loaded

pytestmark = pytest.mark.slow
SHOTS = Screenshots(PROJECT_ROOT / "_build" / "screenshots" / "chrome")
PHONE, DESKTOP = {"width": 360, "height": 800}, {"width": 1280, "height": 900}
WIDGETS = {"exclude": [[".mq-selfcheck"]]}


def pages(html: Path) -> list[Path]:
    """Every page of the site (the root index.html is only a redirect to book/index.html)."""
    found = sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)
    return [p for p in found if "<html" in p.read_text(encoding="utf-8")[:2000]]


class Load:
    """One page in a browser context: requests outside file:// aborted and recorded, failed
    requests and console errors recorded (before axe-core injects anything)."""

    def __init__(self, context, path: Path):
        self.page = context.new_page()
        self.external: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.requested: list[str] = []
        self.page.route(re.compile(r"^(?!file:|data:|blob:|about:).*"), self._block)
        self.page.on("request", lambda r: self.requested.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.goto(path.as_uri(), wait_until="load")
        book_loaded(self.page)
        self.page.wait_for_timeout(100)  # the scroll hints follow the page's final size

    def _block(self, route):
        self.external.append(route.request.url)
        route.abort()


def _context(browser, scheme: str, viewport: dict):
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    # the theme keeps the reader's choice in localStorage: start from the one under test
    context.add_init_script(
        f"localStorage.setItem('theme', '{scheme}'); localStorage.setItem('mode', '{scheme}');"
    )
    return context


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_offline_fits_a_phone_and_has_no_serious_accessibility_fault(book_html, chromium, scheme):
    context, desktop = _context(chromium, scheme, PHONE), _context(chromium, scheme, DESKTOP)
    found = pages(book_html)
    assert len(found) >= 14
    faults = {}
    for path in found:
        name = path.relative_to(book_html).with_suffix("").as_posix().replace("/", "-")
        load = Load(context, path)
        page = load.page
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        problems = {
            # copies: axe-core's own stylesheet fetches (refused from file://) come later
            "autres hôtes": list(load.external),
            "échecs": list(load.failed),
            "erreurs": list(load.errors),
            "largeur": [w for w in [page.evaluate("document.documentElement.scrollWidth")] if w > 360],
            "icônes sans dessin": page.evaluate(
                """() => [...document.querySelectorAll('.primary-toggle [class*="fa-"], .theme-switch')]
                .filter(i => getComputedStyle(i).display !== 'none')
                .filter(i => {
                    const drawn = getComputedStyle(i, '::before');
                    const mask = drawn.maskImage || drawn.webkitMaskImage || '';
                    return parseFloat(drawn.width) < 4 || !mask.startsWith('url(');
                })
                .map(i => i.className)"""
            ),
        }
        SHOTS.take(page, f"{name}-360-{scheme}")
        problems["axe"] = [(v["id"], v["nodes"]) for v in axe_violations(page, context=WIDGETS)]
        problems = {k: v for k, v in problems.items() if v}
        if problems:
            faults[name] = problems
        page.close()
        wide = Load(desktop, path)  # loaded at its size: a resized page shows the sidebar's transition
        SHOTS.take(wide.page, f"{name}-1280-{scheme}")
        wide.page.close()
    context.close()
    desktop.close()
    assert not faults, json.dumps(faults, ensure_ascii=False, indent=1)[:4000]


def test_formulas_are_drawn_at_build_time_and_fit_a_phone(book_html, chromium):
    """Every formula is an SVG drawing made by the build (no MathJax script), whose glyphs
    are in the page, with MathML for screen readers; on a phone a display formula too wide
    for the screen is shown broken over lines, on a desktop in one line."""
    drawn = broken = 0
    for scheme, viewport in (("light", PHONE), ("dark", PHONE), ("light", DESKTOP)):
        context = _context(chromium, scheme, viewport)
        for path in pages(book_html):
            text = path.read_text(encoding="utf-8")
            if "mq-formula" not in text:
                continue
            assert 'class="math notranslate' not in text, path.name
            load = Load(context, path)
            page = load.page
            assert not [u for u in load.requested if "mathjax" in u.lower()], path.name
            assert load.failed == [] and load.errors == [], (path.name, load.failed, load.errors)
            state = page.evaluate(FORMULAS_STATE)
            assert state["unresolved"] == 0 and state["errors"] == 0, (path.name, state)
            assert state["shown"] == state["formulas"] > 0, (path.name, state)
            assert state["mathml"] == state["formulas"], (path.name, state)
            assert state["empty"] == 0, (path.name, state)
            # a long formula is drawn in one line where that fits, else broken over lines
            assert state["wideShownTooWide"] == 0, (path.name, state)
            if viewport is PHONE:
                assert state["narrowShown"] >= state["breaks"] - 2, (path.name, state)
                broken += state["narrowShown"]
                # a fraction wider than a phone cannot be broken: it scrolls in its box
                assert state["tooWide"] <= 3, (path.name, state)
            else:
                assert state["narrowShown"] <= 2 and state["tooWide"] == 0, (path.name, state)
            assert state["colour"] == state["textColour"], (path.name, state)
            drawn += state["formulas"]
            box = page.locator(".mq-formula-breaks").first
            if box.count():
                box.scroll_into_view_if_needed()
                SHOTS.take(page, f"formule-{path.stem}-{viewport['width']}-{scheme}")
            page.close()
        context.close()
    assert drawn >= 3 * 40
    assert broken >= 2 * 10  # chapter 4's long formulas, in both themes


# What a reader sees of the page's formulas: each one drawn (its visible drawing has a
# size), every glyph it points to defined in the page, none an error, each with MathML;
# the display formulas broken for a phone, and how many are wider than their box.
FORMULAS_STATE = """() => {
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).display !== "none";
  const formulas = [...document.querySelectorAll(".mq-formula")];
  const drawings = [...document.querySelectorAll(".mq-formula mjx-container")].filter(visible);
  const uses = [...document.querySelectorAll(".mq-formula use")];
  const main = document.querySelector("main, article") || document.body;
  return {
    formulas: formulas.length,
    shown: formulas.filter((f) => [...f.querySelectorAll("mjx-container")].some(visible)).length,
    empty: drawings.filter((d) => d.getBoundingClientRect().width < 5).length,
    unresolved: uses.filter((u) => !document.getElementById(u.getAttribute("xlink:href").slice(1))).length,
    errors: document.querySelectorAll(".mq-formula [fill=red], .mq-formula merror").length,
    mathml: formulas.filter((f) => [...f.querySelectorAll("mjx-assistive-mml math")]
      .some((m) => visible(m.closest("mjx-container")))).length,
    breaks: document.querySelectorAll(".mq-formula-breaks").length,
    narrowShown: [...document.querySelectorAll(".mq-formula-narrow")].filter(visible).length,
    wideShownTooWide: [...document.querySelectorAll(".mq-formula-breaks")].filter((f) =>
      visible(f.querySelector(".mq-formula-wide")) && f.scrollWidth > f.clientWidth + 1).length,
    tooWide: [...document.querySelectorAll("div.mq-formula")]
      .filter((f) => f.scrollWidth > f.clientWidth + 1).length,
    colour: drawings.length ? getComputedStyle(drawings[0].querySelector("svg")).color : "",
    textColour: getComputedStyle(main).color,
  };
}"""


def test_site_ships_no_source_map_no_icon_script_and_no_mathjax(book_html):
    assert not list(book_html.rglob("*.map"))
    for path in [*book_html.glob("_static/**/*.js"), *book_html.glob("_static/**/*.css")]:
        assert "sourceMappingURL" not in path.read_text(encoding="utf-8", errors="replace"), path
    assert not list(book_html.glob("_static/**/fontawesome*.js"))
    # the formulas are drawn at build time: no MathJax script or font is shipped
    assert not (book_html / "_static" / "mathjax").exists()
    icons = (book_html / "_static" / ICONS_CSS).read_text(encoding="utf-8")
    for path in pages(book_html):
        for classes in re.findall(r'class="([^"]*\bfa-[^"]*)"', path.read_text(encoding="utf-8")):
            for icon in {c for c in classes.split() if c.startswith("fa-")} - {"fa-solid", "fa-lg"}:
                assert f".{icon}::before" in icons, (path.name, icon)


def test_home_page_loads_no_mathjax_and_weighs_well_under_a_megabyte(book_html, chromium):
    context = _context(chromium, "light", DESKTOP)
    load = Load(context, book_html / "book" / "index.html")
    assert not [u for u in load.requested if "mathjax" in u]
    files = {Path(u.split("?")[0].removeprefix("file://")) for u in load.requested if u.startswith("file://")}
    assert sum(f.stat().st_size for f in files if f.is_file()) < 450_000
    # the icon font holds the admonitions' few glyphs, not Font Awesome's 1 400
    font = book_html / "_static" / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.woff2"
    assert font.stat().st_size < 20_000
    context.close()


def test_wide_table_scrolls_inside_a_labelled_focusable_region_with_a_visible_hint(book_html, chromium):
    """The KPI sheet on a phone: the table scrolls, the hint says so, the keyboard reaches
    the region, and its last column (« Erreur à éviter ») can be brought on screen."""
    context = _context(chromium, "light", PHONE)
    load = Load(context, book_html / "book" / "formulaire-kpi.html")
    wide = load.page.locator(".mq-wide").first
    region = wide.locator(".pst-scrollable-table-container")
    assert "mq-overflowing" in wide.get_attribute("class")
    assert wide.locator(".mq-scroll-hint").is_visible()
    assert region.get_attribute("role") == "region"
    assert "Erreur à éviter" in region.get_attribute("aria-label")
    assert region.get_attribute("tabindex") == "0"
    header = region.locator("th").last
    assert header.inner_text().strip().startswith("Erreur")
    first = header.bounding_box()
    assert first["x"] + first["width"] > 361  # not wholly on screen at first
    region.focus()

    def column_on_screen() -> bool:
        box = header.bounding_box()
        return box["x"] >= 0 and box["x"] + box["width"] <= 361

    for _ in range(80):  # the arrow keys scroll smoothly: press until the column is in view
        if column_on_screen():
            break
        load.page.keyboard.press("ArrowRight")
        load.page.wait_for_timeout(60)
    assert column_on_screen()
    SHOTS.take(load.page, "formulaire-kpi-derniere-colonne-360")
    context.close()
