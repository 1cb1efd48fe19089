"""Chapters 5 to 8 of the course book as a teacher would check them: the blocks of a
French textbook chapter, the legal wording a teacher must not have to correct, the facts
of the brands as the course material tells them, and diagrams readable in both themes.

The fast tests read the MyST sources; the slow ones build the book and look at it in
Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from generators.book.build import PROJECT_ROOT
from tests.browser import book_loaded

BOOK = PROJECT_ROOT / "book"
CHAPTERS = ["limites-risques", "crm-donnees", "reseaux-sociaux-grc", "etudes-de-cas"]


def source(chapter: str) -> str:
    return (BOOK / f"{chapter}.md").read_text(encoding="utf-8")


def prose(text: str) -> str:
    """The text with MyST emphasis and line breaks flattened, to search for wordings."""
    text = re.sub(r"\{term\}`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", text)
    return " ".join(text.replace("*", "").split())


def paragraphs(text: str) -> list[str]:
    return [prose(p) for p in re.split(r"\n\s*\n", text)]


def section(text: str, label: str) -> str:
    """From a `(label)=` target to the next section target."""
    start = text.index(f"({label})=")
    following = re.search(r"^\(sec-[\w-]+\)=", text[start + 1 :], flags=re.M)
    return text[start : start + 1 + following.start()] if following else text[start:]


def fenced_blocks(text: str, opener: str) -> list[str]:
    """Bodies of the colon or backtick fences whose first line starts with `opener`."""
    blocks = []
    for match in re.finditer(rf"^(:::|```){re.escape(opener)}[^\n]*\n(.*?)^\1\s*$", text, flags=re.M | re.S):
        blocks.append(match.group(2))
    return blocks


def graphviz_sources(text: str) -> list[str]:
    return [re.sub(r"^:[^\n]*\n", "", body, flags=re.M) for body in fenced_blocks(text, "{graphviz}")]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_the_blocks_of_a_textbook_chapter(chapter):
    text = source(chapter)
    opening = fenced_blocks(text, "{admonition} Situation d'ouverture")
    assert len(opening) == 1, "une situation d'ouverture par chapitre"
    # built on a short document, whose origin (invented or sourced) is stated
    assert re.search(r"^\*Document", opening[0], flags=re.M) and ">" in opening[0]
    assert re.search(r"^\d\. ", opening[0], flags=re.M), "des questions sur le document"
    vocabulary = fenced_blocks(text, "{admonition} Vocabulaire")
    assert len(vocabulary) == 1 and vocabulary[0].count("\n- ") >= 3
    assert len(graphviz_sources(text)) == 1, "un schéma de synthèse Graphviz"
    assert fenced_blocks(text, "{admonition} Exemple résolu"), "au moins un exemple résolu"
    further = re.search(r"^#+ Pour aller plus loin\n(.*?)^## ", text, flags=re.M | re.S)
    assert further, "une section « Pour aller plus loin »"
    # recent cases, dated
    assert re.search(r"20(19|2\d)", further.group(1))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_diagram_renders_narrow_on_a_transparent_background(chapter, tmp_path):
    dot = shutil.which("dot")
    if dot is None:
        pytest.fail("Graphviz est requis pour le livre : apt-get install graphviz (make system-deps)")
    (graph,) = graphviz_sources(source(chapter))
    result = subprocess.run([dot, "-Tsvg"], input=graph, capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    svg = result.stdout
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    # about a phone's column: wider diagrams shrink to illegible text
    assert width <= 430
    # no background rectangle (Graphviz draws a white one right after the title unless
    # bgcolor is transparent)
    graph_start = svg.split('class="graph"', 1)[1].split("<!--", 1)[0]
    assert "<polygon" not in graph_start, graph_start
    # dark text is drawn only on filled light boxes (readable in the dark theme)
    for node in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, flags=re.S):
        assert re.search(r'<path fill="#[0-9a-f]{6}"', node), "chaque boîte a un fond clair"


def test_gdpr_consent_prospecting_fines_and_erasure_are_stated_correctly():
    text = prose(source("limites-risques"))
    assert re.search(r"libre, spécifique, éclairée? et univoque", text)
    assert "case précochée" in text
    assert "L34-5" in text and "soft opt-in" in text and "analogues" in text
    assert re.search(r"désinscri|s'opposer", text)
    assert re.search(r"20 millions d'euros ou 4 % du chiffre d'affaires annuel mondial", text)
    assert "le montant le plus élevé" in text
    erasure = prose(section(source("limites-risques"), "sec-rgpd"))
    for limit in ("obligation légale", "liberté d'expression", "intérêt public", "en justice"):
        assert limit in erasure


def test_no_chapter_repeats_the_former_wrong_wordings():
    everything = " ".join(prose(p.read_text(encoding="utf-8")) for p in BOOK.glob("*.md"))
    everything += " ".join(p.read_text(encoding="utf-8") for p in (BOOK / "_glossaire").glob("*.yml"))
    assert not re.search(r"libre, éclairé et explicite", everything)
    # Oasis makes fruit drinks, not fruit juice nor clothing
    assert not re.search(r"jus de fruits?", everything, flags=re.I)
    assert "boissons aux fruits" in everything
    # « d'1 million » with no unit, « Coca-Cola s'est appuyé »
    assert not re.search(r"d'1 ", everything)
    assert not re.search(r"Coca-Cola s'est appuyé\b", everything)


def test_fnac_post_was_a_woman_customers_about_an_employee_not_on_the_fnac_page():
    for chapter in CHAPTERS:
        for paragraph in paragraphs(source(chapter)):
            telling = not paragraph.startswith(("|", ":::"))  # not a table or a question box
            if telling and "Fnac" in paragraph and "12 000" in paragraph:
                assert "cliente" in paragraph and "salarié" in paragraph, paragraph
                assert not re.search(r"(sur|dans) la page Facebook (de l'enseigne|de la Fnac)", paragraph)
                assert "après-vente" not in paragraph


def test_sixty_percent_is_fear_for_data_from_forrester():
    for chapter in CHAPTERS:
        text = source(chapter)
        for paragraph in paragraphs(text):
            if "60 %" in paragraph and "données" in paragraph:
                assert re.search(r"peur|craign", paragraph), paragraph
                assert "Forrester" in prose(text)


def test_case_facts_follow_the_course_material():
    cases = source("etudes-de-cas")
    virgin = prose(section(cases, "sec-cas-virgin-mobile"))
    assert "non financiers" in virgin and "2013" in virgin
    assert not re.search(r"TikTok|rémunér|cachet", virgin)
    heinz = prose(section(cases, "sec-cas-heinz"))
    assert "Tomato School" in heinz and "Grow Your Own" in heinz and "Facebook" in heinz
    assert "YouTube" not in heinz
    oasis = prose(section(cases, "sec-cas-oasis"))
    assert "boissons aux fruits" in oasis and "vêtement" not in oasis


def test_anglicisms_are_explained_where_they_appear():
    for chapter in CHAPTERS:
        text = source(chapter)
        for word in ("hotline", "drive-to-store", "CXM", "reel", "carrousel"):
            for match in re.finditer(rf"\b{re.escape(word)}\b", text, flags=re.I):
                # only as the italic English name next to its French equivalent
                assert text[match.start() - 1] == "*", f"{chapter} : « {word} » sans explication"


def test_coverage_of_the_course_material():
    social = prose(source("reseaux-sociaux-grc"))
    for notion in (
        "communauté d'entraide",
        "GRC sociale",
        "identité réelle",
        "personne compétente",
        "même niveau de réponse",
        "pic du soir",
        "jours de repos",
        "charte éditoriale",
        "service après-vente",
        "2014-2016",
        "score d'influence",
    ):
        assert notion in social, notion
    data = prose(source("crm-donnees"))
    for notion in ("marketing de masse", "Peppers", "Rogers", "consom'acteur", "Hadoop", "Arkéa"):
        assert notion in data, notion
    assert all(v in data for v in ("Volume", "Variété", "Vélocité", "Véracité", "Valeur"))
    limits = prose(source("limites-risques"))
    assert "Facebook" in prose(section(source("limites-risques"), "sec-facebook-donnees"))
    assert "9 juin 2023" in limits and "9 juin 2023" in social


@pytest.mark.slow
def test_built_diagrams_sit_on_the_page_background_in_light_and_dark_theme(tmp_path, book_html, chromium):
    """The SVG is inside an <object>: Chromium paints a white canvas behind it in dark
    mode unless the color schemes agree. Look at the pixels around the boxes."""
    from PIL import Image

    html, browser = book_html, chromium
    for scheme in ("light", "dark"):
        for width in (1280, 390):
            viewport = {"width": width, "height": 900}
            context = browser.new_context(viewport=viewport, color_scheme=scheme)
            page = context.new_page()
            page.goto((html / "book" / "reseaux-sociaux-grc.html").as_uri(), wait_until="load")
            book_loaded(page)
            assert page.evaluate("document.documentElement.dataset.theme") == scheme
            diagram = page.locator("div.graphviz > object").first
            diagram.scroll_into_view_if_needed()
            box = diagram.bounding_box()
            assert box["width"] <= width, "le schéma tient dans la largeur de l'écran"
            shot = tmp_path / f"{scheme}-{width}.png"
            diagram.screenshot(path=str(shot))
            page_background = page.evaluate(
                "getComputedStyle(document.body).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)"
            )
            corner = Image.open(shot).convert("RGB").getpixel((2, 2))
            close = all(abs(a - b) <= 8 for a, b in zip(corner, page_background, strict=True))
            assert close, (scheme, width, corner, page_background)
            context.close()
