"""Shared set-up for the benchmarks: a scratch course for a class of N."""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from generators.classroom.setup_course import init_course


def class_roster(folder: Path, size: int) -> Path:
    lines = ["id,last_name,first_name,email"]
    lines += [f"eleve{i:04d},Élève{i},Prénom{i}," for i in range(1, size + 1)]
    path = folder / "classe.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scratch_course(size: int, name: str = "cours"):
    folder = Path(tempfile.mkdtemp(prefix="mercatique-bench-"))
    course, _, _ = init_course(folder / name, class_roster(folder, size), "bench")
    return folder, course


@contextmanager
def timed(results: dict, label: str):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start
