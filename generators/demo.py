"""`mercatique demo`: the whole workflow on the embedded sample class, in a scratch folder."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from generators.classroom.assign import assign
from generators.classroom.course import Course
from generators.classroom.setup_course import init_course
from generators.grading.grade import GradingReport, grade
from generators.grading.sandbox import missing_tools
from generators.outputs.feedback import feedback_pages
from generators.outputs.report import build_report
from generators.simulate import Simulated, simulate_class

DEMO_EXERCISES = ("fnac-campagne-emailing", "air-france-service-client", "oasis-page-facebook")
DEMO_ASSIGNMENT = "devoir-1"


def demo_roster() -> Path:
    return Path(str(resources.files("generators") / "data" / "classe-demo.csv"))


@dataclass
class Demo:
    course: Course
    simulated: list[Simulated]
    grading: GradingReport
    feedback_pages: list[Path]
    class_report: Path


def run_demo(folder: Path, echo, progress_factory) -> Demo:
    """Init, assign, simulate a class, grade, then feedback pages and the class report.

    `echo` prints a French line; the last lines say which files to open."""
    folder = folder.resolve()
    if folder.exists():
        shutil.rmtree(folder)
    course, students, _ = init_course(folder, demo_roster(), "demo-mercatique")
    echo(f"1/5 Cours créé dans {folder} ({len(students)} élèves).")
    with progress_factory(len(students), "2/5 Notebooks personnalisés") as bar:
        result = assign(
            course, DEMO_ASSIGNMENT, list(DEMO_EXERCISES), progress=lambda done, total: bar.update(1)
        )
    echo(f"    Corrigé de l'enseignant : {result['answer_key']}")
    simulated = simulate_class(course, DEMO_ASSIGNMENT)
    echo(f"3/5 {len(simulated)} copies simulées déposées dans {folder / 'submitted'}.")
    sandbox = not missing_tools()
    if not sandbox:
        echo("    (bubblewrap absent : la démonstration corrige sans isolation ses propres copies simulées)")
    with progress_factory(len(simulated), "4/5 Correction") as bar:
        report = grade(course, DEMO_ASSIGNMENT, sandbox=sandbox, progress=lambda student: bar.update(1))
    pages = feedback_pages(course, DEMO_ASSIGNMENT)
    class_report = build_report(course, DEMO_ASSIGNMENT)
    echo(f"5/5 {len(pages)} pages de correction et le bilan de la classe écrits.")
    return Demo(course, simulated, report, sorted(pages), class_report)
