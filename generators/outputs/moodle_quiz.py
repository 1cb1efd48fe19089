"""Moodle quizzes from the exercise templates: Moodle XML for the question bank, and GIFT.

What a teacher imports. One category per exercise, `$course$/top/Mercatique/<title>`,
holding N variants; variant k is `preview_variant(exercise, first_seed + k - 1)`, so with
the default seeds 1..N variant k is the book self-check's variant of seed k. A quiz then
takes one « question aléatoire » from the category: each student draws one variant.

Why a variant is one `cloze` (multianswer) question. Every exercise of the catalogue asks
several questions on one set of numbers, and a choice question often judges a number of
the same variant (is this ROI worth it?). One Moodle question per exercise
question would split the exercise: a random draw from the category could not bring a
whole variant, and the statement would be repeated. A cloze question keeps the exercise
whole: the statement once, then each question with its blank, a NUMERICAL sub-question
(right answer `=` with the exercise's absolute tolerance, each typical mistake `%0%`
with its French explanation, a catch-all `*` with a hint) or a MULTICHOICE_V one
(options in the variant's order, lettered as in the notebook, each with its
explanation), weighted by the question's points, and the worked solution as general
feedback. What cloze gives up: Moodle units (the unit is printed after the blank and the
student types the number alone). An exercise with a single question becomes a plain
`numerical` question (with `<units>`) or a `multichoice` one; so does every question of
an exercise with `separate` (`--questions-separees`), one sub-category per question, for
a teacher who wants Moodle's units or one question per quiz slot (the statement is then
repeated, and each slot draws its own variant).

A documentary case study's written questions (« Justifiez », « Analysez ») are Moodle
`essay` questions, marked by the teacher, whose grader information is the model answer
and the marking scheme; cloze cannot hold an essay, so such an exercise always takes the
`separate` layout.

GIFT cannot express cloze, so GIFT always takes the `separate` layout; GIFT carries no
file, so case studies are refused with a French message (use the XML format).
"""

from __future__ import annotations

import base64
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pandas as pd

from generators.authoring import render, typography
from generators.authoring.catalogue import Exercise, Question, find_exercise
from generators.authoring.expressions import render_text
from generators.authoring.variants import Variant, preview_variant
from generators.book.selfcheck import to_html
from generators.errors import MercatiqueError
from generators.outputs.spreadsheets import tables

CATEGORY_ROOT = "$course$/top/Mercatique"
PENALTY = "0.3333333"
FORMATS = ("xml", "gift")

CATCH_ALL_HINT = (
    "Ce n'est pas le résultat attendu. Reprenez la définition de l'indicateur, vérifiez "
    "les données utilisées et l'ordre de la division."
)
ANSWER_INSTRUCTIONS = {
    "%": "Réponse en % : écrivez le nombre seul, par exemple 12,5 pour 12,5 %.",
    "€": "Réponse en euros : écrivez le nombre seul, sans le symbole €.",
    "points": "Réponse en points : écrivez le nombre seul.",
    "": "Écrivez le nombre seul.",
}


@dataclass(frozen=True)
class QuizOptions:
    variants: int = 10
    first_seed: int = 1
    separate: bool = False
    """XML: one standard Moodle question per exercise question instead of one cloze per variant."""


def quiz_variants(exercise: Exercise, options: QuizOptions) -> list[Variant]:
    """The variants a quiz carries, in order; French errors for a count below 1."""
    if options.variants < 1:
        raise MercatiqueError("le nombre de variantes doit être au moins 1 (option --variantes)")
    if options.first_seed < 1:
        raise MercatiqueError("la première graine doit être au moins 1 (option --graine)")
    return [preview_variant(exercise, options.first_seed + k) for k in range(options.variants)]


def category_path(exercise: Exercise, *sub: str) -> str:
    """Moodle's category path; a `/` inside a name is written `//` (format.php's escape)."""
    names = [exercise.title, *sub]
    return "/".join([CATEGORY_ROOT, *(n.replace("/", "//") for n in names)])


def question_name(exercise: Exercise, number: int, total: int) -> str:
    width = max(2, len(str(total)))
    return f"{exercise.title} (variante {number:0{width}d})"


