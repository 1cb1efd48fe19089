"""The `mercatique` command: a thin click layer over the functions the tests call."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from pathlib import Path

import click

from . import formatting
from .errors import MercatiqueError

CONTEXT = {"help_option_names": ["-h", "--help"]}


class FrenchErrors(click.Group):
    """Every MercatiqueError ends the command with its French message, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MercatiqueError as exc:
            click.secho(f"Erreur : {exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=FrenchErrors, context_settings=CONTEXT)
@click.version_option(package_name="mercatique", message="mercatique %(version)s")
def main() -> None:
    """Cahier d'exercices de mercatique numérique : exercices personnalisés et correction nbgrader."""


@contextlib.contextmanager
def _progress(total: int, label: str):
    with click.progressbar(length=total, label=label, show_eta=True, show_pos=True, file=sys.stderr) as bar:
        yield bar


@main.command("list")
@click.option("--chapter", "-c", help="Seulement les exercices de ce chapitre.")
@click.option("--tag", "-t", help="Seulement les exercices portant ce mot-clé.")
def list_command(chapter: str | None, tag: str | None) -> None:
    """Le catalogue des exercices (identifiant, titre, chapitre, points)."""
    from .catalogue import load_catalogue

    exercises = [
        ex
        for ex in load_catalogue().values()
        if (not chapter or ex.chapter == chapter) and (not tag or tag in ex.tags)
    ]
    if not exercises:
        click.echo("Aucun exercice ne correspond.")
        return
    width = max(len(ex.id) for ex in exercises)
    click.echo(f"{'identifiant':<{width}}  {'chapitre':<22} {'points':>6}  titre")
    for ex in sorted(exercises, key=lambda e: (e.chapter, e.id)):
        click.echo(f"{ex.id:<{width}}  {ex.chapter:<22} {formatting.number(ex.points):>6}  {ex.title}")
    click.echo(f"\n{len(exercises)} exercice(s).")


@main.command()
@click.argument("exercise_id")
@click.option("--seed", type=int, default=1, show_default=True, help="Numéro de tirage.")
def preview(exercise_id: str, seed: int) -> None:
    """Une variante d'un exercice : énoncé, réponses attendues et corrigé."""
    from .catalogue import find_exercise
    from .render import preview_text
    from .variants import preview_variant

    click.echo(preview_text(preview_variant(find_exercise(exercise_id), seed)))


@main.command()
@click.argument("exercise_ids", nargs=-1)
@click.option("--seeds", type=int, default=1000, show_default=True, help="Nombre de tirages testés.")
def check(exercise_ids: tuple[str, ...], seeds: int) -> None:
    """Teste les exercices sur de nombreux tirages (tous si aucun identifiant n'est donné)."""
    from .catalogue import find_exercise, load_catalogue
    from .stress import max_shared_pairs, stress_test

    exercises = [find_exercise(e) for e in exercise_ids] or list(load_catalogue().values())
    failed = 0
    for ex in exercises:
        report = stress_test(ex, seeds)
        limit = max_shared_pairs(report.class_size)
        crowded = {q: n for q, n in report.shared_pairs.items() if n > limit}
        status = "OK" if report.ok and not crowded else "ÉCHEC"
        failed += status != "OK"
        click.echo(f"{status:5} {ex.id} ({seeds} tirages)")
        for q, (low, high) in report.answer_ranges.items():
            shared = report.shared_pairs.get(q, 0)
            click.echo(
                f"      {q} : de {formatting.number(round(low, 4))} à {formatting.number(round(high, 4))} ; "
                f"{shared} paire(s) d'élèves sur {report.class_size} partagent la réponse"
            )
        for problem in report.failures[:10]:
            click.secho(f"      - {problem}", fg="red")
        for q, n in crowded.items():
            click.secho(
                f"      - {q} : trop d'élèves partagent la réponse ({n} paires, maximum {limit})", fg="red"
            )
    click.echo(f"\n{len(exercises) - failed} exercice(s) sur {len(exercises)} sans problème.")
    if failed:
        sys.exit(1)


@main.command()
@click.argument("course_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--roster",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Liste de classe CSV (UTF-8) : id,last_name,first_name,email.",
)
@click.option("--course-id", help="Identifiant du cours (par défaut : le nom du dossier).")
@click.option(
    "--db",
    "db_url",
    help="Carnet de notes ailleurs que dans le dossier (postgresql://utilisateur@hôte/base).",
)
@click.option(
    "--depuis",
    "previous",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Reprend les devoirs et réglages d'un ancien cours (sans ses élèves, notes ni secret : "
    "la nouvelle classe a ses propres nombres).",
)
def init(course_dir: Path, roster: Path, course_id: str | None, db_url: str | None,
         previous: Path | None) -> None:  # fmt: skip
    """Crée un cours nbgrader et importe la liste de classe."""
    from .setup_course import init_course, init_course_from

    if previous is not None:
        course, students, assignments = init_course_from(course_dir, previous, roster, course_id, db_url)
    else:
        (course, students), assignments = init_course(course_dir, roster, course_id, db_url), []
    click.echo(f"Cours « {course.course_id} » créé dans {course.root} avec {len(students)} élèves.")
    if previous is not None:
        listed = ", ".join(assignments) if assignments else "aucun"
        click.echo(f"Devoirs repris de {previous} : {listed} (notebooks personnels régénérés).")
        if assignments:
            click.echo("Dates limites non reprises : fixez-les avec « mercatique assign ... --due ».")
    click.echo("Le secret du cours est dans .mercatique/ : ne le diffusez pas.")


@main.command("assign")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("assignment")
@click.argument("exercise_ids", nargs=-1, required=True)
@click.option(
    "--due",
    "--date-limite",
    "due",
    help="Date limite de rendu, par exemple « 2026-12-04 18:00 » ou « 04/12/2026 18h00 » "
    "(« aucune » pour l'enlever ; par défaut : celle du devoir, s'il existait).",
)
@click.option("--fuseau", help="Fuseau horaire de la date limite (défaut : Europe/Paris).")
@click.option(
    "--penalite-retard",
    "late_penalty",
    help="Pénalité d'une copie rendue en retard : « 2/jour » (points par jour commencé), "
    "« 0,5/heure », « zero » (note zéro) ou « aucune ».",
)
@click.option(
    "--remplacer",
    is_flag=True,
    help="Remplace le devoir même si des copies ont déjà été rendues : leurs notes sont retirées du "
    "carnet de notes et archivées dans .mercatique/archives/, et les copies seront recorrigées "
    "avec les nouveaux exercices.",
)
def assign_command(course_dir: Path, assignment: str, exercise_ids: tuple[str, ...], due: str | None,
                   fuseau: str | None, late_penalty: str | None, remplacer: bool) -> None:  # fmt: skip
    """Crée le devoir ASSIGNMENT : un notebook par élève et le corrigé de l'enseignant."""
    from .assign import assign
    from .course import check_assignment_name, open_course
    from .setup_course import gradebook_students

    check_assignment_name(assignment)
    course = open_course(course_dir)
    total = len(gradebook_students(course))
    with _progress(total, "Notebooks personnalisés") as bar:
        result = assign(course, assignment, list(exercise_ids), progress=lambda done, n: bar.update(1),
                        due=due, timezone=fuseau, late_penalty=late_penalty, replace=remplacer)  # fmt: skip
    for warning in result["warnings"]:
        click.secho(f"Attention : {warning}", fg="yellow")
    click.echo(f"{result['students']} notebooks écrits dans {result['per_student']}")
    click.echo(f"Corrigé de l'enseignant : {result['answer_key']}")
    if result["due_text"]:
        click.echo(f"Date limite : {result['due_text']}")


class _LazyBar:
    """A progress bar whose length is known only once grading has screened the class."""

    def __init__(self, label: str):
        self.label, self.bar = label, None

    def start(self, total: int) -> None:
        if total:
            self.bar = click.progressbar(
                length=total, label=self.label, show_eta=True, show_pos=True, file=sys.stderr
            )
            self.bar.__enter__()

    def advance(self, _student: str) -> None:
        if self.bar:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar:
            self.bar.__exit__(None, None, None)


def _print_report(report) -> None:
    click.echo(f"{len(report.graded)} copie(s) corrigée(s).")
    if report.skipped:
        click.echo(f"  - {len(report.skipped)} copie(s) déjà corrigée(s) et inchangée(s) : conservées")
    for student in report.unknown:
        click.secho(
            f"  - copie de « {student} » ignorée : identifiant absent de la liste de classe", fg="yellow"
        )
    for student, why in sorted(report.unreadable.items()):
        click.secho(f"  - copie de « {student} » non corrigée : {why}", fg="yellow")
    for student, problems in sorted(report.problems.items()):
        for problem in problems:
            click.secho(f"  - copie de « {student} » : {problem}", fg="yellow")
    if report.not_submitted:
        click.echo(f"  - sans copie : {', '.join(report.not_submitted)}")
    click.echo(f"Notes : {report.grades_csv}")


@main.command("grade")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("assignment")
@click.option("--force", is_flag=True, help="Recorrige aussi les copies déjà corrigées et inchangées.")
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(1, 64),
    help="Copies corrigées en parallèle (défaut : nombre de cœurs).",
)
@click.option(
    "--timeout",
    type=click.IntRange(1, 3600),
    default=30,
    show_default=True,
    help="Temps maximal d'une cellule, en secondes.",
)
@click.option(
    "--memory",
    type=click.IntRange(128, 65536),
    default=2048,
    show_default=True,
    help="Mémoire maximale d'un notebook, en Mo.",
)
@click.option(
    "--no-sandbox",
    is_flag=True,
    help="Exécute les notebooks SANS isolation (déconseillé : seulement pour des copies de confiance).",
)
def grade_command(course_dir: Path, assignment: str, force: bool, workers: int | None, timeout: int,
                  memory: int, no_sandbox: bool) -> None:  # fmt: skip
    """Corrige les copies de submitted/ et écrit exports/ASSIGNMENT_grades.csv."""
    from .course import open_course
    from .grade import grade
    from .sandbox import Limits

    course = open_course(course_dir)
    if no_sandbox:
        click.secho("Attention : correction sans isolation (--no-sandbox).", fg="yellow", err=True)
    bar = _LazyBar("Correction")
    try:
        report = grade(course, assignment, force=force, workers=workers, sandbox=not no_sandbox,
                       limits=Limits(memory_mb=memory, cell_timeout=timeout),
                       progress=bar.advance, on_total=bar.start)  # fmt: skip
    finally:
        bar.close()
    _print_report(report)


