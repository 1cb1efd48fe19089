"""Due dates as a French teacher types them, stored where nbgrader keeps them, and late
copies penalised through nbgrader's late-submission plugin point."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from nbgrader.api import Course as GradebookCourse
from nbgrader.api import Gradebook

from generators.classroom.course import open_course
from generators.classroom.due import parse_due, parse_penalty, penalty_points, utc_naive
from generators.errors import MercatiqueError
from generators.simulate import file_submission, set_answers
from tests.helpers import Class, new_course, read_csv, run

PARIS = ZoneInfo("Europe/Paris")
A = "devoir-1"


@pytest.mark.parametrize(
    "text",
    ["2026-12-04 18:00", "2026-12-04T18:00", "04/12/2026 18:00", "04/12/2026 18h00", "4/12/2026 18h",
     "04/12/2026 à 18h00", "  04/12/2026   18:00 "],
)  # fmt: skip
def test_french_and_iso_dates_mean_the_same_paris_time(text):
    assert parse_due(text) == dt.datetime(2026, 12, 4, 18, 0, tzinfo=PARIS)


def test_dates_are_stored_in_utc_like_nbgrader():
    assert utc_naive(parse_due("04/12/2026 18:00")) == dt.datetime(2026, 12, 4, 17, 0)  # winter: UTC+1
    assert utc_naive(parse_due("04/06/2026 18:00")) == dt.datetime(2026, 6, 4, 16, 0)  # summer: UTC+2
    assert utc_naive(parse_due("04/12/2026 18:00", "Indian/Reunion")) == dt.datetime(2026, 12, 4, 14, 0)
    assert utc_naive(parse_due("2026-12-04T18:00+00:00")) == dt.datetime(2026, 12, 4, 18, 0)


def test_a_day_alone_is_due_at_its_end_and_aucune_removes_the_date():
    assert parse_due("04/12/2026") == dt.datetime(2026, 12, 4, 23, 59, tzinfo=PARIS)
    assert parse_due("aucune") is None


@pytest.mark.parametrize("text", ["demain", "32/12/2026 18:00", "12/2026", "2026-13-01 10:00"])
def test_an_unreadable_date_is_a_french_error(text):
    with pytest.raises(MercatiqueError, match="date limite .* non reconnue : par exemple"):
        parse_due(text)


def test_an_unknown_time_zone_is_a_french_error():
    with pytest.raises(MercatiqueError, match="fuseau horaire inconnu"):
        parse_due("04/12/2026 18:00", "Europe/Atlantide")


def test_penalty_rules():
    day, hour = 86400, 3600
    assert parse_penalty("2/jour") == {"points": 2.0, "per_seconds": day}
    assert parse_penalty("0,5 / heure") == {"points": 0.5, "per_seconds": hour}
    assert parse_penalty("1") == {"points": 1.0, "per_seconds": day}
    assert parse_penalty("zéro") == {"method": "zero"}
    assert parse_penalty("aucune") is None
    with pytest.raises(MercatiqueError, match="pénalité de retard « beaucoup » non reconnue"):
        parse_penalty("beaucoup")
    rule = parse_penalty("2/jour")
    assert penalty_points(rule, 10, 0) is None
    assert penalty_points(rule, 10, 1) == 2  # a day begun
    assert penalty_points(rule, 10, day + 1) == 4
    assert penalty_points({"method": "zero"}, 7.5, 60) == 7.5


@pytest.mark.slow
def test_late_copies_are_detected_and_penalised(tmp_path):
    root = new_course(tmp_path, 3, {})
    result = run("assign", root, A, "fnac-campagne-emailing", "--due", "04/12/2026 18:00",
                 "--penalite-retard", "1/jour")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Date limite : vendredi 4 décembre 2026 à 18:00 ; 1 point(s) retiré(s) par jour" in result.output
    course = open_course(root)
    with Gradebook(course.db_url, course.course_id) as gb:
        assert gb.find_assignment(A).duedate == dt.datetime(2026, 12, 4, 17, 0)
        # the row nbgrader's preprocessors add on first use: present, so grading workers never race for it
        assert gb.db.query(GradebookCourse).filter_by(id="default_course").count() == 1
    klass = Class(root, A)
    on_time, late, very_late = sorted(klass.rows)
    due = dt.datetime(2026, 12, 4, 17, 0, tzinfo=dt.UTC)
    for student, when in [(on_time, due - dt.timedelta(minutes=1)), (late, due + dt.timedelta(minutes=5)),
                          (very_late, due + dt.timedelta(days=2, hours=1))]:  # fmt: skip
        notebook = set_answers(klass.released(student), klass.all_right(student))
        file_submission(course, A, student, notebook, when)
    graded = run("grade", root, A, "--workers", "1")
    assert graded.exit_code == 0, graded.output

    from generators.classroom.assign import late_submissions

    assert late_submissions(course, A) == {late: 300.0, very_late: 2 * 86400 + 3600.0}
    full = klass.max_points()
    grades = {r["student_id"]: float(r["score"]) for r in read_csv(root / "exports" / f"{A}_grades.csv")}
    assert grades == {on_time: full, late: full - 1, very_late: full - 3}
    with Gradebook(course.db_url, course.course_id) as gb:  # nbgrader's own total, as `nbgrader export` gives
        submissions = gb.find_assignment(A).submissions
        scores = {s.student.id: s.score - s.late_submission_penalty for s in submissions}
    assert scores == grades

    # a later deadline: re-assigning the same exercises keeps the copies and regrades their lateness
    result = run("assign", root, A, "fnac-campagne-emailing", "--due", "2026-12-07 18:00")
    assert result.exit_code == 0, result.output
    assert "date limite changée" in result.output
    assert run("grade", root, A, "--workers", "1").exit_code == 0
    assert late_submissions(course, A) == {}
    grades = {r["student_id"]: float(r["score"]) for r in read_csv(root / "exports" / f"{A}_grades.csv")}
    assert grades == {on_time: full, late: full, very_late: full}
