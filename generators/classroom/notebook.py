"""The assignment notebook: one source for nbgrader, then one copy per student.

nbgrader overwrites locked cells with the source at autograde, so everything
that differs per student (name, statement, numbers, options) lives in cells
without nbgrader metadata, tagged `metadata.mercatique.role`. The locked cells
are identical for the whole class: the report helper and one report cell per
question, which only *transmit* the student's value (DESIGN.md §3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring

import nbformat
from nbformat import get_logger
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbformat.v4.rwbase import split_lines, strip_transient

from generators.authoring import render, typography
from generators.authoring.catalogue import WRITTEN, Exercise, Question
from generators.authoring.variants import Variant
from generators.classroom.roster import Student
from generators.outputs.spreadsheets import spreadsheet_notice

ANSWER_MIME = "application/vnd.mercatique.answer+json"
HELPER_ID = "mercatique-rapport"
PLACEHOLDER = "*(Cette cellule est remplie dans le notebook de chaque élève.)*"

# Runs in the student's kernel; it decides nothing, it only describes the value (DESIGN.md §3).
# The display bundle carries the report for the grader (ANSWER_MIME) and, for the student,
# a text/plain line saying what was recorded. Under `nbgrader validate` (the Validate
# button) an unanswered question also writes one French line to stderr: nbgrader counts
# a graded cell with stderr output as failed and lists it, while Run All goes on.
HELPER_SOURCE = f'''# Outil de correction (cellule masquée, ne la modifiez pas) : elle transmet vos réponses
# au correcteur, qui les note en dehors du notebook. Elle ne dit pas si une réponse est juste.
A, B, C, D, E, F = "A", "B", "C", "D", "E", "F"  # une lettre de choix s'écrit aussi sans guillemets


def _nombre_fr(x):
    texte = f"{{x:,.6f}}".rstrip("0").rstrip(".")
    return texte.replace(",", "\u202f").replace(".", ",").replace("-", "−")


def _rapport(nom, unite=""):
    import math
    import os
    import sys

    from IPython.display import display

    defini = nom in globals()
    valeur = globals().get(nom, Ellipsis)
    nombre = None
    if not isinstance(valeur, (str, bool)) and valeur is not Ellipsis and valeur is not None:
        try:
            nombre = float(valeur)
        except Exception:
            nombre = None
        if nombre is not None and not math.isfinite(nombre):
            nombre = None
    texte = valeur if isinstance(valeur, str) else repr(valeur)
    if not defini:
        message = (f"Aucune réponse enregistrée : {{nom}} n'est pas défini. Exécutez sa cellule "
                   "de réponse (menu Exécution › Exécuter toutes les cellules).")
    elif valeur is Ellipsis or valeur is None:
        message = "Aucune réponse enregistrée : remplacez ... par votre " + (
            "lettre" if unite == "lettre" else "calcul")
    elif nombre is not None:
        suffixe = f"\u00a0{{unite}}" if unite in ("%", "€", "points") else ""
        message = f"Réponse enregistrée : {{_nombre_fr(nombre)}}{{suffixe}}"
    else:
        message = f"Réponse enregistrée : {{texte[:80]}}"
    display({{"{ANSWER_MIME}": {{"variable": nom, "defini": defini,
              "nombre": nombre, "texte": texte[:200]}}, "text/plain": message}}, raw=True)
    if os.environ.get("NBGRADER_VALIDATING") and message.startswith("Aucune"):
        import textwrap

        print(f"Question sans réponse ({{nom}}).", *textwrap.wrap(message, 70), sep="\\n", file=sys.stderr)


def _indice(shell, etype, valeur, tb, tb_offset=None):
    # IPython calls this for a NameError and shows nothing itself: the usual traceback
    # is shown with a French hint added at its end
    pile = shell.InteractiveTB.structured_traceback(etype, valeur, tb, tb_offset=tb_offset)
    nom = getattr(valeur, "name", None) or "?"
    pile = pile + [
        f"Indice : le nom « {{nom}} » est inconnu. Vérifiez son orthographe, exécutez d'abord "
        "les cellules du dessus (menu Exécution › Exécuter toutes les cellules), et mettez "
        'un texte entre guillemets ("...").'
    ]
    shell._showtraceback(etype, valeur, pile)
    return pile


try:
    get_ipython().set_custom_exc((NameError,), _indice)
except Exception:
    pass
'''

HELPER_METADATA = {"jupyter": {"source_hidden": True}, "collapsed": True}
"""JupyterLab folds the helper's source (`jupyter.source_hidden`); nbgrader ignores both keys."""


