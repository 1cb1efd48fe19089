"""The start-up fix: Jupyter tools launched through generators.launch still work, without
the grammar compilation that cost two seconds per command."""

import subprocess
import sys

import nbgrader


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)


def test_notebooks_still_validate_without_loading_the_slow_iri_checker():
    code = (
        "import sys, generators, nbformat\n"
        "nbformat.validate(nbformat.v4.new_notebook())\n"
        "print(sys.modules.get('rfc3987_syntax') is None)\n"
    )
    result = _python("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_nbgrader_runs_through_the_launcher():
    result = _python("-m", "generators.launch", "nbgrader", "--version")
    assert result.returncode == 0, result.stderr
    assert nbgrader.__version__ in result.stdout + result.stderr


def test_jupyter_book_entry_point_runs_through_the_launcher():
    result = _python("-m", "generators.launch", "jupyter_book.cli.main:main", "--version")
    assert result.returncode == 0, result.stderr
    assert "Jupyter Book" in result.stdout
