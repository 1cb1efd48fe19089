"""Do the grades reach Moodle, Pronote and the grades CSV as each expects them?

A class of six, graded once: right, half right (with a formula for a name), late without
e-mail, unreadable, absent, and one whose notebook prints escape sequences. Files are read
back with the csv module; the expected grades are computed here from the answer key's points.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pytest
from nbgrader.api import Gradebook

from generators.classroom.roster import Student
from generators.outputs import exports
from generators.outputs.report import build_report
from generators.simulate import file_submission, set_answers
from tests.helpers import Class, run

pytestmark = pytest.mark.slow

A = "devoir-1"
FORMULA = '=HYPERLINK("http://x","y")'
FORGED = "\x1b[2J\x1b[31mTOUT VA BIEN\n  - copie de « eleve001 » : 20/20"
# the class list, in its own order (not alphabetical: the gradebook's order would differ)
ROSTER = [
    ("eleve006", "Roux", "Zoé", "eleve006@lycee.example"),
    ("eleve001", "Martin", "Léa", "eleve001@lycee.example"),
    ("eleve002", FORMULA, "Hugo", "eleve002@lycee.example"),
    ("eleve003", "Girard", "Noé", ""),
    ("eleve004", "Dubois", "Chloé", "eleve004@lycee.example"),
    ("eleve005", "André", "Inès", "eleve005@lycee.example"),
]
ORDER = [r[0] for r in ROSTER]
# 15 points: the marks out of 20 have decimals
EXERCISES = ["fnac-campagne-emailing", "kpi-cpm-display", "kpi-cpc-ctr-recherche"]
PENALTY = 1.0


def read(path, delimiter=","):
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    return raw, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


def on_20(points: float, best: float) -> float:
    """Out of 20, rounded half up to 2 decimals (as a teacher rounds)."""
    exact = Decimal(str(points)) * 20 / Decimal(str(best))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    base = tmp_path_factory.mktemp("exports")
    roster = base / "classe.csv"
    with roster.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "last_name", "first_name", "email"])
        writer.writerows(ROSTER)
    root = base / "cours"
    assert run("init", root, "--roster", roster).exit_code == 0
    assert run("assign", root, A, *EXERCISES).exit_code == 0
    c = Class(root, A)
    now = dt.datetime.now(dt.UTC)
    with Gradebook(c.course.db_url, c.course.course_id) as gb:
        gb.update_or_create_assignment(A, duedate=(now + dt.timedelta(hours=1)).replace(tzinfo=None))
    c.submit("eleve001", c.all_right("eleve001"), deserved=c.max_points())
    first = c.rows["eleve002"][0]
    c.submit("eleve002", {first["cell_id"]: f"{first['variable']} = {c.expected(first)!r}"},
             deserved=c.points[first["cell_id"]])  # fmt: skip
    late = set_answers(c.released("eleve003"), c.all_right("eleve003"))
    file_submission(c.course, A, "eleve003", late, when=now + dt.timedelta(hours=3))
    c.deserved["eleve003"] = c.max_points() - PENALTY
    path = c.course.submitted("eleve004", A) / f"{A}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text('{"cells": [', encoding="utf-8")
    answers = c.all_right("eleve006")
    cells = [r["cell_id"] for r in c.rows["eleve006"]]
    answers[cells[0]] = f"raise ValueError({FORGED!r})"
    answers[cells[1]] = f"{c.rows['eleve006'][1]['variable']} = {chr(27) + '[2J' + FORMULA!r}"
    c.submit("eleve006", answers, deserved=c.max_points() - c.points[cells[0]] - c.points[cells[1]])
    result = run("grade", root, A, "--no-sandbox")
    assert result.exit_code == 0, result.output
    with Gradebook(c.course.db_url, c.course.course_id) as gb:  # as nbgrader's AssignLatePenalties would
        gb.find_submission_notebook(A, A, "eleve003").late_submission_penalty = PENALTY
        gb.db.commit()
    c.grade_output = result.output
    return c


def test_grade_output_carries_no_escape_sequence_nor_forged_line(klass):
    output = klass.grade_output
    assert "\x1b" not in output
    assert "TOUT VA BIEN" in output  # the student's text is shown, harmless, on the grader's line
    assert not any(line.strip().startswith("- copie de « eleve001 » : 20/20") for line in output.splitlines())


def test_grades_csv_lists_the_whole_class_with_status_and_lateness(klass):
    c = klass
    assert run("export", c.root, A, "--format", "notes").exit_code == 0
    _, rows = read(c.root / "exports" / f"{A}_grades.csv")
    assert [r["student_id"] for r in rows] == ORDER
    by_id = {r["student_id"]: r for r in rows}
    for student, deserved in c.deserved.items():
        assert float(by_id[student]["score"]) == deserved, by_id[student]
        assert by_id[student]["status"] == "corrigée"
    assert by_id["eleve003"]["late"] == "oui" and float(by_id["eleve003"]["late_penalty"]) == PENALTY
    assert by_id["eleve001"]["late"] == ""
    assert by_id["eleve004"]["status"] == "illisible" and by_id["eleve004"]["score"] == ""
    assert by_id["eleve005"]["status"] == "absent" and by_id["eleve005"]["score"] == ""
    assert by_id["eleve002"]["last_name"] == "'" + FORMULA  # shown as text, never run


def test_moodle_file_has_a_bom_a_scale_and_leaves_out_rows_without_identifier(klass):
    c = klass
    result = run("export", c.root, A, "--format", "moodle", "--sur", "20")
    assert result.exit_code == 0, result.output
    assert "eleve003" in result.output and "sans adresse e-mail" in result.output
    raw, rows = read(c.root / "exports" / f"{A}_moodle.csv")
    assert raw.startswith(codecs.BOM_UTF8)
    assert list(rows[0]) == ["email", "nom", "prenom", f"{A} (sur 20)", "commentaire"]
    by_mail = {r["email"]: r for r in rows}
    assert "" not in by_mail and len(rows) == 5  # eleve003 has no e-mail
    for student in ("eleve001", "eleve002", "eleve006"):
        grade = by_mail[f"{student}@lycee.example"][f"{A} (sur 20)"]
        assert float(grade) == on_20(c.deserved[student], c.max_points()), student
    assert by_mail["eleve005@lycee.example"][f"{A} (sur 20)"] == ""
    assert by_mail["eleve005@lycee.example"]["commentaire"] == "absent"
    assert by_mail["eleve004@lycee.example"]["commentaire"] == "copie illisible"
    assert by_mail["eleve002@lycee.example"]["nom"] == "'" + FORMULA


def test_moodle_by_idnumber_keeps_everyone_in_points(klass):
    c = klass
    result = run("export", c.root, A, "--format", "moodle", "--identifiant", "idnumber")
    assert result.exit_code == 0 and "sans" not in result.output
    _, rows = read(c.root / "exports" / f"{A}_moodle.csv")
    assert [r["idnumber"] for r in rows] == ORDER
    assert float(rows[ORDER.index("eleve003")][A]) == c.deserved["eleve003"]
    # without a username in the roster, the hub login (the roster id) is the Moodle username
    assert run("export", c.root, A, "--format", "moodle", "--identifiant", "username").exit_code == 0
    _, rows = read(c.root / "exports" / f"{A}_moodle.csv")
    assert [r["username"] for r in rows] == ORDER


def test_pronote_column_in_class_order_semicolon_decimal_comma_out_of_20(klass):
    c = klass
    assert run("export", c.root, A, "--format", "pronote").exit_code == 0
    raw, rows = read(c.root / "exports" / f"{A}_pronote.csv", delimiter=";")
    assert raw.startswith(codecs.BOM_UTF8)
    assert raw.decode("utf-8-sig").splitlines()[0] == "Nom;Prénom;Note"
    names = {r[0]: (r[1], r[2]) for r in ROSTER}
    assert [(r["Nom"].removeprefix("'"), r["Prénom"]) for r in rows] == [names[s] for s in ORDER]
    marks = dict(zip(ORDER, (r["Note"] for r in rows), strict=True))
    for student, deserved in c.deserved.items():
        assert float(marks[student].replace(",", ".")) == on_20(deserved, c.max_points()), student
        assert "." not in marks[student]
    assert "," in marks["eleve002"]  # 2 points out of 15: 2,67
    assert marks["eleve005"] == "Abs" and marks["eleve004"] == ""


@dataclass(frozen=True)
class GroupedStudent(Student):
    """The `group` field another part of the product adds to the roster's Student."""

    group: str = ""


