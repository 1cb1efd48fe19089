"""The assignment notebook: one source for nbgrader, then one copy per student.

nbgrader overwrites locked cells with the source at autograde, so everything
that differs per student (name, statement, numbers, options) lives in cells
without nbgrader metadata, tagged `metadata.mercatique.role`. The locked cells
are identical for the whole class: the report helper and one report cell per
question, which only *transmit* the student's value (DESIGN.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from . import render, typography
from .catalogue import WRITTEN, Exercise, Question
from .roster import Student
from .spreadsheets import spreadsheet_notice
from .variants import Variant

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
            "s'écrit `\"C\"` ou simplement `C`. Ne modifiez pas les cellules de vérification.\n\n"
            "Avant de rendre, le bouton **Validate** de la barre d'outils liste les questions "
            "encore sans réponse. Si JupyterLab s'affiche en anglais, choisissez le français "
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


def personalise(
    released: nbformat.NotebookNode,
    student: Student,
    variants: dict[str, Variant],
    exercises: list[Exercise],
    slots: list[Slot],
) -> nbformat.NotebookNode:
    """A copy of nbgrader's released notebook with this student's texts and numbers."""
    nb = nbformat.from_dict(released)
    variables = {(s.exercise, s.question): s.variable for s in slots}
    numbers = {ex.id: n for n, ex in enumerate(exercises, start=1)}
    question_numbers: dict[tuple[str, str], int] = {}
    for ex in exercises:
        for n, q in enumerate(ex.questions, start=1):
            question_numbers[(ex.id, q.id)] = n
    for cell in nb.cells:
        meta = cell.metadata.get("mercatique", {})
        role = meta.get("role")
        if role == "header":
            cell.source = f"**Élève :** {student.full_name} (identifiant `{student.id}`)"
        elif role == "statement":
            variant = variants[meta["exercise"]]
            ex = variant.exercise
            heading = typography.markdown(f"## Exercice {numbers[ex.id]} : {ex.title}")
            notice = spreadsheet_notice(variant)
            cell.source = f"{heading}\n\n*{render.points_label(ex.points)}*\n\n{render.statement(variant)}"
            if notice:
                cell.source += f"\n\n{typography.markdown(notice)}"
        elif role == "given":
            cell.source = render.given_code(variants[meta["exercise"]])
        elif role == "answer":
            # nbgrader's release replaced the whole solution cell with its generic stub
            q = variants[meta["exercise"]].question(meta["question"])
            cell.source = answer_stub(q, variables[(meta["exercise"], q.id)])
        elif role == "prompt":
            variant = variants[meta["exercise"]]
            q = variant.question(meta["question"])
            number = question_numbers[(meta["exercise"], q.id)]
            cell.source = render.prompt(variant, q, number, variables[(meta["exercise"], q.id)])
    return nb
