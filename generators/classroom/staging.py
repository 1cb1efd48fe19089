"""All or nothing: a command builds its files aside, then swaps them into the course.

A command that changes several parts of a course (`assign`: manifest, frozen exercises,
source, release, one notebook per student, answer key, gradebook) builds every new file
under `.mercatique/staging/<name>/new/`, laid out like the course, and holds a lock on
that folder while it works. Writing `plan.json` is the commit point:

- before it, the course is untouched; a failed or killed command leaves only the staging
  folder, which the next command that opens the course throws away;
- after it, the plan is rolled forward (gradebook first, then each path moved into place,
  the replaced one moved aside then deleted), by the command itself or, if it was killed,
  by the next command that opens the course (`recover`). Every step can be run again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from pathlib import Path

from generators.classroom.course import Course, write_atomic
from generators.errors import MercatiqueError

PLAN = "plan.json"


class Staging:
    """The staging folder of one command, locked while the command runs."""

    def __init__(self, course: Course, name: str):
        self.course, self.name = course, name
        self.path = course.private / "staging" / name
        self._fd: int | None = None

    @property
    def lock_fd(self) -> int:
        """Pass it to a child process (`pass_fds`) to keep the folder locked while it runs."""
        assert self._fd is not None
        return self._fd

    @property
    def new(self) -> Path:
        return self.path / "new"

    def __enter__(self) -> Staging:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            stale = _lock(self.path, blocking=False)
            if stale is None:
                raise MercatiqueError(
                    f"une autre commande prépare déjà « {self.name} » dans ce cours : "
                    "attendez qu'elle finisse"
                )
            try:
                _finish(self.course, self.path)  # left by a killed command: undo or roll forward
            finally:
                os.close(stale)
        self.path.mkdir()
        self._fd = _lock(self.path, blocking=False)
        if self._fd is None:  # pragma: no cover (another command took it between the two lines)
            raise MercatiqueError(f"une autre commande prépare déjà « {self.name} » dans ce cours")
        self.new.mkdir()
        return self

    def commit(self, plan: dict) -> None:
        """Record the plan (the commit point), then carry it out."""
        write_atomic(self.path / PLAN, json.dumps(plan, indent=1))
        _apply(self.course, self.path, plan)
        _remove(self.course, self.path)

    def __exit__(self, *_exc) -> None:
        if self.path.exists() and not (self.path / PLAN).exists():
            _remove(self.course, self.path)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def recover(course: Course) -> None:
    """Finish or undo what a killed command left in staging (skipping commands still running)."""
    folder = course.private / "staging"
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        fd = _lock(path, blocking=False) if path.is_dir() else None
        if fd is None:
            continue
        try:
            _finish(course, path)
        finally:
            os.close(fd)
    with contextlib.suppress(OSError):
        folder.rmdir()


def _finish(course: Course, path: Path) -> None:
    plan_file = path / PLAN
    if plan_file.exists():
        _apply(course, path, json.loads(plan_file.read_text("utf-8")))
    _remove(course, path)


def _lock(path: Path, blocking: bool) -> int | None:
    """An exclusive lock on a folder, released by the kernel when its process dies."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _remove(course: Course, path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def _move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


def _apply(course: Course, path: Path, plan: dict) -> None:
    """Carry out a plan; safe to run again after being interrupted at any point."""
    root = course.root
    if plan.get("gradebook"):
        from generators.classroom.assign import record_in_gradebook

        record_in_gradebook(course, path, plan["gradebook"])
    for rel, destination in plan.get("archive", {}).items():
        if (root / rel).exists():
            _move(root / rel, root / destination)
    for rel in plan.get("remove", []):
        if (root / rel).exists():
            _move(root / rel, path / "old" / rel)
    for rel in plan.get("replace", []):
        new, target = path / "new" / rel, root / rel
        if not new.exists():
            continue  # already in place
        if target.exists():
            _move(target, path / "old" / rel)
        _move(new, target)
