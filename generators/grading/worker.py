"""Grading one submission in a worker process: nbgrader's preprocessors, a sandboxed kernel.

The worker never writes the gradebook (nbgrader's gradebook is not safe to write from
several processes): it returns the scores, and the parent process stores them. What it
writes, it writes atomically: the autograded notebook and the verdicts file.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import resource
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat
import zmq
from jupyter_client import AsyncKernelManager
from traitlets.config import Config, PyFileConfigLoader

from generators.authoring import formatting
from generators.classroom.course import open_course, write_atomic
from generators.grading.sandbox import Limits, SandboxedKernelManager
from generators.grading.timings import Stopwatch, worker_start_seconds


@dataclass
class Outcome:
    student: str
    fingerprint: str
    scores: dict[str, float | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per grading phase (see `generators.grading.timings.PHASES`)."""
    worker: tuple[int, int] = (0, 0)
    """The worker's pid and its peak resident memory so far, in kB (for the memory benchmark)."""


@cache
def course_config(root: str) -> Config:
    return PyFileConfigLoader("nbgrader_config.py", path=root).load_config()


def fingerprint(notebook: Path, manifest: Path) -> str:
    """What makes a grade stale: the submitted notebook, its timestamp, the assignment."""
    digest = hashlib.sha256()
    for path in (notebook, notebook.parent / "timestamp.txt", manifest):
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


HINTS = {
    "FileNotFoundError": "fichier introuvable : le notebook ne voit que son propre espace de travail",
    "PermissionError": "accès refusé : le notebook ne peut rien modifier hors de son espace de travail",
    "URLError": "pas d'accès au réseau pendant la correction",
    "ConnectionRefusedError": "pas d'accès au réseau pendant la correction",
    "gaierror": "pas d'accès au réseau pendant la correction",
}
OUTPUT_LIMIT = 1_000_000
"""Characters of output kept per cell; the rest is dropped as it arrives."""
NOTEBOOK_OUTPUT_LIMIT = 5_000_000
"""Characters of output kept for the whole notebook."""
DROPPED_NOTE = (
    "[Correction] Sortie trop volumineuse : la suite de la sortie de cette cellule "
    "n'a pas été conservée."
)
LOST_NOTE = (
    "[Correction] Sortie refusée : un message du notebook dépassait la taille maximale "
    "acceptée par le correcteur."
)


TRUNCATED_LINES = 3
"""Cells with truncated output listed one by one in the teacher's report; more make one line."""


def _problems_in_outputs(nb, limits: Limits, truncated: set[int] = frozenset()) -> list[str]:
    """A French reason for each kind of trouble the student's code ran into."""
    found = []
    if len(truncated) > TRUNCATED_LINES:  # a notebook of 2 000 printing cells: one line, not 2 000
        first, last = min(truncated) + 1, max(truncated) + 1
        found.append(f"sortie trop volumineuse dans {formatting.number(len(truncated))} cellules "
                     f"(de la cellule {first} à la cellule {last}) : elles ont été tronquées")  # fmt: skip
    for number, cell in enumerate(nb.cells, start=1):
        if number - 1 in truncated and len(truncated) <= TRUNCATED_LINES:
            found.append(f"sortie trop volumineuse dans la cellule {number} : elle a été tronquée")
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            name, value = out.get("ename", ""), str(out.get("evalue", ""))
            if name == "CellTimeoutError":
                found.append(
                    f"temps limite dépassé dans la cellule {number} ({limits.cell_timeout} s) : "
                    "boucle infinie ou calcul trop long ; elle a été interrompue"
                )
            elif name == "MemoryError":
                limit = formatting.number(limits.memory_mb)
                found.append(f"mémoire dépassée dans la cellule {number} (limite {limit} Mo)")
            elif name == "BlockingIOError" or "Resource temporarily unavailable" in value:
                found.append(f"trop de processus lancés dans la cellule {number} (limite atteinte)")
            elif "No space left on device" in value:
                found.append(f"espace de stockage épuisé dans la cellule {number} (place limitée)")
            elif name == "OSError" and "Read-only file system" in value:
                found.append(f"écriture interdite dans la cellule {number} : le système est en lecture seule")
            elif name in HINTS:
                found.append(f"{HINTS[name]} (cellule {number} : {name})")
            elif name:
                found.append(f"erreur Python dans la cellule {number} : {name}: {value[:80]}")
    return list(dict.fromkeys(found))


class NotebookTimeout(Exception):
    """The notebook's cells together ran past `Limits.notebook_timeout`."""


