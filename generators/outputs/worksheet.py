"""Printable worksheets (`mercatique sheet`): each student's own numbers on paper, and the key.

The sheets come from the same variants as the students' notebooks (`student_variant`
with the course secret) or, without a course, as the book's self-check
(`preview_variant` with the same seed), and from the same texts (`render`,
`selfcheck.to_html`): what is printed is what the student computes anywhere else.
HTML from a Jinja template and a print stylesheet is laid out by WeasyPrint (A4,
running header, page numbers, no question or small table cut by a page break). Each
student's sheet is laid out once: the class PDF reuses its pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from generators.authoring import formatting, render, typography
from generators.authoring.catalogue import Exercise, find_exercise, load_exercise
from generators.authoring.expressions import render_text, table
from generators.authoring.variants import Variant, preview_variant, student_variant
from generators.book.selfcheck import to_html
from generators.classroom.course import Course, check_assignment_name, export_folder, write_atomic
from generators.classroom.roster import Student
from generators.errors import MercatiqueError

TEMPLATES = Path(__file__).parent / "templates"
ANNEX_ROWS = 30
"""A data set longer than this is printed whole in an annex at the end of the student's sheet
(the statement already shows its first rows); a shorter one is printed whole in place."""

NARROW_TABLE = 5
"""An annex table with at most this many columns is set in two columns to save paper."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Sheet:
    """One printed copy: whose it is (a student, or a preview draw) and its variants."""

    title: str
    date: str
    variants: list[Variant]
    student: Student | None = None
    draw: int | None = None
    """The preview seed (mode without a course)."""

    @property
    def label(self) -> str:
        if self.student is not None:
            s = self.student
            return f"{s.last_name.upper()} {s.first_name}" + (f" – {s.group}" if s.group else "")
        return f"Tirage n° {self.draw}"


@cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=True)
    env.filters["markdown"] = lambda text: Markup(to_html(text))
    return env


def _stylesheet() -> str:
    return (TEMPLATES / "worksheet.css").read_text("utf-8")


def _answer_lines(ex: Exercise, q) -> int:
    """Ruled lines for the working: more for a case study, whose data must be sorted out."""
    if q.kind == "choice":
        return 0
    if q.written:
        return 12  # « Justifiez », « Analysez »: a paragraph or two
    return 5 if _tables(ex) else 3


def _tables(ex: Exercise) -> list[str]:
    return [name for name, spec in ex.parameters.items() if "dataset" in spec and name in ex.given]


def _decimals_hint(q) -> str:
    if q.kind != "number":
        return ""
    if q.decimals == 0:
        return "arrondi à l'unité"
    return f"arrondi à {render.decimals_label(q.decimals)}"


def _exercise(variant: Variant, number: int, sheet_id: str) -> dict[str, Any]:
    """Everything the template prints for one exercise of one sheet."""
    ex = variant.exercise
    questions = []
    for n, q in enumerate(ex.questions, start=1):
        item = {
            "number": n,
            "kind": q.kind,
            "points": render.points_label(q.points),
            "prompt": render_text(q.prompt, variant.context).strip(),
            "unit": q.unit,
            "decimals": _decimals_hint(q),
            "lines": _answer_lines(ex, q),
            "expected": render.expected_text(variant, q),
            "options": variant.options.get(q.id, ()),
            "tolerance": "",
            "mistakes": [
                (render.format_value(q, d.value), d.explanation) for d in variant.diagnoses.get(q.id, ())
            ],
        }
        if q.kind == "number":
            item["tolerance"] = render.format_value(q, q.abs_tolerance).replace("+", "")
        if q.written:  # the teacher's key: expected elements and marking scheme
            scheme = "\n".join(render.rubric_lines(q))
            item["expected"] = Markup(to_html(f"{render.model_answer(variant, q)}\n\n**Barème**\n\n{scheme}"))
        questions.append(item)
    data = []
    for name in _tables(ex):
        frame: pd.DataFrame = variant.params[name]
        data.append({
            "name": name,
            "rows": formatting.number(len(frame)),
            "html": Markup(to_html(table(frame, rows=len(frame)))),
            "annex": len(frame) > ANNEX_ROWS,
            "anchor": f"annexe-{sheet_id}-{number}-{name}",
            "narrow": len(frame.columns) <= NARROW_TABLE,
            "wide": len(frame.columns) > 6,
        })  # fmt: skip
    return {
        "number": number,
        "title": ex.title,
        "points": render.points_label(ex.points),
        "statement": render.statement(variant),
        "solution": render.solution(variant),
        "questions": questions,
        "data": data,
    }


