"""What a browser loads for one built page: the HTML and the local files it references.

Follows `<link href>` (style sheets, preloads, icons), `<script src>`, `<img src>`, and in
every style sheet its `url(...)` and `@import` (fonts, images), resolved against the built
files. Files a script fetches by itself at run time (MathJax's own fonts and components)
cannot be seen this way: they are left out and said so by the caller.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
LINK_RELS = {"stylesheet", "preload", "icon", "shortcut", "modulepreload"}


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and LINK_RELS & set(a.get("rel", "").lower().split()) and a.get("href"):
            self.found.append(a["href"])
        elif tag in ("script", "img", "source") and a.get("src"):
            self.found.append(a["src"])


def _local(base: Path, reference: str, root: Path) -> Path | None:
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc or not parts.path or reference.startswith("data:"):
        return None
    path = (base.parent / unquote(parts.path)).resolve()
    return path if path.is_file() and path.is_relative_to(root) else None


def page_files(page: Path, root: Path) -> dict[Path, int]:
    """Every local file the page references (transitively through CSS), with its size."""
    root = root.resolve()
    parser = _References()
    parser.feed(page.read_text(encoding="utf-8"))
    files = {page.resolve(): page.stat().st_size}
    queue = [p for ref in parser.found if (p := _local(page, ref, root))]
    while queue:
        path = queue.pop()
        if path in files:
            continue
        files[path] = path.stat().st_size
        if path.suffix == ".css":
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in CSS_URL.finditer(text):
                found = _local(path, match.group(1) or match.group(2), root)
                if found:
                    queue.append(found)
    # a browser takes the first format of an @font-face it supports: the .woff2 when there is one
    fonts = (".ttf", ".woff", ".otf")
    fallback = [p for p in files if p.suffix in fonts and p.with_suffix(".woff2") in files]
    return {p: size for p, size in files.items() if p not in fallback}


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


EXERCISE_DATA = re.compile(r'<script\b[^>]*\bclass="mq-data"[^>]*>(.*?)</script>', re.S)


def exercise_data_size(page: Path) -> int:
    """Bytes of the page's self-check data (the variants of its exercises, in JSON)."""
    text = page.read_text(encoding="utf-8")
    return sum(len(m.group(1).encode("utf-8")) for m in EXERCISE_DATA.finditer(text))
