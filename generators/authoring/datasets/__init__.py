"""Per-student data sets for case studies, one module per case.

A generator is a function `(stream, params, **options) -> pandas.DataFrame` registered
with `@dataset("name")`; an exercise.yml uses it as a parameter `{dataset: name}`.
It draws only from the variant's stream (never NumPy's or Python's random), so the
table is the same on every machine, and it returns plain ints, floats and strings.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from generators.authoring.rng import Stream
from generators.errors import MercatiqueError

Generator = Callable[..., pd.DataFrame]
_REGISTRY: dict[str, Generator] = {}


def dataset(name: str) -> Callable[[Generator], Generator]:
    def register(function: Generator) -> Generator:
        _REGISTRY[name] = function
        return function

    return register


def draw_rows(stream: Stream, rows: int | Sequence[int]) -> int:
    """`rows: 150` is a fixed size; `rows: [120, 200]` draws one, so shares differ between students."""
    if isinstance(rows, int):
        return rows
    low, high = rows
    return stream.integer(low, high)


@functools.cache
def _load_all() -> None:
    """Import every generator module once (build is called for every student)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def build(name: str, stream: Stream, params: dict[str, Any], options: dict[str, Any]) -> pd.DataFrame:
    _load_all()
    if name not in _REGISTRY:
        raise MercatiqueError(f"jeu de données inconnu : « {name} » (disponibles : {', '.join(names())})")
    return _REGISTRY[name](stream, dict(params), **options)