def plain_number(value: float) -> str:
    """A number as Moodle's importer reads it: a dot, no exponent, no grouping."""
    text = f"{float(value):.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def dataset_csv(table: pd.DataFrame) -> str:
    """The exact CSV the notebook reads (same call as render.given_code)."""
    return table.to_csv(index=False, lineterminator="\n")


# --- texts shared by the outputs -------------------------------------------------------


def _statement_html(variant: Variant) -> str:
    parts = [to_html(render.statement(variant))]
    for name, table in tables(variant).items():
        parts.append(
            f'<p>Le tableau complet est joint : <a href="@@PLUGINFILE@@/{name}.csv">{name}.csv</a> '
            f"({len(table)} lignes, à ouvrir avec pandas ou un tableur).</p>"
        )
    return "\n".join(parts)


def _prompt_html(variant: Variant, q: Question, number: int | None) -> str:
    text = to_html(render_text(q.prompt, variant.context).strip())
    if number is None:
        return text
    label = f"<strong>Question {number}</strong> ({render.points_label(q.points)}) : "
    return re.sub(r"^<p>", "<p>" + label, text, count=1) if text.startswith("<p>") else label + text


def _solution_html(variant: Variant) -> str:
    return to_html(render.solution(variant))


def _right_feedback(variant: Variant, q: Question) -> str:
    return f"Bravo : {render.expected_text(variant, q)}."


def _option_feedback(option) -> str:
    if option.correct:
        return "Bonne réponse." + (f" {option.explanation}" if option.explanation else "")
    return option.explanation or "Ce n'est pas la bonne réponse."


def _html(text: str) -> str:
    """Plain text (an explanation, an option) inside an HTML field."""
    return html.escape(text, quote=False)


# --- Moodle XML ------------------------------------------------------------------------


class _CData(str):
    """Text written inside <![CDATA[...]]> by `_serialize`."""


def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = "html", cdata: bool = True):
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    text = ET.SubElement(element, "text")
    text.text = _CData(value) if cdata and value else value
    return element