def _message_size(msg: dict) -> int:
    """About the message's length in JSON characters, counted without serializing it again
    (a copy of a 15 MB output would double what the grader holds), iteratively (any depth)."""
    size = sum(len(b) for b in msg.get("buffers") or [])
    stack = [msg.get("content", {})]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, dict):
            size += 2 + 4 * len(item) + sum(len(str(key)) for key in item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            size += 2 + len(item)
            stack.extend(item)
        else:  # numbers, booleans, None
            size += len(str(item))
    return size


def bounded_execute_class():
    """nbgrader's Execute with budgets that hold while the kernel runs.

    nbgrader's LimitOutput trims outputs after the whole notebook ran, by which time a
    hostile notebook has made the grader hold them all in memory. Here every output
    message is weighed as it arrives: past the cell's or the notebook's budget it is
    dropped (a French note says so), and the notebook's cells share a total time budget.
    """
    from nbclient.exceptions import CellTimeoutError
    from nbclient.util import run_sync
    from nbgrader import preprocessors as nbp
    from traitlets import Integer
    from zmq.utils.monitor import recv_monitor_message

    class BoundedExecute(nbp.Execute):
        notebook_timeout = Integer(300, help="Seconds for all cells together.").tag(config=True)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.sandbox_km = None  # kept across preprocess(): the grader releases it at the end
            self.reset_bounds()

        def reset_execution_trackers(self) -> None:
            super().reset_execution_trackers()
            self.reset_bounds()

        def reset_bounds(self) -> None:
            self.truncated: set[int] = set()
            self.spent: dict[int, int] = {}
            self.deadline: float | None = None
            self.iopub_monitor = None

        @property
        def stopwatch(self) -> Stopwatch:
            if not hasattr(self, "_stopwatch"):
                self._stopwatch = Stopwatch()
            return self._stopwatch

        async def async_start_new_kernel(self, **kwargs):
            with self.stopwatch.phase("kernel_start"):
                return await super().async_start_new_kernel(**kwargs)

        start_new_kernel = run_sync(async_start_new_kernel)

        async def _async_cleanup_kernel(self):
            with self.stopwatch.phase("kernel_stop"):
                return await super()._async_cleanup_kernel()

        _cleanup_kernel = run_sync(_async_cleanup_kernel)

        async def async_start_new_kernel_client(self):
            with self.stopwatch.phase("kernel_start"):
                kc = await super().async_start_new_kernel_client()
            # the grader's sockets drop the connection on a message over their size limit:
            # watching the output socket's disconnections tells which cell lost output
            monitor = kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
            self.iopub_monitor = (monitor, zmq.Socket.shadow(monitor.underlying))
            return kc

        start_new_kernel_client = run_sync(async_start_new_kernel_client)

        def _refused_messages(self) -> bool:
            if self.iopub_monitor is None:
                return False
            found = False
            while self.iopub_monitor[1].poll(0):
                recv_monitor_message(self.iopub_monitor[1])
                found = True
            if found and self.kc is not None:
                # zmq does not reconnect after such a protocol error: without this, every
                # later output of the notebook would be lost
                socket, url = self.kc.iopub_channel.socket, self.kc._make_url("iopub")
                with contextlib.suppress(zmq.ZMQError):
                    socket.disconnect(url)
                socket.connect(url)
            return found

        def create_kernel_manager(self):
            with self.stopwatch.phase("sandbox"):
                self.sandbox_km = super().create_kernel_manager()
            return self.sandbox_km

        @property
        def expired(self) -> bool:
            return self.deadline is not None and time.monotonic() >= self.deadline

        def _get_timeout(self, cell):
            timeout = super()._get_timeout(cell)
            if self.deadline is None:
                return timeout
            remaining = max(1, math.ceil(self.deadline - time.monotonic()))
            return remaining if timeout is None else min(timeout, remaining)

        def _drop(self, cell, cell_index: int, note: str) -> None:
            if cell_index not in self.truncated:
                self.truncated.add(cell_index)
                cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=note + "\n"))

        def process_message(self, msg, cell, cell_index):
            if msg["msg_type"] in ("status", "execute_input"):
                return super().process_message(msg, cell, cell_index)
            size = _message_size(msg)
            spent = self.spent.get(cell_index, 0)
            if spent + size > OUTPUT_LIMIT or sum(self.spent.values()) + size > NOTEBOOK_OUTPUT_LIMIT:
                self._drop(cell, cell_index, DROPPED_NOTE)
                return None
            self.spent[cell_index] = spent + size
            return super().process_message(msg, cell, cell_index)

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if self.deadline is None:
                self.deadline = time.monotonic() + self.notebook_timeout
            elif self.expired and cell.cell_type == "code" and cell.source.strip():
                raise NotebookTimeout(cell_index)
            try:
                cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            except CellTimeoutError as exc:
                if "IOPub" not in str(exc):
                    raise
                # the reply came but not the end of the output: a message too large for the
                # grader's sockets was refused and the connection dropped with it
                self._refused_messages()
                self._drop(cell, cell_index, LOST_NOTE)
                self.nb.cells[cell_index] = cell
                return cell
            if self._refused_messages():
                self._drop(cell, cell_index, LOST_NOTE)
            return cell

        execute_cell = run_sync(async_execute_cell)

    return BoundedExecute


