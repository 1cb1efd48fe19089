"""The Moodle quiz is read the way Moodle's importer reads it (question/format/xml/format.php
for the XML, qtype_multianswer_extract_question for the cloze text) and its answers are
the variants' answers, recomputed here through generators.authoring.variants."""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from generators.authoring import formatting
from generators.authoring.catalogue import find_exercise, load_catalogue
from generators.authoring.variants import preview_variant
from generators.errors import MercatiqueError
from generators.outputs.moodle_quiz import QuizOptions, build_quiz, category_path, gift_escape
from tests.helpers import run

# --- Moodle's cloze parser, ported from question/type/multianswer/questiontype.php ----------
# (PHP's variable-width look-behind (?<!\\|&|&amp;) is three fixed-width ones in Python)
FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALTERNATIVE = f"({FRACTION})?({ANSWER})(#({FEEDBACK}))?"
TYPES = (
    r"(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|"
    r"(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)|"
    r"(MULTICHOICE_S|MCS)|(MULTICHOICE_VS|MCVS)|(MULTICHOICE_HS|MCHS)|"
    r"(MULTIRESPONSE|MR)|(MULTIRESPONSE_H|MRH)|(MULTIRESPONSE_S|MRS)|(MULTIRESPONSE_HS|MRHS)"
)
CLOZE = re.compile(r"\{([0-9]*):(" + TYPES + r"):(" + ALTERNATIVE + r"(~" + ALTERNATIVE + r")*)\}", re.S)
ONE_ALTERNATIVE = re.compile("~?" + ALTERNATIVE, re.S)
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL_ALTERNATIVE = re.compile(f"^({NUMBER})(:{NUMBER})?$", re.S)


def cloze_parts(text: str) -> list[dict]:
    """The sub-questions as Moodle extracts them: type, weight, answers (fraction, answer,
    tolerance, feedback), in order."""
    parts = []
    while match := CLOZE.search(text):
        kind = "numerical" if match.group(3) else "multichoice"
        remaining, answers = match.group(16), []
        while alt := ONE_ALTERNATIVE.match(remaining):
            fraction = 1.0 if alt.group(1) == "=" else (float(alt.group(2)) / 100 if alt.group(2) else 0.0)
            raw, feedback = alt.group(3), html.unescape(alt.group(5) or "")
            number = NUMERICAL_ALTERNATIVE.match(raw) if kind == "numerical" else None
            answer = {"fraction": fraction, "feedback": feedback}
            if number:
                answer.update(
                    value=float(number.group(1).replace(",", ".")), tolerance=float(number.group(6) or 0)
                )
            else:
                answer["text"] = html.unescape(raw)
            answers.append(answer)
            remaining = remaining[len(alt.group(0)) :]
        assert remaining == "", f"texte non lu par Moodle : {remaining[:80]!r}"
        parts.append({"type": kind, "weight": int(match.group(1) or 1), "answers": answers})
        text = text[: match.start()] + "{#}" + text[match.end() :]
    return parts


# --- Moodle's GIFT reader, ported from question/format/gift/format.php (readquestion) --------
GIFT_ESCAPED = {
    "\\:": "\x01058",
    "\\#": "\x01035",
    "\\=": "\x01061",
    "\\{": "\x01123",
    "\\}": "\x01125",
    "\\~": "\x01126",
}
GIFT_WEIGHT = re.compile(r"^%-*([0-9]{1,2})\.?([0-9]*)%")


def _gift_post(text: str) -> str:
    for escaped, mark in GIFT_ESCAPED.items():
        text = text.replace(mark, escaped[1])
    return text


def _gift_format(text: str) -> str:
    return _gift_post(text[len("[html]") :] if text.startswith("[html]") else text).strip()


def _gift_weight(answer: str) -> tuple[float, str]:
    if GIFT_WEIGHT.match(answer):
        answer = answer[1:]
        end = answer.index("%")
        return float(answer[:end]) / 100, answer[end + 1 :]
    return None, answer