def _context(sheet: Sheet, index: int) -> dict[str, Any]:
    sheet_id = sheet.student.id if sheet.student is not None else f"t{sheet.draw}"
    sheet_id = f"{index}-{''.join(c if c.isalnum() else '-' for c in sheet_id)}"
    return {
        "sheet": sheet,
        "id": sheet_id,
        "exercises": [_exercise(v, n, sheet_id) for n, v in enumerate(sheet.variants, start=1)],
        "points": render.points_label(sum(v.exercise.points for v in sheet.variants)),
    }


def sheet_html(sheets: list[Sheet], teacher: bool = False) -> str:
    """The HTML of students' sheets, or of the teacher's key (one student a page)."""
    template = _environment().get_template("worksheet.html.j2")
    html = template.render(
        sheets=[_context(s, i) for i, s in enumerate(sheets)],
        teacher=teacher,
        css=_stylesheet(),
        title=sheets[0].title if sheets else "",
    )
    return typography.html(html)


class Printer:
    """WeasyPrint with one font configuration, so that documents can be merged page by page."""

    def __init__(self) -> None:
        try:
            from weasyprint import HTML
            from weasyprint.text.fonts import FontConfiguration
        except (ImportError, OSError) as exc:  # OSError: Pango missing from the system
            raise MercatiqueError(
                "impossible de produire des PDF : WeasyPrint ou la bibliothèque Pango manque "
                f"({exc}). Installez-les : « sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 » "
                "puis « pip install weasyprint »."
            ) from None
        self._html = HTML
        self.fonts = FontConfiguration()
        self._blank = None

    def render(self, html: str):
        return self._html(string=html, base_url=str(TEMPLATES)).render(font_config=self.fonts)

    def blank_page(self):
        """A page left blank on purpose, so that in duplex printing no sheet of paper holds two students."""
        if self._blank is None:
            html = (
                f"<html lang='fr'><head><style>{_stylesheet()}</style>"
                "<style>@page { @top-left { content: none } @top-right { content: none } "
                "@bottom-center { content: none } }</style></head>"
                "<body><p class='blank-page'>Page laissée blanche intentionnellement</p></body></html>"
            )
            self._blank = self.render(html).pages[0]
        return self._blank

    def merge(self, documents, duplex: bool) -> bytes:
        """Documents one after the other, each starting on an odd page when `duplex`."""
        pages = []
        for doc in documents:
            pages += doc.pages
            if duplex and len(doc.pages) % 2:
                pages.append(self.blank_page())
        return documents[0].copy(pages).write_pdf()


def _safe(text: str) -> str:
    """A name usable as a file name on any system (accents kept, as in `release`)."""
    from generators.classroom.release import ARCHIVE_UNSAFE

    return ARCHIVE_UNSAFE.sub("-", text).strip(" .")


def _issue_date(manifest: dict) -> str:
    from babel.dates import format_date

    from generators.classroom.due import french_date

    if manifest.get("due"):
        return f"À rendre le {french_date(manifest['due'])}"
    return format_date(dt.date.today(), "d MMMM y", locale="fr_FR")


@dataclass
class Printed:
    folder: Path
    students: list[Path]
    classes: list[Path]
    teacher: Path


