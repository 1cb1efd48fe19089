"""Does a Moodle « download all submissions » archive land in nbgrader's layout?"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import parse_utc

from generators.classroom.collect import Limits, collect, last_collect, match_student, name_index
from generators.classroom.collect_archive import printable
from generators.classroom.course import open_course
from generators.classroom.roster import Student
from generators.classroom.setup_course import gradebook_students
from generators.errors import MercatiqueError
from tests.helpers import Class, new_course, run

STUDENTS = {
    "a1": Student("a1", "Lefèvre", "Éloïse"),
    "a2": Student("a2", "Martin", "Jean-Noël"),
    "a3": Student("a3", "Martin", "Léa"),
}
A = "devoir-1"
# The class of tests.conftest.roster_text(6):
LEA, HUGO, CHLOE, NOE, INES, THEO = "eleve001", "eleve002", "eleve003", "eleve004", "eleve005", "eleve006"
MARCH = (2026, 3, 10, 14, 30, 0)  # Moodle's local time (Paris, UTC+1 in March)
_TEMPLATE: dict[str, Path] = {}


def moodle(name: str, number: int) -> str:
    """The folder Moodle (3.x and later) makes for one participant."""
    return f"{name}_{number}_assignsubmission_file_"


def notebook(marker: str) -> bytes:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(marker, id="marqueur")])
    return nbformat.writes(nb).encode()


def make_zip(path: Path | None, files: dict[str, bytes], when=MARCH) -> bytes:
    """A zip of `files` (name → bytes, or (bytes, date_time)); written to `path` when given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            data, date = content if isinstance(content, tuple) else (content, when)
            z.writestr(zipfile.ZipInfo(name, date_time=date), data, zipfile.ZIP_DEFLATED)
    if path is not None:
        path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def filed(root: Path, student: str) -> str | None:
    """The marker of the notebook filed for `student`, or None."""
    path = root / "submitted" / student / A / f"{A}.ipynb"
    if not path.is_file():
        return None
    return nbformat.read(path, as_version=4).cells[0].source


def fresh_course(tmp_path: Path, tmp_path_factory) -> Path:
    """A fresh copy of one course (6 students, devoir-1 assigned), built once per test session."""
    if "root" not in _TEMPLATE:
        _TEMPLATE["root"] = new_course(tmp_path_factory.mktemp("collect-template"), 6, {A: ["kpi-nps"]})
    root = tmp_path / "cours"
    shutil.copytree(_TEMPLATE["root"], root)
    return root


@pytest.fixture
def course_root(tmp_path, tmp_path_factory) -> Path:
    return fresh_course(tmp_path, tmp_path_factory)


@pytest.mark.parametrize(
    "path, expected",
    [
        ("Éloïse Lefèvre_1201_assignsubmission_file_/devoir-1.ipynb", "a1"),
        ("devoir/ELOISE LEFEVRE_1201_assignsubmission_file_/mon travail.ipynb", "a1"),
        ("Jean Noël Martin_77_assignsubmission_file_devoir-1.ipynb", "a2"),
        ("Martin Léa_3_assignsubmission_file_/x.ipynb", "a3"),
        ("Inconnu Dupont_9_assignsubmission_file_/x.ipynb", None),
        ("devoir-1.ipynb", None),
        # a name inside a student's own upload is content, never identity
        ("Léa Martin_3_assignsubmission_file_/Éloïse Lefèvre_1201_assignsubmission_file_/x.ipynb", "a3"),
        ("Léa Martin_3_assignsubmission_file_Éloïse Lefèvre_1201_assignsubmission_file_x.ipynb", "a3"),
        ("Inconnu Dupont_9_assignsubmission_file_/Léa Martin_3_assignsubmission_file_/x.ipynb", None),
    ],
)
def test_moodle_names_match_the_roster(path, expected):
    assert match_student(path, name_index(STUDENTS)) == expected


def test_a_name_two_students_share_matches_nobody():
    students = {**STUDENTS, "a4": Student("a4", "Martin", "Léa")}
    assert match_student("Léa Martin_3_assignsubmission_file_/x.ipynb", name_index(students)) is None
    assert match_student("Éloïse Lefèvre_1_assignsubmission_file_/x.ipynb", name_index(students)) == "a1"


