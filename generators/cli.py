"""The `mercatique` command: a thin click layer over the functions the tests call."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from pathlib import Path

import click

from generators import cli_french
from generators.authoring import formatting
from generators.errors import MercatiqueError

cli_french.install()

CONTEXT = {"help_option_names": ["-h", "--help"]}

# the arguments and options most commands share (each use makes its own click parameter)
COURSE = click.argument(
    "course_dir", metavar="COURS", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
ASSIGNMENT = click.argument("assignment", metavar="DEVOIR")
EXCHANGE = click.option(
    "--echange",
    "exchange",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier d'échange nbgrader (défaut : celui de nbgrader_config.py, sinon /srv/nbgrader/exchange).",
)


class FrenchErrors(click.Group):
    """Every MercatiqueError ends the command with its French message, not a traceback;
    the usage line names subcommands in French. Subgroups (`roster`) are of this class too."""

    group_class = type

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subcommand_metavar", cli_french.SUBCOMMANDS)
        super().__init__(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MercatiqueError as exc:
            from generators.grading.sanitize import lines_for_terminal

            click.secho(f"Erreur : {lines_for_terminal(str(exc))}", fg="red", err=True)
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
    from generators.authoring.catalogue import load_catalogue

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
@click.argument("exercise_id", metavar="EXERCICE")
@click.option("--seed", type=int, default=1, show_default=True, help="Numéro de tirage.")
def preview(exercise_id: str, seed: int) -> None:
    """Une variante d'un exercice : énoncé, réponses attendues et corrigé."""
    from generators.authoring.catalogue import find_exercise
    from generators.authoring.render import preview_text
    from generators.authoring.variants import preview_variant

    click.echo(preview_text(preview_variant(find_exercise(exercise_id), seed)))


@main.command()
@click.argument("exercise_ids", metavar="EXERCICE...", nargs=-1)
@click.option("--seeds", type=int, default=1000, show_default=True, help="Nombre de tirages testés.")
def check(exercise_ids: tuple[str, ...], seeds: int) -> None:
    """Teste les exercices sur de nombreux tirages (tous si aucun identifiant n'est donné)."""
    from generators.authoring.catalogue import find_exercise, load_catalogue
    from generators.authoring.stress import max_shared_pairs, stress_test

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


@main.command("moodle")
@click.argument("exercise_ids", metavar="EXERCICE...", nargs=-1, required=True)
@click.option(
    "--variantes", "--variants", "variants", type=int, default=10, show_default=True,
    help="Nombre de variantes par exercice (la variante k a les nombres de mercatique preview --seed k).",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["xml", "gift"]), default="xml", show_default=True,
    help="XML Moodle (conseillé : fichiers joints, questions « cloze ») ou GIFT.",
)  # fmt: skip
@click.option(
    "--sortie", "output", type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier à écrire (défaut : quiz-<exercice>.xml ou .gift dans le dossier courant).",
)  # fmt: skip
@click.option("--graine", "seed", type=int, default=1, show_default=True, help="Numéro du premier tirage.")
@click.option(
    "--questions-separees", "--questions-séparées", "separate", is_flag=True,
    help="XML : une question Moodle (numérique avec unité, ou QCM) par question de l'exercice, "
    "une sous-catégorie par question, au lieu d'une question « cloze » par variante.",
)  # fmt: skip
def moodle_command(
    exercise_ids: tuple[str, ...], variants: int, fmt: str, output: Path | None, seed: int, separate: bool
) -> None:
    """Écrit un quiz Moodle (banque de questions) : une catégorie par exercice, N variantes."""
    from generators.classroom.course import write_atomic
    from generators.outputs.moodle_quiz import QuizOptions, build_quiz

    options = QuizOptions(variants=variants, first_seed=seed, separate=separate)
    text = build_quiz(list(exercise_ids), options, fmt)
    stem = exercise_ids[0] if len(set(exercise_ids)) == 1 else "mercatique"
    output = output or Path(f"quiz-{stem}.{fmt}")
    write_atomic(output, text)
    click.echo(f"Écrit : {output} ({len(set(exercise_ids))} exercice(s), {variants} variante(s) chacun)")
    label = "XML Moodle" if fmt == "xml" else "GIFT"
    click.echo(
        f"Dans Moodle : Banque de questions > Importer, format « {label} », "
        "puis un test avec une question aléatoire par catégorie."
    )