@main.command()
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("assignment")
@click.argument("zip_or_folder", type=click.Path(exists=True, path_type=Path))
def collect(course_dir: Path, assignment: str, zip_or_folder: Path) -> None:
    """Importe l'archive Moodle des travaux remis dans submitted/ (élèves reconnus par leur nom)."""
    from .collect import collect as collect_archive
    from .course import open_course

    collected, unmatched = collect_archive(open_course(course_dir), assignment, zip_or_folder)
    click.echo(f"{len(collected)} copie(s) importée(s) dans {Path(course_dir) / 'submitted'}")
    for name in unmatched:
        click.secho(f"  - non reconnu dans la liste de classe : {name}", fg="yellow")


@main.command()
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("assignment")
def feedback(course_dir: Path, assignment: str) -> None:
    """Une page de correction HTML par élève, dans feedback/<id>/ASSIGNMENT/."""
    from .course import open_course
    from .feedback import feedback_pages

    pages = feedback_pages(open_course(course_dir), assignment)
    click.echo(f"{len(pages)} page(s) de correction écrites dans {Path(course_dir) / 'feedback'}")
    click.echo("Pour les rendre aux élèves avec nbgrader : nbgrader release_feedback " + assignment)


@main.command()
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("assignment")
def report(course_dir: Path, assignment: str) -> None:
    """Le bilan de la classe pour l'enseignant (une page HTML, graphiques compris)."""
    from .course import open_course
    from .report import build_report

    click.echo(f"Bilan : {build_report(open_course(course_dir), assignment)}")


@main.command()
@click.option(
    "--all", "full", is_flag=True, help="Reconstruit toutes les pages (sinon : seulement les modifiées)."
)
def book(full: bool) -> None:
    """Construit le livre du cours en HTML (hors ligne) dans _build/html."""
    from .book import build_book

    click.echo("Construction du livre (les notebooks inchangés ne sont pas réexécutés)…")
    html = build_book(full=full)
    click.echo(f"Livre prêt : ouvrez {html / 'index.html'}")


@main.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Dossier de travail (effacé puis recréé).",
)
def demo(folder: Path) -> None:
    """Démonstration complète sur une classe fictive de 30 élèves."""
    from .demo import run_demo
    from .simulate import PROFILE_LABELS

    course, simulated, report = run_demo(folder, click.echo, _progress)
    _print_report(report)
    profiles = Counter(PROFILE_LABELS[s.profile] for s in simulated)
    click.echo("Copies simulées : " + ", ".join(f"{n} {label}" for label, n in profiles.items()) + ".")


if __name__ == "__main__":
    main()
