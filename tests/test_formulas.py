"""Formulas drawn at build time by MathJax (Node.js and npm @mathjax/src, `make node-deps`)."""

from __future__ import annotations

import re
import subprocess

import pytest

from generators.book import chrome, formulas, node

pytestmark = pytest.mark.skipif(not formulas.available(), reason="make node-deps (Node.js, @mathjax/src)")

SHORT = r"\text{CTR} = \frac{\text{clics}}{\text{impressions}} \times 100"
LONG = (
    r"\text{Taux de rétention} = \frac{\text{clients en fin} - \text{nouveaux clients}}"
    r"{\text{clients en début}} \times 100"
)


def page(*parts: str) -> str:
    return "<section><p>Texte.</p>" + "".join(parts) + "</section>"


def inline(tex: str) -> str:
    return f'<p>La formule <span class="math notranslate nohighlight">\\({tex}\\)</span> ici.</p>'


def display(tex: str) -> str:
    return f'<div class="math notranslate nohighlight">\n\\[{tex}\\]</div>\n'


def px_width(svg: str) -> float:
    return float(re.search(r'<svg[^>]* width="([\d.]+)ex"', svg).group(1)) * 8


def test_every_formula_is_drawn_with_its_mathml_for_screen_readers():
    drawn = formulas.drawn_body(page(inline(r"\frac{m \times r}{1 + i - r}"), display(SHORT)))
    assert drawn.errors == 0
    assert "\\(" not in drawn.body and "\\[" not in drawn.body
    assert drawn.body.count("<mjx-container") == 2
    # the hidden MathML says what the drawing shows
    mathml = re.findall(r"<mjx-assistive-mml.*?</mjx-assistive-mml>", drawn.body, re.S)
    assert len(mathml) == 2
    assert "<mfrac>" in mathml[0] and "<mi>m</mi>" in mathml[0] and "<mi>r</mi>" in mathml[0]
    assert "<mtext>clics</mtext>" in mathml[1] and "<mtext>impressions</mtext>" in mathml[1]
    # the drawings are hidden from screen readers, which read the MathML instead
    assert all('aria-hidden="true"' in svg for svg in re.findall(r"<svg[^>]*>", drawn.body))
    assert "mjx-assistive-mml" in drawn.css


def test_glyphs_are_written_once_and_every_drawing_points_to_them():
    drawn = formulas.drawn_body(page(display(SHORT), display(SHORT + r" + \text{clics}")))
    defined = set(re.findall(r'<path id="([^"]+)"', drawn.body))
    used = re.findall(r'xlink:href="#([^"]+)"', drawn.body)
    assert used and set(used) <= defined
    assert len(defined) == len(re.findall(r'<path id="', drawn.body))  # no glyph twice
    assert drawn.body.startswith('<svg class="mq-formula-glyphs"')


def test_a_formula_too_wide_for_a_phone_also_gets_a_drawing_broken_over_lines():
    drawn = formulas.drawn_body(page(display(LONG), display(r"x = 1")))
    wide_box, short_box = re.findall(r'<div class="math mq-formula[^"]*">', drawn.body)
    assert "mq-formula-breaks" in wide_box and "mq-formula-breaks" not in short_box
    wide = re.search(r'<div class="mq-formula-wide">(.*?)</div>', drawn.body, re.S).group(1)
    narrow = re.search(r'<div class="mq-formula-narrow">(.*?)</div>', drawn.body, re.S).group(1)
    assert px_width(wide) > formulas.NARROW_PX
    assert max(px_width(svg) for svg in re.findall(r"<svg[^>]*>", narrow)) <= formulas.NARROW_PX
    # broken, not squeezed: the narrow drawing is taller
    height = lambda svg: float(re.search(r'<svg[^>]* height="([\d.]+)ex"', svg).group(1))  # noqa: E731
    assert height(narrow) > height(wide)


def test_mathjax_bookkeeping_is_dropped_from_the_page():
    drawn = formulas.drawn_body(page(display(SHORT)))
    assert "data-latex" not in drawn.body and "data-c=" not in drawn.body


def test_tex_mathjax_cannot_read_is_counted():
    assert formulas.drawn_body(page(display(r"\frac{a}{b"), display(r"\nosuchcommand{x}"))).errors == 2


def test_a_page_without_formulas_is_left_alone():
    body = page("<p>Aucune formule, mais un prix de 12 € et un \\ isolé.</p>")
    assert formulas.drawn_body(body) == formulas.Drawn(body, "", 0)


def test_drawings_are_cached_by_page_content(tmp_path, monkeypatch):
    first = formulas.drawn_body(page(display(SHORT)), tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 1

    def no_node(*args, **kwargs):
        raise AssertionError("MathJax ran again")

    monkeypatch.setattr(subprocess, "run", no_node)
    assert formulas.drawn_body(page(display(SHORT)), tmp_path) == first
    with pytest.raises(AssertionError, match="ran again"):
        formulas.drawn_body(page(display(LONG)), tmp_path)


def test_node_failing_is_a_formula_error(monkeypatch, tmp_path):
    monkeypatch.setattr(node, "NODE_MODULES", tmp_path)  # no @mathjax/src there
    with pytest.raises(node.NodeToolError):
        formulas.draw([(SHORT, True)])


def test_mathjax_script_shipped_only_when_a_page_loads_it(tmp_path):
    static = tmp_path / "_static" / "mathjax"
    static.mkdir(parents=True)
    (static / "tex-chtml.js").write_text("old")
    (tmp_path / "drawn.html").write_text("<html><svg></svg></html>")
    chrome.ship_mathjax(tmp_path)
    assert not static.exists()
    (tmp_path / "left.html").write_text('<html><script src="_static/mathjax/tex-chtml.js"></script></html>')
    chrome.ship_mathjax(tmp_path)
    assert (static / "tex-chtml.js").stat().st_size > 100_000
    assert set(p.name for p in static.rglob("*.js")) == {"tex-chtml.js"}