def test_printable_strips_escapes_controls_and_bidi():
    hostile = "devoir\x1b[2J\x1b]0;titre\x07\u202eanyp\x00\n\x9b31m.ipynb"
    shown = printable(hostile)
    assert not any(c in shown for c in "\x1b\x07\u202e\x00\n\x9b")
    assert shown.startswith("devoir") and shown.endswith(".ipynb")
    assert len(printable("x" * 5000)) <= 120


def test_modern_layout_names_in_any_case_accent_and_order(course_root):
    archive = course_root.parent / "moodle.zip"
    make_zip(
        archive,
        {
            f"{moodle('LEA MARTIN', 101)}/mon devoir.ipynb": notebook("de Léa"),
            f"{moodle('Müller Hugo', 102)}/devoir-1.ipynb": notebook("de Hugo"),
            f"{moodle('chloe andre', 103)}/Copie de devoir-1 (2).ipynb": notebook("de Chloé"),
            f"{moodle('Théo François', 106)}/": b"",  # an empty folder: Moodle's « no file »
        },
    )
    result = collect(open_course(course_root), A, archive)
    assert result.collected == [LEA, HUGO, CHLOE] and result.imported == result.collected
    assert [filed(course_root, s) for s in (LEA, HUGO, CHLOE)] == ["de Léa", "de Hugo", "de Chloé"]
    assert result.missing == [NOE, INES, THEO]
    assert result.notes == [] and result.unmatched == []
    stamp = (course_root / "submitted" / LEA / A / "timestamp.txt").read_text()
    assert parse_utc(stamp) == dt.datetime(2026, 3, 10, 13, 30)  # 14 h 30 in Paris
    collected, unmatched = result  # the first version's tuple still unpacks
    assert collected == result.collected and unmatched == []
    assert last_collect(open_course(course_root), A) == result  # kept for the teacher's report


def test_flat_layout_of_older_moodle(course_root):
    archive = course_root.parent / "moodle.zip"
    make_zip(
        archive,
        {
            f"{moodle('Léa Martin', 7)}devoir-1.ipynb": notebook("de Léa"),
            f"{moodle('Noé Bernard', 8)}mon_travail.ipynb": notebook("de Noé"),
        },
    )
    result = collect(open_course(course_root), A, archive)
    assert result.collected == [LEA, NOE]
    assert (filed(course_root, LEA), filed(course_root, NOE)) == ("de Léa", "de Noé")


def test_a_student_zip_of_one_notebook_is_accepted(course_root):
    own_zip = make_zip(
        None,
        {
            "devoir/devoir-1.ipynb": notebook("zippé par Inès"),
            "devoir/.ipynb_checkpoints/devoir-1-checkpoint.ipynb": notebook("brouillon"),
            "__MACOSX/devoir/._devoir-1.ipynb": b"\x00\x05\x16\x07",
            "devoir/donnees.csv": b"a,b\n1,2\n",
        },
    )
    archive = course_root.parent / "moodle.zip"
    make_zip(archive, {f"{moodle('Inès Roux', 5)}/devoir.zip": own_zip})
    result = collect(open_course(course_root), A, archive)
    assert result.collected == [INES] and filed(course_root, INES) == "zippé par Inès"
    assert result.notes == []


def test_unknown_names_are_reported_not_filed(course_root):
    archive = course_root.parent / "moodle.zip"
    make_zip(
        archive,
        {
            f"{moodle('Personne Inconnue', 999)}/devoir.ipynb": notebook("de personne"),
            f"{moodle('Léa Martin', 1)}/devoir.ipynb": notebook("de Léa"),
            "lisez-moi.txt": b"hors Moodle",
        },
    )
    result = run("collect", course_root, A, archive)
    assert result.exit_code == 0, result.output
    assert "1 copie(s) importée(s)" in result.output
    assert "Personne Inconnue" in result.output and "lisez-moi.txt" in result.output
    assert sorted(p.name for p in (course_root / "submitted").iterdir()) == [LEA]


