"""One reading of a typed answer, two implementations: the book's self-checks (JavaScript,
in Chromium) and the graded notebook's verdicts (Python) read the same hand-written table,
tests/data/answer_readings.json, and must both give what a French reader means; so does
the practice site's check cell, which runs the grader's reading in the browser's kernel."""

from __future__ import annotations

import contextlib
import io
import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from generators.authoring import formatting, render
from generators.authoring.catalogue import find_exercise, load_catalogue
from generators.authoring.reading import MIXED, NOT_A_NUMBER, contradicts, read_answer, unit_message
from generators.authoring.variants import student_variant
from generators.book import lite
from generators.book.build import PROJECT_ROOT
from generators.grading.verdicts import CORRECT, INVALID, WRONG, judge

TABLE = json.loads((Path(__file__).parent / "data" / "answer_readings.json").read_text("utf-8"))["cases"]
SELFCHECK_JS = PROJECT_ROOT / "generators" / "book" / "static" / "selfcheck.js"
EX = find_exercise("fnac-campagne-emailing")
V = student_variant(EX, "secret", "devoir-1", "eleve001")
CPL = V.question("cpl")
# written by hand from the issue: what the book already says, what the notebook must say
PERCENT_FOR_EUROS = (
    "Unité incohérente : vous avez écrit un pourcentage, la réponse attendue est en euros (€)."
)
MIXED_WORDS = "sans point entre les milliers, avec une virgule pour les décimales"


def case_id(case: dict) -> str:
    return f"{case['text']!r}→{case['question_unit'] or 'sans'}"


@pytest.mark.parametrize("case", TABLE, ids=case_id)
def test_the_python_reader_reads_the_table(case):
    reading = read_answer(case["text"])
    refusal = case.get("refusal")
    if refusal in (NOT_A_NUMBER, MIXED):
        assert (reading.value, reading.refusal) == (None, refusal)
        assert formatting.parse_number(case["text"]) is None
        return
    assert reading.refusal is None
    assert reading.value == pytest.approx(case["value"])
    assert reading.unit == case["typed_unit"]
    assert contradicts(reading.unit, case["question_unit"]) == (refusal == "unit")
    assert formatting.parse_number(case["text"]) == pytest.approx(case["value"])


def graded(case: dict):
    """The grader's verdict on the case's text, for a question asked in the case's unit
    whose right answer is the number written (when there is one)."""
    question = replace(CPL, unit=case["question_unit"])
    answers = {**V.answers, CPL.id: case.get("value", 1.0)}
    variant = replace(V, answers=answers, diagnoses={**V.diagnoses, CPL.id: ()})
    report = {"variable": CPL.variable, "defini": True, "nombre": None, "texte": case["text"]}
    return judge(variant, question, report)


@pytest.mark.parametrize("case", TABLE, ids=case_id)
def test_the_grader_judges_the_table_as_the_book_does(case):
    verdict = graded(case)
    refusal = case.get("refusal")
    if refusal is None:
        assert (verdict.status, verdict.points) == (CORRECT, CPL.points)
    elif refusal == "unit":  # the right number in another unit: wrong, and said why
        assert (verdict.status, verdict.points) == (WRONG, 0)
        assert verdict.message.startswith("Unité incohérente : vous avez écrit ")
        assert verdict.answer == case["text"][:80]
    elif refusal == "mixed":
        assert (verdict.status, verdict.points) == (INVALID, 0)
        assert MIXED_WORDS in verdict.message
    else:
        assert (verdict.status, verdict.points) == (INVALID, 0)
        assert "écrivez un nombre" in verdict.message


def test_a_percentage_for_euros_is_explained_in_the_book_s_words():
    verdict = graded({"text": "12,5 %", "question_unit": "€", "value": 12.5})
    assert verdict.message == PERCENT_FOR_EUROS
    assert unit_message("%", "€") == PERCENT_FOR_EUROS


@pytest.fixture(scope="module")
def practice_check():
    """The practice notebook's hidden check cell, run as plain Python."""
    namespace: dict = {}
    exec(lite.check_helper(), namespace)
    return namespace