def _simple(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = value
    return element


def _category(path: str) -> ET.Element:
    question = ET.Element("question", {"type": "category"})
    category = ET.SubElement(question, "category")
    ET.SubElement(category, "text").text = path
    _text(question, "info", "", cdata=False)
    return question


def _header(
    question: ET.Element, name: str, text_html: str, variant: Variant, grade: float | None
) -> ET.Element:
    name_element = ET.SubElement(question, "name")
    ET.SubElement(name_element, "text").text = name
    questiontext = _text(question, "questiontext", typography.html(text_html))
    for table_name, table in tables(variant).items():
        file = ET.SubElement(
            questiontext, "file", {"name": f"{table_name}.csv", "path": "/", "encoding": "base64"}
        )
        file.text = base64.b64encode(dataset_csv(table).encode("utf-8")).decode("ascii")
    _text(question, "generalfeedback", typography.html(_solution_html(variant)))
    if grade is not None:  # a cloze question's grade is the sum of its blanks' weights
        _simple(question, "defaultgrade", plain_number(grade))
    _simple(question, "penalty", PENALTY)
    _simple(question, "hidden", "0")
    return question


def _tags(question: ET.Element, exercise: Exercise) -> None:
    if not exercise.tags:
        return
    tags = ET.SubElement(question, "tags")
    for tag in exercise.tags:
        ET.SubElement(ET.SubElement(tags, "tag"), "text").text = tag


def _answer(parent, fraction: int, text: str, feedback: str, tolerance: str | None = None, fmt="plain_text"):
    answer = ET.SubElement(parent, "answer", {"fraction": str(fraction), "format": fmt})
    ET.SubElement(answer, "text").text = _CData(typography.text(text)) if fmt == "html" else text
    _text(answer, "feedback", typography.text(_html(feedback)))
    if tolerance is not None:
        _simple(answer, "tolerance", tolerance)
    return answer


def numerical_question(variant: Variant, q: Question, name: str, text_html: str) -> ET.Element:
    """A Moodle `numerical` question: right answer, typical mistakes, catch-all, units."""
    question = ET.Element("question", {"type": "numerical"})
    _header(question, name, text_html, variant, q.points)
    tolerance = plain_number(q.abs_tolerance)
    _answer(question, 100, plain_number(variant.answers[q.id]), _right_feedback(variant, q), tolerance)
    for diagnosis in variant.diagnoses[q.id]:
        _answer(question, 0, plain_number(diagnosis.value), diagnosis.explanation, tolerance)
    _answer(question, 0, "*", CATCH_ALL_HINT, "0")
    if q.unit:
        unit = ET.SubElement(ET.SubElement(question, "units"), "unit")
        _simple(unit, "multiplier", "1")
        _simple(unit, "unit_name", q.unit)
    # units optional and not graded: « 12,5 » and « 12,5 % » are both right
    _simple(question, "unitgradingtype", "0")
    _simple(question, "unitpenalty", "0.1")
    _simple(question, "showunits", "0" if q.unit else "3")  # 0: unit typed, optional; 3: no unit
    _simple(question, "unitsleft", "0")
    _tags(question, variant.exercise)
    return question


def multichoice_question(variant: Variant, q: Question, name: str, text_html: str) -> ET.Element:
    """A single-answer `multichoice` question; options keep the variant's order and letters."""
    question = ET.Element("question", {"type": "multichoice"})
    _header(question, name, text_html, variant, q.points)
    _simple(question, "single", "true")
    _simple(question, "shuffleanswers", "false")  # letters A, B, C… as in the notebook and the key
    _simple(question, "answernumbering", "ABCD")
    _simple(question, "showstandardinstruction", "0")
    _text(question, "correctfeedback", "Votre réponse est correcte.")
    _text(question, "partiallycorrectfeedback", "Votre réponse est partiellement correcte.")
    _text(question, "incorrectfeedback", "Votre réponse est incorrecte.")
    for option in variant.options[q.id]:
        fraction = 100 if option.correct else 0
        _answer(question, fraction, _html(option.text), _option_feedback(option), fmt="html")
    _tags(question, variant.exercise)
    return question


def essay_question(variant: Variant, q: Question, name: str, text_html: str) -> ET.Element:
    """A written answer: an `essay` question the teacher marks, the model answer and the
    marking scheme shown to the grader only (`graderinfo`), never to the student."""
    question = ET.Element("question", {"type": "essay"})
    _header(question, name, text_html, variant, q.points)
    _simple(question, "responseformat", "editor")
    _simple(question, "responserequired", "1")
    _simple(question, "responsefieldlines", "12")
    _simple(question, "attachments", "0")
    _simple(question, "attachmentsrequired", "0")
    grader = render.model_answer(variant, q) + "\n\n**Barème**\n\n" + "\n".join(render.rubric_lines(q))
    _text(question, "graderinfo", to_html(grader))
    _text(question, "responsetemplate", "", cdata=False)
    _tags(question, variant.exercise)
    return question


_CLOZE_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "~": "&#126;", "}": "&#125;", "{": "&#123;",
                  "#": "&#35;", '"': "&quot;"}  # fmt: skip


def cloze_escape(text: str) -> str:
    """Text for a cloze answer or feedback: the importer splits on ~ # } and then decodes
    HTML entities (qtype_multianswer_extract_question), so those become entities."""
    return "".join(_CLOZE_ESCAPES.get(c, c) for c in text)


def _weights(exercise: Exercise) -> dict[str, int]:
    """Cloze weights are whole numbers: points scaled by the smallest factor that makes them so."""
    for factor in (1, 2, 4, 10, 100):
        scaled = [q.points * factor for q in exercise.questions]
        if all(abs(s - round(s)) < 1e-9 for s in scaled):
            return {q.id: int(round(s)) for q, s in zip(exercise.questions, scaled, strict=True)}
    raise MercatiqueError(f"{exercise.id} : barème impossible à traduire en poids Moodle entiers")