def test_an_unzipped_folder_never_follows_links(course_root, tmp_path):
    folder = tmp_path / "travaux"
    (folder / moodle("Hugo Müller", 2)).mkdir(parents=True)
    (folder / moodle("Hugo Müller", 2) / "devoir-1.ipynb").write_bytes(notebook("de Hugo"))
    (folder / moodle("Léa Martin", 1)).mkdir()
    secret = course_root / ".mercatique" / "secret"
    os.symlink(secret, folder / moodle("Léa Martin", 1) / "devoir-1.ipynb")
    result = collect(open_course(course_root), A, folder)
    assert result.collected == [HUGO] and filed(course_root, HUGO) == "de Hugo"
    assert filed(course_root, LEA) is None
    assert any(n.student == LEA and "lien symbolique" in n.message for n in result.notes)


def test_recollect_keeps_what_the_new_archive_lacks_and_never_goes_back_in_time(course_root):
    first = course_root.parent / "premier.zip"
    make_zip(
        first,
        {
            f"{moodle('Léa Martin', 1)}/devoir.ipynb": notebook("Léa v1"),
            f"{moodle('Hugo Müller', 2)}/devoir.ipynb": notebook("Hugo v1"),
            f"{moodle('Noé Bernard', 4)}/devoir.ipynb": notebook("Noé v1"),
        },
    )
    course = open_course(course_root)
    assert collect(course, A, first).imported == [LEA, HUGO, NOE]
    second = course_root.parent / "second.zip"
    make_zip(
        second,
        {
            f"{moodle('Léa Martin', 1)}/devoir.ipynb": (notebook("Léa v2"), (2026, 3, 11, 9, 0, 0)),
            f"{moodle('Hugo Müller', 2)}/devoir.ipynb": notebook("Hugo v1"),
            f"{moodle('Noé Bernard', 4)}/devoir.ipynb": (notebook("Noé v0"), (2026, 3, 1, 9, 0, 0)),
        },
    )
    result = collect(course, A, second)
    assert result.imported == [LEA] and result.unchanged == [HUGO] and result.kept == [NOE]
    assert [filed(course_root, s) for s in (LEA, HUGO, NOE)] == ["Léa v2", "Hugo v1", "Noé v1"]
    assert any(n.student == NOE and "plus récente" in n.message for n in result.notes)
    assert last_collect(course, A).notes == result.notes
    third = course_root.parent / "troisieme.zip"
    make_zip(third, {f"{moodle('Chloé André', 3)}/devoir.ipynb": notebook("Chloé v1")})
    result = collect(course, A, third)
    assert result.imported == [CHLOE] and result.kept == [LEA, HUGO, NOE]
    assert [filed(course_root, s) for s in (LEA, HUGO, NOE)] == ["Léa v2", "Hugo v1", "Noé v1"]


def test_a_refused_archive_leaves_submitted_as_it_was(course_root):
    course = open_course(course_root)
    good = course_root.parent / "moodle.zip"
    make_zip(good, {f"{moodle('Léa Martin', 1)}/devoir.ipynb": notebook("Léa v1")})
    collect(course, A, good)
    before = sorted(str(p.relative_to(course_root)) for p in (course_root / "submitted").rglob("*"))
    broken = course_root.parent / "casse.zip"
    broken.write_bytes(b"PK\x03\x04 pas vraiment une archive")
    with pytest.raises(MercatiqueError, match="illisible"):
        collect(course, A, broken)
    not_moodle = course_root.parent / "autre.zip"
    make_zip(not_moodle, {"devoir-1.ipynb": notebook("sans nom d'élève")})
    with pytest.raises(MercatiqueError, match="Télécharger tous les travaux remis"):
        collect(course, A, not_moodle)
    after = sorted(str(p.relative_to(course_root)) for p in (course_root / "submitted").rglob("*"))
    assert after == before and filed(course_root, LEA) == "Léa v1"
    result = run("collect", course_root, A, broken)
    assert result.exit_code == 2 and "Erreur" in result.output and "Traceback" not in result.output


