"""The course book as a student sees it: built with warnings as errors, then loaded in
headless Chromium from file:// with every non-file request blocked and recorded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generators.book.build import PROJECT_ROOT
from generators.book.selfcheck import decode_data
from generators.book.sphinx_ext import glossary_entries
from tests.browser import book_loaded

pytestmark = pytest.mark.slow
SHOTS = PROJECT_ROOT / "_build" / "screenshots"


@pytest.fixture(scope="module")
def html(book_html) -> Path:
    return book_html


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


class Visit:
    """One page load with the network cut: what was requested outside file://, and what failed."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.external: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.page.route(re.compile(r"^(?!file:|data:|blob:|about:).*"), self._block)
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url, wait_until="load")
        book_loaded(self.page)

    def _block(self, route):
        self.external.append(route.request.url)
        route.abort()


def pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def test_every_page_loads_offline_without_external_or_failed_requests(html, browser):
    found = pages(html)
    assert len(found) >= 12
    for path in found:
        visit = Visit(browser, path.as_uri())
        assert visit.external == [], (path.name, visit.external)
        assert visit.failed == [], (path.name, visit.failed)
        assert visit.errors == [], (path.name, visit.errors)
        assert visit.page.locator("html").get_attribute("lang") == "fr"
        visit.page.close()


def test_search_works_offline(html, browser):
    visit = Visit(browser, (html / "search.html").as_uri() + "?q=fidélisation")
    visit.page.wait_for_selector("#search-results li", timeout=15000)
    assert visit.page.locator("#search-results li").count() > 0
    assert visit.external == []