def cloze_numerical(variant: Variant, q: Question, weight: int) -> str:
    tolerance = plain_number(q.abs_tolerance)
    parts = [
        f"={plain_number(variant.answers[q.id])}:{tolerance}#{cloze_escape(_right_feedback(variant, q))}"
    ]
    for d in variant.diagnoses[q.id]:
        parts.append(f"%0%{plain_number(d.value)}:{tolerance}#{cloze_escape(d.explanation)}")
    parts.append(f"%0%*#{cloze_escape(CATCH_ALL_HINT)}")
    return f"{{{weight}:NUMERICAL:" + "~".join(parts) + "}"


def cloze_multichoice(variant: Variant, q: Question, weight: int) -> str:
    parts = []
    for o in variant.options[q.id]:
        mark = "=" if o.correct else "%0%"
        parts.append(f"{mark}{cloze_escape(f'{o.letter}. {o.text}')}#{cloze_escape(_option_feedback(o))}")
    return f"{{{weight}:MULTICHOICE_V:" + "~".join(parts) + "}"


def cloze_question(variant: Variant, name: str) -> ET.Element:
    """One variant of a multi-question exercise as one `cloze` question (see module docstring)."""
    exercise = variant.exercise
    weights = _weights(exercise)
    blocks = [_statement_html(variant)]
    for number, q in enumerate(exercise.questions, start=1):
        blocks.append(_prompt_html(variant, q, number))
        if q.kind == "number":
            blank = cloze_numerical(variant, q, weights[q.id]) + (f" {q.unit}" if q.unit else "")
            blocks.append(f"<p>Réponse : {blank}<br><small>{ANSWER_INSTRUCTIONS[q.unit]}</small></p>")
        else:
            blocks.append(f"<div>{cloze_multichoice(variant, q, weights[q.id])}</div>")
    question = ET.Element("question", {"type": "cloze"})
    _header(question, name, "\n".join(blocks), variant, None)
    _tags(question, exercise)
    return question


def plain_question(variant: Variant, q: Question, name: str) -> ET.Element:
    """One exercise question as a standard Moodle question: the statement, then its prompt."""
    text_html = _statement_html(variant) + "\n" + _prompt_html(variant, q, None)
    if q.kind == "number":
        instructions = f"<p><small>{ANSWER_INSTRUCTIONS[q.unit]}</small></p>"
        return numerical_question(variant, q, name, text_html + instructions)
    if q.written:
        return essay_question(variant, q, name, text_html)
    return multichoice_question(variant, q, name, text_html)


def variant_questions(variant: Variant, number: int, total: int) -> ET.Element:
    """The Moodle question of one variant: cloze, or a plain question for a one-question exercise."""
    exercise = variant.exercise
    name = question_name(exercise, number, total)
    if len(exercise.questions) > 1:
        return cloze_question(variant, name)
    return plain_question(variant, exercise.questions[0], name)


def _serialize(root: ET.Element) -> str:
    """ElementTree has no CDATA: mark CDATA texts, serialise, then unescape them."""
    marks: list[str] = []

    def mark(element: ET.Element) -> None:
        if isinstance(element.text, _CData):
            marks.append(str(element.text))
            element.text = f"\x00CDATA{len(marks) - 1}\x00"
        for child in element:
            mark(child)

    mark(root)
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode")

    def cdata(match: re.Match) -> str:
        value = marks[int(match.group(1))]
        return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"

    return '<?xml version="1.0" encoding="UTF-8"?>\n' + re.sub("\x00CDATA([0-9]+)\x00", cdata, text) + "\n"


def has_written(exercise: Exercise) -> bool:
    return any(q.written for q in exercise.questions)


def moodle_xml_from_variants(groups: list[list[Variant]], separate: bool = False) -> str:
    """Moodle XML for given variants, one category per group (all of one exercise).

    `separate`: one standard question per exercise question (numerical with units,
    multichoice), in one sub-category per question, instead of one cloze per variant.
    """
    quiz = ET.Element("quiz")
    for variants in groups:
        exercise = variants[0].exercise
        if not (separate or has_written(exercise)) or len(exercise.questions) == 1:
            quiz.append(_category(category_path(exercise)))
            for number, variant in enumerate(variants, start=1):
                quiz.append(variant_questions(variant, number, len(variants)))
            continue
        for index, q in enumerate(exercise.questions, start=1):
            quiz.append(_category(category_path(exercise, f"Question {index}")))
            for number, variant in enumerate(variants, start=1):
                name = f"{question_name(exercise, number, len(variants))} - question {index}"
                quiz.append(plain_question(variant, q, name))
    return _serialize(quiz)


