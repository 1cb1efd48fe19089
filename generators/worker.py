"""Grading one submission in a worker process: nbgrader's preprocessors, a sandboxed kernel.

The worker never writes the gradebook (nbgrader's gradebook is not safe to write from
several processes): it returns the scores, and the parent process stores them. What it
writes, it writes atomically: the autograded notebook and the verdicts file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat
import zmq
from jupyter_client import AsyncKernelManager
from traitlets.config import Config, PyFileConfigLoader

from . import formatting
from .course import open_course, write_atomic
from .sandbox import Limits, SandboxedKernelManager


@dataclass
class Outcome:
    student: str
    fingerprint: str
    scores: dict[str, float | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


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


def _problems_in_outputs(nb, limits: Limits, truncated: set[int] = frozenset()) -> list[str]:
    """A French reason for each kind of trouble the student's code ran into."""
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        if number - 1 in truncated:
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
    buffers = msg.get("buffers") or []
    return len(json.dumps(msg.get("content", {}), default=str)) + sum(len(b) for b in buffers)


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
            self.reset_bounds()

        def reset_execution_trackers(self) -> None:
            super().reset_execution_trackers()
            self.reset_bounds()

        def reset_bounds(self) -> None:
            self.truncated: set[int] = set()
            self.spent: dict[int, int] = {}
            self.deadline: float | None = None
            self.sandbox_km = None
            self.iopub_monitor = None

        async def async_start_new_kernel_client(self):
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


def grade_submission(
    root: str, assignment: str, student: str, sandbox: bool, limits: Limits, scratch_root: str | None = None
) -> Outcome:
    """Sanitize, execute in the sandbox, decide verdicts, keep the autograded notebook."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbgrader import preprocessors as nbp
    from nbgrader.preprocessors.execute import UnresponsiveKernelError
    from nbgrader.utils import determine_grade, is_grade

    from .nbgrader_ext import RepairSubmission, ReportVerdicts, RestoreReportHelper

    course = open_course(Path(root))
    source = course.submitted(student, assignment) / f"{assignment}.ipynb"
    outcome = Outcome(student, fingerprint(source, course.assignment_dir(assignment) / "manifest.json"))
    config = course_config(root)
    nb = nbformat.read(source, as_version=4)
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
    # the same sanitize list as the course's nbgrader_config.py (Autograde.sanitize_preprocessors)
    for step in (nbp.ClearOutput, RepairSubmission, nbp.DeduplicateIds, nbp.OverwriteKernelspec,
                 nbp.OverwriteCells, RestoreReportHelper, nbp.CheckCellMetadata):  # fmt: skip
        nb, resources = step(config=config).preprocess(nb, resources)

    SandboxedKernelManager.limits = limits
    SandboxedKernelManager.scratch_root = scratch_root
    manager = SandboxedKernelManager if sandbox else AsyncKernelManager
    execute = bounded_execute_class()(
        config=config,
        kernel_manager_class=manager,
        timeout=limits.cell_timeout,
        notebook_timeout=limits.notebook_timeout,
    )
    try:
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
        # a kernel that died or timed out is not always shut down by nbclient
        km = getattr(execute, "sandbox_km", None)
        if isinstance(km, SandboxedKernelManager):
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

    resources["mercatique"] = {"problems": outcome.problems}
    nb, resources = ReportVerdicts(config=config).preprocess(nb, resources)
    # what the teacher's report shows: repairs of a tampered notebook and forged reports included
    outcome.problems = list(resources["mercatique"].get("recorded", outcome.problems))
    nb, resources = nbp.LimitOutput(config=config).preprocess(nb, resources)
    for cell in nb.cells:
        if is_grade(cell):
            outcome.scores[cell.metadata.nbgrader["grade_id"]] = determine_grade(cell)[0]
    write_atomic(destination / f"{assignment}.ipynb", nbformat.writes(nb))
    return outcome
