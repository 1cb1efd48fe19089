"""Shared fixtures: exercise folders to break, and a French class list."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generators.authoring.catalogue import DEFAULT_EXERCISES_DIR

FIRST = ["Léa", "Hugo", "Chloé", "Noé", "Inès", "Théo", "Zoé", "Raphaël", "Anaïs", "Maël", "Jérôme", "Océane"]
LAST = ["Martin", "Bernard", "Dubois", "Lefèvre", "André", "François", "Girard", "Müller", "Roux", "Noël"]


def roster_text(count: int) -> str:
    lines = ["id,last_name,first_name,email"]
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        lines.append(f"eleve{i + 1:03d},{last},{first},eleve{i + 1:03d}@lycee.example")
    return "\n".join(lines) + "\n"


@pytest.fixture
def roster_file(tmp_path: Path):
    def make(count: int = 30, text: str | None = None) -> Path:
        path = tmp_path / "classe.csv"
        path.write_text(text if text is not None else roster_text(count), encoding="utf-8")
        return path

    return make


@pytest.fixture
def exercise_copy(tmp_path: Path):
    """A private copy of a catalogue exercise, to edit into a broken one."""

    def make(exercise_id: str = "fnac-campagne-emailing") -> Path:
        target = tmp_path / "exercises" / exercise_id
        shutil.copytree(DEFAULT_EXERCISES_DIR / exercise_id, target)
        return target

    return make


@pytest.fixture(scope="session")
def book_html() -> Path:
    """The course book built once for the whole run, from scratch (`mercatique book --all`):
    every browser test module looks at the same pages."""
    from generators.book.build import build_book

    return build_book(full=True)


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright, shared by a module's browser tests. Not by
    the whole run: while Playwright's sync API is open its event loop runs in this thread,
    and a later test's asyncio.run() (the sandbox's kernel manager) would be refused."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, launch

    if shutil.which(CHROMIUM) is None:
        pytest.fail("Chromium est requis pour ces tests : apt-get install chromium")
    with sync_playwright() as pw:
        instance = launch(pw)
        yield instance
        instance.close()