def _gift_comment(answer: str) -> tuple[str, str]:
    bits = answer.split("#", 1)
    return _gift_format(bits[0].strip()), _gift_format(bits[1].strip()) if len(bits) > 1 else ""


def gift_questions(text: str) -> list[dict]:
    """The questions as Moodle's GIFT importer reads them (blank lines separate questions)."""
    found, category = [], None
    for block in re.split(r"\n\s*\n", text):
        lines = [" " if line.strip().startswith("//") else line for line in block.split("\n")]
        block = "\n".join(lines).strip().replace("\\\\", "\x01092")
        for escaped, mark in GIFT_ESCAPED.items():
            block = block.replace(escaped, mark)
        block = block.replace("\x01092", "\\")
        if not block:
            continue
        if block.startswith("$CATEGORY:"):
            category = block[10:].strip()
            continue
        assert block.startswith("::")
        name, block = block[2:].split("::", 1)
        start, finish = block.index("{"), block.index("}")
        answer_text = block[start + 1 : finish].strip()
        question_text = block[:start] + block[finish + 1 :]
        general = ""
        if "####" in answer_text:
            cut = answer_text.rindex("####")
            answer_text, general = answer_text[:cut].strip(), answer_text[cut + 4 :]
        item = {"category": category, "name": _gift_post(name), "answers": []}
        item.update(html=question_text.startswith("[html]"), text=_gift_format(question_text))
        item["general"] = _gift_format(general)
        if answer_text.startswith("#"):
            item["type"] = "numerical"
            answer_text, wrong = (answer_text[1:].split("~", 1) + [None])[:2]
            for answer in [a.strip() for a in answer_text.split("=") if a.strip()]:
                weight, answer = _gift_weight(answer)
                value, feedback = _gift_comment(answer)
                number, _, tolerance = value.partition(":")
                fraction = 1.0 if weight is None else weight
                answer = {"fraction": fraction, "value": float(number), "tolerance": float(tolerance or 0)}
                item["answers"].append({**answer, "feedback": feedback})
            if wrong is not None:
                item["answers"].append({"fraction": 0.0, "text": "*", "feedback": _gift_comment(wrong)[1]})
        else:
            assert "~" in answer_text
            item["type"] = "multichoice"
            for answer in [a.strip() for a in answer_text.replace("=", "~=").split("~") if a.strip()]:
                weight = 1.0 if answer.startswith("=") else 0.0
                option, feedback = _gift_comment(answer.lstrip("="))
                item["answers"].append({"fraction": weight, "text": option, "feedback": feedback})
        found.append(item)
    return found


def moodle_validation_errors(parts: list[dict]) -> list[str]:
    """qtype_multianswer_validate_question: a full-mark answer in each blank, at least two
    options for a choice, numerical answers that are numbers or `*`."""
    errors = []
    for i, part in enumerate(parts, start=1):
        answers = part["answers"]
        if not any(a["fraction"] == 1.0 for a in answers):
            errors.append(f"sous-question {i} : aucune réponse à 100 %")
        if part["type"] == "multichoice" and len(answers) < 2:
            errors.append(f"sous-question {i} : moins de deux options")
        if part["type"] == "numerical" and any("value" not in a and a.get("text") != "*" for a in answers):
            errors.append(f"sous-question {i} : réponse numérique illisible")
    return errors


def plain(text: str) -> str:
    """Compared as typed: the quiz applies French typography (no-break spaces, curly apostrophes)."""
    return text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2019", "'")


def quiz(*ids: str, n: int = 3, fmt: str = "xml") -> str:
    return build_quiz(list(ids), QuizOptions(variants=n), fmt)


def questions(xml_text: str) -> list[ET.Element]:
    root = ET.fromstring(xml_text.encode("utf-8"))
    assert root.tag == "quiz"
    return root.findall("question")


def text_of(question: ET.Element, path: str) -> str:
    return question.find(path + "/text").text or ""