@main.command()
@click.argument("course_dir", metavar="COURS", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--roster",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Liste de classe CSV exportée de l'ENT ou de Pronote : colonnes Nom, Prénom, "
    "et si possible Classe, E-mail, Identifiant (le login de l'élève).",
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
    from generators.classroom.setup_course import init_course, init_course_from
    from generators.grading.sanitize import for_terminal

    warnings: list[str] = []
    if previous is not None:
        course, students, assignments = init_course_from(course_dir, previous, roster, course_id, db_url)
    else:
        (course, students, warnings), assignments = init_course(course_dir, roster, course_id, db_url), []
    click.echo(f"Cours « {course.course_id} » créé dans {course.root} avec {len(students)} élèves.")
    for warning in warnings:
        click.secho(f"  - {for_terminal(warning)}", fg="yellow")
    if previous is not None:
        listed = ", ".join(assignments) if assignments else "aucun"
        click.echo(f"Devoirs repris de {previous} : {listed} (notebooks personnels régénérés).")
        if assignments:
            click.echo("Dates limites non reprises : fixez-les avec « mercatique assign ... --due ».")
    click.echo("Le secret du cours est dans .mercatique/ : ne le diffusez pas.")


@main.command("assign")
@COURSE
@ASSIGNMENT
@click.argument("exercise_ids", metavar="EXERCICE...", nargs=-1, required=True)
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
    """Crée le devoir DEVOIR : un notebook par élève et le corrigé de l'enseignant."""
    from generators.classroom.assign import assign
    from generators.classroom.course import check_assignment_name, open_course
    from generators.classroom.setup_course import gradebook_students

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
    if result.get("written_key"):
        click.echo(
            f"Corrigé et barème des questions rédigées (à noter dans le formgrader) : {result['written_key']}"
        )
    if result.get("spreadsheets"):
        click.echo("Tableaux des études de cas : en .csv et .xlsx à côté du notebook de chaque élève")
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
    """The grading summary; every student-controlled piece goes through `for_terminal`."""
    from generators.grading.sanitize import for_terminal as safe

    click.echo(f"{len(report.graded)} copie(s) corrigée(s).")
    if report.skipped:
        click.echo(f"  - {len(report.skipped)} copie(s) déjà corrigée(s) et inchangée(s) : conservées")
    for student in report.unknown:
        why = "identifiant absent de la liste de classe"
        click.secho(f"  - copie de « {safe(student)} » ignorée : {why}", fg="yellow")
    for student, why in sorted(report.unreadable.items()):
        click.secho(f"  - copie de « {safe(student)} » non corrigée : {safe(why)}", fg="yellow")
    for student, problems in sorted(report.problems.items()):
        for problem in problems:
            click.secho(f"  - copie de « {safe(student)} » : {safe(problem)}", fg="yellow")
    if report.not_submitted:
        click.echo(f"  - sans copie : {safe(', '.join(report.not_submitted), 2000)}")
    for warning in getattr(report, "export_warnings", []):
        click.secho(f"  - {safe(warning)}", fg="yellow")
    click.echo(f"Notes : {report.grades_csv}")


@main.command("grade")
@COURSE
@ASSIGNMENT
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
    "--temps-total",
    "notebook_timeout",
    type=click.IntRange(1, 86400),
    default=300,
    show_default=True,
    help="Temps maximal de toutes les cellules d'un notebook ensemble, en secondes.",
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
@click.option(
    "--eleve",
    "--student",
    "only",
    multiple=True,
    metavar="ID",
    help="Recorrige seulement cet élève (option répétable) ; les exports couvrent toute la classe.",
)
def grade_command(course_dir: Path, assignment: str, force: bool, workers: int | None, timeout: int,
                  notebook_timeout: int, memory: int, no_sandbox: bool,
                  only: tuple[str, ...]) -> None:  # fmt: skip
    """Corrige les copies de submitted/ et écrit exports/DEVOIR_grades.csv."""
    from generators.classroom.course import open_course
    from generators.grading.grade import grade
    from generators.grading.sandbox import Limits

    course = open_course(course_dir)
    if no_sandbox:
        click.secho("Attention : correction sans isolation (--no-sandbox).", fg="yellow", err=True)
    limits = Limits(memory_mb=memory, cell_timeout=timeout, notebook_timeout=notebook_timeout)
    bar = _LazyBar("Correction")
    try:
        report = grade(course, assignment, force=force, workers=workers, sandbox=not no_sandbox,
                       limits=limits, progress=bar.advance, on_total=bar.start,
                       students=list(only) or None)  # fmt: skip
    finally:
        bar.close()
    _print_report(report)


@main.command()
@COURSE
@ASSIGNMENT
@click.argument("zip_or_folder", metavar="ARCHIVE", type=click.Path(exists=True, path_type=Path))
def collect(course_dir: Path, assignment: str, zip_or_folder: Path) -> None:
    """Importe l'archive Moodle des travaux remis dans submitted/ (élèves reconnus par leur nom)."""
    from generators.classroom.collect import collect as collect_archive
    from generators.classroom.course import open_course

    course = open_course(course_dir)
    result = collect_archive(course, assignment, zip_or_folder)
    unchanged = f" (dont {len(result.unchanged)} inchangée(s))" if result.unchanged else ""
    click.echo(f"{len(result.collected)} copie(s) importée(s) dans {course.root / 'submitted'}{unchanged}")
    if result.kept:
        click.echo(f"{len(result.kept)} copie(s) déjà importée(s) conservée(s) telle(s) quelle(s)\u00a0: "
                   + ", ".join(result.kept))  # fmt: skip
    if result.notes:
        click.secho(f"À vérifier ({len(result.notes)})\u00a0:", fg="yellow")
        for note in result.notes:
            click.echo(f"  - {note}")
    if result.unmatched:
        click.secho("Non reconnu(s) dans la liste de classe (rien n'est importé)\u00a0:", fg="yellow")
        for name in result.unmatched:
            click.echo(f"  - {name}")
    if result.missing:
        click.echo(f"Sans copie ({len(result.missing)})\u00a0: " + ", ".join(result.missing))


@main.command()
@COURSE
@ASSIGNMENT
def feedback(course_dir: Path, assignment: str) -> None:
    """Une page de correction HTML par élève, dans feedback/<id>/DEVOIR/."""
    from generators.classroom.course import open_course
    from generators.outputs.exports import TO_MARK, class_results
    from generators.outputs.feedback import feedback_pages

    course = open_course(course_dir)
    pages = feedback_pages(course, assignment)
    click.echo(f"{len(pages)} page(s) de correction écrites dans {Path(course_dir) / 'feedback'}")
    waiting = [r.student.id for r in class_results(course, assignment) if r.status == TO_MARK]
    if waiting:
        click.echo(
            f"{len(waiting)} copie(s) à corriger ({', '.join(waiting)}) : notez leurs réponses rédigées "
            "dans le formgrader de nbgrader, puis relancez cette commande pour écrire leur page."
        )
    through_exchange = [p for p in pages if (p.parent / "submission_secret.txt").is_file()]
    if through_exchange:
        click.echo(
            "Étape suivante, pour les rendre par l'échange nbgrader (bouton « Fetch Feedback ») :\n"
            f"  mercatique release_feedback {course_dir} {assignment}"
        )
    if len(through_exchange) < len(pages):
        click.echo(
            f"{len(pages) - len(through_exchange)} copie(s) reçue(s) hors de l'échange (Moodle, clé USB) : "
            f"remettez leur page, feedback/<id>/{assignment}/{assignment}.html, par l'ENT ou Moodle."
        )


@main.command("release")
@COURSE
@ASSIGNMENT
@EXCHANGE
@click.option(
    "--sans-echange", "no_exchange", is_flag=True, help="Seulement les archives (pas de JupyterHub)."
)
@click.option(
    "--dossier-config",
    "config_dir",
    default="/etc/jupyter",
    show_default=True,
    help="Où l'administrateur du hub copie exports/jupyter_eleves/ (chemin absolu sur le hub).",
)
def release_command(
    course_dir: Path, assignment: str, exchange: Path | None, no_exchange: bool, config_dir: str
) -> None:
    """Remet à chaque élève son propre notebook : échange nbgrader (JupyterHub) et archives .zip."""
    from generators.classroom.course import open_course
    from generators.classroom.release import release

    course = open_course(course_dir)
    result = release(
        course, assignment, exchange=exchange, use_exchange=not no_exchange, config_dir=config_dir
    )
    if result.exchange_root:
        click.echo(
            f"{len(result.released)} notebook(s) personnel(s) déposé(s) dans l'échange "
            f"{result.exchange_root} (cours « {course.course_id} ») : chaque élève reçoit le sien "
            "avec « Fetch » (onglet Assignments)."
        )
        if result.protected:
            click.echo(f"  - {len(result.protected)} réservé(s) à leur élève (droits Unix ou ACL)")
        if result.unprotected:
            click.secho(
                f"  - {len(result.unprotected)} lisible(s) par qui connaît l'identifiant (pas de compte Unix "
                "à ce nom sur cette machine, ou ACL impossibles : installez le paquet acl)",
                fg="yellow",
            )
        if result.course_config_changed:
            click.echo(f"  - dossier d'échange et extensions notés dans {course.root / 'nbgrader_config.py'}")
        click.echo(
            f"Configuration des élèves, à copier tout entière dans {config_dir.rstrip('/') or '/'}/ du hub "
            f"(voir LISEZMOI.txt) : {result.student_folder}"
        )
    for student in result.missing:
        click.secho(
            f"  - « {student} » n'a pas de notebook personnel : lancez « mercatique assign »", fg="yellow"
        )
    if result.distribution:
        click.echo(
            f"{result.archives} archive(s) .zip pour l'ENT, Moodle ou une clé USB : {result.distribution}"
        )


@main.command("release_feedback")
@COURSE
@ASSIGNMENT
@EXCHANGE
def release_feedback_command(course_dir: Path, assignment: str, exchange: Path | None) -> None:
    """Dépose les pages de correction dans l'échange nbgrader (nbgrader release_feedback)."""
    from generators.classroom.course import open_course
    from generators.classroom.release import release_feedback

    released, skipped, root = release_feedback(open_course(course_dir), assignment, exchange=exchange)
    click.echo(
        f"{len(released)} page(s) de correction déposée(s) dans l'échange {root} : chaque élève la "
        f"récupère avec « Fetch Feedback » (onglet Assignments) ou « nbgrader fetch_feedback {assignment} »."
    )
    if skipped:
        click.secho(
            f"  - {len(skipped)} copie(s) reçue(s) hors de l'échange (Moodle…), pages à remettre autrement : "
            + ", ".join(skipped),
            fg="yellow",
        )


@main.command()
@COURSE
@ASSIGNMENT
def report(course_dir: Path, assignment: str) -> None:
    """Le bilan de la classe pour l'enseignant (une page HTML, graphiques compris)."""
    from generators.classroom.course import open_course
    from generators.outputs.report import build_report

    click.echo(f"Bilan : {build_report(open_course(course_dir), assignment)}")


@main.command("export")
@COURSE
@ASSIGNMENT
@click.option(
    "--format",
    "formats",
    type=click.Choice(["moodle", "pronote", "notes"]),
    multiple=True,
    help="Fichier(s) à écrire (option répétable ; par défaut : les trois).",
)
@click.option(
    "--sur",
    type=click.FloatRange(min=0, min_open=True),
    help="Barème de Moodle et de Pronote : notes ramenées sur ce total, au centième "
    "(sans --sur : Moodle en points, Pronote sur 20).",
)
@click.option(
    "--identifiant",
    type=click.Choice(["email", "idnumber", "username"]),
    default="email",
    show_default=True,
    help="Champ par lequel Moodle reconnaît l'élève (idnumber : l'identifiant de la liste de classe).",
)
@click.option("--groupe", help="Seulement les élèves de ce groupe.")
def export_command(course_dir: Path, assignment: str, formats: tuple[str, ...], sur: float | None,
                   identifiant: str, groupe: str | None) -> None:  # fmt: skip
    """Réécrit les notes depuis le carnet de notes nbgrader, sans recorriger.

    Les notes modifiées dans le formgrader (note manuelle, points bonus) et les pénalités
    de retard sont prises en compte.
    """
    from generators.classroom.course import open_course
    from generators.grading.sanitize import for_terminal
    from generators.outputs.exports import FORMATS, export_grades

    course = open_course(course_dir)
    result = export_grades(course, assignment, formats=formats or FORMATS, sur=sur, identifier=identifiant,
                           group=groupe)  # fmt: skip
    for warning in result.warnings:
        click.secho(f"  - {for_terminal(warning)}", fg="yellow")
    for path in result.paths:
        click.echo(f"Écrit : {path}")


@main.command("sheet")
@click.argument("arguments", metavar="[COURS DEVOIR | --exercices EXERCICE...]", nargs=-1)
@click.option(
    "--exercices",
    "--exercises",
    "exercise_mode",
    is_flag=True,
    help="Sans cours : les arguments sont des identifiants d'exercices (voir « mercatique list »), "
    "imprimés avec les tirages d'entraînement du livre.",
)
@click.option(
    "--graine",
    "--seed",
    "seed",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Avec --exercices : premier tirage (le tirage n est l'auto-évaluation n du livre).",
)
@click.option(
    "--nombre",
    "--count",
    "count",
    type=click.IntRange(min=1, max=500),
    default=1,
    show_default=True,
    help="Avec --exercices : nombre de fiches (tirages graine, graine + 1…).",
)
@click.option(
    "--sortie",
    "--output",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("fiches"),
    show_default=True,
    help="Avec --exercices : dossier où écrire fiches.pdf et corrigé.pdf.",
)
@click.option(
    "--titre", "--title", "title", help="Titre imprimé en tête des fiches (défaut : le nom du devoir)."
)
@click.option(
    "--recto-seul",
    "simplex",
    is_flag=True,
    help="Imprimante sans recto verso : pas de page blanche ajoutée pour que chaque élève "
    "commence sur une nouvelle feuille.",
)
def sheet_command(arguments: tuple[str, ...], exercise_mode: bool, seed: int, count: int, output: Path,
                  title: str | None, simplex: bool) -> None:  # fmt: skip
    """Fiches imprimables (PDF, A4) : une par élève avec ses propres nombres, une par classe
    pour une seule impression, et le corrigé de l'enseignant (un élève par page).

    Sans cours, avec --exercices : des fiches d'entraînement et leur corrigé.
    """
    from generators.outputs.worksheet import course_sheets, preview_sheets

    if exercise_mode:
        with _progress(count + 1, "Fiches") as bar:
            out = preview_sheets(list(arguments), output, seed=seed, count=count, title=title,
                                 duplex=not simplex, progress=lambda done, n: bar.update(1))  # fmt: skip
        click.echo(f"Fiches : {out.classes[0]}")
        click.echo(f"Corrigé : {out.teacher}")
        return
    if len(arguments) != 2:
        raise MercatiqueError(
            "indiquez le dossier du cours et le devoir (« mercatique sheet COURS DEVOIR »), "
            "ou des exercices sans cours (« mercatique sheet --exercices EXERCICE... »)"
        )
    from generators.classroom.course import check_assignment_name, open_course
    from generators.classroom.setup_course import gradebook_students

    course_dir, assignment = Path(arguments[0]), arguments[1]
    if not course_dir.is_dir():
        raise MercatiqueError(f"dossier du cours introuvable : {course_dir}")
    check_assignment_name(assignment)
    course = open_course(course_dir)
    course.manifest(assignment)
    with _progress(len(gradebook_students(course)) + 1, "Fiches") as bar:
        out = course_sheets(course, assignment, title=title, duplex=not simplex,
                            progress=lambda done, n: bar.update(1))  # fmt: skip
    click.echo(f"{len(out.students)} fiches d'élèves dans {out.folder}")
    for path in out.classes:
        click.echo(f"À imprimer pour la classe : {path}")
    click.echo(f"Corrigé de l'enseignant : {out.teacher}")


@main.command()
@click.option(
    "--all", "full", is_flag=True, help="Reconstruit toutes les pages (sinon : seulement les modifiées)."
)
def book(full: bool) -> None:
    """Construit le livre du cours en HTML (hors ligne) dans _build/html."""
    from generators.book.build import build_book

    click.echo("Construction du livre (les notebooks inchangés ne sont pas réexécutés)…")
    html = build_book(full=full)
    click.echo(f"Livre prêt : ouvrez {html / 'index.html'}")


@main.command()
@click.option(
    "--sortie",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("_build/lite"),
    show_default=True,
    help="Dossier du site (remplacé en entier).",
)
def lite(output: Path) -> None:
    """Construit le site d'entraînement JupyterLite (Python dans le navigateur, hors ligne)."""
    from generators.book.lite import build_site

    click.echo("Construction du site JupyterLite (sans réseau)…")
    site = build_site(output)
    click.echo(f"Site prêt dans {site} : lancez mercatique serve pour l'ouvrir dans le navigateur.")


@main.command()
@click.option("--port", type=int, default=8000, show_default=True, help="Port HTTP (sur 127.0.0.1).")
@click.option(
    "--dossier",
    "build_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("_build"),
    show_default=True,
    help="Dossier qui contient html/ (le livre) et lite/ (le site).",
)
def serve(port: int, build_dir: Path) -> None:
    """Sert le livre et le site d'entraînement en HTTP sur cet ordinateur (Ctrl+C pour arrêter)."""
    from generators.book.serve import addresses, make_server

    server = make_server(build_dir, port)
    for label, url in addresses(build_dir, server.server_address[1]):
        click.echo(f"{label} : {url}")
    click.echo("Ctrl+C pour arrêter.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("\nServeur arrêté.")
    finally:
        server.server_close()


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
    from generators.demo import DEMO_ASSIGNMENT, run_demo
    from generators.simulate import PROFILE_LABELS

    result = run_demo(folder, click.echo, _progress)
    _print_report(result.grading)
    profiles = Counter(PROFILE_LABELS[s.profile] for s in result.simulated)
    click.echo("Copies simulées : " + ", ".join(f"{n} {label}" for label, n in profiles.items()) + ".")
    click.echo("\nÀ ouvrir dans un navigateur :")
    click.echo(f"  - le bilan de la classe : {result.class_report}")
    click.echo(f"  - la page de correction d'un élève : {result.feedback_pages[0]}")
    notebook = result.course.per_student_notebook(result.simulated[0].student_id, DEMO_ASSIGNMENT)
    click.echo(f"  - le notebook d'un élève (dans JupyterLab) : {notebook}")


# ---- mercatique roster: the class list during the year -------------------------------------


@main.group("roster")
def roster_group() -> None:
    """La liste de classe du cours : ajouter un élève, importer une nouvelle liste, l'afficher."""


def _print_import(report, source: str | None) -> None:
    """What changed; `source` is the imported file's name (None for one student added)."""
    for warning in report.warnings:
        click.secho(f"Attention : {warning}", fg="yellow")
    for s in report.added:
        group = f" ({s.group})" if s.group else ""
        click.echo(f"  + ajouté : {s.first_name} {s.last_name}{group}, identifiant « {s.id} »")
    for before, after in report.updated:
        changes = [
            f"{label} « {getattr(before, f) or '-'} » → « {getattr(after, f)} »"
            for f, label in (("group", "classe"), ("email", "e-mail"))
            if getattr(before, f) != getattr(after, f)
        ]
        click.echo(f"  ~ mis à jour : {after.full_name} ({after.id}) : {', '.join(changes)}")
    for s in report.missing if source else []:
        click.secho(
            f"  - absent de {source} : {s.full_name} ({s.id}), conservé avec ses notes", fg="yellow"
        )
    for assignment, paths in sorted(report.notebooks.items()):
        click.echo(f"  notebooks du devoir « {assignment} » pour {len(paths)} nouvel(s) élève(s)")
    if source is None:
        return
    click.echo(
        f"{len(report.added)} ajouté(s), {len(report.updated)} mis à jour, "
        f"{len(report.unchanged)} inchangé(s), {len(report.missing)} absent(s) de la liste (conservé(s))."
    )


@roster_group.command("add")
@COURSE
@click.option("--nom", required=True, help="Nom de famille.")
@click.option("--prenom", "--prénom", "prenom", required=True, help="Prénom.")
@click.option("--classe", default="", help="Classe ou groupe (ex. 1STMG2).")
@click.option("--email", default="", help="Adresse e-mail.")
@click.option(
    "--identifiant",
    default="",
    help="Login de l'élève sur le JupyterHub (par défaut : nom.prenom).",
)
def roster_add(course_dir: Path, nom: str, prenom: str, classe: str, email: str, identifiant: str) -> None:
    """Ajoute un élève en cours d'année, avec son notebook pour chaque devoir déjà donné."""
    from generators.classroom.course import open_course
    from generators.classroom.enrol import add_student

    report = add_student(open_course(course_dir), nom, prenom, classe, email, identifiant)
    _print_import(report, None)


@roster_group.command("import")
@COURSE
@click.argument("roster_csv", metavar="LISTE_CSV", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--essai", is_flag=True, help="N'écrit rien : montre seulement ce que l'import ferait.")
def roster_import(course_dir: Path, roster_csv: Path, essai: bool) -> None:
    """Ajoute les nouveaux élèves d'une liste de classe ; personne n'est supprimé, ni ses notes."""
    from generators.classroom.course import open_course
    from generators.classroom.enrol import import_roster

    report = import_roster(open_course(course_dir), roster_csv, dry_run=essai)
    _print_import(report, roster_csv.name)
    if essai:
        click.secho("Essai : rien n'a été modifié (relancez sans --essai pour importer).", fg="cyan")


@roster_group.command("list")
@COURSE
def roster_list(course_dir: Path) -> None:
    """Les élèves du cours, classe par classe."""
    from generators.classroom.course import open_course
    from generators.classroom.enrol import students_by_group

    groups = students_by_group(open_course(course_dir))
    total = 0
    for group, students in groups.items():
        total += len(students)
        title = f"Classe « {group} »" if group else "Sans classe"
        click.echo(f"{title} : {len(students)} élève(s)")
        width = max(len(s.id) for s in students)
        for s in students:
            email = f"  {s.email}" if s.email else ""
            click.echo(f"  {s.id:<{width}}  {s.last_name} {s.first_name}{email}")
    click.echo(f"{total} élève(s) en tout.")


if __name__ == "__main__":
    main()
