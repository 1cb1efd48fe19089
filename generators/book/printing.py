"""The course book on paper: a print stylesheet (`static/print.css`).

Printing a chapter from the browser gives its text and its exercises as worksheets
(statement, questions with room to answer, worked solution), without the theme's
navigation and buttons, code wrapped rather than clipped.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict:
    # media="print": the screen never applies it (sphinx_ext puts static/ in the static path)
    app.add_css_file("print.css", media="print")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
