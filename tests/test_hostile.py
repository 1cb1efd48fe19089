"""A hostile class graded as root: escapes, leaks and resource attacks (README « Ce que
l'isolation garantit »). Each attack is a real notebook run by the real sandbox through
`grade`; it prints what it managed to do (« RESULTAT {json} »), read back from the
autograded notebook."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from generators.grading import sandbox
from generators.grading.grade import grade
from generators.grading.sandbox import Limits
from generators.grading.worker import grade_submission
from generators.simulate import file_submission, set_answers
from tests.helpers import Class, new_course, read_csv

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="ces attaques visent une correction lancée en root"),
    pytest.mark.skipif(bool(sandbox.missing_tools()), reason="bubblewrap, prlimit ou setpriv absent"),
]
A = "devoir-x"
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
PLANTED = SITE / "mercatique_pirate.pth"
SECRETS = {
    "JUPYTERHUB_API_TOKEN": "jeton-hub-8f3a9c",
    "PGPASSWORD": "mot-de-passe-pg-71b2",
    "DATABASE_URL": "postgresql://prof:mdp-url-55d1@localhost/notes",
}

SET_AT_START = {"PWD", "TERM", "PAGER", "GIT_PAGER", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR"}
SET_AT_START |= {"PYDEVD_USE_FRAME_EVAL"}
"""Constants bwrap (PWD) and ipykernel put in the kernel's environment when it starts."""

PRELUDE = """\
import ctypes, glob, json, os, subprocess
def sh(command):
    return subprocess.run(command, shell=True, capture_output=True, text=True).returncode
def can_write(folder):
    try:
        with open(os.path.join(folder, "pirate-mercatique"), "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
r = {}
"""

ATTACKS = {
    "montage": """
r["mount"] = sh("mount -t tmpfs none /tmp")
r["remount_venv"] = sh("mount -o remount,rw,bind {venv}")
r["remount_usr"] = sh("mount -o remount,rw /usr")
r["unshare_user"] = sh("unshare -U true")
r["unshare_user_root"] = sh("unshare -Ur true")
r["unshare_mount"] = sh("unshare -m true")
r["pth_written"] = can_write({site!r}) | (sh("echo 'import os' > {planted}") == 0)
libc = ctypes.CDLL(None, use_errno=True)
r["setns"] = {{}}
for ns in sorted(os.listdir("/proc/1/ns")):
    try:
        r["setns"][ns] = libc.setns(os.open("/proc/1/ns/" + ns, os.O_RDONLY), 0)
    except OSError as error:
        r["setns"][ns] = error.strerror
try:
    os.chroot("/tmp")
    r["chroot"] = 0
except OSError as error:
    r["chroot"] = error.errno
""",
    "ecriture": """
targets = [{site!r}, {base!r}, "/usr", "/usr/lib", "/bin", "/lib", "/", "/dev"]
targets += [{root!r}, {private!r}, {other!r}]
targets += glob.glob("/dev/shm/mercatique-*") + glob.glob("/tmp/mercatique-*")
mounts = [line.split()[4] for line in open("/proc/self/mountinfo")]
here = os.getcwd()
targets += [m for m in mounts if not m.startswith(("/proc", "/dev/pts", "/tmp", "/dev/shm")) and m != here]
r["writable"] = sorted({{t for t in targets if t != here and can_write(t)}})
r["own_scratch"] = can_write(here)
""",
    "ptrace": """
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
r["visible"] = {{}}
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        r["visible"][pid] = open("/proc/" + pid + "/cmdline", "rb").read().replace(b"\\0", b" ").decode()[:80]
    except OSError:
        r["visible"][pid] = "?"
r["grader_pid_attach"] = libc.ptrace(16, {grader}, None, None)
r["grader_mem"] = os.path.exists("/proc/{grader}/mem") and "{grader}" not in r["visible"]
try:
    open("/proc/%d/mem" % os.getppid(), "r+b")
    r["parent_mem"] = "ouvert"
except OSError as error:
    r["parent_mem"] = error.strerror
r["ppid"] = os.getppid()
""",
    "lecture": """
for name, path in {{"secret": {secret!r}, "key": {key!r}, "gradebook": {gradebook!r}}}.items():
    try:
        r[name] = open(path, "rb").read()[:20].decode("latin-1")
    except OSError as error:
        r[name] = type(error).__name__
r["environ"] = dict(os.environ)
r["proc1_environ"] = open("/proc/1/environ", "rb").read().decode("latin-1")
fields = (line.split(":", 1) for line in open("/proc/self/status"))
r["status"] = {{k: v.strip() for k, v in fields if k.startswith(("Cap", "NoNewPrivs", "Uid"))}}
""",
}


