"""A real JupyterHub for tests/test_hub.py: Unix users, the hub process, the students' venv.

Nothing here stands in for a piece of the hub: users are created with useradd and log in
through PAM, the hub is `jupyterhub` with `configurable-http-proxy`, and each student's
JupyterLab runs as that user from the venv that `make hub-deps` builds under /opt.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.browser import CHROMIUM

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
HUB_VENV = Path(os.environ.get("MERCATIQUE_HUB_VENV", "/opt/mercatique-hub-venv"))
HUB_NODE = Path(os.environ.get("MERCATIQUE_HUB_NODE", "/opt/mercatique-hub-node"))
CHP_BIN = HUB_NODE / "node_modules" / ".bin"

USER_PREFIX = "mqh"

def missing_requirements() -> str | None:
    """Why this machine cannot run the hub test, in one sentence (None when it can)."""
    if os.geteuid() != 0:
        return "le test JupyterHub crée des comptes Unix : il doit tourner en root"
    if not Path(CHROMIUM).exists():
        return f"Chromium absent ({CHROMIUM}) : apt-get install chromium"
    if not shutil.which("npm"):
        return "npm absent : apt-get install npm"
    for tool in ("useradd", "userdel", "chpasswd"):
        if not shutil.which(tool):
            return f"{tool} absent : ce système ne permet pas de créer des comptes Unix"
    if not (HUB_VENV / "bin" / "jupyterhub").exists() or not (CHP_BIN / "configurable-http-proxy").exists():
        return f"JupyterHub n'est pas installé dans {HUB_VENV} : lancez « make hub-deps »"
    return None


def install_product() -> None:
    """Install the code under test, non-editable, into the students' venv.

    From a clean copy of the sources: an in-tree build would leave build/ and
    *.egg-info in the worktree. Dependencies come from `make hub-deps`; a dependency
    added since (the French language pack, say) fails here rather than in the browser.
    """
    with tempfile.TemporaryDirectory(prefix="mqh-src-") as tmp:
        src = Path(tmp) / "mercatique"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(REPO / name, src / name)
        shutil.copytree(REPO / "generators", src / "generators", ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run(
            [HUB_VENV / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps",
             "--force-reinstall", str(src)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    pip = [HUB_VENV / "bin" / "python", "-m", "pip"]
    check = subprocess.run([*pip, "check"], capture_output=True, text=True)
    if check.returncode != 0:
        missing = f"dépendances manquantes dans {HUB_VENV} : lancez « make hub-deps »"
        raise RuntimeError(f"{missing}\n{check.stdout}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Student:
    name: str
    password: str
    home: Path


def _pids_of(user: str) -> list[int]:
    result = subprocess.run(["ps", "-u", user, "-o", "pid="], capture_output=True, text=True)
    return [int(p) for p in result.stdout.split()]


def remove_user(name: str) -> None:
    """Stop the user's processes (each by its id), then delete the account."""
    try:
        import pwd

        pwd.getpwnam(name)
    except KeyError:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _pids_of(name)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 10
        while pids and _pids_of(name) and time.monotonic() < deadline:
            time.sleep(0.2)
    subprocess.run(["userdel", name], check=False, capture_output=True)


def create_student(name: str, homes: Path) -> Student:
    assert name.startswith(USER_PREFIX)
    remove_user(name)  # left over by a run that was killed before its teardown
    home = homes / name
    subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/bash",
                    "--user-group", name], check=True, capture_output=True)  # fmt: skip
    home.mkdir(mode=0o700)
    shutil.chown(home, name, name)
    password = secrets.token_urlsafe(12)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True, capture_output=True)
    return Student(name, password, home)


class Hub:
    """`jupyterhub` as a child process; `stop()` ends it and the servers it spawned."""

    def __init__(self, state: Path, student_config: Path, users: list[str]):
        self.state = state
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = state / "jupyterhub.log"
        env = {
            "PATH": f"{HUB_VENV / 'bin'}:{CHP_BIN}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "HOME": str(state),
            "MQH_STATE_DIR": str(state),
            "MQH_PORT": str(self.port),
            "MQH_HUB_PORT": str(free_port()),
            "MQH_PROXY_API_PORT": str(free_port()),
            "MQH_USERS": ",".join(users),
            "MQH_HUB_VENV": str(HUB_VENV),
            "MQH_STUDENT_CONFIG": str(student_config),
        }
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [HUB_VENV / "bin" / "jupyterhub", "-f", HERE / "jupyterhub_config.py"],
            cwd=state, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub s'est arrêté :\n{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"jupyterhub ne répond pas sur {self.url} :\n{self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        """SIGTERM lets the hub stop the students' servers and its proxy (cleanup_*)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # the proxy runs in the hub's session: stop it by its pid file if it outlived the hub
        pid_file = self.state / "proxy.pid"
        if pid_file.exists():
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        self.log.close()
