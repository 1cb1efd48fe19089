"""A class's notebooks drawn on several processes are the ones drawn in one."""

from __future__ import annotations

import fcntl
import io
import os
import sys

import openpyxl
import pytest

from generators.authoring.catalogue import find_exercise
from generators.classroom import forked
from generators.classroom.assign import class_parts
from generators.classroom.notebook import plan_slots
from generators.classroom.roster import Student
from generators.errors import MercatiqueError

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork workers on Linux only")

EXERCISES = ["kpi-roi-roas", "concept-paid-owned-earned", "cas-fnac-faq"]


def _cells(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _comparable(parts):
    """XLSX files carry their creation time: compare their cells."""
    texts, rows, files = parts
    return texts, rows, {n: _cells(c) if n.endswith(".xlsx") else c for n, c in files.items()}


def test_two_workers_give_the_same_notebooks_keys_and_tables_in_order():
    exercises = [find_exercise(e) for e in EXERCISES]
    slots = plan_slots(exercises)
    students = [Student(f"eleve{i:03d}", f"Nom{i}", f"Prénom{i}") for i in range(23)]
    alone, seen = class_parts("secret", "devoir-1", exercises, slots, students, workers=1), []
    spread = class_parts(
        "secret", "devoir-1", exercises, slots, students, lambda done, n: seen.append((done, n)), workers=2
    )
    assert [_comparable(p) for p in spread] == [_comparable(p) for p in alone]
    assert [texts[("header", "", "")] for texts, _, _ in spread][:2] == [
        "**Élève :** Prénom0 Nom0 (identifiant `eleve000`)",
        "**Élève :** Prénom1 Nom1 (identifiant `eleve001`)",
    ]
    assert seen == [(i, 23) for i in range(1, 24)]


def _fails_on_seven(n: int) -> int:
    if n == 7:
        raise MercatiqueError("élève 7 impossible")
    return n * n


def test_a_failure_in_a_worker_is_raised_here():
    with pytest.raises(MercatiqueError, match="élève 7 impossible"):
        forked.map_forked(_fails_on_seven, list(range(40)), 2)
    assert forked.map_forked(_fails_on_seven, list(range(7)), 2) == [n * n for n in range(7)]


def test_workers_do_not_hold_the_parents_lock(tmp_path):
    """The staging lock (a flock) must end with `assign`, not with a stray worker."""
    fd = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:

        def lock_fd_closed(_item) -> bool:
            try:
                os.fstat(fd)
            except OSError:
                return True
            return False

        assert forked.map_forked(lock_fd_closed, list(range(20)), 2, close_fds=(fd,)) == [True] * 20
    finally:
        os.close(fd)


def _pid(_item) -> int:
    return os.getpid()


@pytest.mark.parametrize("workers", [1, 2])
def test_meanwhile_runs_once_here_and_its_failure_stops_the_class(workers):
    ran = []
    pids = forked.map_forked(_pid, list(range(30)), workers, meanwhile=lambda: ran.append(os.getpid()))
    assert ran == [os.getpid()]
    assert (set(pids) == {os.getpid()}) == (workers == 1)

    def nbgrader_fails():
        raise MercatiqueError("la commande « nbgrader generate_assignment » a échoué")

    with pytest.raises(MercatiqueError, match="generate_assignment"):
        forked.map_forked(_pid, list(range(30)), workers, meanwhile=nbgrader_fails)
