"""A school's gradebook: PostgreSQL instead of SQLite, two gradings at once.

The test starts a real PostgreSQL server (Debian's package) on a private Unix socket,
and fails with the fix when the server programs are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers import Class, new_course, read_csv, run

pytestmark = pytest.mark.slow


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url():
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        pytest.fail("PostgreSQL est requis pour ce test : sudo apt-get install postgresql")
    bin_dir = Path(binaries[-1]).parent
    home = Path(tempfile.mkdtemp(prefix="mercatique-pg-"))
    home.chmod(0o777)
    data, sockets = home / "data", home / "sockets"
    sockets.mkdir()
    sockets.chmod(0o777)
    if os.getuid() == 0:
        shutil.chown(home, "postgres")
        shutil.chown(sockets, "postgres")
    subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "mq"]),
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run(
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(home / "log"),
                      "-o", f"-k {sockets} -c listen_addresses=''", "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        subprocess.run([str(bin_dir / "createdb"), "-h", str(sockets), "-U", "mq", "notes"], check=True)
        yield f"postgresql://mq@/notes?host={sockets}"
    finally:
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


def test_two_assignments_graded_at_once_on_postgresql(postgres_url, tmp_path):
    exercises = {"devoir-a": ["fnac-campagne-emailing"], "devoir-b": ["oasis-page-facebook"]}
    root = new_course(tmp_path, 8, exercises, "--db", postgres_url)
    assert not (root / "gradebook.db").exists()
    klasses = {}
    for assignment in exercises:
        c = Class(root, assignment)
        for i, student in enumerate(sorted(c.rows)):
            c.submit(student, c.all_right(student) if i % 2 else c.all_wrong(student))
        klasses[assignment] = c
    runs = [
        subprocess.Popen([sys.executable, "-m", "generators.cli", "grade", str(root), a, "--workers", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for a in klasses
    ]  # fmt: skip
    for proc in runs:
        output, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, output
    for assignment, c in klasses.items():
        grades = {r["student_id"]: r for r in read_csv(root / "exports" / f"{assignment}_grades.csv")}
        assert len(grades) == 8
        for i, student in enumerate(sorted(c.rows)):
            assert float(grades[student]["score"]) == (c.max_points() if i % 2 else 0), (assignment, student)


def test_unreachable_database_is_a_french_error(tmp_path):
    from tests.conftest import roster_text

    roster = tmp_path / "classe.csv"
    roster.write_text(roster_text(2), encoding="utf-8")
    result = run(
        "init", tmp_path / "c", "--roster", roster, "--db", "postgresql://x@/absente?host=/nulle/part"
    )
    assert result.exit_code == 2
    assert "impossible d'ouvrir le carnet de notes" in result.output
