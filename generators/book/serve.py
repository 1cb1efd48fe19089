"""`mercatique serve`: the book and the JupyterLite site over HTTP on 127.0.0.1 only.

JupyterLite refuses `file://` (its kernel runs in a web worker and reads files with
fetch), so the built folder `_build/` (book in `html/`, site in `lite/`) is served by the
standard library's HTTP server, with the MIME types the browser insists on for
WebAssembly and ES modules.
"""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from generators.errors import MercatiqueError

HOST = "127.0.0.1"
MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".ipynb": "application/json",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
}


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        pass  # one line per file would bury the addresses


def make_server(build_dir: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server of `build_dir` on 127.0.0.1 (port 0: any free port)."""
    if not (build_dir / "html").is_dir() and not (build_dir / "lite").is_dir():
        raise MercatiqueError(
            f"Rien à servir dans {build_dir} : construisez d'abord le livre (mercatique book) "
            "ou le site d'entraînement (mercatique lite)."
        )
    handler = functools.partial(_Handler, directory=str(build_dir))
    try:
        return ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise MercatiqueError(
            f"Le port {port} n'est pas libre ({exc.strerror}) : choisissez-en un autre avec --port."
        ) from exc


def addresses(build_dir: Path, port: int) -> list[tuple[str, str]]:
    """What is served, as (label, URL) pairs."""
    base = f"http://{HOST}:{port}"
    found = []
    if (build_dir / "html").is_dir():
        found.append(("Le livre", f"{base}/html/index.html"))
    if (build_dir / "lite").is_dir():
        found.append(
            ("Le site d'entraînement (JupyterLite)", f"{base}/lite/lab/index.html?path=Bienvenue.ipynb")
        )
        # the Notebook interface's file list: its buttons answer a tap, JupyterLab's menus do not
        found.append(("Sur un téléphone", f"{base}/lite/tree/index.html"))
    return found
