"""Is the gradebook the truth? A score the teacher changes in nbgrader's formgrader must
reach the feedback page, the report and every export without grading again.

The teacher's change is made as the formgrader makes it (its GradeHandler.put): set
`manual_score` and `extra_credit` on the gradebook's Grade, update `needs_manual_grade`,
commit. What each student deserves is computed here from the answer key's points.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from nbgrader.api import Gradebook

from generators.grading.grade import grade
from generators.outputs.feedback import feedback_pages
from generators.outputs.report import build_report
from tests.helpers import Class, new_course, read_csv, run

pytestmark = pytest.mark.slow

A = "devoir-1"
EXERCISE = "fnac-campagne-emailing"


def formgrader_put(course, student: str, report_id: str, manual: float | None, extra: float | None = None):
    """What the formgrader does when the teacher types a grade (nbgrader's GradeHandler.put)."""
    with Gradebook(course.db_url, course.course_id) as gb:
        g = gb.find_grade(report_id, A, A, student)
        g.manual_score, g.extra_credit = manual, extra
        g.needs_manual_grade = g.manual_score is None and g.auto_score is None
        gb.db.commit()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("truth"), 4, {A: [EXERCISE]})
    c = Class(root, A)
    right, wrong, half, absent = sorted(c.rows)
    c.submit(right, c.all_right(right), deserved=c.max_points())
    c.submit(wrong, c.all_wrong(wrong), deserved=0)
    first = c.rows[half][0]
    c.submit(half, {first["cell_id"]: f"{first['variable']} = {c.expected(first)!r}"},
             deserved=c.points[first["cell_id"]])  # fmt: skip
    grade(c.course, A, sandbox=False, workers=2)
    slots = {s["cell_id"]: s for s in c.course.manifest(A)["slots"]}
    # the teacher gives 1.5 point to `wrong`'s first question, and 1 extra point to `right`
    cpl = c.rows[wrong][0]
    formgrader_put(c.course, wrong, slots[cpl["cell_id"]]["report_id"], 1.5)
    formgrader_put(c.course, right, slots[c.rows[right][0]["cell_id"]]["report_id"], None, 1.0)
    c.adjusted = {
        wrong: (cpl["question"], 1.5, c.points[cpl["cell_id"]]),
        right: (c.rows[right][0]["question"], c.points[c.rows[right][0]["cell_id"]] + 1.0,
                c.points[c.rows[right][0]["cell_id"]]),
    }  # fmt: skip
    c.truth = {right: c.max_points() + 1.0, wrong: 1.5, half: c.deserved[half]}
    c.absent = absent
    return c


def french(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def test_export_reads_the_teachers_grade_without_regrading(graded):
    c = graded
    before = (c.root / ".mercatique" / "grading" / f"{A}.json").read_text()
    result = run("export", c.root, A, "--format", "notes")
    assert result.exit_code == 0, result.output
    rows = {r["student_id"]: r for r in read_csv(c.root / "exports" / f"{A}_grades.csv")}
    for student, score in c.truth.items():
        assert float(rows[student]["score"]) == score, (student, rows[student])
    wrong = sorted(c.rows)[1]
    question, points, _ = c.adjusted[wrong]
    assert float(rows[wrong][question]) == points
    assert rows[c.absent]["status"] == "absent" and rows[c.absent]["score"] == ""
    # nothing was graded again
    assert (c.root / ".mercatique" / "grading" / f"{A}.json").read_text() == before


def test_feedback_page_shows_the_teachers_grade_and_says_so(graded):
    c = graded
    feedback_pages(c.course, A)
    for student, (_question, points, max_points) in c.adjusted.items():
        page = html.unescape((c.root / "feedback" / student / A / f"{A}.html").read_text("utf-8"))
        page = page.replace("\u202f", "")
        assert f"Note\u00a0: {french(c.truth[student])} / {french(c.max_points())}" in page, student
        assert f"note modifiée par l’enseignant\u00a0: {french(points)}/{french(max_points)}" in page
    half = sorted(c.rows)[2]
    page = (c.root / "feedback" / half / A / f"{A}.html").read_text("utf-8")
    assert "note modifiée" not in page


def test_report_shows_the_teachers_grade(graded):
    c = graded
    page = html.unescape(build_report(c.course, A).read_text("utf-8"))
    wrong = sorted(c.rows)[1]
    question, points, max_points = c.adjusted[wrong]
    adjusted = f"note modifiée par l’enseignant\u00a0: {french(points)}/{french(max_points)}"
    assert f"{question}\u00a0: {adjusted}" in page
    mean = sum(c.truth.values()) / len(c.truth)
    assert f"Moyenne\u00a0: <strong>{french(round(mean, 2))}</strong>" in page.replace("\u202f", "")
    # every roster student has a line, the absent one too
    for student in c.rows:
        assert f"<td>{student}</td>" in page
    assert "<td>absent</td>" in page


def test_grade_one_student_regrades_only_them_and_keeps_the_teachers_grade(graded):
    c = graded
    wrong, half = sorted(c.rows)[1], sorted(c.rows)[2]
    # `half` now hands in a fully right copy, later than before
    c.course.submitted(half, A).joinpath("timestamp.txt").write_text(
        (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    )
    c.submit(half, c.all_right(half))
    result = run("grade", c.root, A, "--eleve", wrong, "--no-sandbox")
    assert result.exit_code == 0, result.output
    assert "1 copie(s) corrigée(s)" in result.output
    rows = {r["student_id"]: r for r in read_csv(c.root / "exports" / f"{A}_grades.csv")}
    assert float(rows[wrong]["score"]) == 1.5  # the formgrader's grade survives a regrade
    assert float(rows[half]["score"]) == c.truth[half]  # not regraded: still the old copy's grade
    assert len(rows) == len(c.rows)  # the export covers the whole class
    result = run("grade", c.root, A, "--student", half, "--no-sandbox")
    assert result.exit_code == 0, result.output
    rows = {r["student_id"]: r for r in read_csv(c.root / "exports" / f"{A}_grades.csv")}
    assert float(rows[half]["score"]) == c.max_points()
    unknown = run("grade", c.root, A, "--eleve", "personne", "--no-sandbox")
    assert unknown.exit_code == 2 and "personne" in unknown.output
