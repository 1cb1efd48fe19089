"""Offline search of the course book: accent-free words, and an extract under each result.

Sphinx's own search machinery is kept (its index, its `searchtools.js`), with two changes:

- a French search language that stems words without their accents, at indexing time
  here and at query time in the browser, so `reseaux` finds « réseaux » and
  `fidelisation` « fidélisation ». The index is stemmed by the browser's own JavaScript,
  run by Node.js (`stem_words.mjs`): Python's Snowball stemmer is another version, which
  cuts a few words differently (« française »), and their query would find nothing;
- the text of each page's sections, written beside the index (`_static/search-texts.js`,
  loaded by the search page only): `searchtools.js` builds a result's extract by fetching
  the result's page, which a browser refuses from `file://`; `search-offline.js` builds
  it from these texts instead, around the first word that matched.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import unicodedata
from pathlib import Path

from docutils import nodes
from sphinx import package_dir
from sphinx.application import Sphinx
from sphinx.search.fr import SearchFrench

from generators.book.node import installed as node_installed
from generators.classroom.course import write_atomic

TEXTS_FILE = "search-texts.js"
_COMBINING = re.compile("[\u0300-\u036f]")
_MINIFIED = Path(package_dir) / "search" / "minified-js"


def fold(word: str) -> str:
    """The word without its accents: the same rule as `fold` in search-offline.js."""
    return _COMBINING.sub("", unicodedata.normalize("NFD", word))


class FrenchWithoutAccents(SearchFrench):
    """French stemming of accent-free words (« réseaux » and « reseaux » give one term)."""

    stopwords = SearchFrench.stopwords | {fold(w) for w in SearchFrench.stopwords}
    js_stemmer_rawcode = ""  # Sphinx then embeds `js_stemmer_code` as it is
    js_stemmer_code = "\n".join(
        [
            (_MINIFIED / "base-stemmer.js").read_text(encoding="utf-8"),
            (_MINIFIED / "french-stemmer.js").read_text(encoding="utf-8"),
            # the query's words go through the same accent folding as the index's
            "var Stemmer = function () {",
            "  var french = new FrenchStemmer();",
            "  this.stemWord = function (word) {",
            r'    return french.stemWord(word.normalize("NFD").replace(/[\u0300-\u036f]/g, ""));',
            "  };",
            "};",
        ]
    )

    def stem(self, word: str) -> str:
        stemmed = _browser_stemmer(self.js_stemmer_code).stem(word.lower())  # as searchtools.js does
        return stemmed if stemmed is not None else super().stem(fold(word))


class BrowserStemmer:
    """The search page's stemmer (its JavaScript) in a Node.js process kept for the build,
    a word a line; None for every word when Node.js cannot run it."""

    def __init__(self, code: str):
        self.code = code
        self.process: subprocess.Popen | None = None
        self.owner = 0
        self.failed = not node_installed()
        self.stems: dict[str, str] = {}

    def _start(self) -> subprocess.Popen:
        script = Path(__file__).with_name("stem_words.mjs")
        process = subprocess.Popen(
            ["node", str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )
        process.stdin.write(json.dumps({"code": self.code}) + "\n")
        self.owner = os.getpid()
        return process

    def stem(self, word: str) -> str | None:
        if self.failed or not word or "\n" in word:
            return None
        if word not in self.stems:
            try:
                if self.process is None or self.owner != os.getpid():  # a forked reader has its own
                    self.process = self._start()
                self.process.stdin.write(word + "\n")
                self.process.stdin.flush()
                answer = self.process.stdout.readline()
            except OSError:
                answer = ""
            if not answer.endswith("\n"):
                self.failed = True
                return None
            self.stems[word] = answer[:-1]
        return self.stems[word]


_STEMMERS: dict[str, BrowserStemmer] = {}


def _browser_stemmer(code: str) -> BrowserStemmer:
    if code not in _STEMMERS:
        _STEMMERS[code] = BrowserStemmer(code)
    return _STEMMERS[code]


_STYLE = re.compile(r"<style.*?</style>", re.IGNORECASE | re.DOTALL)
_SCRIPT = re.compile(r"<script.*?</script>", re.IGNORECASE | re.DOTALL)
_NOSCRIPT = re.compile(r"<noscript.*?</noscript>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<]+?>")
_SPACES = re.compile(r"[ \t\r\n]+")  # not str.split(): French no-break spaces stay


def _raw_text(node: nodes.raw) -> str:
    """What Sphinx's indexer reads in raw HTML (its own substitutions), less the text shown
    only without JavaScript (an exercise's « Activez JavaScript… »)."""
    if "html" not in node.get("format", "").split():
        return ""
    return _TAG.sub("", _NOSCRIPT.sub("", _SCRIPT.sub("", _STYLE.sub("", node.astext()))))


_TEXT_COMMAND = re.compile(r"\\(?:text|mathrm|textbf|mbox|operatorname)\s*\{([^{}]*)\}")
_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SYMBOLS = {
    r"\times": " × ",
    r"\div": " ÷ ",
    r"\%": "%",
    r"\left": "",
    r"\right": "",
    r"\cdot": " · ",
    "~": "\u00a0",  # TeX's no-break space
}
_OPERATOR = re.compile(r"[-+×÷/]")


def _operand(text: str) -> str:
    text = text.strip()
    return f"({text})" if _OPERATOR.search(text) else text


def math_text(latex: str) -> str:
    """A formula as a reader would say it, for an extract: `\\dfrac{\\text{clics}}{\\text{impressions}}
    \\times 100` gives « clics / impressions × 100 » rather than its LaTeX source."""
    text = _TEXT_COMMAND.sub(lambda m: m.group(1), latex)
    for command, symbol in _SYMBOLS.items():
        text = text.replace(command, symbol)
    previous = None
    while previous != text:  # the innermost fractions first
        previous = text
        text = _FRACTION.sub(lambda m: f"{_operand(m.group(1))} / {_operand(m.group(2))}", text)
    text = re.sub(r"\^\s*\{([^{}]*)\}", r"^(\1)", text)
    text = re.sub(r"\\[a-zA-Z]+|\\.|[{}]", " ", text)
    return _SPACES.sub(" ", text).strip()


def _block_texts(node: nodes.Node, chunks: list[list]) -> None:
    """The text of a section's blocks, appended to the last chunk ([anchor, title, texts,
    whether the result's link shows the title]); a glossary term (a definition with its own
    anchor) gets a chunk of its own, so that its result links to it and shows the term."""
    for child in node.children:
        if isinstance(child, nodes.section):
            continue  # a subsection is a section of its own
        if isinstance(child, nodes.raw):
            chunks[-1][2].append(_raw_text(child))
        elif isinstance(child, (nodes.Invisible, nodes.system_message)):
            continue
        elif isinstance(child, nodes.definition_list_item) and child.children and child[0]["ids"]:
            anchor, title = chunks[-1][:2]
            chunks.append([child[0]["ids"][0], child[0].astext(), [], False])  # the term stays
            _block_texts(child, chunks)
            chunks.append([anchor, title, [], True])
        elif isinstance(child, nodes.math_block):
            chunks[-1][2].append(math_text(child.astext()))
        elif isinstance(child, nodes.TextElement):
            chunks[-1][2].append(_inline_text(child))
        elif isinstance(child, nodes.Element):
            _block_texts(child, chunks)


def _inline_text(node: nodes.Element) -> str:
    parts = []
    for child in node.children:
        if isinstance(child, nodes.math):
            parts.append(math_text(child.astext()))
        elif isinstance(child, nodes.Text):
            parts.append(child.astext())
        elif isinstance(child, nodes.Element) and not isinstance(child, (nodes.Invisible, nodes.raw)):
            parts.append(_inline_text(child))
    return "".join(parts)


def section_texts(doctree: nodes.document) -> list[list[str]]:
    """[anchor, title, text] of each section of a page (and glossary term), in reading
    order; the page's own section has the anchor "" (a result links to the page's top)."""
    found: list[list[str]] = []
    for section in doctree.findall(nodes.section):
        title = section[0].astext() if section.children and isinstance(section[0], nodes.title) else ""
        anchor = "" if not found else (section["ids"][0] if section["ids"] else "")
        chunks: list[list] = [[anchor, title, [], True]]
        _block_texts(section, chunks)
        for chunk_anchor, chunk_title, parts, title_in_link in chunks:
            if title_in_link and parts and parts[0] == chunk_title:
                parts = parts[1:]
            text = _SPACES.sub(" ", " ".join(parts)).strip()
            if text or not found:
                found.append([chunk_anchor, chunk_title, text])
    return found


def _search_page(app: Sphinx, pagename: str, templatename, context, doctree) -> None:
    """The search page gets the sections' texts (written now: every page has been read)."""
    if pagename != "search" or app.builder.format != "html":
        return
    env = app.env
    # resolved: a cross-reference reads as the title it points to, not as its label
    texts = {
        docname: section_texts(env.get_and_resolve_doctree(docname, app.builder))
        for docname in sorted(env.found_docs)
    }
    body = json.dumps(texts, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    target = Path(app.outdir) / "_static" / TEXTS_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, f"var MQ_SEARCH_TEXTS = {body};\n", mode=0o644)
    # deferred: they run once searchtools.js (loaded after the page's own scripts) is there
    app.add_js_file(TEXTS_FILE, loading_method="defer")
    app.add_js_file("search-offline.js", loading_method="defer")


def setup(app: Sphinx) -> dict:
    app.add_search_language(FrenchWithoutAccents)
    app.connect("html-page-context", _search_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