def test_one_category_per_exercise_holding_n_variants():
    items = questions(quiz("kpi-nps", "concept-rgpd", n=4))
    kinds = [q.get("type") for q in items]
    assert kinds == ["category"] + ["cloze"] * 4 + ["category"] + ["cloze"] * 4
    paths = [text_of(q, "category") for q in items if q.get("type") == "category"]
    assert paths == [
        f"$course$/top/Mercatique/{find_exercise('kpi-nps').title}",
        f"$course$/top/Mercatique/{find_exercise('concept-rgpd').title}",
    ]
    names = [text_of(q, "name") for q in items[1:5]]
    assert len(set(names)) == 4 and all(n.endswith(f"(variante 0{k})") for k, n in enumerate(names, start=1))


def test_a_slash_in_a_title_stays_in_one_category_name():
    ex = dataclasses.replace(find_exercise("kpi-nps"), title="Avant / après : le NPS")
    path = category_path(ex, "Question 1")
    # question/format.php split_category_path
    names = [n.replace("//", "/").strip() for n in re.split(r"(?<!/)/(?!/)", path)]
    assert names == ["$course$", "top", "Mercatique", "Avant / après : le NPS", "Question 1"]


def test_number_subquestions_carry_answer_mistakes_and_catch_all():
    ex = find_exercise("kpi-nps")
    items = [q for q in questions(quiz("kpi-nps", n=3)) if q.get("type") == "cloze"]
    for seed, item in enumerate(items, start=1):
        variant = preview_variant(ex, seed)
        parts = cloze_parts(text_of(item, "questiontext"))
        assert [p["type"] for p in parts] == [
            "numerical" if q.kind == "number" else "multichoice" for q in ex.questions
        ]
        assert [p["weight"] for p in parts] == [q.points for q in ex.questions]
        assert sum(p["weight"] for p in parts) == ex.points  # Moodle's grade for a cloze question
        for q, part in zip(ex.questions, parts, strict=True):
            if q.kind != "number":
                continue
            right, *mistakes, catch_all = part["answers"]
            assert right["fraction"] == 1.0
            assert right["value"] == pytest.approx(variant.answers[q.id], abs=1e-9)
            assert right["tolerance"] == q.abs_tolerance  # absolute, as Moodle reads it
            assert [m["value"] for m in mistakes] == pytest.approx([d.value for d in variant.diagnoses[q.id]])
            assert [plain(m["feedback"]) for m in mistakes] == [
                plain(d.explanation) for d in variant.diagnoses[q.id]
            ]
            assert all(m["fraction"] == 0 and m["tolerance"] == q.abs_tolerance for m in mistakes)
            assert catch_all["text"] == "*" and catch_all["fraction"] == 0 and catch_all["feedback"]


def test_choice_subquestions_keep_the_variant_letters_and_explanations():
    ex = find_exercise("concept-rgpd")
    items = [q for q in questions(quiz("concept-rgpd", n=5)) if q.get("type") == "cloze"]
    for seed, item in enumerate(items, start=1):
        variant = preview_variant(ex, seed)
        for q, part in zip(ex.questions, cloze_parts(text_of(item, "questiontext")), strict=True):
            assert part["type"] == "multichoice"
            right = [a for a in part["answers"] if a["fraction"] == 1.0]
            assert len(right) == 1 and sum(a["fraction"] for a in part["answers"]) == 1.0
            letter = variant.answers[q.id]
            option = next(o for o in variant.options[q.id] if o.letter == letter)
            assert plain(right[0]["text"]) == plain(f"{letter}. {option.text}")
            for answer, o in zip(part["answers"], variant.options[q.id], strict=True):
                assert answer["text"].startswith(f"{o.letter}. ")
                if not o.correct:
                    assert plain(answer["feedback"]) == plain(o.explanation)