@dataclass(frozen=True)
class Slot:
    """Where one question lives in the notebook and how it is scored."""

    exercise: str
    question: str
    variable: str
    points: float
    kind: str = "number"
    """The question's kind; a `written` slot's graded cell is its markdown answer cell."""

    @property
    def written(self) -> bool:
        return self.kind == WRITTEN

    @property
    def key(self) -> str:
        """The question's name in the answer key and the grades CSV."""
        return f"{self.exercise}/{self.question}"

    @property
    def cell_id(self) -> str:
        """grade_id of the solution cell where the student answers."""
        return f"{self.exercise}-{self.question}"

    @property
    def report_id(self) -> str:
        """grade_id of the cell that carries the points (the answer cell itself when written)."""
        return self.cell_id if self.written else f"{self.cell_id}-verif"


def plan_slots(exercises: list[Exercise]) -> list[Slot]:
    """One slot per question; a variable already used by an earlier exercise gets a suffix."""
    used: set[str] = set().union(*(ex.given for ex in exercises))
    slots = []
    for number, ex in enumerate(exercises, start=1):
        for q in ex.questions:
            if q.written:  # a markdown answer: no Python variable
                slots.append(Slot(ex.id, q.id, "", q.points, WRITTEN))
                continue
            variable = q.variable
            if variable in used:
                variable = f"{q.variable}_ex{number}"
            used.add(variable)
            slots.append(Slot(ex.id, q.id, variable, q.points, q.kind))
    return slots


