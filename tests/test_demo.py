"""Does `mercatique demo` run the whole loop and end by saying what to open?"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import run


@pytest.mark.slow
def test_demo_runs_the_loop_and_names_files_that_exist(tmp_path):
    result = run("demo", "--dir", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert "5/5" in result.output
    tail = result.output.split("À ouvrir dans un navigateur")[1]
    named = [Path(p.strip()) for p in re.findall(r"\u00a0?: (/\S.*)$", tail, re.MULTILINE)]
    assert len(named) == 3, tail
    for path in named:
        assert path.is_file(), path
    report, feedback, notebook = named
    assert report.name == "devoir-1_bilan.html" and "Bilan" in report.read_text("utf-8")
    assert feedback.suffix == ".html" and notebook.suffix == ".ipynb"
    assert "Traceback" not in result.output and "Warning" not in result.output
