"""A course is a folder: moved, copied or started from last year's, it keeps working, and a
copy has its own gradebook. Assignment names are checked by every command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from traitlets.config import PyFileConfigLoader

from generators.classroom.course import open_course
from generators.classroom.setup_course import gradebook_students
from tests.conftest import roster_text
from tests.course_state import course_state, differences, gradebook_dump
from tests.helpers import Class, new_course, read_csv, run

A = "devoir-1"


def test_a_new_course_records_its_gradebook_relative_to_the_folder(tmp_path, roster_file):
    root = tmp_path / "cours"
    assert run("init", root, "--roster", roster_file(3)).exit_code == 0
    assert json.loads((root / ".mercatique" / "course.json").read_text())["db_url"] == "sqlite:///gradebook.db"
    assert str(tmp_path) not in (root / "nbgrader_config.py").read_text()
    moved = tmp_path / "Cours de 1ère année"
    shutil.move(root, moved)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(moved)).load_config()
    assert config.CourseDirectory.db_url == f"sqlite:///{moved / 'gradebook.db'}"
    course = open_course(moved)
    assert course.db_url == f"sqlite:///{moved / 'gradebook.db'}"
    assert len(gradebook_students(course)) == 3


def _as_before_relative_paths(root: Path) -> None:
    """What `mercatique init` wrote before gradebooks were relative: absolute paths."""
    course_json = root / ".mercatique" / "course.json"
    config = json.loads(course_json.read_text())
    config["db_url"] = f"sqlite:///{root / 'gradebook.db'}"
    course_json.write_text(json.dumps(config))
    nbgrader_config = root / "nbgrader_config.py"
    old_line = f"c.CourseDirectory.db_url = {config['db_url']!r}"
    lines = [
        old_line if line.startswith("c.CourseDirectory.db_url") else line
        for line in nbgrader_config.read_text().splitlines()
    ]
    nbgrader_config.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("how", ["in place", "moved", "copied"])
def test_old_courses_with_absolute_paths_are_migrated(tmp_path, roster_file, how):
    root = tmp_path / "cours"
    assert run("init", root, "--roster", roster_file(3)).exit_code == 0
    _as_before_relative_paths(root)
    original = gradebook_dump(root / "gradebook.db")
    target = root
    if how == "moved":
        target = tmp_path / "ailleurs"
        shutil.move(root, target)
    elif how == "copied":
        target = tmp_path / "copie"
        shutil.copytree(root, target)
    course = open_course(target)
    assert json.loads((target / ".mercatique" / "course.json").read_text())["db_url"] == "sqlite:///gradebook.db"
    assert 'os.path.join(HERE, \'gradebook.db\')' in (target / "nbgrader_config.py").read_text()
    assert course.db_url == f"sqlite:///{target / 'gradebook.db'}"
    with Gradebook(course.db_url, course.course_id) as gb:
        gb.update_or_create_student("eleve099", last_name="Nouveau")
    if how == "copied":
        assert gradebook_dump(root / "gradebook.db") == original


def test_a_postgresql_url_is_kept_as_given(tmp_path):
    from generators.classroom.course import nbgrader_db_line, portable_db_url

    url = "postgresql://mq@/notes?host=/run/pg"
    assert portable_db_url(url, tmp_path) == url
    assert nbgrader_db_line(url) == f"c.CourseDirectory.db_url = {url!r}"


@pytest.mark.slow
def test_moved_and_copied_courses_grade_in_their_own_gradebook(tmp_path):
    root = new_course(tmp_path, 3, {A: ["fnac-campagne-emailing"]})
    moved = tmp_path / "Cours déplacé"
    shutil.move(root, moved)
    copy = tmp_path / "copie du cours"
    shutil.copytree(moved, copy)
    before = course_state(moved)
    klass = Class(copy, A)
    for student in sorted(klass.rows):
        klass.submit(student, klass.all_right(student))
    result = run("grade", copy, A, "--workers", "1")
    assert result.exit_code == 0, result.output
    grades = read_csv(copy / "exports" / f"{A}_grades.csv")
    assert [float(r["score"]) for r in grades] == [klass.max_points()] * 3
    assert differences(before, course_state(moved)) == []  # the original saw nothing
    with Gradebook(open_course(copy).db_url) as gb:
        assert len(gb.find_assignment(A).submissions) == 3


@pytest.mark.slow
def test_a_new_course_from_last_years(tmp_path):
    (tmp_path / "2025").mkdir()
    old = new_course(tmp_path / "2025", 4, {A: ["fnac-campagne-emailing", "oasis-page-facebook"]})
    assert run("assign", old, "devoir-2", "air-france-service-client", "--due", "2025-12-01 18:00",
               "--penalite-retard", "1/jour").exit_code == 0  # fmt: skip
    old_class = Class(old, A)
    student = sorted(old_class.rows)[0]
    old_class.submit(student, old_class.all_right(student))
    (old / "feedback" / student / A).mkdir(parents=True)
    roster = tmp_path / "classe-2026.csv"
    roster.write_text(roster_text(6), encoding="utf-8")
    new = tmp_path / "2026" / "cours"
    result = run("init", new, "--depuis", old, "--roster", roster)
    assert result.exit_code == 0, result.output
    assert "Devoirs repris" in result.output and "devoir-1, devoir-2" in result.output
    old_course, new_course_ = open_course(old), open_course(new)
    for assignment in (A, "devoir-2"):
        before, after = old_course.manifest(assignment), new_course_.manifest(assignment)
        assert after["slots"] == before["slots"] and after["exercises"] == before["exercises"]
        assert "due" not in after  # last year's date would make every copy late
        assert after.get("late_penalty") == before.get("late_penalty")
        same = differences(course_state(old_course.frozen_exercises(assignment)),
                           course_state(new_course_.frozen_exercises(assignment)))  # fmt: skip
        assert same == []
        source = f"source/{assignment}/{assignment}.ipynb"
        changed = differences(course_state(old, cell_ids=False), course_state(new, cell_ids=False))
        assert source not in changed
    assert new_course_.secret != old_course.secret
    assert set(gradebook_students(new_course_)) == {f"eleve{i:03d}" for i in range(1, 7)}
    for folder in ("submitted", "feedback", "autograded"):
        assert not (new / folder).exists()
    new_class = Class(new, A)
    assert sorted(new_class.rows) == sorted(gradebook_students(new_course_))
    new_numbers = [r["expected"] for r in new_class.rows[student]]
    assert new_numbers != [r["expected"] for r in old_class.rows[student]]  # new secret, new numbers
    with Gradebook(new_course_.db_url) as gb:
        assert gb.find_assignment("devoir-2").duedate is None
        assert gb.find_assignment(A).submissions == []
    assert not list(new.parent.glob(".*init"))


def test_init_from_refuses_a_folder_in_use(tmp_path, roster_file):
    old = tmp_path / "ancien"
    assert run("init", old, "--roster", roster_file(2)).exit_code == 0
    busy = tmp_path / "nouveau"
    busy.mkdir()
    (busy / "notes.txt").write_text("à garder")
    result = run("init", busy, "--depuis", old, "--roster", roster_file(2))
    assert result.exit_code == 2
    assert "n'est pas vide" in result.output
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]


BAD_NAMES = ["../x", "a/b", "", "devoir 1", "../assignments/devoir-1", "/tmp/x", "."]


@pytest.fixture(scope="module")
def small_course(tmp_path_factory):
    base = tmp_path_factory.mktemp("names")
    roster = base / "classe.csv"
    roster.write_text(roster_text(2), encoding="utf-8")
    root = base / "cours"
    assert run("init", root, "--roster", roster).exit_code == 0
    (base / "moodle").mkdir()
    return root, base / "moodle"


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("command", ["assign", "grade", "collect", "feedback", "report"])
def test_every_command_checks_the_assignment_name(small_course, command, name):
    root, moodle = small_course
    before = course_state(root)
    extra = {"assign": ["fnac-campagne-emailing"], "collect": [moodle]}.get(command, [])
    result = run(command, root, name, *extra)
    assert result.exit_code == 2, result.output
    # the name is shown as a terminal line (runs of spaces folded, see sanitize.for_terminal)
    shown = " ".join(name.split())
    assert f"Erreur : nom de devoir « {shown} » invalide".replace("«  »", "« »") in result.output
    assert "Traceback" not in result.output
    assert differences(before, course_state(root)) == []