def test_every_catalogue_exercise_is_read_whole_by_moodle():
    """Texts with « : », quotes, # or braces must not cut a sub-question short."""
    catalogue = load_catalogue()
    for ex in catalogue.values():
        if any(q.written for q in ex.questions):
            continue  # an essay cannot be a cloze blank: see the documentary case test
        (item,) = [q for q in questions(quiz(ex.id, n=1)) if q.get("type") != "category"]
        text = text_of(item, "questiontext")
        parts = cloze_parts(text)
        assert len(parts) == len(ex.questions), ex.id
        assert moodle_validation_errors(parts) == [], ex.id
        assert item.find("questiontext").get("format") == "html"
        assert text_of(item, "generalfeedback").strip(), ex.id


def test_statement_numbers_use_the_french_decimal_comma_and_tables_stay():
    item = questions(quiz("kpi-nps", n=1))[1]
    text = text_of(item, "questiontext")
    variant = preview_variant(find_exercise("kpi-nps"), 1)
    assert "<table>" in text
    for name in ("promoteurs", "passifs", "detracteurs", "sollicites"):
        assert formatting.number(variant.params[name]) in text
    solution = text_of(item, "generalfeedback")
    assert re.search(r"\d,\d", solution)  # 21,83 %, not 21.83 %
    assert not re.search(r"\d\.\d", solution)


def test_case_study_attaches_its_exact_data_set():
    ex = find_exercise("cas-hertz-nps")
    item = questions(quiz("cas-hertz-nps", n=2))[2]
    variant = preview_variant(ex, 2)
    questiontext = item.find("questiontext")
    (file,) = questiontext.findall("file")
    assert file.get("name") == "enquete.csv" and file.get("path") == "/" and file.get("encoding") == "base64"
    data = base64.b64decode(file.text).decode("utf-8")
    table = variant.params["enquete"]
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(data)), table, check_dtype=False)
    assert data == table.to_csv(index=False, lineterminator="\n")
    assert "@@PLUGINFILE@@/enquete.csv" in questiontext.find("text").text


SINGLE = """\
id: {id}
title: "Un seul calcul : le taux de clic"
chapter: test
parameters:
  clics: {{min: 100, max: 900}}
  impressions: {{min: 10000, max: 20000, step: 100}}
  canal: {{choices: ["e-mail", "SMS"]}}
given: [clics, impressions]
questions:
{question}
"""
NUMBER_Q = """\
  - id: ctr
    kind: number
    variable: ctr
    prompt: "Calculez le taux de clic."
    answer: "clics / impressions * 100"
    unit: "%"
    decimals: 2
    points: 2
    mistakes:
      - formula: "impressions / clics * 100"
        explanation: "Division inversée : les clics se rapportent aux impressions."
"""
CHOICE_Q = """\
  - id: canal
    kind: choice
    variable: choix_canal
    prompt: "Quel canal a servi ?"
    points: 1
    options:
      - text: "L'e-mail"
        correct: "canal == 'e-mail'"
        explanation: "Ce n'était pas l'e-mail."
      - text: "Le SMS"
        correct: "canal == 'SMS'"
        explanation: "Ce n'était pas le SMS."
"""


@pytest.fixture
def single_question_catalogue(tmp_path: Path, monkeypatch):
    for ex_id, question in (("un-nombre", NUMBER_Q), ("un-choix", CHOICE_Q)):
        folder = tmp_path / ex_id
        folder.mkdir()
        (folder / "exercise.yml").write_text(SINGLE.format(id=ex_id, question=question), "utf-8")
        (folder / "statement.md.j2").write_text(
            "{{ clics }} clics pour {{ impressions | nombre }} impressions.\n"
        )
        (folder / "solution.md.j2").write_text("Taux = {{ (clics / impressions * 100) | pourcent }}.\n")
    monkeypatch.setenv("MERCATIQUE_EXERCISES", str(tmp_path))
    return tmp_path