def attack_source(name: str, **places) -> str:
    return PRELUDE + textwrap.dedent(ATTACKS[name]).format(**places) + '\nprint("RESULTAT", json.dumps(r))\n'


def snapshot_venv() -> dict[str, int]:
    return {e.name: e.stat().st_mtime_ns for e in os.scandir(SITE)} | {"<dossier>": SITE.stat().st_mtime_ns}


def tree_digest(root: Path, skip: tuple[str, ...]) -> dict[str, str]:
    """Every file of the course but what grading is supposed to write."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith(skip):
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def results(course, student: str) -> dict:
    nb = nbformat.read(course.root / "autograded" / student / A / f"{A}.ipynb", as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            if "RESULTAT " in text:
                return json.loads(text.split("RESULTAT ", 1)[1].splitlines()[0])
    raise AssertionError(f"pas de résultat pour {student}")


def with_first_cell(c: Class, student: str, code: str) -> None:
    answers = c.all_right(student)
    first = c.rows[student][0]["cell_id"]
    answers[first] = code + "\n" + answers[first]
    file_submission(c.course, A, student, set_answers(c.released(student), answers))


@pytest.fixture(scope="module")
def escapes(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("evasion"), 8, {A: ["fnac-campagne-emailing"]})
    c = Class(root, A)
    course = c.course
    students = sorted(c.rows)
    honest, attackers = students[:2], students[2:]
    # the other students' grades, already in the gradebook before the hostile ones are graded
    for student in honest:
        file_submission(course, A, student, set_answers(c.released(student), c.all_right(student)))
    first = grade(course, A, workers=2)
    assert sorted(first.graded) == honest
    grades_before = {r["student_id"]: r for r in read_csv(first.grades_csv) if r["student_id"] in honest}

    other = Path("/dev/shm/mercatique-noyau-autre-eleve")  # a scratch space of another kernel
    other.mkdir(exist_ok=True)
    os.chown(other, sandbox.SANDBOX_UID, sandbox.SANDBOX_GID)
    places = {
        "venv": sys.prefix, "site": str(SITE), "planted": str(PLANTED),
        "base": str(Path(os.path.realpath(sys.base_prefix)) / "lib"), "root": str(root),
        "private": str(course.private), "other": str(other), "grader": os.getpid(),
        "secret": str(course.private / "secret"), "key": str(root / "exports" / f"{A}_answer_key.csv"),
        "gradebook": str(root / "gradebook.db"),
    }  # fmt: skip
    plan = dict(zip(ATTACKS, attackers, strict=False))
    for attack, student in plan.items():
        with_first_cell(c, student, attack_source(attack, **places))
    private = course.private.relative_to(root).as_posix()
    skip = ("autograded/", "exports/", "feedback/", "gradebook.db", f"{private}/grading/")
    skip += (f"{private}/verdicts/",)
    course_before, venv_before = tree_digest(root, skip), snapshot_venv()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in SECRETS.items():
            mp.setenv(name, value)
        report = grade(course, A, workers=2, limits=Limits(memory_mb=1024, cell_timeout=20))
    after = {
        "course": tree_digest(root, skip),
        "venv": snapshot_venv(),
        "other": sorted(os.listdir(other)),
        "grades": {r["student_id"]: r for r in read_csv(report.grades_csv)},
    }
    shutil.rmtree(other)
    return c, plan, report, grades_before, course_before, venv_before, after


@pytest.mark.slow
def test_the_kernel_cannot_mount_unshare_setns_or_chroot(escapes):
    c, plan, *_ = escapes
    r = results(c.course, plan["montage"])
    attempts = ("mount", "remount_venv", "remount_usr", "unshare_user", "unshare_user_root", "unshare_mount")
    for attempt in attempts:
        assert r[attempt] != 0, (attempt, r)
    assert r["setns"] and all(result != 0 for result in r["setns"].values()), r["setns"]
    assert r["chroot"] != 0
    assert r["pth_written"] is False
    assert not PLANTED.exists()


@pytest.mark.slow
def test_nothing_mounted_is_writable_but_the_scratch_space(escapes):
    c, plan, *_ = escapes
    r = results(c.course, plan["ecriture"])
    assert r["writable"] == [], r["writable"]
    assert r["own_scratch"] is True


@pytest.mark.slow
def test_the_grader_is_out_of_reach(escapes):
    c, plan, *_ = escapes
    r = results(c.course, plan["ptrace"])
    assert r["grader_pid_attach"] == -1
    assert r["grader_mem"] is False
    # only the sandbox's own processes are visible: bwrap's init and the kernel
    for line in r["visible"].values():
        assert "pytest" not in line and "mercatique" not in line.split(" ")[0], r["visible"]
    assert str(os.getpid()) not in r["visible"] or "pytest" not in r["visible"][str(os.getpid())]
    assert r["visible"][str(r["ppid"])].startswith("bwrap"), r["visible"]


@pytest.mark.slow
def test_secrets_environment_and_capabilities(escapes):
    c, plan, *_ = escapes
    r = results(c.course, plan["lecture"])
    assert r["secret"] == r["key"] == r["gradebook"] == "FileNotFoundError", r
    fixed = set(sandbox.kernel_environment(Path("/x"))) | SET_AT_START
    assert set(r["environ"]) <= fixed, r["environ"]
    dumped = json.dumps(r)
    for value in SECRETS.values():
        assert value not in dumped
    status = r["status"]
    for cap in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
        assert int(status[cap], 16) == 0, status
    assert status["NoNewPrivs"] == "1"


@pytest.mark.slow
def test_no_secret_reaches_any_autograded_notebook(escapes):
    c, plan, *_ = escapes
    for path in (c.course.root / "autograded").rglob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        for value in SECRETS.values():
            assert value not in text, path


@pytest.mark.slow
def test_nothing_outside_the_scratch_changed(escapes):
    c, plan, report, grades_before, course_before, venv_before, after = escapes
    assert after["course"] == course_before
    assert after["venv"] == venv_before
    assert after["other"] == []
    assert not PLANTED.exists()
    for student, row in grades_before.items():
        assert after["grades"][student] == row
    assert sorted(report.graded) == sorted(plan.values())


def test_the_kernel_runs_as_nobody_seen_from_outside():
    """The kernel's processes, as the host sees them: uid nobody, no capability at all."""

    async def look() -> dict[int, dict[str, str]]:
        km = sandbox.SandboxedKernelManager(kernel_name="python3")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            seen = {}
            for group in km.cgroups:
                for pid in (group / "cgroup.procs").read_text().split():
                    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
                    seen[int(pid)] = dict(line.split(":\t", 1) for line in lines if ":\t" in line)
            return seen
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    if sandbox.pids_cgroup_root() is None and sandbox.memory_cgroup_root() is None:
        pytest.skip("pas de cgroup inscriptible : les processus du noyau ne sont pas repérables")
    seen = asyncio.run(look())
    assert seen
    for pid, status in seen.items():
        nobody = [str(sandbox.SANDBOX_UID)] * 3
        assert status["Uid"].split()[:3] == nobody, (pid, status["Name"], status["Uid"])
        assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0, (pid, status["Name"])


