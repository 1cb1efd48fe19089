"""One student's variant, seen through every output, shows the same numbers and answers.

The variant is a course student's (`mercatique assign` writes the real notebook and
answer key); the book self-check data and the Moodle XML and GIFT files are rendered for
that same Variant. kpi-nps is a number exercise (with a choice question on a drawn
note), concept-rgpd a choice exercise (drawn situations, shuffled options).
"""

from __future__ import annotations

import ast
import html
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import nbformat
import pandas as pd
import pytest

from generators.authoring import formatting
from generators.authoring.catalogue import find_exercise
from generators.authoring.expressions import render_text
from generators.authoring.variants import Variant, student_variant
from generators.book.selfcheck import variant_data
from generators.classroom.assign import read_answer_key
from generators.classroom.course import Course, open_course
from generators.outputs.moodle_quiz import gift_from_variants, moodle_xml_from_variants
from generators.outputs.worksheet import course_sheets
from tests.helpers import new_course
from tests.test_moodle import cloze_parts, gift_questions

pytestmark = pytest.mark.slow  # runs `mercatique assign`, hence nbgrader

A = "devoir-1"
EXERCISES = ["kpi-nps", "concept-rgpd"]
STUDENT_INDEX = 1  # the second student of the class list


@dataclass
class Seen:
    """What one output shows of the variant; None where the output does not carry it."""

    text: str | None = None
    """Everything a reader sees (statements, prompts), HTML and escapes undone."""
    answers: dict[tuple[str, str], Any] = field(default_factory=dict)
    """(exercise, question) -> right answer: a float, or a letter."""
    options: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    """(exercise, question) -> the choice options as (letter, text), in order."""


def plain(text: str) -> str:
    return html.unescape(text).replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    return open_course(new_course(tmp_path_factory.mktemp("same-variant"), 3, {A: EXERCISES}))


@pytest.fixture(scope="module")
def student(course) -> str:
    key = read_answer_key(course.exports / f"{A}_answer_key.csv")
    return sorted({row["student_id"] for row in key})[STUDENT_INDEX]


@pytest.fixture(scope="module")
def variants(course, student) -> dict[str, Variant]:
    return {e: student_variant(find_exercise(e), course.secret, A, student) for e in EXERCISES}


# --- one reader per output --------------------------------------------------------------


def read_notebook(course: Course, student: str, variants) -> Seen:
    nb = nbformat.read(course.per_student_notebook(student, A), as_version=4)
    seen = Seen(text=plain("\n".join(c.source for c in nb.cells)))
    for cell in nb.cells:
        meta = cell.metadata.get("mercatique", {})
        if meta.get("role") == "prompt":
            found = re.findall(r"^- \*\*([A-Z])\.\*\* (.*)$", cell.source, re.M)
            if found:
                seen.options[(meta["exercise"], meta["question"])] = [(k, plain(t)) for k, t in found]
    return seen


def read_answer_key_csv(course: Course, student: str, variants) -> Seen:
    seen = Seen()
    for row in read_answer_key(course.exports / f"{A}_answer_key.csv"):
        if row["student_id"] == student:
            exercise, question = row["question"].split("/")
            seen.answers[(exercise, question)] = ast.literal_eval(row["expected"])
    return seen


def read_self_check(course: Course, student: str, variants) -> Seen:
    seen = Seen(text="")
    for exercise, variant in variants.items():
        data = json.loads(json.dumps(variant_data(variant), ensure_ascii=False))  # as the page embeds it
        seen.text += plain(data["statement"] + "".join(q["prompt"] for q in data["questions"]))
        for q in data["questions"]:
            seen.answers[(exercise, q["id"])] = q["answer"]
            if q["kind"] == "choice":
                seen.options[(exercise, q["id"])] = [(o["letter"], plain(o["text"])) for o in q["options"]]
    return seen


def read_moodle_xml(course: Course, student: str, variants) -> Seen:
    root = ET.fromstring(moodle_xml_from_variants([[v] for v in variants.values()]).encode("utf-8"))
    items = [q for q in root.findall("question") if q.get("type") != "category"]
    seen = Seen(text="")
    for (exercise, variant), item in zip(variants.items(), items, strict=True):
        text = item.find("questiontext/text").text
        seen.text += plain(text)
        for q, part in zip(variant.exercise.questions, cloze_parts(text), strict=True):
            right = next(a for a in part["answers"] if a["fraction"] == 1.0)
            if q.kind == "number":
                seen.answers[(exercise, q.id)] = right["value"]
            else:
                seen.answers[(exercise, q.id)] = right["text"].split(".")[0]
                seen.options[(exercise, q.id)] = [
                    tuple(plain(a["text"]).split(". ", 1)) for a in part["answers"]
                ]
    return seen


