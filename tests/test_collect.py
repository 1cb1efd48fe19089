"""Does a Moodle « download all submissions » archive land in nbgrader's layout?"""

from __future__ import annotations

import zipfile

import nbformat
import pytest

from generators.collect import match_student, name_index
from generators.roster import Student
from generators.setup_course import gradebook_students
from tests.helpers import Class, new_course, run

STUDENTS = {
    "a1": Student("a1", "Lefèvre", "Éloïse"),
    "a2": Student("a2", "Martin", "Jean-Noël"),
    "a3": Student("a3", "Martin", "Léa"),
}


@pytest.mark.parametrize(
    "path, expected",
    [
        ("Éloïse Lefèvre_1201_assignsubmission_file_/devoir-1.ipynb", "a1"),
        ("devoir/ELOISE LEFEVRE_1201_assignsubmission_file_/mon travail.ipynb", "a1"),
        ("Jean Noël Martin_77_assignsubmission_file_devoir-1.ipynb", "a2"),
        ("Martin Léa_3_assignsubmission_file_/x.ipynb", "a3"),
        ("Inconnu Dupont_9_assignsubmission_file_/x.ipynb", None),
        ("devoir-1.ipynb", None),
    ],
)
def test_moodle_names_match_the_roster(path, expected):
    assert match_student(path, name_index(STUDENTS)) == expected


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
        z.writestr("Personne Inconnue_999_assignsubmission_file_/devoir.ipynb", "{}")
    result = run("collect", root, "devoir-1", archive)
    assert result.exit_code == 0, result.output
    assert "4 copie(s) importée(s)" in result.output
    assert "Personne Inconnue" in result.output
    for student_id in sorted(c.rows)[:4]:
        assert (root / "submitted" / student_id / "devoir-1" / "devoir-1.ipynb").is_file()
    assert run("grade", root, "devoir-1").exit_code == 0