def test_the_sandbox_tmp_and_dev_shm_have_a_size(tmp_path):
    import subprocess

    scratch = Path(sandbox.tempfile.mkdtemp(prefix="mercatique-test-", dir="/dev/shm"))
    sandbox.prepare_scratch(scratch)
    stage = sandbox.make_stage()
    script = (
        "dd if=/dev/zero of=/tmp/f bs=1M count=40 2>/dev/null; du -m /tmp/f; "
        "dd if=/dev/zero of=/dev/shm/f bs=1M count=40 2>/dev/null; du -m /dev/shm/f; "
        "touch /racine || echo refus"
    )
    try:
        command = sandbox.wrap_command(["/bin/sh", "-c", script], scratch, Limits(tmp_mb=8), stage=stage)
        out = subprocess.run(command, capture_output=True, text=True).stdout.split()
    finally:
        shutil.rmtree(scratch)
        shutil.rmtree(stage)
    assert int(out[0]) <= 8 and int(out[2]) <= 8, out
    assert out[-1] == "refus"


# -- resources ---------------------------------------------------------------------------

HOGS = {
    "tmpfs-memoire": "open('/tmp/gros', 'wb').write(b'x' * 40_000_000)\n"
    "for i in range(40):\n    open(f'/tmp/f{i}', 'wb').write(b'x' * 40_000_000)",
    "remplissage-espace": "for i in range(40):\n    open(f'f{i}', 'wb').write(b'x' * 40_000_000)",
    # 300 MB in messages each larger than the grader accepts
    "sortie-300-mo": "import sys\nfor _ in range(8):\n    print('x' * 40_000_000)\n    sys.stdout.flush()",
    # 300 MB in 2 000 messages the grader accepts one by one
    "mille-sorties": "import sys\nfor _ in range(2000):\n    print('y' * 150_000)\n    sys.stdout.flush()",
}
SLOW_CELLS = 10