def _nbgrader(grade_id: str, *, solution: bool, grade: bool, locked: bool, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


def _role(role: str, **extra) -> dict:
    return {"mercatique": {"role": role, **extra}}


def answer_stub(q: Question, variable: str) -> str:
    if q.kind == "choice":
        return f'{variable} = ...  # remplacez ... par la lettre choisie, par ex. "A"'
    return f"{variable} = ...  # remplacez ... par votre calcul"


def report_source(variable: str, where: str = "", q: Question | None = None) -> str:
    """The locked report cell; its comment names the question, which Validate shows."""
    unit = "lettre" if q is not None and q.kind == "choice" else (q.unit if q is not None else "")
    argument = f', "{unit}"' if unit else ""
    label = f" de {where}" if where else ""
    return f'# Vérification{label} : ne modifiez pas cette cellule.\n_rapport("{variable}"{argument})'


ANSWER_TAGS = ["raises-exception"]
"""JupyterLab's Run All (and nbclient) go on past an answer cell that fails: the report
cell below then says what is missing, instead of the whole notebook stopping."""


def source_notebook(assignment: str, exercises: list[Exercise], slots: list[Slot]) -> nbformat.NotebookNode:
    """The nbgrader source notebook (per-student cells hold a placeholder)."""
    total = sum(s.points for s in slots)
    cells = [
        new_markdown_cell(
            typography.markdown(
            f"# Devoir « {assignment} »\n\n"
            f"Ce devoir compte {len(exercises)} exercice{'s' if len(exercises) > 1 else ''} "
            f"et {render.points_label(total)}. Vos données sont personnelles : "
            "vos camarades n'ont pas les mêmes nombres.\n\n"
            "**Comment répondre.** Dans chaque cellule de réponse, remplacez `...` par votre "
            "calcul ou votre réponse, puis exécutez toutes les cellules (menu "
            "**Exécution › Exécuter toutes les cellules**, ou **Noyau › Redémarrer le noyau et "
            "Exécuter toutes les cellules…** pour repartir de zéro). Sous chaque réponse, la "
            "cellule de vérification affiche ce qui sera transmis au correcteur (« Réponse "
            "enregistrée : … ») ; elle ne dit pas si c'est juste. Les nombres s'écrivent avec un "
            'point (`12.5`) ou entre guillemets à la française (`"12,5 %"`) ; une lettre de choix '
            's\'écrit `"C"` ou simplement `C`. Ne modifiez pas les cellules de vérification.\n\n'
            "Avant de rendre, sur le JupyterHub du lycée, le bouton **Validate** de la barre "
            "d'outils liste les questions encore sans réponse (le site d'entraînement JupyterLite "
            "n'a pas ce bouton : une question oubliée y affiche « Aucune réponse enregistrée » "
            "sous sa réponse). Si JupyterLab s'affiche en anglais, choisissez le français "
            "dans le menu **Settings › Language**."
            )
        ),
        new_markdown_cell(PLACEHOLDER, metadata=_role("header")),
        new_code_cell(
            HELPER_SOURCE,
            metadata={
                "nbgrader": _nbgrader(HELPER_ID, solution=False, grade=False, locked=True),
                **HELPER_METADATA,
            },
        ),
    ]
    by_exercise: dict[str, list[Slot]] = {}
    for slot in slots:
        by_exercise.setdefault(slot.exercise, []).append(slot)
    for ex_number, ex in enumerate(exercises, start=1):
        cells.append(new_markdown_cell(PLACEHOLDER, metadata=_role("statement", exercise=ex.id)))
        if ex.given:
            cells.append(new_code_cell(PLACEHOLDER_CODE, metadata=_role("given", exercise=ex.id)))
        for slot in by_exercise[ex.id]:
            q = next(q for q in ex.questions if q.id == slot.question)
            ids = {"exercise": ex.id, "question": q.id}
            cells.append(new_markdown_cell(PLACEHOLDER, metadata=_role("prompt", **ids)))
            if slot.written:
                cells.append(written_cell(q, slot))
                continue
            cells.append(
                new_code_cell(
                    answer_stub(q, slot.variable),
                    metadata={
                        "nbgrader": _nbgrader(slot.cell_id, solution=True, grade=False, locked=False),
                        "tags": list(ANSWER_TAGS),
                        **_role("answer", **ids),
                    },
                )
            )
            cells.append(
                new_code_cell(
                    report_source(
                        slot.variable,
                        f"l'exercice {ex_number}, question {ex.questions.index(q) + 1}",
                        q,
                    ),
                    metadata={
                        "nbgrader": _nbgrader(
                            slot.report_id, solution=False, grade=True, locked=True, points=slot.points
                        ),
                        **_role("report", **ids, variable=slot.variable),
                    },
                )
            )
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


WRITTEN_INSTRUCTION = (
    "**Votre réponse rédigée** (notée par votre enseignant) : double-cliquez sur cette cellule, "
    "remplacez la ligne en italique par votre réponse en quelques phrases, puis validez avec "
    "Maj+Entrée."
)
WRITTEN_STUB = "*Écrivez votre réponse ici.*"
"""nbgrader's ClearSolutions.text_stub for the assignment: what replaces the model answer
in the released notebook (set on generate_assignment's command line and in the course config)."""


def written_source(q: Question) -> str:
    """The source notebook's written answer: the French instruction, then the model answer
    and marking scheme as nbgrader's solution region, which generate_assignment replaces
    by WRITTEN_STUB (the teacher sees them in source/, the student never)."""
    rubric = "\n".join(f"- {render.points_label(c.points)} : {c.criterion}" for c in q.rubric)
    return (
        f"{WRITTEN_INSTRUCTION}\n\n### BEGIN SOLUTION\n"
        f"**Corrigé (éléments attendus)**\n\n{q.model_answer.strip()}\n\n"
        f"**Barème**\n\n{rubric}\n### END SOLUTION"
    )


def written_cell(q: Question, slot: Slot):
    """nbgrader's « manually graded answer »: a markdown cell, solution and grade, with points.

    It is left as released in each student's copy (its checksum tells nbgrader, at
    autograde, whether the student wrote anything: unchanged, it scores 0; changed, it
    waits for the teacher in the formgrader)."""
    ids = {"exercise": slot.exercise, "question": slot.question}
    return new_markdown_cell(
        written_source(q),
        metadata={
            "nbgrader": _nbgrader(slot.cell_id, solution=True, grade=True, locked=False, points=slot.points),
            **_role("written", **ids),
        },
    )


PLACEHOLDER_CODE = "# (Cette cellule est remplie dans le notebook de chaque élève.)"


def _cell_key(cell) -> tuple[str, str, str] | None:
    """Which per-student text a cell holds: (role, exercise, question), None for shared cells."""
    meta = cell.get("metadata", {}).get("mercatique", {})
    role = meta.get("role")
    if role in PERSONAL_ROLES:
        return (role, meta.get("exercise", ""), meta.get("question", ""))
    return None


PERSONAL_ROLES = ("header", "statement", "given", "answer", "prompt")


@lru_cache(maxsize=256)
def _french(text: str) -> str:
    """typography.markdown of a text the same for the whole class (kept for the next student)."""
    return typography.markdown(text)


@lru_cache(maxsize=256)
def _heading(number: int, title: str, points: float) -> str:
    """An exercise's title and points, the same for the whole class."""
    return f"{_french(f'## Exercice {number} : {title}')}\n\n*{render.points_label(points)}*"


def personal_texts(
    student: Student, variants: dict[str, Variant], exercises: list[Exercise], slots: list[Slot]
) -> dict[tuple[str, str, str], str]:
    """This student's texts, keyed like `_cell_key`: they need only the variants, not the
    released notebook, so `assign` computes them while nbgrader builds it."""
    variables = {(s.exercise, s.question): s.variable for s in slots}
    texts = {("header", "", ""): f"**Élève :** {student.full_name} (identifiant `{student.id}`)"}
    for number, ex in enumerate(exercises, start=1):
        variant = variants[ex.id]
        statement = f"{_heading(number, ex.title, ex.points)}\n\n{render.statement(variant)}"
        notice = spreadsheet_notice(variant)
        if notice:
            statement += f"\n\n{_french(notice)}"
        texts[("statement", ex.id, "")] = statement
        if ex.given:
            texts[("given", ex.id, "")] = render.given_code(variant)
        for q_number, q in enumerate(ex.questions, start=1):
            variable = variables.get((ex.id, q.id))
            if variable is None:
                continue
            if not q.written:  # a written answer cell stays as released (nbgrader's own stub)
                # nbgrader's release replaced the whole solution cell with its generic stub
                texts[("answer", ex.id, q.id)] = answer_stub(q, variable)
            texts[("prompt", ex.id, q.id)] = render.prompt(variant, q, q_number, variable)
    return texts


def personalise(
    released: nbformat.NotebookNode,
    student: Student,
    variants: dict[str, Variant],
    exercises: list[Exercise],
    slots: list[Slot],
) -> nbformat.NotebookNode:
    """A copy of nbgrader's released notebook with this student's texts and numbers."""
    nb = nbformat.from_dict(released)
    texts = personal_texts(student, variants, exercises, slots)
    for cell in nb.cells:
        key = _cell_key(cell)
        if key in texts:
            cell.source = texts[key]
    return nb


JSON_SETTINGS = {"indent": 1, "sort_keys": True, "separators": (",", ": "), "ensure_ascii": False}
"""nbformat's own (nbformat.v4.nbjson.JSONWriter)."""


class NotebookWriter:
    """The students' copies of one released notebook as text, byte for byte what
    `nbformat.writes(personalise(...))` gives, at a fraction of its cost.

    Only the sources of the per-student cells differ between students, so the notebook is
    put in nbformat's file form (lines split, transient keys dropped), validated and
    serialised once, with a marker in place of each of those sources; a copy is that text
    with the student's lines spliced in at the markers (Python's indented JSON encoder is
    slow, the one for a single string is not).
    """

    def __init__(self, released: nbformat.NotebookNode):
        base = nbformat.from_dict(released)
        try:  # what nbformat.writes checks (and only logs) for every copy
            nbformat.validate(base)
        except nbformat.ValidationError as exc:
            get_logger().error("Notebook JSON is invalid: %s", exc)
        base = strip_transient(split_lines(base))
        keys = [_cell_key(cell) for cell in base.cells]
        marks = {i: f"\x00mercatique-{i}\x00" for i, key in enumerate(keys) if key is not None}
        cells = [{**cell, "source": marks[i]} if i in marks else cell for i, cell in enumerate(base.cells)]
        text = json.dumps({**base, "cells": cells}, **JSON_SETTINGS)
        self._parts: list[str] = []
        self._slots: list[tuple[tuple[str, str, str], int, list[str]]] = []
        position = 0
        for i, mark in marks.items():
            quoted = json.dumps(mark)
            at = text.index(quoted, position)
            line = text[text.rfind("\n", 0, at) + 1 : at]
            self._parts.append(text[position:at])
            self._slots.append((keys[i], len(line) - len(line.lstrip(" ")), base.cells[i].source))
            position = at + len(quoted)
        self._parts.append(text[position:])

    def writes(self, texts: dict[tuple[str, str, str], str]) -> str:
        out = [self._parts[0]]
        for (key, indent, shared), part in zip(self._slots, self._parts[1:], strict=True):
            lines = texts[key].splitlines(True) if key in texts else shared
            out.append(_json_lines(lines, indent))
            out.append(part)
        return "".join(out)


def _json_lines(lines: list[str], indent: int) -> str:
    """A list of strings as json.dumps(..., indent=1) writes it at this depth."""
    if not lines:
        return "[]"
    inner = " " * (indent + 1)
    return "[\n" + ",\n".join(inner + encode_basestring(line) for line in lines) + "\n" + " " * indent + "]"
