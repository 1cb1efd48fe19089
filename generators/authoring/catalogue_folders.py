"""Where the exercise catalogue lives, without loading it (no schema, no pandas): the book
lists a chapter's exercises with this on every build."""

from __future__ import annotations

import os
from pathlib import Path

METADATA_FILE = "exercise.yml"
DEFAULT_EXERCISES_DIR = Path(__file__).resolve().parents[2] / "exercises"


def exercises_dir() -> Path:
    """The catalogue folder: $MERCATIQUE_EXERCISES, else the project's `exercises/`."""
    return Path(os.environ.get("MERCATIQUE_EXERCISES", DEFAULT_EXERCISES_DIR))


def exercise_folders(root: Path | None = None) -> list[Path]:
    root = root or exercises_dir()
    return sorted(p.parent for p in root.glob(f"*/{METADATA_FILE}"))