def read_moodle_xml_separate(course: Course, student: str, variants) -> Seen:
    xml_text = moodle_xml_from_variants([[v] for v in variants.values()], separate=True)
    items = [
        q for q in ET.fromstring(xml_text.encode("utf-8")).findall("question") if q.get("type") != "category"
    ]
    order = [(e, q) for e, v in variants.items() for q in v.exercise.questions]
    seen = Seen(text="")
    for (exercise, q), item in zip(order, items, strict=True):
        seen.text += plain(item.find("questiontext/text").text)
        answers = item.findall("answer")
        if q.kind == "number":
            assert answers[0].get("fraction") == "100"
            seen.answers[(exercise, q.id)] = float(answers[0].find("text").text)
        else:  # numbered ABCD by Moodle, in the file's order
            letters = "ABCDEFGHIJ"
            seen.answers[(exercise, q.id)] = next(
                letters[i] for i, a in enumerate(answers) if a.get("fraction") == "100"
            )
            seen.options[(exercise, q.id)] = [
                (letters[i], plain(a.find("text").text)) for i, a in enumerate(answers)
            ]
    return seen


def read_gift(course: Course, student: str, variants) -> Seen:
    items = gift_questions(gift_from_variants([[v] for v in variants.values()]))
    order = [(e, q) for e, v in variants.items() for q in v.exercise.questions]
    seen = Seen(text="")
    for (exercise, q), item in zip(order, items, strict=True):
        seen.text += plain(item["text"])
        right = next(a for a in item["answers"] if a["fraction"] == 1.0)
        if q.kind == "number":
            seen.answers[(exercise, q.id)] = right["value"]
        else:  # GIFT has no letters: the right option's text names it
            options = variants[exercise].options[q.id]
            text = plain(right["text"])
            seen.answers[(exercise, q.id)] = next(o.letter for o in options if plain(o.text) == text)
    return seen


@cache
def _worksheets(course: Course):
    return course_sheets(course, A)


def worksheet_text(course: Course, student: str) -> str | None:
    """The text of this student's printable worksheet (`mercatique sheet COURS DEVOIR`),
    as `pdftotext` reads their PDF."""
    pdf = next(p for p in _worksheets(course).students if f"({student})" in p.name)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(plain(text).split())  # the page's line breaks are not the prompt's


def read_worksheet(course: Course, student: str, variants) -> Seen:
    text = worksheet_text(course, student)
    if text is None:
        pytest.skip("la fiche imprimable (mercatique sheet) n'est pas sur cette branche")
    return Seen(text=plain(text))


READERS = {
    "notebook": read_notebook,
    "corrigé CSV": read_answer_key_csv,
    "auto-évaluation du livre": read_self_check,
    "Moodle XML": read_moodle_xml,
    "Moodle XML, questions séparées": read_moodle_xml_separate,
    "GIFT": read_gift,
    "fiche imprimable": read_worksheet,
}


# --- what every output must agree on ---------------------------------------------------


def statement_numbers(variant: Variant) -> list[str]:
    """The drawn numbers a reader sees, written the French way."""
    return [
        formatting.number(variant.params[name])
        for name in variant.exercise.given
        if not isinstance(variant.params[name], pd.DataFrame)
    ]


def drawn_prompts(variant: Variant) -> list[str]:
    """Prompts with drawn parts (the note, the RGPD situation), as rendered for this variant."""
    return [
        plain(render_text(q.prompt, variant.context).strip())
        for q in variant.exercise.questions
        if "{{" in q.prompt
    ]


@pytest.mark.parametrize("output", list(READERS))
def test_every_output_shows_the_same_variant(output, course, student, variants):
    seen = READERS[output](course, student, variants)
    checked = 0
    if seen.text is not None:
        for variant in variants.values():
            for number in statement_numbers(variant):
                assert plain(number) in seen.text, (output, number)
                checked += 1
            for prompt in drawn_prompts(variant):
                assert prompt in seen.text, (output, prompt)
                checked += 1
    for (exercise, question), answer in seen.answers.items():
        expected = variants[exercise].answers[question]
        if isinstance(expected, str):
            assert answer == expected, (output, exercise, question)
        else:
            assert answer == pytest.approx(expected, abs=1e-9), (output, exercise, question)
        checked += 1
    for (exercise, question), options in seen.options.items():
        drawn = [(o.letter, plain(o.text)) for o in variants[exercise].options[question]]
        assert options == drawn, (output, exercise, question)
        checked += 1
    assert checked >= 5, f"{output} : trop peu de points comparés ({checked})"


def test_the_outputs_cover_every_question(course, student, variants):
    """The answer-bearing outputs name every question of both exercises."""
    every = {(e, q.id) for e, v in variants.items() for q in v.exercise.questions}
    for output in (
        "corrigé CSV",
        "auto-évaluation du livre",
        "Moodle XML",
        "Moodle XML, questions séparées",
        "GIFT",
    ):
        assert set(READERS[output](course, student, variants).answers) == every, output
    choices = {(e, q.id) for e, v in variants.items() for q in v.exercise.questions if q.kind == "choice"}
    assert set(read_notebook(course, student, variants).options) == choices
