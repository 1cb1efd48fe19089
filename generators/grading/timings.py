"""Where a copy's grading time goes: cheap per-phase stamps, summed by the benchmark.

A `Stopwatch` adds `time.perf_counter()` differences under a phase name; the worker
returns its dict with the copy's outcome and the parent adds its own phases (gradebook,
journal). Reading the clock twice per phase costs well under a microsecond.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

PHASES = {
    "worker_start": "démarrage du processus de correction (1re copie de chaque processus)",
    "read": "lecture du notebook et empreinte",
    "sanitize": "préparation nbgrader (nettoyage, réparation, cellules verrouillées)",
    "sandbox": "mise en place de l'isolation (cgroups, dossiers)",
    "kernel_start": "démarrage du noyau isolé (attente comprise)",
    "cells": "exécution des cellules",
    "kernel_stop": "arrêt du noyau et nettoyage de l'isolation",
    "verdicts": "verdicts hors noyau et fiche de correction",
    "write": "limitation des sorties et écriture du notebook corrigé",
    "gradebook": "écriture dans le carnet de notes (processus principal)",
    "journal": "journal de reprise (processus principal)",
}
"""Phase names and their French labels, in the order of a copy's grading."""


class Stopwatch:
    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    def add(self, phase: str, seconds: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + seconds

    @contextmanager
    def phase(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)


_started_copies = 0


def worker_start_seconds() -> float:
    """Seconds since this process started, for the first copy it grades; 0 afterwards."""
    global _started_copies
    import multiprocessing

    _started_copies += 1
    if _started_copies > 1 or multiprocessing.parent_process() is None:  # not a pool's worker
        return 0.0
    try:
        import psutil

        return max(0.0, time.time() - psutil.Process(os.getpid()).create_time())
    except Exception:  # psutil missing or /proc unreadable: the phase is just not measured
        return 0.0


def means(per_copy: list[dict[str, float]]) -> dict[str, float]:
    """Each phase's mean over the copies (a copy without the phase counts as 0)."""
    if not per_copy:
        return {}
    names = [p for p in PHASES if any(p in t for t in per_copy)]
    names += sorted({p for t in per_copy for p in t} - set(names))
    return {name: sum(t.get(name, 0.0) for t in per_copy) / len(per_copy) for name in names}
