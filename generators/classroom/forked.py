"""Pure per-student work spread over forked processes, results in the students' order.

`assign` draws, renders and tabulates every student's notebook; each student's part is
a pure function of the course secret and the student (DESIGN.md §2), so the class can be
split between the machine's cores. The workers are forked from the process that already
imported everything and holds the templates, so they start at once and receive only the
students; the task itself is inherited, never pickled. Linux only (fork, and the
workers die with their parent); elsewhere, and for a small class, it runs here.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

MAX_WORKERS = 8
PER_WORKER = 50
"""Fewer students than this per worker: forking is not worth it."""
CHUNK = 10
PR_SET_PDEATHSIG = 1

_task: Callable[[Any], Any] | None = None


def workers_for(count: int) -> int:
    """How many processes for `count` students on this machine (1: no fork)."""
    if sys.platform != "linux":
        return 1
    cpus = len(os.sched_getaffinity(0))
    return max(1, min(cpus, MAX_WORKERS, count // PER_WORKER))


def _start(close_fds: tuple[int, ...], parent: int) -> None:
    """A worker keeps none of its parent's locks, and is killed if its parent is."""
    for fd in close_fds:
        os.close(fd)  # a flock stays held by the parent's own descriptor
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _run(chunk: list) -> list:
    assert _task is not None
    return [_task(item) for item in chunk]


def map_forked(
    task: Callable[[Any], Any],
    items: Sequence,
    workers: int,
    close_fds: tuple[int, ...] = (),
    on_done: Callable[[int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list:
    """[task(item) for item in items], on `workers` forked processes when more than one;
    `on_done(n)` after each batch of n items; the first failure is raised here.

    `meanwhile()` runs in this process while the workers compute (first when there are
    none): the workers are all forked before it starts, so it may start threads."""
    global _task
    if workers <= 1:
        if meanwhile:
            meanwhile()
        results = []
        for item in items:
            results.append(task(item))
            if on_done:
                on_done(1)
        return results
    chunks = [list(items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)]
    _task = task
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start,
        initargs=(tuple(close_fds), os.getpid()),
    )
    try:
        futures = [pool.submit(_run, chunk) for chunk in chunks]  # forks every worker now
        if meanwhile:
            meanwhile()
        results = []
        for chunk, future in zip(chunks, futures, strict=True):
            done = future.result()
            results += done
            if on_done:
                on_done(len(chunk))
        return results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _task = None