@pytest.fixture
def groups(klass, monkeypatch):
    real = exports.gradebook_students
    split = {"eleve006": "TSTMG 1", "eleve001": "TSTMG 2", "eleve002": "TSTMG 1", "eleve005": "TSTMG 2"}

    def grouped(course):
        return {
            sid: GroupedStudent(s.id, s.last_name, s.first_name, s.email, split.get(sid, "TSTMG 2"))
            for sid, s in real(course).items()
        }

    monkeypatch.setattr(exports, "gradebook_students", grouped)
    return split


def test_pronote_and_report_per_group(klass, groups):
    c = klass
    assert run("export", c.root, A, "--format", "pronote").exit_code == 0
    split = {"TSTMG-1": ["eleve006", "eleve002"], "TSTMG-2": ["eleve001", "eleve003", "eleve004", "eleve005"]}
    for group, members in split.items():
        _, rows = read(c.root / "exports" / f"{A}_pronote_{group}.csv", delimiter=";")
        names = {r[0]: r[1] for r in ROSTER}
        assert [r["Nom"].removeprefix("'") for r in rows] == [names[s] for s in members]
    page = html.unescape(build_report(c.course, A).read_text("utf-8"))
    assert "Groupe TSTMG 1" in page and "Groupe TSTMG 2" in page
    one = run("export", c.root, A, "--groupe", "TSTMG 1", "--format", "notes")
    assert one.exit_code == 0, one.output
    _, rows = read(c.root / "exports" / f"{A}_grades_TSTMG-1.csv")
    assert [r["student_id"] for r in rows] == ["eleve006", "eleve002"]
    unknown = run("export", c.root, A, "--groupe", "TSTMG 9")
    assert unknown.exit_code == 2 and "TSTMG 1" in unknown.output


def test_report_lists_every_student_and_every_problem(klass):
    c = klass
    page = html.unescape(build_report(c.course, A).read_text("utf-8"))
    for student in ORDER:
        assert f"<td>{student}</td>" in page
    assert "absent" in page and "illisible" in page and "en retard" in page
    assert "TOUT VA BIEN" in page  # the notebook's error, for the teacher to read (HTML-escaped)