@pytest.fixture(scope="module")
def hogs(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("ressources"), 6, {A: ["fnac-campagne-emailing"]})
    c = Class(root, A)
    students = sorted(c.rows)
    plan = dict(zip([*HOGS, "cellules-lentes"], students, strict=False))
    for attack, student in plan.items():
        if attack == "cellules-lentes":
            nb = set_answers(c.released(student), c.all_right(student))
            slow = [nbformat.v4.new_code_cell("import time\ntime.sleep(3)") for _ in range(SLOW_CELLS)]
            nb.cells = slow + nb.cells
            file_submission(c.course, A, student, nb)
        else:
            with_first_cell(c, student, HOGS[attack])
    honest = students[len(plan)]
    file_submission(c.course, A, honest, set_answers(c.released(honest), c.all_right(honest)))
    # 10 cells of 3 s overrun the 25 s budget; the other notebooks' cells end well within 15 s
    limits = Limits(memory_mb=1024, cell_timeout=15, notebook_timeout=25, tmp_mb=4096)
    shm_before = shutil.disk_usage("/dev/shm").used
    report = grade(c.course, A, workers=2, limits=limits)
    shm_after = shutil.disk_usage("/dev/shm").used
    grades = {r["student_id"]: r for r in read_csv(report.grades_csv)}
    return c, plan, honest, limits, report, grades, shm_after - shm_before


@pytest.mark.slow
def test_each_resource_attack_is_reported_in_french_and_the_class_is_graded(hogs):
    c, plan, honest, limits, report, grades, _ = hogs
    assert float(grades[honest]["score"]) == c.max_points()
    assert sorted(report.graded) == sorted([*plan.values(), honest])
    expected = {
        "tmpfs-memoire": "mémoire dépassée",
        "remplissage-espace": "mémoire dépassée",
        "sortie-300-mo": "sortie",
        "mille-sorties": "sortie trop volumineuse",
        "cellules-lentes": "temps total dépassé",
    }
    for attack, student in plan.items():
        problems = report.problems.get(student, [])
        assert any(expected[attack] in p for p in problems), (attack, report.problems)


@pytest.mark.slow
def test_memory_hogs_leave_no_memory_behind(hogs):
    *_, shm_growth = hogs
    assert shm_growth < 50 * 1024 * 1024, shm_growth  # scratch spaces on /dev/shm were removed


@pytest.mark.slow
def test_the_slow_notebook_stops_at_its_total_time(hogs):
    c, plan, honest, limits, report, grades, _ = hogs
    row = grades[plan["cellules-lentes"]]
    assert float(row["score"]) == 0  # its answers come after the slow cells


@pytest.mark.slow
def test_huge_outputs_keep_the_grader_small(hogs):
    """The grading process stays small whatever the notebook prints (RSS, not time)."""
    c, plan, honest, limits, *_ = hogs
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        outcomes = [
            pool.submit(grade_submission, str(c.root), A, plan[attack], True, limits).result()
            for attack in ("sortie-300-mo", "mille-sorties")
        ]
        peak_kb = pool.submit(resource.getrusage, resource.RUSAGE_SELF).result().ru_maxrss
    assert all(o.problems for o in outcomes)
    assert peak_kb < 400 * 1024, f"{peak_kb / 1024:.0f} Mo"
    kept = (c.root / "autograded" / plan["mille-sorties"] / A / f"{A}.ipynb").stat().st_size
    assert kept < 8_000_000
