"""The course book's sources hold what a French textbook chapter has, and the terms a
teacher would correct are used right. Fast: reads the MyST files and runs Graphviz's dot
on each synthesis diagram (the built pages are checked in tests/test_book.py)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from generators.book.build import PROJECT_ROOT

BOOK = PROJECT_ROOT / "book"
# Chapters 1-4 (the course side of issue 11); chapters 5-8 join the list once they have
# the same blocks.
CHAPTERS = ["parcours-client", "communication-digitale", "strategies-digitales", "mesure-efficacite"]
DIAGRAM = re.compile(r"```\{graphviz\}\n(?P<options>(?::[^\n]*\n)*)\n?(?P<dot>.*?)\n```", re.S)


def source(chapter: str) -> str:
    return (BOOK / f"{chapter}.md").read_text(encoding="utf-8")


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_the_four_pedagogical_blocks(chapter):
    text = source(chapter)
    situation = re.search(
        r"^## Situation d'ouverture\n\n:::\{admonition\} Document[^\n]*\n:class: situation\n(.*?)\n:::",
        text,
        re.S | re.M,
    )
    assert situation, "une situation d'ouverture bâtie sur un document"
    assert re.search(r"^1\. ", situation.group(1), re.M), "la situation pose des questions numérotées"
    assert "invent" in situation.group(0).split("\n")[2], "un document inventé le dit dans son titre"
    vocabulaire = re.search(r":::\{admonition\} Vocabulaire\n:class: vocabulaire\n(.*?)\n:::", text, re.S)
    assert vocabulaire and vocabulaire.group(1).count("\n- **") >= 4
    assert len(DIAGRAM.findall(text)) == 1, "un schéma de synthèse Graphviz"
    assert re.search(r"^## Pour aller plus loin\n", text, re.M)
    assert re.search(r"Exemple résolu|^### Exemple \d", text, re.M), "au moins un exemple résolu"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_synthesis_diagram_is_transparent_self_contained_svg(chapter):
    if shutil.which("dot") is None:
        pytest.fail("Graphviz est requis pour le livre : apt-get install graphviz")
    match = DIAGRAM.search(source(chapter))
    assert ":alt:" in match.group("options") and ":caption:" in match.group("options")
    dot = match.group("dot")
    assert 'bgcolor="transparent"' in dot, "fond transparent, lisible en thème clair et sombre"
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    assert "<image" not in svg and "http://" not in svg.replace("http://www.w3.org/", "")
    # light text on a light fill, or dark on dark, is what fails in one of the two themes:
    # every filled node keeps a light fill under dark text
    for fill in re.findall(r'fillcolor="(#[0-9a-fA-F]{6})"', dot):
        assert sum(int(fill[i : i + 2], 16) for i in (1, 3, 5)) > 3 * 0xB0, fill


def test_taux_de_marge_always_means_margin_over_purchase_cost():
    """Taux de marge = marge ÷ coût d'achat HT; a margin's share of sales is a taux de marque."""
    files = sorted(BOOK.glob("*.md")) + sorted((BOOK / "_glossaire").glob("*.yml"))
    for path in files:
        # a quoted document (> …) or a quotation (« … ») may hold the mistake on purpose,
        # for students to spot
        text = re.sub(r"^>.*$", "", path.read_text(encoding="utf-8"), flags=re.M)
        text = re.sub(r"«[^»]*»", "« … »", text)
        for paragraph in paragraphs(text):
            if re.search(r"taux de marge", paragraph, re.I):
                assert "coût d'achat" in paragraph or "taux de marque" in paragraph, (path.name, paragraph)
            assert "taux_marge" not in paragraph, (path.name, "une part du chiffre d'affaires : taux_marque")


def test_chapter_4_states_ht_or_ttc_for_every_amount_in_euros():
    text = source("mesure-efficacite")
    prose = re.sub(r"```\{code-cell\}.*?```", "", text, flags=re.S)
    for paragraph in paragraphs(prose):
        if paragraph.startswith("$$"):
            continue
        if re.search(r"\d[\s\u00a0\u202f]?(€|euros)", paragraph):
            assert re.search(r"\b(HT|TTC)\b", paragraph), paragraph


def test_chapter_4_separates_npai_from_bounces_and_counts_receipts_in_store():
    text = source("mesure-efficacite")
    assert "soft bounce" in text and "hard bounce" in text
    assert re.search(r"Taux de NPAI\}.*rebonds définitifs", text)
    assert "tickets de caisse" in text and "entrées" in text
    assert "taux de passage" in text.lower()


def test_book_without_graphviz_says_in_french_what_to_install(tmp_path, monkeypatch):
    from tests.helpers import run

    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on this PATH
    result = run("book")
    assert result.exit_code != 0
    assert "Graphviz" in result.output and "apt-get install graphviz" in result.output
    assert "Traceback" not in result.output


def test_chapter_four_counts_the_interactions_the_formula_sheet_counts():
    """The engagement rate's numerator is defined twice (lesson and formula sheet): same list."""
    sheet = (BOOK / "formulaire-kpi.md").read_text(encoding="utf-8")
    listed = re.search(r"Les interactions regroupent (.*?)\.", sheet).group(1)
    kinds = [k for k in ("J'aime", "commentaires", "partages", "enregistrements") if k in listed]
    assert len(kinds) == 4, listed
    lesson = (BOOK / "mesure-efficacite.md").read_text(encoding="utf-8")
    definition = re.search(r"les \*\*interactions\*\* sont (.*?)\.", lesson, re.S).group(1)
    assert all(k in definition for k in kinds), definition
