"""French typography is set by the renderer, once, on prose only."""

from __future__ import annotations

import re

import pytest

from generators.authoring import render, typography
from generators.authoring.catalogue import load_catalogue
from generators.authoring.variants import preview_variant
from generators.book.selfcheck import self_check_data

NB, NN = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("typed", "typeset"),
    [
        ("Note : 12 / 20 ; bravo !", f"Note{NB}: 12 / 20{NN}; bravo{NN}!"),
        ("« devoir-1 » ?", f"«{NN}devoir-1{NN}»{NN}?"),
        ("Pourquoi?", f"Pourquoi{NN}?"),
        ("l'ouverture d'un e-mail aujourd'hui", "l’ouverture d’un e-mail aujourd’hui"),
        (
            "la 2e phase, le 1er mois, la 1re fois, le 3ème jour",
            "la 2ᵉ phase, le 1ᵉʳ mois, la 1ʳᵉ fois, le 3ᵉ jour",
        ),
        ("12 400 € pour 1 250 000 impressions", f"12{NN}400{NB}€ pour 1{NN}250{NN}000 impressions"),
        ("3,5 % de 3 millions, soit 15 points", f"3,5{NB}% de 3{NB}millions, soit 15{NB}points"),
        ("**Réponse :** 12", f"**Réponse{NB}:** 12"),
    ],
)
def test_prose_gets_french_spacing_apostrophes_and_ordinals(typed, typeset):
    assert typography.text(typed) == typeset


@pytest.mark.parametrize(
    "verbatim",
    ["http://exemple.fr/page.html?x=1 10:30", "a != b", "x;y", "2e5", "entre 2019 et 2023"],
)
def test_what_is_not_prose_punctuation_stays_as_written(verbatim):
    assert typography.text(verbatim) == verbatim


def test_markdown_leaves_code_math_and_link_targets_alone():
    source = "Tapez `choix = 'B' ; ok` : puis $a ? b$ et [l'aide](http://a.fr/?q=1) !"
    assert typography.markdown(source) == (
        f"Tapez `choix = 'B' ; ok`{NB}: puis $a ? b$ et [l’aide](http://a.fr/?q=1){NN}!"
    )


def test_html_leaves_tags_attributes_code_and_scripts_alone():
    page = (
        '<style>a :hover { color: red ; }</style><p title="x : y">Note : l\'écart &amp; '
        "<code>a ; b</code> ?</p><script>if (a) { b(); }</script>"
    )
    assert typography.html(page) == (
        '<style>a :hover { color: red ; }</style><p title="x : y">Note\u00a0: l’écart &amp; '
        "<code>a ; b</code>\u202f?</p><script>if (a) { b(); }</script>"
    )


# Straight apostrophe between letters, or an ordinary space before : ; ! ? » or after «.
UNSET = re.compile(r"[^\W\d_]'[^\W\d_]| [:;!?»](?=\s|$)|« ")


def _prose(markdown: str) -> str:
    return re.sub(r"```.*?```|`[^`\n]*`|\$[^$\n]+\$|\]\([^)]*\)", "", markdown, flags=re.S)


def test_every_exercise_text_a_student_reads_is_typeset():
    """Statements, prompts, options, explanations and solutions of every template, as the
    notebook and the book show them, carry no unset space or straight apostrophe."""
    for ex in load_catalogue().values():
        variant = preview_variant(ex, 1)
        texts = [render.statement(variant), render.solution(variant)]
        texts += [render.prompt(variant, q, n) for n, q in enumerate(ex.questions, start=1)]
        for options in variant.options.values():
            texts += [o.text for o in options] + [o.explanation for o in options]
        for diagnoses in variant.diagnoses.values():
            texts += [d.explanation for d in diagnoses]
        for text in texts:
            unset = UNSET.findall(_prose(text))
            assert not unset, (ex.id, unset, text[:200])



def test_book_self_check_titles_are_typeset():
    titled = [ex for ex in load_catalogue().values() if "'" in ex.title][:3]
    assert titled, "no title with an apostrophe to check"
    for ex in titled:
        assert "'" not in self_check_data(ex)["title"]


def test_typesetting_twice_changes_nothing():
    for ex in load_catalogue().values():
        statement = render.statement(preview_variant(ex, 2))
        assert typography.markdown(statement) == statement