class KernelReserve:
    """At most one started, never-used sandboxed kernel per worker process, for its next copy.

    Starting a kernel (about a second) is most of a copy's cost; the next copy's kernel
    boots while the current copy runs, is judged and written. Each kernel serves exactly
    one copy and is then killed with its sandbox (scratch folder, cgroups), so no student
    runs in a kernel another student's code touched. The spare left when the worker ends
    is killed by `discard` (registered to run when the worker process exits).
    """

    def __init__(self) -> None:
        self.spare = None  # (key, execute) whose kernel is started
        self.finalizer = None

    def take(self, key, make, nb, watch: Stopwatch):
        """A BoundedExecute whose kernel (for `key`) is started: the spare, or a new one."""
        spare, self.spare = self.spare, None
        if spare is not None and spare[0] == key and _alive(spare[1]):
            spare[1].stopwatch.phases = watch.phases
            return spare[1]
        if spare is not None:
            _discard(spare[1])
        return _launch(make(), nb, watch)

    def refill(self, key, make, nb, watch: Stopwatch) -> None:
        if self.finalizer is None:
            from multiprocessing.util import Finalize

            self.finalizer = Finalize(self, KernelReserve.discard, args=(self,), exitpriority=100)
        self.spare = (key, _launch(make(), nb, watch))

    def discard(self) -> None:
        spare, self.spare = self.spare, None
        if spare is not None:
            _discard(spare[1])


def _launch(execute, nb, watch: Stopwatch):
    """Start the kernel of a fresh BoundedExecute, as nbclient would, without waiting for it.

    `nb` (sanitized: its kernelspec is the released one) only names the kernel to start.
    """
    execute.stopwatch.phases = watch.phases
    execute.nb, execute.resources = nb, {}
    execute.km = execute.create_kernel_manager()
    try:
        execute.start_new_kernel()
    except BaseException:
        _discard(execute)
        raise
    return execute


def _alive(execute) -> bool:
    from nbclient.util import run_sync

    try:
        return bool(run_sync(execute.km.is_alive)())
    except Exception:  # a manager in a bad state is not worth saving
        return False


def _discard(execute) -> None:
    """Kill a kernel and remove its sandbox, whatever state it is in."""
    from nbclient.util import run_sync

    km = execute.sandbox_km
    with contextlib.suppress(Exception):
        run_sync(km.shutdown_kernel)(now=True)
    if isinstance(km, SandboxedKernelManager):
        km.release()


RESERVE = KernelReserve()


