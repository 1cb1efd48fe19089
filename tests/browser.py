"""Debian's Chromium for the browser tests, launched by Playwright (no browser download).

The flags keep it off the network (this machine has none but loopback): without the
background-networking ones, Chromium keeps trying to reach Google's services.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright):
    """A headless Chromium browser from Debian's package."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class Screenshots:
    """PNGs of what a person sees, to look at: in the test's folder, and copied to
    $MERCATIQUE_SCREENSHOTS when it is set."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.extra = os.environ.get("MERCATIQUE_SCREENSHOTS")

    def take(self, page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path))
        if self.extra:
            Path(self.extra).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, Path(self.extra) / path.name)
        return path


AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_violations(page, impacts=SERIOUS, context=None) -> list[dict]:
    """axe-core's violations of the page as loaded, keeping the given impacts.

    `context`: axe's context, e.g. `{"exclude": [[".mq-selfcheck"]]}` to leave out parts
    checked by their own tests (the whole document when None).

    axe-core comes from the npm registry (`make node-deps`): it is injected from the
    project's node_modules, so the check works with the network cut.
    """
    if not AXE.exists():
        raise RuntimeError(f"axe-core is missing ({AXE}): run `make node-deps`")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (context) => (await axe.run(context || document, {resultTypes: ['violations']})).violations",
        context,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
            "count": len(v["nodes"]),
        }
        for v in result
        if v["impact"] in impacts
    ]


def book_loaded(page) -> None:
    """Wait until the book page's self-checks are drawn: their data is inflated by the
    browser after the page's DOMContentLoaded (selfcheck.js marks the page when done)."""
    page.wait_for_function(
        "document.documentElement.dataset.mqExercices === 'prets' || !document.querySelector('.mq-selfcheck')"
    )
