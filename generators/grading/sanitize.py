"""Text that comes from a student, made safe for where the teacher reads it.

A roster cell, a typed answer or an exception message is written by someone else: in a
terminal an escape sequence can clear the screen or forge lines, in a spreadsheet a cell
starting with `=` runs as a formula (OWASP, « CSV Injection »). HTML pages are escaped
by Jinja's autoescape; these two functions cover the terminal and the CSV files.
"""

from __future__ import annotations

import re

TERMINAL_LIMIT = 300
"""Characters kept from one piece of student text on a terminal line."""

# ESC-introduced sequences: CSI (ESC [ … final byte), OSC/DCS/APC/PM/SOS strings (ended by
# BEL or ESC \), then any other two-character escape. The 8-bit forms (C1 CSI/OSC) too.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b[ -/]*[0-~]?",
    re.DOTALL,
)
# C0 and C1 controls, DEL, and the Unicode bidi overrides that reorder what is shown
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")


def strip_escapes(text: str) -> str:
    """`text` without terminal escape sequences (colours, cursor moves, titles, hyperlinks)."""
    return _ESCAPES.sub("", text)


def for_terminal(text: object, limit: int = TERMINAL_LIMIT) -> str:
    """One harmless line: no escape sequence, no control character, at most `limit` characters."""
    text = strip_escapes(str(text))
    text = _LINE_BREAKS.sub(" ", text).replace("\t", " ")
    text = _CONTROLS.sub("", text)
    text = re.sub(r" {2,}", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lines_for_terminal(text: str, limit: int = 2000) -> str:
    """Like `for_terminal`, line by line: a multi-line message keeps its lines and indents."""
    lines = []
    for line in str(text).split("\n"):
        indent = line[: len(line) - len(line.lstrip(" "))]
        lines.append(indent + for_terminal(line, limit))
    return "\n".join(lines)


# OWASP: a cell starting with = + - @ tab or CR is read as a formula by Excel/LibreOffice
# (the full-width forms are folded to these by some spreadsheet locales)
_FORMULA_START = tuple("=+-@\t\r\n") + ("\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?$")


def for_spreadsheet(cell: object) -> object:
    """A CSV cell a spreadsheet shows as text, never runs: `'` before a formula start.

    Numbers, and strings that are plain numbers (`-2.5`, `-12,5`), are kept as they are:
    a number is never a formula, and a negative grade or answer must stay a number.
    """
    if cell is None or isinstance(cell, (int, float)):
        return cell
    text = str(cell)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text
