"""The course book printed and searched as a student does it: headless Chromium on the
built book from file://, every request outside file:// aborted.

Print: Chromium's own PDF (what « Imprimer » gives), read back with poppler's pdftotext
and pdftoppm. Search: Sphinx's search page, whose extracts must come without fetching
the result pages (refused from file://) and whose words match without their accents.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from generators.book.build import PROJECT_ROOT
from tests.browser import Screenshots, axe_violations, book_loaded

pytestmark = pytest.mark.slow
SHOTS = Screenshots(PROJECT_ROOT / "_build" / "screenshots" / "print-search")
# A4 less the print stylesheet's side margins (14 mm each): the width a printed page lays out in
SHEET_WIDTH_PX = round((210 - 2 * 14) / 25.4 * 96)
# the theme logs this when no colour scheme was saved yet: not a fault of the page
KNOWN_CONSOLE = ("Got invalid theme mode",)


@pytest.fixture(scope="module")
def html(book_html) -> Path:
    return book_html


class Tab:
    """One page of the book with the network cut: what it asked outside file://, what
    failed, and its errors."""

    def __init__(self, chromium, url: str, *, width: int = 1280, scheme: str = "light"):
        self.page = chromium.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.page.route(re.compile(r"^(?!file:|data:|blob:|about:).*"), self._abort)
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", self._console)
        self.page.goto(url, wait_until="load")
        book_loaded(self.page)

    def _abort(self, route):
        self.outside.append(route.request.url)
        route.abort()

    def _console(self, message):
        if message.type == "error" and not message.text.startswith(KNOWN_CONSOLE):
            self.errors.append(message.text)

    def clean(self) -> bool:
        return not (self.outside or self.failed or self.errors)


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


# ---------------------------------------------------------------- search


def search(chromium, html: Path, query: str, **options) -> tuple[Tab, list[dict]]:
    tab = Tab(chromium, (html / "search.html").as_uri() + "?q=" + query, **options)
    tab.page.wait_for_function(
        "() => (document.querySelector('#search-results .search-summary') || {}).textContent",
        timeout=20_000,
    )
    results = tab.page.eval_on_selector_all(
        "#search-results li",
        """items => items.map(li => ({
            href: li.querySelector('a').getAttribute('href'),
            title: li.querySelector('a').textContent,
            extract: (li.querySelector('p.context') || {}).textContent || '',
            marked: [...li.querySelectorAll('p.context .highlighted')].map(s => s.textContent),
        }))""",
    )
    return tab, results


@pytest.mark.parametrize(
    ("typed", "accented", "first_page", "stem"),
    [
        ("reseaux", "réseaux", "book/reseaux-sociaux-grc.html", "reseau"),
        ("fidelisation", "fidélisation", "book/formulaire-kpi.html", "fidelis"),
    ],
)
def test_search_ignores_accents_and_shows_an_extract_of_each_result(
    chromium, html, typed, accented, first_page, stem
):
    tab, results = search(chromium, html, typed)
    assert tab.clean(), (tab.outside, tab.failed, tab.errors)
    assert len(results) >= 3, results
    # the page about it comes first: the chapter named after the word, the KPI sheet's section
    assert results[0]["href"].startswith(first_page), [r["href"] for r in results]
    for result in results:
        # an extract from the page, the matching word highlighted in it, accents and all
        assert stem in fold(result["extract"]), result
        assert result["marked"] and all(stem in fold(word) for word in result["marked"]), result
    # typed without accents, it found them written with
    assert any(accented in word.casefold() for result in results for word in result["marked"])
    SHOTS.take(tab.page, f"recherche-{typed}")
    tab.page.close()
    # typed with its accents, the same pages in the same order
    tab, same = search(chromium, html, accented)
    assert [r["href"] for r in same] == [r["href"] for r in results]
    tab.page.close()


def test_search_still_stems_french_words(chromium, html):
    # « fidéliser » finds the pages saying « fidélisation » or « fidélise », and shows them
    tab, results = search(chromium, html, "fideliser")
    marked = {word.casefold() for result in results for word in result["marked"]}
    assert "fidélisation" in marked, marked
    tab.page.close()


def test_search_finds_words_the_two_french_stemmers_cut_differently(chromium, html):
    """Python's Snowball stemmer cuts « française » to « franc », the browser's to
    « francais »: the index is stemmed by the browser's own code, so the query finds the
    word, and not « France »."""
    for typed, word in (("francaise", "française"), ("irlandaise", "irlandaise")):
        tab, results = search(chromium, html, typed)
        marked = [w.casefold() for result in results for w in result["marked"]]
        assert results and word in marked, (typed, marked)
        assert all(fold(w).startswith(fold(word)[:-1]) for w in marked), (typed, marked)
        tab.page.close()


def test_every_word_of_the_book_is_indexed_under_the_stem_the_browser_gives_it(chromium, html):
    tab = Tab(chromium, (html / "search.html").as_uri())
    tab.page.wait_for_function("() => Search._index && window.MQ_SEARCH_TEXTS")
    seen, missing = tab.page.evaluate(
        """() => {
          const stemmer = new Stemmer(), index = Search._index, stop = new Set(stopwords);
          const missing = new Set();
          let seen = 0;
          for (const sections of Object.values(MQ_SEARCH_TEXTS)) for (const [, title, text] of sections) {
            for (const word of (title + " " + text).match(/[\\p{L}\\p{N}_]+/gu) || []) {
              const lower = word.toLowerCase();
              if (lower.length < 3 || /^\\d/.test(lower) || stop.has(lower)) continue;
              seen++;
              const stem = stemmer.stemWord(lower);
              const indexed = (t) => t in index.terms || t in index.titleterms;
              if (![stem, lower, word].some(indexed)) missing.add(word);
            }
          }
          return [seen, [...missing]];
        }"""
    )
    tab.page.close()
    assert seen > 10_000
    assert missing == []


def test_search_finds_a_word_deep_in_one_chapter_and_links_to_its_section(chromium, html):
    word, chapter = "emprisonnement", "book/reseaux-sociaux-grc.html"
    # the word is in one page only, past the middle of its text
    holders = [
        p for p in html.rglob("*.html") if "_static" not in p.parts and word in p.read_text(encoding="utf-8")
    ]
    assert [p.relative_to(html).as_posix() for p in holders if p.name != "search.html"] == [chapter]
    tab = Tab(chromium, (html / chapter).as_uri())
    text = tab.page.inner_text("article")
    assert text.index(word) > len(text) / 2
    tab.page.close()

    tab, results = search(chromium, html, word)
    assert tab.clean(), (tab.outside, tab.failed, tab.errors)
    assert results and results[0]["href"].startswith(chapter + "#"), results
    assert word in results[0]["extract"] and results[0]["marked"] == [word]
    # the link leads to the section where the word is
    anchor = results[0]["href"].split("#", 1)[1]
    tab.page.click("#search-results li a")
    tab.page.wait_for_load_state("load")
    assert tab.page.url.endswith("#" + anchor)
    assert word in tab.page.inner_text(f"[id='{anchor}']")
    tab.page.close()


def test_search_leads_to_the_glossary_definition_itself(chromium, html):
    tab, results = search(chromium, html, "cpc")
    glossary = [r for r in results if r["href"].startswith("book/glossaire.html")]
    assert glossary, results
    # the result shows the term and its definition, and links to that definition
    assert glossary[0]["href"].startswith("book/glossaire.html#term-")
    assert "Coût par clic" in glossary[0]["extract"] and "CPC" in glossary[0]["marked"]
    tab.page.close()


@pytest.mark.parametrize(
    ("scheme", "width"), [("light", 1280), ("dark", 1280), ("light", 360), ("dark", 360)]
)
def test_search_results_page_is_french_and_accessible(chromium, html, scheme, width):
    tab, results = search(chromium, html, "taux de clic", width=width, scheme=scheme)
    assert results
    status = tab.page.locator("#search-results .search-summary")
    assert status.get_attribute("role") == "status"
    assert re.search(r"\b\d+ page\(s\)", status.inner_text()) and "Recherche" in status.inner_text()
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
    SHOTS.take(tab.page, f"recherche-{scheme}-{width}")
    # the results and the search form (the theme's navigation is another helper's part)
    axe_violations(tab.page, impacts=())  # injects axe-core
    found = tab.page.evaluate(
        """async () => (await axe.run({include: [['#search-results'], ['.bd-search-container form']]},
                                      {resultTypes: ['violations']})).violations
            .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ': ' + v.help)"""
    )
    assert found == []
    tab.page.close()


# ---------------------------------------------------------------- print


def print_pdf(
    chromium, html: Path, page_name: str, folder: Path, *, scheme: str = "light"
) -> tuple[Tab, Path]:
    tab = Tab(chromium, (html / "book" / f"{page_name}.html").as_uri(), scheme=scheme)
    # the exercises are drawn by selfcheck.js once the page is loaded
    tab.page.wait_for_function("() => !document.querySelector('.mq-selfcheck:not(:has(.mq-body))')")
    pdf = folder / f"{page_name}-{scheme}.pdf"
    tab.page.pdf(path=str(pdf), format="A4")
    return tab, pdf


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


def pngs(pdf: Path, resolution: int = 40) -> list[Path]:
    """The PDF's pages as images, kept beside the screenshots to be looked at."""
    prefix = SHOTS.folder / pdf.stem
    for old in SHOTS.folder.glob(f"{pdf.stem}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(resolution), "-png", str(pdf), str(prefix)], check=True)
    return sorted(SHOTS.folder.glob(f"{pdf.stem}-*.png"))


def flat(text: str) -> str:
    """Text without its layout: no page numbers, no whitespace (a wrapped line is whole)."""
    text = re.sub(r"(?m)^\s*\d+ / \d+\s*$", "", text)
    return re.sub(r"\s+", "", text)


def inked_height(png: Path) -> float:
    """How far down the page its content goes (0 to 1), the page number left out."""
    image = Image.open(png).convert("L")
    width, height = image.size
    pixels = image.load()
    rows = [y for y in range(int(height * 0.94)) if any(pixels[x, y] < 200 for x in range(0, width, 2))]
    return (max(rows) + 1) / height if rows else 0.0


def test_a_printed_chapter_is_its_text_and_its_exercises_as_worksheets(chromium, html, tmp_path):
    tab, pdf = print_pdf(chromium, html, "mesure-efficacite", tmp_path)
    assert tab.clean(), (tab.outside, tab.failed, tab.errors)
    page = tab.page
    solutions = page.eval_on_selector_all(".mq-solution", "nodes => nodes.map(n => n.textContent)")
    code_lines = page.eval_on_selector_all("pre", "nodes => nodes.flatMap(n => n.textContent.split('\\n'))")
    title = page.inner_text("#jb-print-docs-body h1")
    pages = pdf_pages(pdf)
    whole = flat("\n".join(pages))

    # every exercise's worked solution is printed, its buttons are not
    assert len(solutions) >= 5
    for solution in solutions:
        assert flat(solution)[:120] in whole
    # (« Nouvel exercice » is named in the text introducing the exercises)
    for button in ("Vérifier mes réponses", "Voir le corrigé"):
        assert flat(button) not in whole
    # the longest line of code is printed whole (wrapped, not clipped at the sheet's edge)
    longest = max(code_lines, key=len)
    assert len(longest) > 90
    assert flat(longest) in whole
    # the first page holds the title and the chapter's first text, not the title alone
    first = flat(pages[0])
    assert first.startswith(flat(title))
    assert len(pages[0].split()) > 150
    assert flat("Objectifs d’apprentissage") in first

    # on paper: no navigation, header, footer or button; answer lines instead of input boxes
    page.emulate_media(media="print")
    for chrome in (
        ".bd-header",
        ".bd-sidebar-primary",
        ".bd-sidebar-secondary",
        ".bd-header-article",
        ".prev-next-footer",
        ".bd-footer",
        "#jb-print-toc",
        ".mq-buttons",
        ".mq-selfcheck button",
    ):
        assert all(not node.is_visible() for node in page.locator(chrome).all()), chrome
    assert page.locator(".mq-solution").first.is_visible()
    borders = "n => [getComputedStyle(n).borderTopWidth, getComputedStyle(n).borderBottomWidth]"
    assert page.eval_on_selector(".mq-input", borders) == ["0px", "1px"]
    shots = pngs(pdf)
    assert len(shots) == len(pages)
    tab.page.close()


def test_every_page_fits_the_printed_sheet(chromium, html):
    for path in sorted((html / "book").glob("*.html")):
        tab = Tab(chromium, path.as_uri(), width=SHEET_WIDTH_PX)
        tab.page.emulate_media(media="print")
        width = tab.page.evaluate("document.documentElement.scrollWidth")
        assert width <= SHEET_WIDTH_PX, (path.name, width)
        tab.page.close()


def test_the_kpi_sheet_prints_on_few_full_pages(chromium, html, tmp_path):
    tab, pdf = print_pdf(chromium, html, "formulaire-kpi", tmp_path)
    pages = pdf_pages(pdf)
    # before the print stylesheet: 10 A4 pages, each table pushed whole to the next page
    # and the rest of the page left blank; measured after it: 7
    assert len(pages) <= 7
    heights = [inked_height(png) for png in pngs(pdf)]
    assert all(height > 0.75 for height in heights[:-1]), heights
    # every KPI's formula row is on paper, none cut at the sheet's edge
    assert flat("Valeur vie client") in flat("".join(pages))
    tab.page.close()


def _contrast_on_white(rgb: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def test_a_chapter_read_in_dark_mode_prints_dark_ink_on_white(chromium, html, tmp_path):
    tab, pdf = print_pdf(chromium, html, "mesure-efficacite", tmp_path, scheme="dark")
    page = tab.page
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    pngs(pdf)
    # paper is white (backgrounds are not printed): the dark theme's light text would vanish
    page.emulate_media(media="print", color_scheme="dark")
    for selector in (
        "article p",
        "article li",
        "article td",
        ".admonition-title",
        ".mq-prompt",
        ".mq-solution p",
        "div.highlight pre",
        "div.highlight pre span",
    ):
        color = page.eval_on_selector(selector, "n => getComputedStyle(n).color")
        assert _contrast_on_white(color) >= 4.5, (selector, color)
    tab.page.close()