def test_chapter_page_screenshot(html, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    visit = Visit(browser, (html / "book" / "parcours-client.html").as_uri())
    assert "Objectifs" in visit.page.content()
    visit.page.screenshot(path=str(SHOTS / "chapitre.png"), full_page=False)
    assert (SHOTS / "chapitre.png").stat().st_size > 20_000


def _french(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")


def test_self_check_accepts_french_input_diagnoses_mistakes_and_changes_numbers(html, browser):
    visit = Visit(browser, (html / "book" / "mesure-efficacite.html").as_uri())
    visit.page.locator(".mq-selfcheck").first.wait_for()
    # the first exercise of the chapter that asks for a number (concept ones only ask choices)
    widget, data = next(
        (w, d)
        for w in visit.page.locator(".mq-selfcheck").all()
        for d in [decode_data(w.locator("script.mq-data").text_content())]
        if any(q["kind"] == "number" for q in d["variants"][0]["questions"])
    )
    version = int(re.search(r"Version (\d+)", widget.locator(".mq-count").text_content()).group(1))
    question = next(q for q in data["variants"][version - 1]["questions"] if q["kind"] == "number")
    position = [q["id"] for q in data["variants"][version - 1]["questions"]].index(question["id"])
    box = widget.locator(".mq-question").nth(position)
    box.locator("input").fill(_french(question["answer"]))
    widget.locator("button.mq-check").click()
    assert "Bonne réponse" in box.locator(".mq-feedback").text_content()
    box.locator("input").fill(_french(question["mistakes"][0]["value"]))
    widget.locator("button.mq-check").click()
    assert "Erreur fréquente" in box.locator(".mq-feedback").text_content()
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.locator("button.mq-reveal").click()
    assert widget.locator(".mq-solution").is_visible()
    widget.screenshot(path=str(SHOTS / "autoevaluation.png"))
    assert (SHOTS / "autoevaluation.png").stat().st_size > 10_000
    before = widget.locator(".mq-statement").inner_html()
    widget.locator("button.mq-next").click()
    assert widget.locator(".mq-statement").inner_html() != before
    assert visit.external == [] and visit.errors == []


def test_self_check_shows_a_written_question_with_its_model_answer_behind_the_toggle(html, browser):
    visit = Visit(browser, (html / "book" / "reseaux-sociaux-grc.html").as_uri())
    visit.page.locator(".mq-selfcheck").first.wait_for()
    widget = next(
        w
        for w in visit.page.locator(".mq-selfcheck").all()
        if any(q["kind"] == "written"
               for q in decode_data(w.locator("script.mq-data").text_content())["variants"][0]["questions"])
    )  # fmt: skip
    area = widget.locator("textarea.mq-written").first
    area.fill("Le community manager était en congé.")
    solution = widget.locator(".mq-solution")
    assert not solution.is_visible()
    widget.locator("button.mq-check").click()
    note = widget.locator(".mq-feedback.mq-written-note").first.text_content()
    note = note.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Question rédigée : comparez avec le corrigé." in note
    widget.locator("button.mq-reveal").click()
    assert solution.is_visible()
    assert "éléments attendus" in solution.locator(".mq-model").first.text_content()
    assert visit.external == [] and visit.errors == []


def test_glossary_defines_each_term_once_and_chapters_link_to_it(html):
    entries = glossary_entries(PROJECT_ROOT / "book" / "_glossaire")
    terms = [t.casefold() for t, _, _ in entries]
    assert len(terms) == len(set(terms)) and len(terms) >= 40
    glossary = (html / "book" / "glossaire.html").read_text(encoding="utf-8")
    assert glossary.count('<dt id="term-') == len(terms)
    chapter = (html / "book" / "communication-digitale.html").read_text(encoding="utf-8")
    assert 'href="glossaire.html#term-' in chapter


def test_ui_is_french(html):
    """The theme's texts and labels are French on every page (the themes hard-code some
    English), the configured footer line is there, the author line reads as French, the
    home page's title is the book's once, sections are not numbered twice and charts have
    real alternative text."""
    text = (html / "book" / "parcours-client.html").read_text(encoding="utf-8")
    assert 'lang="fr"' in text
    assert "Rechercher" in text
    assert "Par les auteurs du cahier" in text
    assert "Cours libre de mercatique numérique" in text  # extra_footer of _config.yml
    english = re.compile(
        r'(?:title|aria-label|placeholder|alt)="(?:Toggle[^"]*|Main|Search[^"]*|Back to top'
        r'|Skip to main content|Download[^"]*|Print[^"]*|Theme|Light|Dark|Previous|Next'
        r'|Contents|On this page)"'
    )
    for page in pages(html):
        markup = page.read_text(encoding="utf-8")
        assert not english.findall(markup), (page.name, english.findall(markup))
        assert "Par Les " not in markup, page.name
        # « 1.3.1. 1. La reconnaissance du besoin »: a heading numbered by hand and by Sphinx
        assert not re.search(r'section-number">[\d.]+ </span>\d+\. ', markup), page.name
        for alt in re.findall(r'<img [^>]*alt="([^"]*)"', markup):
            assert len(alt.split()) >= 8 and not re.search(r"\.(png|svg|jpe?g)$", alt), (page.name, alt)
    home = (html / "book" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<title>\s*Mercatique numérique\s*</title>", home)
    charts = (html / "book" / "mesure-efficacite.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<img [^>]*alt="(?:Diagramme|Courbe)', charts)) == 2


# What the typography pass must leave no trace of in a page's text: a straight apostrophe
# between letters, an ordinary space before : ; ! ? » or after «, between digit groups.
UNSET_TYPOGRAPHY = re.compile(r"[^\W\d_]'[^\W\d_]| [:;!?»](?=\s|$)|« |\d \d{3}(?!\d)")
VERBATIM = re.compile(
    r"<(script|style|code|pre|kbd|samp|textarea)\b.*?</\1\s*>|<(span|div) class=\"math[^\"]*\">.*?</\2>"
    # a formula drawn at build time: its drawing and the MathML read to screen readers
    r"|<(mjx-container)\b.*?</\3>",
    re.S | re.I,
)


def test_every_page_text_follows_french_typography(html):
    """Sources keep plain spaces and apostrophes; the built pages (titles, menus and index
    included) carry no-break spaces and curly apostrophes; the self-check data is
    checked in test_typography."""
    import html as html_lib

    faults = {}
    for page in pages(html):
        markup = VERBATIM.sub("", page.read_text(encoding="utf-8"))
        text = html_lib.unescape(re.sub(r"<[^>]+>", "\n", markup))
        found = [text[max(0, m.start() - 20) : m.end() + 10] for m in UNSET_TYPOGRAPHY.finditer(text)]
        if found:
            faults[page.name] = found[:5]
    assert not faults
    chapter = (html / "book" / "parcours-client.html").read_text(encoding="utf-8")
    assert "\u00a0:" in chapter and "’" in chapter


def test_synthesis_diagrams_are_local_svg_drawn_on_the_page_background_in_dark_theme(html, browser):
    """A diagram is Graphviz SVG from the book itself, and in dark theme it shows the dark
    page through its transparent background (no white box: Chromium paints one behind an
    embedded document whose colour scheme differs from the page's)."""
    from io import BytesIO

    from PIL import Image

    from tests.test_book_content import CHAPTERS

    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    context.add_init_script("localStorage.setItem('theme', 'dark'); localStorage.setItem('mode', 'dark');")
    for chapter in CHAPTERS:
        page = context.new_page()
        page.goto((html / "book" / f"{chapter}.html").as_uri(), wait_until="load")
        book_loaded(page)
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        diagram = page.locator("div.graphviz > object.graphviz, div.graphviz > img")
        assert diagram.count() == 1, chapter
        target = diagram.get_attribute("data") or diagram.get_attribute("src")
        svg = (html / "book" / target).resolve()
        assert svg.suffix == ".svg" and svg.is_file(), target
        assert "<image" not in svg.read_text(encoding="utf-8")
        diagram.scroll_into_view_if_needed()
        page.wait_for_timeout(200)  # the embedded SVG document paints after load
        shot = Image.open(BytesIO(diagram.screenshot())).convert("L")
        corner = shot.getpixel((1, 1))
        assert corner < 80, (chapter, "fond blanc derrière le schéma en thème sombre", corner)
        page.close()
    context.close()


def test_chapter_pages_fit_a_phone_screen(html, browser):
    """At 360 px no page is wider than the screen: wide tables and formulas scroll inside
    themselves, inline code (the teachers' page's commands) wraps."""
    page = browser.new_page(viewport={"width": 360, "height": 800})
    wide = {}
    for path in pages(html):
        if path == html / "index.html":
            continue  # a redirect to book/index.html
        page.goto(path.as_uri(), wait_until="load")
        book_loaded(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            wide[path.name] = width
    page.close()
    assert not wide


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_self_check_text_is_readable_in_both_themes(html, browser, scheme):
    """WCAG contrast of a self-check's statement on its background, in the theme the
    device asks for (the widget once kept its light surface under the dark theme's
    light text: 1.4:1)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    remembered = f"localStorage.setItem('theme', '{scheme}'); localStorage.setItem('mode', '{scheme}');"
    context.add_init_script(remembered)
    page = context.new_page()
    page.goto((html / "book" / "mesure-efficacite.html").as_uri(), wait_until="load")
    book_loaded(page)
    assert page.evaluate("document.documentElement.dataset.theme") == scheme
    widget = page.locator(".mq-selfcheck").first
    text = widget.locator(".mq-statement p").first.evaluate("e => getComputedStyle(e).color")
    surface = widget.evaluate("e => getComputedStyle(e).backgroundColor")
    light, dark = sorted((_luminance(text), _luminance(surface)), reverse=True)
    context.close()
    assert (light + 0.05) / (dark + 0.05) >= 4.5, (scheme, text, surface)
