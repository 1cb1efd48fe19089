"""A course folder's state, to compare before and after a command: every file's bytes,
the SQLite gradebook by its content (its file bytes carry SQLite's own counters)."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path


def gradebook_dump(path: Path) -> str:
    """The gradebook's rows; nbgrader's random row ids renamed in order of appearance."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        text = "\n".join(connection.iterdump())
    finally:
        connection.close()
    names: dict[str, str] = {}
    return re.sub(r"'[0-9a-f]{32}'", lambda m: names.setdefault(m.group(0), f"<id{len(names)}>"), text)


def _without_cell_ids(path: Path) -> bytes:
    nb = json.loads(path.read_text("utf-8"))
    for cell in nb.get("cells", []):
        cell.pop("id", None)
    return json.dumps(nb, sort_keys=True).encode()


def course_state(root: Path, cell_ids: bool = True) -> dict[str, str]:
    """`cell_ids=False` leaves out the notebook cell ids nbformat draws at random, to compare
    two separate runs of the same command."""
    state = {}
    for path in sorted(Path(root).rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            state[rel] = "dir"
        elif path.name == "gradebook.db":
            state[rel] = hashlib.sha256(gradebook_dump(path).encode()).hexdigest()
        elif path.suffix == ".ipynb" and not cell_ids:
            state[rel] = hashlib.sha256(_without_cell_ids(path)).hexdigest()
        else:
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
