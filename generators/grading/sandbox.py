"""The student's kernel in a bubblewrap sandbox (DESIGN.md §3, README « Ce que l'isolation garantit »).

Inside: the Python installation and the virtualenv read-only, a private scratch folder
(its working directory and HOME), a size-capped in-memory /tmp and /dev/shm, no network, its own
process, mount, IPC and user namespaces, an empty fixed environment. The kernel holds no
capability and cannot get one: it runs in a user namespace where bwrap dropped them all,
with `no_new_privs`, and cannot create nested user namespaces. When the grader is root,
the kernel runs as the unprivileged uid `nobody` outside the sandbox too, so a bug in the
namespaces still leaves it with no more rights than `nobody`.

Limits: rlimits (`prlimit`) per process; when cgroups are writable (root), a pids cgroup
(root ignores RLIMIT_NPROC) and a memory cgroup, which also charges the in-memory /tmp
and the scratch folder (kept on /dev/shm for that reason). The grader kills the kernel past
the per-cell and per-notebook time limits. It talks to the grader over Unix sockets in
the scratch folder, which cross the network namespace.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from traitlets import default

from generators.errors import MercatiqueError

DEFAULT_MEMORY_MB = 2048
DEFAULT_PROCESSES = 64
DEFAULT_FILE_MB = 50
DEFAULT_TMP_MB = 256
DEFAULT_NOTEBOOK_TIMEOUT = 300

SANDBOX_UID = SANDBOX_GID = 65534
"""`nobody`: the kernel's uid outside the sandbox when the grader runs as root."""

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""A kernel message larger than this is refused by the grader's sockets (a 300 MB print
would otherwise be received, decoded and stored whole by the grading process)."""
RECEIVE_QUEUE = 64
"""Messages the grader's sockets queue at most (zmq's default is 1 000)."""


@dataclass(frozen=True)
class Limits:
    memory_mb: int = DEFAULT_MEMORY_MB
    processes: int = DEFAULT_PROCESSES
    file_mb: int = DEFAULT_FILE_MB
    cell_timeout: int = 30
    notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT
    """Seconds for all of a notebook's cells together."""
    tmp_mb: int = DEFAULT_TMP_MB
    """Size of the sandbox's in-memory /tmp."""


def drops_to_nobody() -> bool:
    """Whether the kernel runs as another, unprivileged uid (the grader is root)."""
    return os.geteuid() == 0


def missing_tools() -> list[str]:
    tools = ["bwrap", "prlimit"]
    if drops_to_nobody():
        tools += ["setpriv", "unshare", "mount"]
    return [tool for tool in tools if shutil.which(tool) is None]


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


# -- cgroups -----------------------------------------------------------------------------

CGROUP = Path("/sys/fs/cgroup")
PIDS_V1 = CGROUP / "pids"
PIDS_V2 = CGROUP


def _controller_root(controller: str) -> Path | None:
    """A writable cgroup hierarchy with `controller` (v1 mount, or the v2 root)."""
    v1 = CGROUP / controller
    v2_controls = CGROUP / "cgroup.subtree_control"
    if (v1 / "cgroup.procs").exists():
        candidate = v1
    elif v2_controls.exists() and controller in v2_controls.read_text().split():
        candidate = CGROUP
    else:
        return None
    return candidate if os.access(candidate, os.W_OK) else None


def pids_cgroup_root() -> Path | None:
    """A writable cgroup with the pids controller, where process counts can be capped.

    rlimits cannot cap root's processes (root bypasses RLIMIT_NPROC), so when grading
    runs as root a fork bomb is contained by a pids cgroup instead.
    """
    return _controller_root("pids")


def memory_cgroup_root() -> Path | None:
    """A writable cgroup with the memory controller: it charges tmpfs pages too, so the
    in-memory /tmp and a scratch folder on /dev/shm count against the notebook's memory."""
    return _controller_root("memory")


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def make_pids_cgroup(limit: int) -> Path | None:
    root = pids_cgroup_root()
    if root is None:
        return None
    group = Path(tempfile.mkdtemp(prefix="mercatique-", dir=root))
    _write(group / "pids.max", str(limit))
    return group


def make_memory_cgroup(limit_mb: int) -> Path | None:
    """A memory cgroup capped at `limit_mb`, swap included (v1 and v2)."""
    root = memory_cgroup_root()
    if root is None:
        return None
    limit = str(limit_mb * 1024 * 1024)
    group = Path(tempfile.mkdtemp(prefix="mercatique-", dir=root))
    try:
        if (group / "memory.limit_in_bytes").exists():  # v1
            _write(group / "memory.limit_in_bytes", limit)
            if (group / "memory.memsw.limit_in_bytes").exists():
                _write(group / "memory.memsw.limit_in_bytes", limit)
        else:  # v2
            _write(group / "memory.max", limit)
            if (group / "memory.swap.max").exists():
                _write(group / "memory.swap.max", "0")
    except OSError:
        remove_cgroup(group)
        return None
    return group