@pytest.mark.parametrize("case", TABLE, ids=case_id)
def test_the_practice_check_judges_the_table_as_the_book_does(practice_check, case):
    practice_check["reponse"] = case["text"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        practice_check["_verifier"]("reponse", case.get("value", 1.0), 1e-9, (), case["question_unit"])
    said = out.getvalue()
    expected = {
        None: "Juste",
        "unit": "Unité incohérente\u00a0: vous avez écrit ",
        "mixed": f"Écrivez le nombre {MIXED_WORDS}",
        "not-a-number": "Écrivez un nombre",
    }[case.get("refusal")]
    assert said.startswith(expected), said


@pytest.fixture(scope="module")
def book_reader(chromium):
    """A blank page running the book's selfcheck.js (no book build needed)."""
    page = chromium.new_page()
    page.set_content("<!doctype html><html lang='fr'><body></body></html>")
    page.add_script_tag(path=str(SELFCHECK_JS))
    yield page
    page.close()


def test_the_book_reads_the_table(book_reader):
    """Every case at once, in the page: one round trip, then one comparison per case."""
    found = book_reader.evaluate(
        """cases => cases.map(c => {
            const question = {kind: "number", unit: c.question_unit, answer: c.value ?? 1,
                              tolerance: 1e-9, expected: "x", mistakes: [], near: []};
            return {read: window.mercatiqueReadAnswer(c.text),
                    judged: window.mercatiqueJudge(question, c.text, {})};
        })""",
        TABLE,
    )
    wrong = []
    for case, got in zip(TABLE, found, strict=True):
        read, judged = got["read"], got["judged"]
        refusal = case.get("refusal")
        if refusal == "not-a-number":
            ok = read is None and judged["message"].startswith("Écrivez un nombre")
        elif refusal == "mixed":
            ok = read == {"error": "mixed"} and MIXED_WORDS in judged["message"]
        else:
            ok = (
                read is not None
                and read.get("value") == pytest.approx(case["value"])
                and read.get("unit") == case["typed_unit"]
            )
            if refusal == "unit":  # same words as the grader's feedback
                ok = ok and judged["message"] == unit_message(case["typed_unit"], case["question_unit"])
            else:
                ok = ok and judged["ok"] is True
        if not ok:
            wrong.append((case, got))
    assert wrong == []


def test_the_book_says_percentage_for_euros_in_the_issue_s_words(book_reader):
    question = {"kind": "number", "unit": "€", "answer": 12.5, "tolerance": 0.01, "expected": "12,50 €",
                "mistakes": [], "near": []}  # fmt: skip
    judged = book_reader.evaluate("([q, t]) => window.mercatiqueJudge(q, t, {})", [question, "12,5 %"])
    assert judged == {"ok": False, "message": PERCENT_FOR_EUROS}


def test_the_book_and_the_grader_agree_beyond_the_table(book_reader):
    """Thousands of answers a student could type (digits, separators, spaces, signs, quotes,
    units in symbols and words), drawn with a fixed seed: both readers say the same."""
    rng = random.Random(20261206)
    pieces = list("0123456789") * 4 + [
        ",", ".", " ", "\u00a0", "\u202f", "'", "+", "-", "\u2212", "\u2013", "«", "»", '"',
        "%", "€", " €", " %", " euros", " EUR", " pour cent", " p. cent", " pts", " points",
        " k€", " kg", "e", "x", ".",
    ]  # fmt: skip
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    book = book_reader.evaluate("texts => texts.map(t => window.mercatiqueReadAnswer(t))", texts)
    differ = []
    for text, read in zip(texts, book, strict=True):
        mine = read_answer(text)
        if mine.refusal == MIXED:
            same = read == {"error": "mixed"}
        elif mine.refusal == NOT_A_NUMBER:
            same = read is None
        else:
            same = read is not None and read.get("unit") == mine.unit and read.get("value") == mine.value
        if not same:
            differ.append((text, read, mine))
    assert differ == []


def test_the_course_s_own_writing_of_every_answer_is_read_back_as_right():
    """A student who copies the answer as the corrigé writes it (« 4,54 € », « +12 points »,
    « 16,67 % ») is right, for every number question of the catalogue."""
    wrong = []
    for ex in load_catalogue().values():
        variant = student_variant(ex, "secret", "devoir-1", "eleve001")
        for q in ex.questions:
            if q.kind != "number":
                continue
            written = render.expected_text(variant, q)
            report = {"variable": q.variable, "defini": True, "nombre": None, "texte": written}
            verdict = judge(variant, q, report)
            if verdict.status != CORRECT:
                wrong.append((ex.id, q.id, written, verdict.message))
    assert wrong == []