def grade_submission(
    root: str,
    assignment: str,
    student: str,
    sandbox: bool,
    limits: Limits,
    scratch_root: str | None = None,
    prestart: bool = False,
) -> Outcome:
    """Sanitize, execute in the sandbox, decide verdicts, keep the autograded notebook.

    With `prestart` (a worker with more copies to come), the kernel for this process's
    next copy is started now, in its own sandbox (see `KernelReserve`).
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbgrader import preprocessors as nbp
    from nbgrader.preprocessors.execute import UnresponsiveKernelError
    from nbgrader.utils import determine_grade, is_grade

    from generators.grading.nbgrader_cached import FastCheckCellMetadata, SnapshotOverwriteCells
    from generators.grading.nbgrader_ext import RepairSubmission, ReportVerdicts, RestoreReportHelper

    watch = Stopwatch()
    watch.add("worker_start", worker_start_seconds())
    with watch.phase("read"):
        course = open_course(Path(root))
        source = course.submitted(student, assignment) / f"{assignment}.ipynb"
        manifest = course.assignment_dir(assignment) / "manifest.json"
        outcome = Outcome(student, fingerprint(source, manifest))
        config = course_config(root)
        nb = nbformat.read(source, as_version=4)
    outcome.timings = watch.phases
    destination = course.root / "autograded" / student / assignment
    destination.mkdir(parents=True, exist_ok=True)
    resources = {
        "nbgrader": {
            "student": student,
            "assignment": assignment,
            "notebook": assignment,
            "db_url": course.db_url,
        },
        "metadata": {"path": str(destination)},
    }
    with watch.phase("sanitize"):
        # the same sanitize list as the course's nbgrader_config.py (Autograde.sanitize_preprocessors),
        # two of nbgrader's steps with their set-up kept by the worker (see nbgrader_cached)
        resources["nbgrader"]["source_version"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
        for step in (nbp.ClearOutput, RepairSubmission, nbp.DeduplicateIds, nbp.OverwriteKernelspec,
                     SnapshotOverwriteCells, RestoreReportHelper, FastCheckCellMetadata):  # fmt: skip
            nb, resources = step(config=config).preprocess(nb, resources)

    SandboxedKernelManager.limits = limits
    SandboxedKernelManager.scratch_root = scratch_root
    manager = SandboxedKernelManager if sandbox else AsyncKernelManager

    def make():
        return bounded_execute_class()(
            config=config,
            kernel_manager_class=manager,
            timeout=limits.cell_timeout,
            notebook_timeout=limits.notebook_timeout,
            # the kernel and its sandbox are thrown away: no need to wait for a clean exit
            shutdown_kernel="immediate" if sandbox else "graceful",
        )

    started = time.perf_counter()
    before = sum(watch.phases.get(p, 0.0) for p in ("sandbox", "kernel_start", "kernel_stop"))
    # a kernel started ahead runs in the sandbox, whose working folder is its own, never
    # the copy's folder: without the sandbox, the kernel starts in the copy's folder, for this copy
    key = (root, limits, scratch_root, nb.metadata.get("kernelspec", {}).get("name"))
    try:
        execute = RESERVE.take(key, make, nb, watch) if sandbox else make()
    except Exception:  # no kernel started: nbclient tries below, and its error is reported
        execute = make()
    if sandbox and prestart:
        with contextlib.suppress(Exception):  # the next copy starts its own kernel then
            RESERVE.refill(key, make, nb, watch)
    elif not prestart:
        RESERVE.discard()
    execute.stopwatch.phases = watch.phases
    try:
        if sandbox:
            try:
                nb, resources = execute.preprocess(nb, resources, km=execute.km)
            finally:
                if execute.km is not None:  # nbclient leaves a kernel it was given running
                    with contextlib.suppress(Exception):  # release() below removes what is left
                        execute._cleanup_kernel()
        else:
            nb, resources = execute.preprocess(nb, resources)
    except NotebookTimeout:
        outcome.problems.append(
            f"temps total dépassé ({formatting.number(limits.notebook_timeout)} s pour tout le notebook) : "
            "les cellules suivantes n'ont pas été exécutées ni notées"
        )
    except DeadKernelError:
        outcome.problems.append(
            "le noyau Python s'est arrêté pendant l'exécution (os._exit, plantage ou mémoire épuisée) : "
            "les questions suivantes n'ont pas pu être notées"
        )
    except (UnresponsiveKernelError, CellTimeoutError):
        outcome.problems.append("le noyau ne répondait plus et a été arrêté : boucle infinie ?")
    except Exception as exc:  # a broken kernel must not stop the class
        outcome.problems.append(f"exécution impossible : {type(exc).__name__}: {str(exc)[:200]}")
    finally:
        kernel = sum(watch.phases.get(p, 0.0) for p in ("sandbox", "kernel_start", "kernel_stop")) - before
        watch.add("cells", time.perf_counter() - started - kernel)
        # a kernel that died or timed out is not always shut down by nbclient
        km = getattr(execute, "sandbox_km", None)
        if isinstance(km, SandboxedKernelManager):
            with watch.phase("kernel_stop"):
                km.release()
            if km.ran_out_of_memory:
                outcome.problems.append(
                    f"mémoire dépassée (limite {formatting.number(limits.memory_mb)} Mo, fichiers "
                    "temporaires compris) : le noyau Python a été arrêté"
                )
    if execute.expired and not any(p.startswith("temps total") for p in outcome.problems):
        outcome.problems.append(
            f"temps total dépassé ({formatting.number(limits.notebook_timeout)} s pour tout le notebook) : "
            "la dernière cellule a été interrompue"
        )
    outcome.problems += _problems_in_outputs(nb, limits, execute.truncated)

    with watch.phase("verdicts"):
        resources["mercatique"] = {"problems": outcome.problems}
        nb, resources = ReportVerdicts(config=config).preprocess(nb, resources)
    # what the teacher's report shows: repairs of a tampered notebook and forged reports included
    outcome.problems = list(resources["mercatique"].get("recorded", outcome.problems))
    with watch.phase("write"):
        nb, resources = nbp.LimitOutput(config=config).preprocess(nb, resources)
        for cell in nb.cells:
            if is_grade(cell):
                outcome.scores[cell.metadata.nbgrader["grade_id"]] = determine_grade(cell)[0]
        write_atomic(destination / f"{assignment}.ipynb", nbformat.writes(nb))
    outcome.worker = (os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return outcome