def test_a_swap_that_fails_restores_that_students_previous_submission(course_root, monkeypatch):
    """Where the atomic exchange is unavailable, the two-rename fallback puts the old folder back."""
    import generators.classroom.collect as collect_module

    course = open_course(course_root)
    first = course_root.parent / "premier.zip"
    make_zip(
        first,
        {
            f"{moodle('Léa Martin', 1)}/devoir.ipynb": notebook("Léa v1"),
            f"{moodle('Hugo Müller', 2)}/devoir.ipynb": notebook("Hugo v1"),
        },
    )
    collect(course, A, first)
    second = course_root.parent / "second.zip"
    later = (2026, 3, 12, 8, 0, 0)
    make_zip(
        second,
        {
            f"{moodle('Léa Martin', 1)}/devoir.ipynb": (notebook("Léa v2"), later),
            f"{moodle('Hugo Müller', 2)}/devoir.ipynb": (notebook("Hugo v2"), later),
        },
    )
    real_rename = os.rename

    def failing_rename(src, dst):
        if Path(dst) == course.submitted(HUGO, A) and not str(src).endswith(".previous"):
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(collect_module, "_exchange", lambda a, b: False)
    monkeypatch.setattr(collect_module.os, "rename", failing_rename)
    result = collect(course, A, second)
    assert result.imported == [LEA]
    assert (filed(course_root, LEA), filed(course_root, HUGO)) == ("Léa v2", "Hugo v1")
    assert (course_root / "submitted" / HUGO / A / "timestamp.txt").is_file()
    assert any(n.student == HUGO and "resté comme avant" in n.message for n in result.notes)
    assert not list((course_root / ".mercatique" / "collect-staging").iterdir())


def test_a_run_killed_mid_swap_is_repaired_by_the_next_one(course_root):
    """The fallback swap moves the previous folder aside first: the next collect puts it back."""
    course = open_course(course_root)
    aside = course.private / "collect-staging" / "tmpkilled" / A / f"{LEA}.previous"
    aside.mkdir(parents=True)
    (aside / f"{A}.ipynb").write_bytes(notebook("Léa d'avant"))
    archive = course_root.parent / "moodle.zip"
    make_zip(archive, {f"{moodle('Hugo Müller', 2)}/devoir.ipynb": notebook("de Hugo")})
    result = collect(course, A, archive)
    assert filed(course_root, LEA) == "Léa d'avant" and result.kept == [LEA]
    assert not (course.private / "collect-staging" / "tmpkilled").exists()


def test_limits_are_the_callers_to_choose(course_root):
    archive = course_root.parent / "moodle.zip"
    make_zip(archive, {f"{moodle('Léa Martin', 1)}/f{i}.ipynb": notebook(str(i)) for i in range(4)})
    with pytest.raises(MercatiqueError, match="4 fichiers dans l'archive"):
        collect(open_course(course_root), A, archive, limits=Limits(max_members=3))
    result = collect(open_course(course_root), A, archive, limits=Limits(max_student_mb=0))
    assert result.collected == [] and "dépasse 0\u00a0Mo" in result.notes[0].message


@pytest.mark.slow
def test_collect_a_moodle_zip_into_submitted(tmp_path):
    root = new_course(tmp_path, 6, {"devoir-1": ["oasis-page-facebook"]})
    c = Class(root, "devoir-1")
    archive = tmp_path / "moodle.zip"
    students = gradebook_students(c.course)
    with zipfile.ZipFile(archive, "w") as z:
        for number, student_id in enumerate(sorted(c.rows)[:4], start=100):
            student = students[student_id]
            folder = f"{student.first_name} {student.last_name}_{number}_assignsubmission_file_"
            z.writestr(f"{folder}/mon-devoir.ipynb", nbformat.writes(c.released(student_id)))
            if number == 100:  # the first student also uploaded something that is not a zip
                z.writestr(f"{folder}/brouillon.zip", "pas une archive")
        z.writestr("Personne Inconnue_999_assignsubmission_file_/devoir.ipynb", "{}")
    result = run("collect", root, "devoir-1", archive)
    assert result.exit_code == 0, result.output
    assert "4 copie(s) importée(s)" in result.output
    assert "Personne Inconnue" in result.output
    for student_id in sorted(c.rows)[:4]:
        assert (root / "submitted" / student_id / "devoir-1" / "devoir-1.ipynb").is_file()
    assert run("grade", root, "devoir-1").exit_code == 0
    # what collect set aside is a line of the teacher's report, with the student's name
    assert run("report", root, "devoir-1").exit_code == 0
    page = (root / "exports" / "devoir-1_bilan.html").read_text("utf-8")
    assert "ramassage Moodle" in page and "brouillon.zip" in page
