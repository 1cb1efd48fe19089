"""Due dates and late penalties, through nbgrader's own gradebook fields and plugin point.

`assign --due` stores the date in nbgrader's `Assignment.duedate` (UTC, as
`nbgrader db assignment add --duedate` does); nbgrader then computes each submission's
`total_seconds_late` from its timestamp.txt. A late penalty is nbgrader's
`LateSubmissionPlugin` (`c.AssignLatePenalties.plugin_class`): `LatePenalty` reads the
rule the teacher gave to `assign --penalite-retard`, kept in the assignment's manifest.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Unicode

from generators.classroom.course import Course
from generators.errors import MercatiqueError

DEFAULT_TIMEZONE = "Europe/Paris"
NO_DATE = {"aucune", "aucun", "non", "none", "-"}
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %Hh%M", "%Y-%m-%d %Hh",
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %Hh%M", "%d/%m/%Y %Hh",
    "%d-%m-%Y %H:%M", "%d.%m.%Y %H:%M",
)  # fmt: skip
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
UNITS = {"jour": 86400, "j": 86400, "heure": 3600, "h": 3600}
EXAMPLES = "par exemple « 2026-12-04 18:00 » ou « 04/12/2026 18h00 »"


def timezone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise MercatiqueError(
            f"fuseau horaire inconnu : « {name} » "
            "(par exemple Europe/Paris, Indian/Reunion, America/Martinique)"
        ) from None


def parse_due(text: str, zone: str | None = None) -> dt.datetime | None:
    """A deadline as a teacher types it, in the course's time zone; None for « aucune »."""
    cleaned = " ".join(text.strip().lower().replace(" à ", " ").split())
    if cleaned in NO_DATE:
        return None
    tz = timezone(zone)
    for fmt in DATETIME_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).replace(tzinfo=tz)
        except ValueError:
            pass
    for fmt in DATE_FORMATS:  # a day alone: due at the end of that day
        try:
            return dt.datetime.strptime(cleaned, fmt).replace(hour=23, minute=59, tzinfo=tz)
        except ValueError:
            pass
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise MercatiqueError(f"date limite « {text} » non reconnue : {EXAMPLES}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def utc_naive(when: dt.datetime) -> dt.datetime:
    """The form of nbgrader's gradebook dates (UTC without time zone)."""
    return when.astimezone(dt.UTC).replace(tzinfo=None)


def french_date(iso: str) -> str:
    from babel.dates import format_datetime

    when = dt.datetime.fromisoformat(iso)
    return format_datetime(when, "EEEE d MMMM y 'à' HH:mm", tzinfo=when.tzinfo, locale="fr_FR")


def parse_penalty(text: str) -> dict | None:
    """`--penalite-retard`: « 2/jour » (points per day begun), « 0,5/heure », « zero », « aucune »."""
    cleaned = text.strip().lower().replace(",", ".").replace(" ", "")
    if cleaned in NO_DATE or cleaned in ("0", "0/jour"):
        return None
    if cleaned in ("zero", "zéro"):
        return {"method": "zero"}
    found = re.fullmatch(r"(\d+(?:\.\d+)?)(?:pts?|points?)?(?:/|par)?(jour|j|heure|h)?", cleaned)
    if not found or float(found.group(1)) <= 0:
        raise MercatiqueError(
            f"pénalité de retard « {text} » non reconnue : « 2/jour » (2 points par jour de retard "
            "commencé), « 0,5/heure », « zero » (note zéro en cas de retard) ou « aucune »"
        )
    return {"points": float(found.group(1)), "per_seconds": UNITS[found.group(2) or "jour"]}


def describe_penalty(rule: dict | None) -> str:
    from generators.authoring import formatting

    if not rule:
        return "aucune pénalité de retard"
    if rule.get("method") == "zero":
        return "note zéro en cas de retard"
    unit = "jour de retard commencé" if rule["per_seconds"] == 86400 else "heure de retard commencée"
    return f"{formatting.number(rule['points'])} point(s) retiré(s) par {unit}"


def penalty_points(rule: dict | None, score: float, seconds_late: float) -> float | None:
    if not rule or seconds_late <= 0:
        return None
    if rule.get("method") == "zero":
        return score
    return rule["points"] * math.ceil(seconds_late / rule["per_seconds"])


class LatePenalty(LateSubmissionPlugin):
    """nbgrader's late-submission plugin, with the rule of the assignment's manifest."""

    course_dir = Unicode("", help="The course directory (holds .mercatique/).").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float):
        manifest = Course(Path(self.course_dir)).manifest(self.parent.assignment_id)
        return penalty_points(manifest.get("late_penalty"), score, total_seconds_late)


def _quiet_log() -> logging.Logger:
    """nbgrader logs each late copy in English; the teacher reads the French report instead."""
    log = logging.getLogger("mercatique.late")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
        log.propagate = False
    return log


def apply_late_penalties(course: Course, assignment: str) -> None:
    """nbgrader's AssignLatePenalties on each late (or formerly penalised) submission in the gradebook."""
    from nbformat.v4 import new_notebook
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets.config import Config

    config = Config()
    config.AssignLatePenalties.plugin_class = LatePenalty
    config.LatePenalty.course_dir = str(course.root)
    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            submissions = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return
        todo = []
        for submission in submissions:  # on time and never penalised: nothing to do
            try:
                notebook = gb.find_submission_notebook(assignment, assignment, submission.student.id)
            except MissingEntry:
                continue
            if submission.total_seconds_late > 0 or notebook.late_submission_penalty is not None:
                todo.append(submission.student.id)
    for student in todo:
        resources = {"nbgrader": {"notebook": assignment, "assignment": assignment,
                                  "student": student, "db_url": course.db_url}}  # fmt: skip
        AssignLatePenalties(config=config, log=_quiet_log()).preprocess(new_notebook(), resources)


def late_submissions(course: Course, assignment: str) -> dict[str, float]:
    """Seconds past the due date of each late submission in the gradebook (on time: absent)."""
    from nbgrader.api import Gradebook, MissingEntry

    course.manifest(assignment)  # a known, valid assignment name
    with Gradebook(course.db_url, course.course_id) as gb:
        try:
            submissions = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return {}
        return {s.student.id: s.total_seconds_late for s in submissions if s.total_seconds_late > 0}