def course_sheets(
    course: Course,
    assignment: str,
    *,
    title: str | None = None,
    duplex: bool = True,
    progress: Progress | None = None,
) -> Printed:
    """exports/fiches/<devoir>/: a PDF per student (in a folder per class), one per class in
    class-list order for a single print job, and the teacher's key (`<devoir> - corrigé.pdf`).

    The whole folder is built aside and swapped in at the end: a failure leaves the old one.
    """
    from generators.classroom.setup_course import gradebook_students

    check_assignment_name(assignment)
    manifest = course.manifest(assignment)  # French error for an unknown devoir
    frozen = course.frozen_exercises(assignment)
    missing = [e for e in manifest["exercises"] if not (frozen / e / "exercise.yml").is_file()]
    if missing:
        raise MercatiqueError(
            f"le devoir « {assignment} » est incomplet (exercices absents : {', '.join(missing)}) : "
            f"recréez-le avec « mercatique assign {course.root} {assignment} EXERCICE... »"
        )
    exercises = [load_exercise(frozen / e) for e in manifest["exercises"]]
    students = list(gradebook_students(course).values())
    if not students:
        raise MercatiqueError("aucun élève dans le carnet de notes : vérifiez la liste de classe")
    title = title or assignment
    date = _issue_date(manifest)
    secret = course.secret
    sheets = [
        Sheet(title, date, [student_variant(ex, secret, assignment, s.id) for ex in exercises], student=s)
        for s in students
    ]
    printer = Printer()
    total = len(sheets) + 1
    target = course.exports / "fiches" / assignment
    with export_folder(target) as staging:
        out = Printed(target, [], [], target / f"{_safe(assignment)} - corrigé.pdf")
        groups = list(dict.fromkeys(s.group for s in students))
        done = 0
        for group in groups:  # one class at a time: only its laid-out sheets are held in memory
            documents = []
            for sheet in (sh for sh in sheets if sh.student.group == group):
                doc = printer.render(sheet_html([sheet]))
                documents.append(doc)
                s = sheet.student
                name = _safe(f"{s.last_name.upper()} {s.first_name} ({s.id})") or _safe(s.id)
                relative = Path(_safe(group), f"{name}.pdf") if group else Path(f"{name}.pdf")
                write_atomic(staging / relative, doc.write_pdf())
                out.students.append(target / relative)
                done += 1
                if progress:
                    progress(done, total)
            if group:
                name = f"{assignment} - {group}"
            else:
                name = f"{assignment} - sans classe" if len(groups) > 1 else f"{assignment} - tous les élèves"
            name = _safe(name)
            while target / f"{name}.pdf" in out.classes:  # two classes named alike once made safe
                name += " (bis)"
            write_atomic(staging / f"{name}.pdf", printer.merge(documents, duplex))
            out.classes.append(target / f"{name}.pdf")
        key = printer.render(sheet_html(sheets, teacher=True))
        write_atomic(staging / out.teacher.name, key.write_pdf())
        if progress:
            progress(total, total)
    return out


def preview_sheets(
    exercise_ids: list[str],
    output: Path,
    *,
    seed: int = 1,
    count: int = 1,
    title: str | None = None,
    duplex: bool = True,
    progress: Progress | None = None,
) -> Printed:
    """Without a course: `count` sheets of preview variants (draws seed, seed+1, ...) and their key.

    Draw n is the book's self-check variant n (`selfcheck.BOOK_SEEDS`): a teacher can print
    what students practise in the book. Written to `output`/fiches.pdf and corrigé.pdf.
    """
    if not exercise_ids:
        raise MercatiqueError("indiquez au moins un exercice après --exercices (voir « mercatique list »)")
    if count < 1:
        raise MercatiqueError(f"--nombre doit valoir au moins 1, pas {count}")
    if seed < 1:
        raise MercatiqueError(f"--graine doit valoir au moins 1, pas {seed}")
    duplicates = sorted({e for e in exercise_ids if exercise_ids.count(e) > 1})
    if duplicates:
        raise MercatiqueError(f"exercice donné deux fois : {', '.join(duplicates)}")
    exercises = [find_exercise(e) for e in exercise_ids]
    if output.exists() and not output.is_dir():
        raise MercatiqueError(f"{output} existe et n'est pas un dossier : choisissez un autre --sortie")
    title = title or "Fiche d'exercices"
    date = dt.date.today()
    from babel.dates import format_date

    date_text = format_date(date, "d MMMM y", locale="fr_FR")
    sheets = [
        Sheet(title, date_text, [preview_variant(ex, s) for ex in exercises], draw=s)
        for s in range(seed, seed + count)
    ]
    printer = Printer()
    documents = []
    for done, sheet in enumerate(sheets, start=1):
        documents.append(printer.render(sheet_html([sheet])))
        if progress:
            progress(done, count + 1)
    key = printer.render(sheet_html(sheets, teacher=True)).write_pdf()
    sheets_pdf = printer.merge(documents, duplex)
    out = Printed(output, [], [output / "fiches.pdf"], output / "corrigé.pdf")
    write_atomic(out.classes[0], sheets_pdf, mode=0o644)
    write_atomic(out.teacher, key, mode=0o644)
    if progress:
        progress(count + 1, count + 1)
    return out
