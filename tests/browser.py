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
