"""End to end through nbgrader's exchange with real Unix users: each student fetches their
own notebook (and cannot read a classmate's), submits, and fetches their own feedback page.

Root only (it creates two throwaway users `mqx…`, removed at teardown). The students run
nbgrader from a venv of Debian's /usr/bin/python3.11 under /opt (the project's .venv lives
where other users cannot read); it is built once, then only the product is reinstalled.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from generators.classroom.course import open_course
from generators.grading.nbgrader_cli import run_nbgrader
from generators.simulate import set_answers
from tests.helpers import Class, read_csv, run
from tests.hub.harness import HUB_VENV, install_product

REPO = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3.11")
A = "devoir-1"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="crée des comptes Unix d'élèves : réservé à root"),
    pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="/usr/bin/python3.11 (Debian) absent"),
    pytest.mark.skipif(shutil.which("useradd") is None, reason="useradd absent"),
]


@pytest.fixture(scope="session")
def student_python() -> Path:
    """The students' Python from `make hub-deps` (outside /root), with this tree installed."""
    if not (HUB_VENV / "bin" / "python").exists():
        pytest.skip(f"pas de Python lisible par les élèves dans {HUB_VENV} : lancez « make hub-deps »")
    install_product()
    return HUB_VENV / "bin" / "python"


class Student:
    def __init__(self, name: str, home: Path, python: Path, config_dir: Path):
        self.name, self.home, self.python, self.config_dir = name, home, python, config_dir
        self.account = pwd.getpwnam(name)

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """A command as this student: their uid and groups, their HOME, the hub's config."""
        env = {
            "PATH": f"{self.python.parent}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "JUPYTER_CONFIG_PATH": str(self.config_dir),
        }
        command = [
            "setpriv",
            f"--reuid={self.account.pw_uid}",
            f"--regid={self.account.pw_gid}",
            "--init-groups",
            *args,
        ]
        result = subprocess.run(command, cwd=cwd or self.home, env=env, capture_output=True, text=True)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def nbgrader(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.run(str(self.python), "-m", "nbgrader", *args, **kwargs)


@pytest.fixture
def unix_users():
    """Throwaway accounts (`mqx…`), deleted at teardown even when the test fails."""
    created = []

    def make(count: int) -> list[str]:
        names = [f"mqx{secrets.token_hex(3)}{i}" for i in range(1, count + 1)]
        for name in names:
            subprocess.run(
                ["useradd", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name],
                check=True,
            )
            created.append(name)
        return names

    try:
        yield make
    finally:
        for name in created:
            subprocess.run(["userdel", name], check=False)


@pytest.fixture
def unix_students(unix_users):
    return unix_users(2)


@pytest.fixture
def shared_tmp():
    """A folder under /tmp that the students can cross (pytest's tmp_path is root's only)."""
    base = Path(tempfile.mkdtemp(prefix="mqx-", dir="/tmp"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_each_student_fetches_their_own_notebook_and_feedback(
    tmp_path, unix_students, shared_tmp, student_python
):
    first, second = unix_students
    roster = tmp_path / "classe.csv"
    roster.write_text(
        f"id,last_name,first_name,email\n{first},Martin,Léa,\n{second},Bernard,Hugo,\n", encoding="utf-8"
    )
    course_dir = tmp_path / "cours"
    assert run("init", course_dir, "--roster", roster).exit_code == 0
    result = run("assign", course_dir, A, "kpi-cpm-display")
    assert result.exit_code == 0, result.output
    course = open_course(course_dir)

    # the exchange as an admin prepares it: world-writable root, as nbgrader requires
    exchange = shared_tmp / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    result = run("release", course_dir, A, "--echange", exchange)
    assert result.exit_code == 0, result.output
    assert "2 réservé(s) à leur élève" in result.output

    personal = exchange / course.course_id / "personal" / A
    assert personal.stat().st_mode & 0o777 == 0o711
    for name in unix_students:
        notebook = personal / name / f"{A}.ipynb"
        account = pwd.getpwnam(name)
        assert (notebook.stat().st_uid, notebook.stat().st_mode & 0o777) == (account.pw_uid, 0o600)
        assert (notebook.parent.stat().st_uid, notebook.parent.stat().st_mode & 0o777) == (
            account.pw_uid,
            0o700,
        )

    # the hub's /etc/jupyter/, here a folder named by JUPYTER_CONFIG_PATH
    etc = shared_tmp / "etc-jupyter"
    etc.mkdir()
    shutil.copy(course.exports / "nbgrader_config_eleves.py", etc / "nbgrader_config.py")
    (etc / "nbgrader_config.py").chmod(0o644)
    etc.chmod(0o755)
    students = {}
    for name in unix_students:
        home = shared_tmp / "home" / name
        home.mkdir(parents=True)
        account = pwd.getpwnam(name)
        os.chown(home, account.pw_uid, account.pw_gid)
        home.chmod(0o700)
        students[name] = Student(name, home, student_python, etc)
    (shared_tmp / "home").chmod(0o755)

    klass = Class(course_dir, A)
    for name, student in students.items():
        student.nbgrader("fetch_assignment", A)
        fetched = student.home / A / f"{A}.ipynb"
        assert fetched.read_bytes() == course.per_student_notebook(name, A).read_bytes()
        text = fetched.read_text("utf-8")
        other = second if name == first else first
        assert f"`{name}`" in text and f"`{other}`" not in text
        expected = {r["expected"] for r in klass.rows[name]} - {r["expected"] for r in klass.rows[other]}
        assert expected, "the two students should not have the same answers"

    # a student cannot read a classmate's folder, even by claiming their id
    intruder = students[first]
    probe = intruder.run(
        str(student_python), "-c", f"open({str(personal / second / (A + '.ipynb'))!r}).read()", check=False
    )
    assert probe.returncode != 0 and "Permission denied" in probe.stderr
    elsewhere = intruder.home / "ailleurs"
    intruder.run("mkdir", str(elsewhere))
    claimed = intruder.nbgrader(
        "fetch_assignment", A, f"--CourseDirectory.student_id={second}", cwd=elsewhere, check=False
    )
    assert claimed.returncode != 0
    assert f"aucun notebook personnel pour « {second} »" in claimed.stdout + claimed.stderr
    notice = nbformat.read(elsewhere / A / f"{A}.ipynb", as_version=4)
    assert "n’est pas votre devoir" in notice.cells[0].source
    assert f"`{second}`" not in (elsewhere / A / f"{A}.ipynb").read_text("utf-8")

    # answers: the first student right, the second wrong; then submit through the exchange
    for name, answers in ((first, klass.all_right(first)), (second, klass.all_wrong(second))):
        path = students[name].home / A / f"{A}.ipynb"
        nb = set_answers(nbformat.read(path, as_version=4), answers)
        account = pwd.getpwnam(name)
        nbformat.write(nb, path)
        os.chown(path, account.pw_uid, account.pw_gid)
        students[name].nbgrader("submit", A)

    run_nbgrader(course, "collect", A)
    for name in unix_students:
        assert (course.submitted(name, A) / "submission_secret.txt").is_file()
    result = run("grade", course_dir, A, "--workers", "1")
    assert result.exit_code == 0, result.output
    grades = {row["student_id"]: row for row in read_csv(course.exports / f"{A}_grades.csv")}
    assert float(grades[first]["score"]) == float(grades[first]["max_score"]) > 0
    assert float(grades[second]["score"]) < float(grades[second]["max_score"])

    result = run("feedback", course_dir, A)
    assert result.exit_code == 0, result.output
    assert f"mercatique release_feedback {course_dir} {A}" in result.output
    for name in unix_students:
        folder = course_dir / "feedback" / name / A
        assert (folder / "timestamp.txt").read_text() == (
            course.submitted(name, A) / "timestamp.txt"
        ).read_text()

    # the teacher's stock command, with the course's config
    run_nbgrader(course, "release_feedback", A)
    for name, student in students.items():
        student.nbgrader("fetch_feedback", A)
        pages = list((student.home / A / "feedback").glob(f"*/{A}.html"))
        assert len(pages) == 1
        page = pages[0].read_text("utf-8")
        mine, theirs = ("Léa", "Hugo") if name == first else ("Hugo", "Léa")
        assert mine in page and theirs not in page


def _home(shared_tmp: Path, name: str) -> Path:
    home = shared_tmp / "home" / name
    home.mkdir(parents=True)
    (shared_tmp / "home").chmod(0o755)
    account = pwd.getpwnam(name)
    os.chown(home, account.pw_uid, account.pw_gid)
    home.chmod(0o700)
    return home


@pytest.mark.skipif(shutil.which("setfacl") is None, reason="setfacl absent (paquet Debian acl)")
def test_a_teacher_who_is_not_root_keeps_each_notebook_private_with_acls(
    unix_users, shared_tmp, student_python
):
    teacher, first, second = unix_users(3)
    roster = shared_tmp / "classe.csv"
    roster.write_text(
        f"id,last_name,first_name,email\n{first},Martin,Léa,\n{second},Bernard,Hugo,\n", "utf-8"
    )
    course_dir = shared_tmp / "cours"
    assert run("init", course_dir, "--roster", roster).exit_code == 0
    assert run("assign", course_dir, A, "kpi-cpm-display").exit_code == 0
    account = pwd.getpwnam(teacher)
    subprocess.run(["chown", "-R", f"{teacher}:{account.pw_gid}", str(course_dir)], check=True)
    exchange = shared_tmp / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    etc = shared_tmp / "etc-jupyter"
    etc.mkdir(mode=0o755)

    prof = Student(teacher, _home(shared_tmp, teacher), student_python, etc)
    done = prof.run(
        str(student_python.parent / "mercatique"), "release", str(course_dir), A, "--echange", str(exchange)
    )
    assert "2 réservé(s) à leur élève" in done.stdout, done.stdout + done.stderr
    course = open_course(course_dir)
    personal = exchange / course.course_id / "personal" / A
    for name in (first, second):
        folder = personal / name
        assert folder.stat().st_uid == account.pw_uid  # the teacher keeps it
        for path, right in ((folder, "r-x"), (folder / f"{A}.ipynb", "r--")):
            acl = subprocess.run(["getfacl", "-p", str(path)], capture_output=True, text=True).stdout
            # (ls shows the ACL mask in the group bits; the owning group itself gets nothing)
            assert f"user:{name}:{right}" in acl and "group::---" in acl and "other::---" in acl, acl

    shutil.copy(course.exports / "nbgrader_config_eleves.py", etc / "nbgrader_config.py")
    (etc / "nbgrader_config.py").chmod(0o644)
    for name, other in ((first, second), (second, first)):
        student = Student(name, _home(shared_tmp, name), student_python, etc)
        student.nbgrader("fetch_assignment", A)
        fetched = student.home / A / f"{A}.ipynb"
        assert fetched.read_bytes() == course.per_student_notebook(name, A).read_bytes()
        probe = student.run(
            str(student_python), "-c", f"open({str(personal / other / (A + '.ipynb'))!r})", check=False
        )
        assert probe.returncode != 0 and "Permission denied" in probe.stderr