def test_single_number_question_is_a_numerical_question(single_question_catalogue):
    ex = find_exercise("un-nombre")
    items = questions(quiz("un-nombre", n=2))
    assert [q.get("type") for q in items] == ["category", "numerical", "numerical"]
    for seed, item in enumerate(items[1:], start=1):
        variant = preview_variant(ex, seed)
        answers = item.findall("answer")
        fractions = [a.get("fraction") for a in answers]
        assert fractions == ["100", "0", "0"]
        assert float(answers[0].find("text").text) == pytest.approx(variant.answers["ctr"], abs=1e-9)
        assert float(answers[0].find("tolerance").text) == 0.01
        assert float(answers[1].find("text").text) == pytest.approx(variant.diagnoses["ctr"][0].value)
        assert plain(text_of(answers[1], "feedback")) == plain(variant.diagnoses["ctr"][0].explanation)
        assert answers[2].find("text").text == "*" and text_of(answers[2], "feedback")
        assert [u.find("unit_name").text for u in item.findall("units/unit")] == ["%"]
        assert item.find("units/unit/multiplier").text == "1"
        assert item.find("unitgradingtype").text == "0" and item.find("showunits").text == "0"
        assert float(item.find("defaultgrade").text) == 2
        assert "Taux = " in text_of(item, "generalfeedback")


def test_single_choice_question_is_a_multichoice_question(single_question_catalogue):
    ex = find_exercise("un-choix")
    items = questions(quiz("un-choix", n=3))
    for seed, item in enumerate(items[1:], start=1):
        variant = preview_variant(ex, seed)
        assert item.get("type") == "multichoice"
        assert item.find("single").text == "true" and item.find("shuffleanswers").text == "false"
        answers = item.findall("answer")
        assert sorted(a.get("fraction") for a in answers) == ["0", "100"]
        right = next(a for a in answers if a.get("fraction") == "100")
        option = next(o for o in variant.options["canal"] if o.letter == variant.answers["canal"])
        assert plain(html.unescape(right.find("text").text)) == plain(option.text)
        wrong = next(a for a in answers if a.get("fraction") == "0")
        assert plain(text_of(wrong, "feedback")).startswith("Ce n'était pas")


def test_separate_questions_are_standard_moodle_questions_with_units():
    ex = find_exercise("kpi-nps")
    items = questions(build_quiz(["kpi-nps"], QuizOptions(variants=2, separate=True)))
    categories = [text_of(q, "category") for q in items if q.get("type") == "category"]
    assert categories == [f"$course$/top/Mercatique/{ex.title}/Question {i}" for i in (1, 2, 3)]
    kinds = [q.get("type") for q in items if q.get("type") != "category"]
    assert kinds == ["numerical"] * 4 + ["multichoice"] * 2
    units = {"taux_reponse_enquete": "%", "nps": "points"}
    plain_items = [q for q in items if q.get("type") != "category"]
    for q, pair in zip(ex.questions, (plain_items[0:2], plain_items[2:4], plain_items[4:6]), strict=True):
        for seed, item in enumerate(pair, start=1):
            variant = preview_variant(ex, seed)
            assert float(item.find("defaultgrade").text) == q.points
            answers = item.findall("answer")
            if q.kind == "number":
                assert [u.text for u in item.findall("units/unit/unit_name")] == [units[q.id]]
                assert float(answers[0].find("text").text) == pytest.approx(variant.answers[q.id], abs=1e-9)
                assert float(answers[0].find("tolerance").text) == q.abs_tolerance
                assert answers[-1].find("text").text == "*"
            else:
                assert item.find("answernumbering").text == "ABCD"
                right = [a.get("fraction") == "100" for a in answers]
                assert right == [o.letter == variant.answers[q.id] for o in variant.options[q.id]]


