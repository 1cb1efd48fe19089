"""The book's build-time Node.js tools (MathJax, PurgeCSS), from the project's
node_modules (`make node-deps`, versions pinned in package-lock.json).

Each tool is a small script beside this module that reads one JSON request on stdin and
writes one JSON answer on stdout; the book is still built without them, only heavier.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


class NodeToolError(RuntimeError):
    """The tool could not run: the build goes on without it."""


def installed() -> bool:
    return shutil.which("node") is not None


def available(package: str) -> bool:
    return installed() and (NODE_MODULES / package / "package.json").is_file()


def package_version(package: str) -> str:
    try:
        return json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))["version"]
    except OSError as error:
        raise NodeToolError(f"{package} manque dans {NODE_MODULES} (make node-deps)") from error


def run(script: str, request: dict, timeout: float = 300) -> dict:
    """Run `script` (a file beside this module) on `request`, with `modules` added."""
    payload = json.dumps({"modules": str(NODE_MODULES), **request})
    try:
        done = subprocess.run(
            ["node", str(Path(__file__).with_name(script))],
            input=payload,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NodeToolError(str(error)) from error
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        errors = [line for line in lines if "Error" in line]
        raise NodeToolError((errors or lines or [f"code {done.returncode}"])[0])
    return json.loads(done.stdout)