def make_cgroups(limits: Limits) -> list[Path]:
    """The sandbox's cgroups (one group holds both controllers on cgroup v2)."""
    groups = []
    memory = make_memory_cgroup(limits.memory_mb)
    if memory is not None:
        groups.append(memory)
    if memory is not None and memory.parent == CGROUP:  # v2: same group for pids
        with contextlib.suppress(OSError):
            _write(memory / "pids.max", str(limits.processes))
        return groups
    pids = make_pids_cgroup(limits.processes)
    if pids is not None:
        groups.append(pids)
    return groups


def is_memory_cgroup(group: Path) -> bool:
    return (group / "memory.limit_in_bytes").exists() or (group / "memory.max").exists()


def oom_killed(group: Path | None) -> bool:
    """Whether the kernel's memory cgroup killed a process for lack of memory."""
    if group is None:
        return False
    for name in ("memory.oom_control", "memory.events"):  # v1, v2
        with contextlib.suppress(OSError):
            for line in (group / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
    return False


def kill_cgroup(group: Path | None) -> None:
    """Kill what is in the group, until it is empty."""
    if group is None or not group.exists():
        return
    for _ in range(100):
        try:
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def remove_cgroup(group: Path | None) -> None:
    """Kill what is left in the group, then remove it."""
    if group is None or not group.exists():
        return
    kill_cgroup(group)
    for _ in range(20):  # a dying process leaves the group a moment after its SIGKILL
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)


def sweep_stale_cgroups(age: float = 600) -> None:
    """Remove the empty cgroups that a killed grading run left behind (an empty group
    younger than `age` seconds may be one that another run is about to join)."""
    for root in {pids_cgroup_root(), memory_cgroup_root()} - {None}:
        for group in root.glob("mercatique-*"):
            with contextlib.suppress(OSError):
                old = time.time() - group.stat().st_mtime > age
                if old and not (group / "cgroup.procs").read_text().split():
                    group.rmdir()


# -- the command -------------------------------------------------------------------------


def kernel_environment(scratch: Path) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's (tokens, passwords, URLs)."""
    return {
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
        "HOME": str(scratch),
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(scratch),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
    }


LAUNCH_ENVIRONMENT = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
"""The environment bwrap itself starts with: the sandbox's pid 1 is bwrap, and a process
can read its parent's start-up environment in /proc/1/environ."""


def _owned_prefix(kind: str) -> str:
    """Folder names carry the creating process's pid, so a later run can tell which are stale."""
    return f"mercatique-{kind}-{os.getpid()}-"


def sweep_stale_files(folders: tuple[str | None, ...] = ("/dev/shm", None)) -> None:
    """Remove scratch and stage folders whose grading process died (killed, SIGKILL):
    on /dev/shm they would otherwise hold memory until the next reboot."""
    for folder in folders:
        base = Path(folder or tempfile.gettempdir())
        for path in [*base.glob("mercatique-noyau-*"), *base.glob("mercatique-racines-*")]:
            pid = path.name.split("-")[2]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(path, ignore_errors=True)


def make_stage() -> Path:
    """Empty mount points, reachable by `nobody`, where root binds what the sandbox needs.

    bwrap run as `nobody` must reach each folder it binds; /root (mode 700, home of a pyenv
    Python) or a pytest temporary folder are not reachable. Root binds them here first, in
    a private mount namespace that vanishes with the sandbox.
    """
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    stage = Path(tempfile.mkdtemp(prefix=_owned_prefix("racines"), dir=base))
    stage.chmod(0o755)
    return stage


def prepare_scratch(scratch: Path) -> None:
    """The scratch folder belongs to the kernel's uid, and to nobody else."""
    scratch.chmod(0o700)
    if drops_to_nobody():
        os.chown(scratch, SANDBOX_UID, SANDBOX_GID)


