"""Hostile submissions: each gets a French reason, the class is graded, nothing outside
the sandbox's scratch space changes (DESIGN.md §3)."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
from pathlib import Path

import pytest

from generators.grading.sandbox import pids_cgroup_root
from generators.simulate import file_submission, set_answers
from tests.helpers import Class, new_course, read_csv, run

pytestmark = pytest.mark.slow
A = "devoir-h"


def digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


class _Quiet(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        _Quiet.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("hostile"), 14, {A: ["fnac-campagne-emailing"]})
    c = Class(root, A)
    course = c.course

    server = http.server.HTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    secret = course.private / "secret"
    key_csv = root / "exports" / f"{A}_answer_key.csv"
    gradebook = root / "gradebook.db"
    marker = root / "pirate.txt"
    attacks = {
        "lecture-secret": f"print(open({str(secret)!r}).read())\nprint(open({str(key_csv)!r}).read())",
        "ecriture-carnet": (
            f"open({str(gradebook)!r}, 'ab').write(b'x')\nopen({str(marker)!r}, 'w').write('x')"
        ),
        "boucle-infinie": "while True:\n    pass",
        "bombe-memoire": "x = bytearray(8 * 1024**3)",
        "sortie-enorme": "print('x' * 3_000_000)",
        "suppression": f"import shutil\nshutil.rmtree({str(root)!r})\nimport os\nos.remove({str(key_csv)!r})",
        "os-exit": "import os\nos._exit(3)",
        "plantage": "import ctypes\nctypes.string_at(0)",
        "reseau": (
            f"import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/fuite', timeout=3)"
        ),
    }
    if pids_cgroup_root() is not None or os.getuid() != 0:
        attacks["bombe-fork"] = "import os\nfor _ in range(200):\n    os.fork()"
    students = sorted(c.rows)
    plan = dict(zip(attacks, students, strict=False))
    protected = [secret, key_csv, root / "nbgrader_config.py", root / "source" / A / f"{A}.ipynb"]
    for attack, student in plan.items():
        answers = c.all_right(student)
        first = c.rows[student][0]["cell_id"]  # the attack runs first, then the right answers
        answers[first] = attacks[attack] + "\n" + answers[first]
        file_submission(course, A, student, set_answers(c.released(student), answers))
    honest = students[len(plan) :]
    for student in honest:
        file_submission(course, A, student, set_answers(c.released(student), c.all_right(student)))
    protected += [course.submitted(s, A) / f"{A}.ipynb" for s in students]
    before = digest(protected)
    result = run("grade", root, A, "--timeout", "5", "--memory", "1024")
    server.shutdown()
    grades = {r["student_id"]: r for r in read_csv(root / "exports" / f"{A}_grades.csv")}
    return c, plan, honest, result, grades, before, protected, marker


def test_the_class_is_graded_despite_hostile_notebooks(hostile):
    c, plan, honest, result, grades, *_ = hostile
    assert result.exit_code == 0, result.output
    for student in honest:
        assert float(grades[student]["score"]) == c.max_points(), grades[student]


def test_each_hostile_notebook_gets_a_french_reason(hostile):
    c, plan, honest, result, *_ = hostile
    expected = {
        "lecture-secret": "fichier introuvable",
        "ecriture-carnet": "fichier introuvable",
        "boucle-infinie": "temps limite dépassé",
        "bombe-memoire": "mémoire dépassée",
        "sortie-enorme": "sortie trop volumineuse",
        "suppression": "fichier introuvable",
        "os-exit": "noyau Python s'est arrêté",
        "plantage": "noyau Python s'est arrêté",
        "reseau": "réseau",
        "bombe-fork": "processus",
    }
    for attack, student in plan.items():
        lines = [line for line in result.output.splitlines() if f"« {student} »" in line]
        assert any(expected[attack] in line for line in lines), (attack, lines)


def test_a_hostile_cell_costs_only_its_own_question_unless_the_kernel_dies(hostile):
    c, plan, honest, result, grades, *_ = hostile
    for attack, student in plan.items():
        row = grades[student]
        questions = [q for q in row if "/" in q]
        if attack in ("os-exit", "plantage"):
            assert float(row["score"]) == 0, (attack, row)  # the kernel died in the first answer
        else:
            later = [float(row[q]) for q in questions[1:]]
            assert all(points > 0 for points in later), (attack, row)


def test_nothing_outside_the_scratch_space_changed(hostile):
    c, plan, honest, result, grades, before, protected, marker = hostile
    assert digest(protected) == before
    assert not marker.exists()
    assert _Quiet.hits == []


def test_without_bubblewrap_grading_refuses_and_names_the_fix(tmp_path, monkeypatch):
    root = new_course(tmp_path, 3, {"d": ["oasis-page-facebook"]})
    c = Class(root, "d")
    for student in c.rows:
        c.submit(student, c.all_right(student))
    monkeypatch.setenv("PATH", str(tmp_path / "vide"))  # no bwrap, no prlimit
    refused = run("grade", root, "d")
    assert refused.exit_code == 2
    assert "bubblewrap" in refused.output and "--no-sandbox" in refused.output
    monkeypatch.undo()
    trusted = run("grade", root, "d", "--no-sandbox")
    assert trusted.exit_code == 0, trusted.output
    assert all(float(r["score"]) == c.max_points() for r in read_csv(root / "exports" / "d_grades.csv"))


def test_a_venv_under_tmp_stays_visible_inside_the_sandbox(tmp_path, monkeypatch):
    """A course cloned under /tmp has its venv there: the sandbox's empty /tmp must not hide it."""
    import shutil
    import subprocess

    from generators.grading import sandbox

    venv = tmp_path / "clone" / ".venv"
    venv.mkdir(parents=True)
    (venv / "marker.txt").write_text("présent", encoding="utf-8")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    sandbox.prepare_scratch(scratch)
    monkeypatch.setattr(
        sandbox, "_read_only_roots", lambda: [Path("/usr"), Path("/bin"), Path("/lib"), Path("/lib64"), venv]
    )
    stage = sandbox.make_stage() if sandbox.drops_to_nobody() else None
    try:
        cat = ["/bin/cat", str(venv / "marker.txt")]
        command = sandbox.wrap_command(cat, scratch, sandbox.Limits(), stage=stage)
        result = subprocess.run(command, capture_output=True, text=True)
    finally:
        if stage is not None:
            shutil.rmtree(stage)  # empty mount points on this side of the sandbox's mount namespace
    assert result.stdout == "présent", result.stderr
