"""French typography, applied once where text is rendered, never typed by hand.

Authors write plain spaces and straight apostrophes in the book, the templates and the
code's messages; these functions set them as a French proof-reader expects:

- a narrow no-break space (U+202F) before ; ! ? and inside « », a no-break space
  (U+00A0) before :;
- digit groups joined by a narrow no-break space (12 400), a no-break space between a
  number and its unit or % (12,5 %, 250 €, 3 millions);
- a curly apostrophe between letters (l’ouverture);
- ordinals with a superscript letter (2ᵉ, 1ᵉʳ, 1ʳᵉ).

Every function is idempotent, so text that passes through two render stages is unchanged
by the second. `markdown` leaves code, math, links' targets and HTML tags alone; `html`
leaves tags, attributes and the content of code, scripts and styles alone. The book uses
the Sphinx transform in `generators.book.sphinx_ext`, which calls `text` on prose nodes only.
"""

from __future__ import annotations

import html as html_lib
import re

NBSP = "\u00a0"
NNBSP = "\u202f"
_SPACES = " \u00a0\u202f"

_APOSTROPHE = re.compile(r"(?<=[^\W\d_])'(?=[^\W_])")
_ORDINAL = re.compile(r"\b(\d+)(?:e|è?me|eme)\b")
_FIRST = re.compile(r"\b1(er|re)\b")
_BEFORE_COLON = re.compile(rf"(?<!\s)[{_SPACES}]+:(?=[\s*_)\]»]|$)", re.M)
# ; ! ? get their space even when the author typed none, but only at the end of a word
# followed by a space or the end: "page.html?x=1", "!=" and "a;b" stay as written.
_BEFORE_PUNCT = re.compile(rf"(?<![\s(\[])[{_SPACES}]*([;!?]+)(?=[\s*_»)\]]|$)", re.M)
_OPEN_QUOTE = re.compile(rf"«[{_SPACES}]*")
_CLOSE_QUOTE = re.compile(rf"[{_SPACES}]*»")
_DIGIT_GROUP = re.compile(rf"(?<=\d)[{_SPACES}](?=\d{{3}}(?!\d))")
_UNITS = (
    r"%|‰|€|\$|£|k€|M€|Md€|€ HT|€ TTC|points?\b|pts?\b|euros?\b|millions?\b|milliards?\b"
    r"|ans?\b|mois\b|jours?\b|heures?\b|h\b|min\b|s\b|km\b|m\b|kg\b|g\b|ko\b|Mo\b|Go\b|To\b"
)
_BEFORE_UNIT = re.compile(rf"(?<=\d)[ \u202f](?=(?:{_UNITS}))")


def text(prose: str) -> str:
    """French typography in running text with no markup."""
    prose = _APOSTROPHE.sub("\u2019", prose)
    prose = _FIRST.sub(lambda m: "1ᵉʳ" if m.group(1) == "er" else "1ʳᵉ", prose)
    prose = _ORDINAL.sub("\\1ᵉ", prose)
    prose = _OPEN_QUOTE.sub("«" + NNBSP, prose)
    prose = _CLOSE_QUOTE.sub(NNBSP + "»", prose)
    prose = _BEFORE_COLON.sub(NBSP + ":", prose)
    prose = _BEFORE_PUNCT.sub(NNBSP + "\\1", prose)
    prose = _DIGIT_GROUP.sub(NNBSP, prose)
    return _BEFORE_UNIT.sub(NBSP, prose)


_MD_VERBATIM = re.compile(
    r"(```.*?```|~~~.*?~~~"  # fenced code
    r"|`[^`\n]*`"  # inline code
    r"|\$\$.*?\$\$|\$[^$\n]+\$"  # math
    r"|\]\([^)\n]*\)"  # a link's target
    r"|<[^>\n]*>"  # HTML tags and autolinks
    r"|https?://\S+)",
    re.S,
)


def markdown(source: str) -> str:
    """`text` on the prose of a Markdown text (code, math, links' targets untouched)."""
    parts = _MD_VERBATIM.split(source)
    return "".join(part if i % 2 else text(part) for i, part in enumerate(parts))


_HTML_VERBATIM = re.compile(
    r"(<(script|style|code|pre|kbd|samp|textarea|math)\b.*?</\2\s*>|<[^>]*>)", re.S | re.I
)


def html(page: str) -> str:
    """`text` on an HTML document's text nodes (tags, attributes, code, scripts untouched)."""
    out: list[str] = []
    position = 0
    for match in _HTML_VERBATIM.finditer(page):
        out.append(_html_text(page[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_html_text(page[position:]))
    return "".join(out)


def _html_text(fragment: str) -> str:
    if not fragment.strip():
        return fragment
    return html_lib.escape(text(html_lib.unescape(fragment)), quote=False)
