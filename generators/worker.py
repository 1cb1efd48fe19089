"""Grading one submission in a worker process: nbgrader's preprocessors, a sandboxed kernel.

The worker never writes the gradebook (nbgrader's gradebook is not safe to write from
several processes): it returns the scores, and the parent process stores them. What it
writes, it writes atomically: the autograded notebook and the verdicts file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat
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


def _output_size(cell) -> int:
    total = 0
    for out in cell.get("outputs", []):
        total += len(str(out.get("text", ""))) + sum(len(str(v)) for v in out.get("data", {}).values())
    return total


def _problems_in_outputs(nb, limits: Limits) -> list[str]:
    """A French reason for each kind of trouble the student's code ran into."""
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        if _output_size(cell) > OUTPUT_LIMIT:
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
            elif name == "OSError" and "Read-only file system" in value:
                found.append(f"écriture interdite dans la cellule {number} : le système est en lecture seule")
            elif name in HINTS:
                found.append(f"{HINTS[name]} (cellule {number} : {name})")
            elif name:
                found.append(f"erreur Python dans la cellule {number} : {name}: {value[:80]}")
    return list(dict.fromkeys(found))


def grade_submission(
    root: str, assignment: str, student: str, sandbox: bool, limits: Limits, scratch_root: str | None = None
) -> Outcome:
    """Sanitize, execute in the sandbox, decide verdicts, keep the autograded notebook."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbgrader import preprocessors as nbp
    from nbgrader.preprocessors.execute import UnresponsiveKernelError
    from nbgrader.utils import determine_grade, is_grade

    from .nbgrader_ext import ReportVerdicts, RestoreReportHelper

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
    for step in (nbp.ClearOutput, nbp.DeduplicateIds, nbp.OverwriteKernelspec, nbp.OverwriteCells,
                 RestoreReportHelper, nbp.CheckCellMetadata):  # fmt: skip
        nb, resources = step(config=config).preprocess(nb, resources)

    SandboxedKernelManager.limits = limits
    SandboxedKernelManager.scratch_root = scratch_root
    manager = SandboxedKernelManager if sandbox else AsyncKernelManager
    execute = nbp.Execute(config=config, kernel_manager_class=manager, timeout=limits.cell_timeout)
    try:
        nb, resources = execute.preprocess(nb, resources)
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
        if isinstance(getattr(execute, "km", None), SandboxedKernelManager):
            execute.km.release()
    outcome.problems += _problems_in_outputs(nb, limits)

    resources["mercatique"] = {"problems": outcome.problems}
    nb, resources = ReportVerdicts(config=config).preprocess(nb, resources)
    nb, resources = nbp.LimitOutput(config=config).preprocess(nb, resources)
    for cell in nb.cells:
        if is_grade(cell):
            outcome.scores[cell.metadata.nbgrader["grade_id"]] = determine_grade(cell)[0]
    write_atomic(destination / f"{assignment}.ipynb", nbformat.writes(nb))
    return outcome