def wrap_command(
    command: list[str],
    scratch: Path,
    limits: Limits,
    cgroups: Path | list[Path] | None = None,
    stage: Path | None = None,
) -> list[str]:
    """`command` run inside bwrap, under rlimits, in `cgroups`; as `nobody` when root.

    When the grader is root, `stage` (from `make_stage`) is required.
    """
    groups = [cgroups] if isinstance(cgroups, Path) else list(cgroups or [])
    binds = [(root, True) for root in _read_only_roots()] + [(scratch, False)]
    as_nobody = drops_to_nobody()
    if as_nobody and stage is None:
        raise ValueError("a stage folder is needed when the grader is root")
    # mounts apply in order: the empty /tmp first, so a venv or scratch space that lives
    # under /tmp (a course cloned there) is bound on top of it, not hidden by it
    bwrap = [
        "bwrap",
        "--unshare-user",
        "--unshare-all",
        "--disable-userns",
        "--cap-drop", "ALL",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(limits.tmp_mb * 1024 * 1024),
        "--tmpfs", "/dev/shm",
        "--size", str(limits.tmp_mb * 1024 * 1024),
        "--tmpfs", "/tmp",
    ]  # fmt: skip
    staging = []
    for number, (path, read_only) in enumerate(binds):
        source = str(path)
        if as_nobody:
            source = str(stage / str(number))
            staging.append(f"mkdir -p {shlex.quote(source)} && mount --rbind {shlex.quote(str(path))} "
                           f"{shlex.quote(source)}")  # fmt: skip
        bwrap += ["--ro-bind" if read_only else "--bind", source, str(path)]
    # the sandbox's own root and /dev are tmpfs the kernel could otherwise fill without bound
    bwrap += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", str(scratch)]
    for name, value in kernel_environment(scratch).items():
        bwrap += ["--setenv", name, value]
    prlimit = [
        "prlimit",
        f"--as={limits.memory_mb * 1024 * 1024}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_mb * 1024 * 1024}",
        "--",
    ]
    wrapped = [*bwrap, "--", *prlimit, *command]
    clean = ["env", "-i", *(f"{name}={value}" for name, value in LAUNCH_ENVIRONMENT.items())]
    joins = [f"echo $$ > {shlex.quote(str(group / 'cgroup.procs'))}" for group in groups]
    if not as_nobody:
        if not joins:
            return [*clean, *wrapped]
        return [*clean, "sh", "-c", " && ".join([*joins, 'exec "$@"']), "sh", *wrapped]
    # root: join the cgroups and bind the folders in a private mount namespace, then become
    # `nobody` with no capability at all before bwrap builds the sandbox
    setpriv = [
        "setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_GID}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
    ]  # fmt: skip
    script = " && ".join([*joins, *staging, 'exec "$@"'])
    return [*clean, "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh",
            *setpriv, *wrapped]  # fmt: skip


# -- the kernel manager ------------------------------------------------------------------


@functools.cache
def _sweep_once() -> None:
    sweep_stale_files()
    sweep_stale_cgroups()


class BoundedKernelClient(AsyncKernelClient):
    """A client whose sockets refuse giant messages and queue few of them."""

    @default("context")
    def _context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
        return context


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside the sandbox, over IPC sockets."""

    limits = Limits()
    scratch_root: str | None = None
    """Where scratch folders go (one folder per grading run, removed by the grader)."""

    def __init__(self, **kwargs):
        self.cgroups = make_cgroups(self.limits)
        memory = [g for g in self.cgroups if is_memory_cgroup(g)]
        self.memory_cgroup = memory[0] if memory else None
        root = self.scratch_root
        if root is None and self.memory_cgroup is not None and os.access("/dev/shm", os.W_OK):
            root = "/dev/shm"  # in memory, charged to the kernel's memory cgroup
        _sweep_once()
        self.scratch = Path(tempfile.mkdtemp(prefix=_owned_prefix("noyau"), dir=root))
        prepare_scratch(self.scratch)
        self.stage = make_stage() if drops_to_nobody() else None
        self.ran_out_of_memory = False
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", str(self.scratch / "ipc"))
        kwargs.setdefault("connection_file", str(self.scratch / "kernel.json"))
        kwargs.setdefault("client_class", "generators.grading.sandbox.BoundedKernelClient")
        super().__init__(**kwargs)

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if drops_to_nobody():  # the kernel, as nobody, must read it
            os.chown(self.connection_file, SANDBOX_UID, SANDBOX_GID)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        # the kernel's own console chatter is not the teacher's business
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        kw["env"] = dict(LAUNCH_ENVIRONMENT)
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    def format_kernel_cmd(self, extra_arguments=None):
        # A SIGINT to the process group would also hit bwrap, which dies of it and takes
        # the kernel along: interrupts go as a control message, the kernel signals itself.
        self.kernel_spec.interrupt_mode = "message"
        return wrap_command(
            super().format_kernel_cmd(extra_arguments), self.scratch, self.limits, self.cgroups, self.stage
        )

    def release(self) -> None:
        """Kill what is left of the sandbox and remove its files (idempotent)."""
        for group in self.cgroups:
            kill_cgroup(group)
        self.ran_out_of_memory = self.ran_out_of_memory or oom_killed(self.memory_cgroup)
        # the files first: on /dev/shm they are charged to the memory cgroup
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
        for group in self.cgroups:
            remove_cgroup(group)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            self.release()