def test_gift_numerical_and_choice():
    ex = find_exercise("kpi-nps")
    items = gift_questions(quiz("kpi-nps", n=2, fmt="gift"))
    assert len(items) == 2 * len(ex.questions)
    for index, q in enumerate(ex.questions):
        for seed in (1, 2):
            item = items[index * 2 + seed - 1]
            variant = preview_variant(ex, seed)
            assert item["category"] == f"$course$/top/Mercatique/{ex.title}/Question {index + 1}"
            assert plain(item["name"]).startswith(ex.title) and item["html"]
            assert item["general"].startswith("<p>") and plain(item["general"]) != ""
            answers = item["answers"]
            if q.kind == "number":
                assert item["type"] == "numerical"
                right, *mistakes, catch_all = answers
                assert right["fraction"] == 1.0
                assert right["value"] == pytest.approx(variant.answers[q.id], abs=1e-9)
                assert right["tolerance"] == q.abs_tolerance
                assert [m["value"] for m in mistakes] == pytest.approx(
                    [d.value for d in variant.diagnoses[q.id]]
                )
                assert [plain(html.unescape(m["feedback"])) for m in mistakes] == [
                    plain(d.explanation) for d in variant.diagnoses[q.id]
                ]
                assert all(m["fraction"] == 0 for m in mistakes)
                assert catch_all["text"] == "*" and catch_all["feedback"]
            else:
                assert item["type"] == "multichoice"
                assert [a["fraction"] for a in answers] == [
                    1.0 if o.correct else 0.0 for o in variant.options[q.id]
                ]
                assert [plain(html.unescape(a["text"])) for a in answers] == [
                    plain(o.text) for o in variant.options[q.id]
                ]


def test_every_catalogue_exercise_reads_back_from_gift():
    for ex in load_catalogue().values():
        if any("dataset" in spec for spec in ex.parameters.values()):
            continue
        items = gift_questions(quiz(ex.id, n=1, fmt="gift"))
        assert [i["type"] for i in items] == [
            "numerical" if q.kind == "number" else "multichoice" for q in ex.questions
        ], ex.id
        for item in items:
            assert sum(a["fraction"] == 1.0 for a in item["answers"]) == 1, ex.id


def test_gift_escapes_its_special_characters():
    escaped = gift_escape("a~b=c#d{e}f:g\\h")
    assert escaped == "a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h"
    assert "\n" not in gift_escape("deux\nlignes")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["moodle", "exercice-inexistant"], "exercice inconnu"),
        (["moodle", "kpi-nps", "--variantes", "0"], "au moins 1"),
        (["moodle", "cas-hertz-nps", "--format", "gift"], "GIFT ne transporte pas de fichier"),
    ],
)
def test_wrong_input_gives_a_french_error(args, words, tmp_path):
    result = run(*args, "--sortie", tmp_path / "quiz.xml")
    assert result.exit_code != 0
    assert words in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "quiz.xml").exists()


def test_cli_writes_the_file(tmp_path):
    target = tmp_path / "quiz.xml"
    result = run("moodle", "kpi-tcam", "--variants", "2", "--sortie", target)
    assert result.exit_code == 0, result.output
    assert [q.get("type") for q in questions(target.read_text("utf-8"))] == ["category", "cloze", "cloze"]


def test_module_errors_are_french():
    with pytest.raises(MercatiqueError, match="au moins 1"):
        build_quiz(["kpi-nps"], QuizOptions(variants=0))
    with pytest.raises(MercatiqueError, match="au moins un exercice"):
        build_quiz([], QuizOptions())


def test_documentary_case_written_answers_are_essays_for_the_teacher_to_mark():
    """A written question is an `essay` whose grader information holds the marking scheme
    (and the model answer); the student's text holds neither; the calculations of the same
    exercise stay auto-graded questions."""
    ex = next(ex for ex in load_catalogue().values() if any(q.written for q in ex.questions))
    items = [q for q in questions(quiz(ex.id, n=1)) if q.get("type") != "category"]
    expected = {"number": "numerical", "choice": "multichoice", "written": "essay"}
    assert [i.get("type") for i in items] == [expected[q.kind] for q in ex.questions]

    def words(text: str) -> str:
        return " ".join(plain(html.unescape(re.sub(r"<[^>]+>", " ", text))).split())

    for item, q in zip(items, ex.questions, strict=True):
        if not q.written:
            continue
        assert float(item.find("defaultgrade").text) == q.points
        grader, shown = words(text_of(item, "graderinfo")), words(text_of(item, "questiontext"))
        for criterion in q.rubric:
            assert " ".join(criterion.criterion.split()) in grader
            assert " ".join(criterion.criterion.split()) not in shown
