"""The student's kernel in a bubblewrap sandbox (DESIGN.md §3).

Inside: the Python installation and the virtualenv read-only, a private scratch folder
(its working directory and HOME), an in-memory /tmp, no network, its own process
namespace. Nothing of the course directory (secret, answer keys, gradebook, other
submissions) is mounted. Memory, processes and file sizes are capped with rlimits
(`prlimit`); the grader kills it past the per-cell time limit. It talks to the grader
over Unix sockets in the scratch folder, which cross the network namespace.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import AsyncKernelManager

from .errors import MercatiqueError

DEFAULT_MEMORY_MB = 2048
DEFAULT_PROCESSES = 64
DEFAULT_FILE_MB = 50


@dataclass(frozen=True)
class Limits:
    memory_mb: int = DEFAULT_MEMORY_MB
    processes: int = DEFAULT_PROCESSES
    file_mb: int = DEFAULT_FILE_MB
    cell_timeout: int = 30


def missing_tools() -> list[str]:
    return [tool for tool in ("bwrap", "prlimit") if shutil.which(tool) is None]


def require_sandbox() -> None:
    missing = missing_tools()
    if missing:
        raise MercatiqueError(
            "impossible d'isoler les notebooks des élèves : "
            f"{', '.join(missing)} introuvable. Installez-le (sudo apt-get install bubblewrap util-linux), "
            "ou, en connaissance de cause, corrigez sans isolation avec --no-sandbox."
        )


def _read_only_roots() -> list[Path]:
    """What the kernel needs to run Python: system libraries, the interpreter, the venv."""
    roots = [Path(p) for p in ("/usr", "/lib", "/lib64", "/bin", "/sbin")]
    roots.append(Path(os.path.realpath(sys.base_prefix)))
    roots.append(Path(sys.prefix))
    return [r for r in dict.fromkeys(roots) if r.exists()]


PIDS_V1 = Path("/sys/fs/cgroup/pids")
PIDS_V2 = Path("/sys/fs/cgroup")


def pids_cgroup_root() -> Path | None:
    """A writable cgroup with the pids controller, where process counts can be capped.

    rlimits cannot cap root's processes (root bypasses RLIMIT_NPROC), so when grading
    runs as root a fork bomb is contained by a pids cgroup instead.
    """
    v2_controls = PIDS_V2 / "cgroup.subtree_control"
    if (PIDS_V1 / "cgroup.procs").exists():
        candidate = PIDS_V1
    elif v2_controls.exists() and "pids" in v2_controls.read_text():
        candidate = PIDS_V2
    else:
        return None
    return candidate if os.access(candidate, os.W_OK) else None


def make_pids_cgroup(limit: int) -> Path | None:
    root = pids_cgroup_root()
    if root is None:
        return None
    group = Path(tempfile.mkdtemp(prefix="mercatique-", dir=root))
    (group / "pids.max").write_text(str(limit))
    return group


def remove_cgroup(group: Path | None) -> None:
    """Kill what is left in the group, then remove it."""
    if group is None or not group.exists():
        return
    for _ in range(50):
        pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        group.rmdir()


def wrap_command(command: list[str], scratch: Path, limits: Limits, cgroup: Path | None = None) -> list[str]:
    """`command` run inside bwrap, under rlimits (and in a pids cgroup when one is given)."""
    # mounts apply in order: the empty /tmp first, so a venv or scratch space that lives
    # under /tmp (a course cloned there) is bound on top of it, not hidden by it
    bwrap = [
        "bwrap",
        "--unshare-all",
        "--die-with-parent",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
    for root in _read_only_roots():
        bwrap += ["--ro-bind", str(root), str(root)]
    bwrap += [
        "--bind", str(scratch), str(scratch), "--chdir", str(scratch),
        "--setenv", "HOME", str(scratch), "--setenv", "MPLCONFIGDIR", str(scratch),
        "--setenv", "MPLBACKEND", "Agg", "--unsetenv", "JPY_PARENT_PID",
    ]  # fmt: skip
    prlimit = [
        "prlimit",
        f"--as={limits.memory_mb * 1024 * 1024}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_mb * 1024 * 1024}",
        "--",
    ]
    wrapped = [*bwrap, "--", *prlimit, *command]
    if cgroup is None:
        return wrapped
    return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup), *wrapped]


def sweep_stale_cgroups() -> None:
    """Remove the empty pids cgroups that a killed grading run left behind."""
    root = pids_cgroup_root()
    if root is None:
        return
    for group in root.glob("mercatique-*"):
        with contextlib.suppress(OSError):
            if not (group / "cgroup.procs").read_text().split():
                group.rmdir()


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside the sandbox, over IPC sockets."""

    limits = Limits()
    scratch_root: str | None = None
    """Where scratch folders go (one folder per grading run, removed by the grader)."""

    def __init__(self, **kwargs):
        self.scratch = Path(tempfile.mkdtemp(prefix="mercatique-noyau-", dir=self.scratch_root))
        self.cgroup = make_pids_cgroup(self.limits.processes)
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", str(self.scratch / "ipc"))
        kwargs.setdefault("connection_file", str(self.scratch / "kernel.json"))
        super().__init__(**kwargs)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        # the kernel's own console chatter is not the teacher's business
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    def format_kernel_cmd(self, extra_arguments=None):
        # A SIGINT to the process group would also hit bwrap, which dies of it and takes
        # the kernel along: interrupts go as a control message, the kernel signals itself.
        self.kernel_spec.interrupt_mode = "message"
        return wrap_command(
            super().format_kernel_cmd(extra_arguments), self.scratch, self.limits, self.cgroup
        )

    def release(self) -> None:
        """Kill what is left of the sandbox and remove its files (idempotent)."""
        remove_cgroup(self.cgroup)
        shutil.rmtree(self.scratch, ignore_errors=True)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            self.release()