def moodle_xml(exercises: list[Exercise], options: QuizOptions) -> str:
    """The Moodle XML file (Banque de questions > Importer > Format XML Moodle)."""
    return moodle_xml_from_variants([quiz_variants(ex, options) for ex in exercises], options.separate)


# --- GIFT ------------------------------------------------------------------------------

_GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")


def gift_escape(text: str) -> str:
    """GIFT's special characters ~ = # { } : (and the backslash) escaped; one line."""
    one_line = re.sub(r"[ \t\r]*\n[ \t\r]*", " ", typography.html(text)).strip()
    return _GIFT_SPECIAL.sub(r"\\\1", one_line)


def _gift_question(variant: Variant, q: Question, number: int, total: int) -> str:
    exercise = variant.exercise
    name = f"{question_name(exercise, number, total)} - question {exercise.questions.index(q) + 1}"
    text = _statement_html(variant) + " " + _prompt_html(variant, q, None)
    if q.kind == "number":
        text += f"<p>{ANSWER_INSTRUCTIONS[q.unit]}</p>"
        tolerance = plain_number(q.abs_tolerance)
        right = plain_number(variant.answers[q.id])
        answers = [f"=%100%{right}:{tolerance}#{gift_escape(_html(_right_feedback(variant, q)))}"]
        answers += [
            f"=%0%{plain_number(d.value)}:{tolerance}#{gift_escape(_html(d.explanation))}"
            for d in variant.diagnoses[q.id]
        ]
        answers.append(f"~#{gift_escape(CATCH_ALL_HINT)}")  # Moodle's GIFT reader: the `*` answer
        body = "{#\n    " + "\n    ".join(answers)
    else:
        answers = [
            ("=" if o.correct else "~")
            + f"{gift_escape(_html(o.text))}#{gift_escape(_html(_option_feedback(o)))}"
            for o in variant.options[q.id]
        ]
        body = "{\n    " + "\n    ".join(answers)
    body += f"\n    ####{gift_escape(_solution_html(variant))}\n}}"
    return f"::{gift_escape(name)}::[html]{gift_escape(text)}{body}"


def gift_from_variants(groups: list[list[Variant]]) -> str:
    """GIFT for given variants (one group per exercise): one question per exercise question."""
    blocks = ["// Quiz Mercatique (format GIFT), à importer dans la banque de questions de Moodle"]
    for variants in groups:
        exercise = variants[0].exercise
        if any(tables(v) for v in variants):
            raise MercatiqueError(
                f"« {exercise.id} » est une étude de cas avec un fichier de données : le format GIFT "
                "ne transporte pas de fichier. Utilisez --format xml."
            )
        for index, q in enumerate(exercise.questions, start=1):
            blocks.append(f"$CATEGORY: {category_path(exercise, f'Question {index}')}")
            for number, variant in enumerate(variants, start=1):
                blocks.append(_gift_question(variant, q, number, len(variants)))
    return "\n\n".join(blocks) + "\n"


def gift(exercises: list[Exercise], options: QuizOptions) -> str:
    """The same quiz in GIFT (GIFT has no cloze, see the module docstring)."""
    return gift_from_variants([quiz_variants(ex, options) for ex in exercises])


def build_quiz(exercise_ids: list[str], options: QuizOptions, fmt: str = "xml") -> str:
    """The quiz text for these exercise ids, in the chosen format."""
    if not exercise_ids:
        raise MercatiqueError("indiquez au moins un exercice (mercatique list montre le catalogue)")
    if fmt not in FORMATS:
        raise MercatiqueError(f"format « {fmt} » inconnu (possibles : {', '.join(FORMATS)})")
    if options.variants < 1:
        raise MercatiqueError("le nombre de variantes doit être au moins 1 (option --variantes)")
    exercises = [find_exercise(i) for i in dict.fromkeys(exercise_ids)]
    return moodle_xml(exercises, options) if fmt == "xml" else gift(exercises, options)
