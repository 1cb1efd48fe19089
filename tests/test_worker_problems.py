"""The teacher's report lists a few truncated outputs one by one, and many in one line."""

from __future__ import annotations

import nbformat

from generators.grading.sandbox import Limits
from generators.grading.worker import _problems_in_outputs


def _notebook(cells: int):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('x')") for _ in range(cells)])


def test_a_few_truncated_cells_are_named_one_by_one():
    problems = _problems_in_outputs(_notebook(10), Limits(), {1, 4})
    assert problems == [
        "sortie trop volumineuse dans la cellule 2 : elle a été tronquée",
        "sortie trop volumineuse dans la cellule 5 : elle a été tronquée",
    ]


def test_two_thousand_truncated_cells_make_one_line():
    problems = _problems_in_outputs(_notebook(2000), Limits(), set(range(500, 2000)))
    assert len(problems) == 1
    assert problems[0].startswith("sortie trop volumineuse dans 1")
    assert "(de la cellule 501 à la cellule 2000)" in problems[0]
