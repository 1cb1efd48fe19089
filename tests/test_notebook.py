"""Do per-student notebooks differ only where nbgrader lets them differ?"""

import nbformat
import pandas as pd
import pytest

from generators.authoring import render
from generators.authoring.catalogue import find_exercise
from generators.authoring.variants import student_variant
from generators.classroom.notebook import (
    ANSWER_MIME,
    HELPER_ID,
    HELPER_SOURCE,
    personalise,
    plan_slots,
    report_source,
    source_notebook,
)
from generators.classroom.roster import Student
from tests.browser import Screenshots

EXERCISES = [find_exercise("fnac-campagne-emailing"), find_exercise("oasis-page-facebook")]
SLOTS = plan_slots(EXERCISES)


def student_notebook(student_id: str):
    source = source_notebook("devoir-1", EXERCISES, SLOTS)
    variants = {ex.id: student_variant(ex, "secret", "devoir-1", student_id) for ex in EXERCISES}
    return personalise(source, Student(student_id, "Roux", "Zoé"), variants, EXERCISES, SLOTS)


def test_cells_with_nbgrader_metadata_are_identical_for_all_students():
    a, b = student_notebook("eleve001"), student_notebook("eleve002")
    graded_a = [c.source for c in a.cells if "nbgrader" in c.metadata]
    graded_b = [c.source for c in b.cells if "nbgrader" in c.metadata]
    assert graded_a == graded_b
    personal = [
        (x.source, y.source) for x, y in zip(a.cells, b.cells, strict=True) if "nbgrader" not in x.metadata
    ]
    assert any(x != y for x, y in personal)


def test_each_question_has_an_answer_cell_and_a_locked_report_cell_with_its_points():
    nb = source_notebook("devoir-1", EXERCISES, SLOTS)
    meta = {
        c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]
        for c in nb.cells
        if "nbgrader" in c.metadata
    }
    assert meta[HELPER_ID]["locked"]
    for slot in SLOTS:
        assert meta[slot.cell_id]["solution"] and not meta[slot.cell_id]["grade"]
        report = meta[slot.report_id]
        assert report["grade"] and report["locked"] and report["points"] == slot.points
    nbformat.validate(nb)


def test_student_sees_own_numbers_and_name():
    nb = student_notebook("eleve001")
    variant = student_variant(EXERCISES[0], "secret", "devoir-1", "eleve001")
    text = "\n".join(c.source for c in nb.cells)
    assert "Zoé Roux" in text
    assert f"budget = {variant.params['budget']}" in text


def test_same_variable_in_two_exercises_gets_a_suffix():
    slots = plan_slots([EXERCISES[0], EXERCISES[0]])
    variables = [s.variable for s in slots]
    assert len(set(variables)) == len(variables)


def test_answer_cells_name_the_variable_to_fill():
    nb = student_notebook("eleve001")
    answers = [c.source for c in nb.cells if c.metadata.get("mercatique", {}).get("role") == "answer"]
    assert answers and all(a.startswith(f"{s.variable} = ...") for a, s in zip(answers, SLOTS, strict=True))


def test_helper_is_folded_and_says_in_french_what_it_is():
    nb = source_notebook("devoir-1", EXERCISES, SLOTS)
    helper = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == HELPER_ID)
    assert helper.metadata["jupyter"]["source_hidden"] is True
    assert helper.source.startswith("# Outil de correction")


def test_answer_cells_let_run_all_go_on_and_report_cells_name_their_question():
    nb = source_notebook("devoir-1", EXERCISES, SLOTS)
    answers = [c for c in nb.cells if c.metadata.get("mercatique", {}).get("role") == "answer"]
    assert all("raises-exception" in c.metadata["tags"] for c in answers)
    reports = [c.source for c in nb.cells if c.metadata.get("mercatique", {}).get("role") == "report"]
    assert reports[0].startswith("# Vérification de l'exercice 1, question 1 :")
    assert reports[-1].startswith(f"# Vérification de l'exercice 2, question {len(EXERCISES[1].questions)} :")


def test_instructions_name_the_french_menus():
    nb = source_notebook("devoir-1", EXERCISES, SLOTS)
    assert "Exécution › Exécuter toutes les cellules" in nb.cells[0].source


def test_case_study_data_is_a_short_cell_showing_the_table():
    ex = find_exercise("cas-oasis-publications")
    variant = student_variant(ex, "secret", "devoir-1", "eleve001")
    code = render.given_code(variant)
    assert len(code.splitlines()) < 12
    assert code.rstrip().splitlines()[-1].startswith("publications.head()")
    namespace: dict = {}
    exec(code, namespace)
    expected = variant.params["publications"]
    pd.testing.assert_frame_equal(namespace["publications"], expected, check_dtype=False)


# The report cell in a real kernel: what the student sees (text/plain) and what the grader reads.
CASES = {
    "nombre": ("taux = 11.458333", "%", "Réponse enregistrée : 11,458333\u00a0%", 11.458333),
    "texte": ('taux = "12,5 %"', "%", "Réponse enregistrée : 12,5 %", None),
    "lettre nue": ("choix = C", "lettre", "Réponse enregistrée : C", None),
    "lettre": ('choix = "b"', "lettre", "Réponse enregistrée : b", None),
    "vide": ("taux = ...", "%", "Aucune réponse enregistrée : remplacez ... par votre calcul", None),
    "grand": ("taux = 1234567.5", "€", "Réponse enregistrée : 1\u202f234\u202f567,5\u00a0€", 1234567.5),
}


@pytest.fixture(scope="module")
def executed():
    from nbclient import NotebookClient

    cells = [nbformat.v4.new_code_cell(HELPER_SOURCE)]
    for answer, unit, _, _ in CASES.values():
        variable = answer.split(" = ")[0]
        cells += [nbformat.v4.new_code_cell(answer), nbformat.v4.new_code_cell(report_source(variable))]
        cells[-1].source = f'_rapport("{variable}", "{unit}")'
    cells += [
        nbformat.v4.new_code_cell("reponse = budjet / 2", metadata={"tags": ["raises-exception"]}),
        nbformat.v4.new_code_cell('_rapport("reponse", "€")'),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=60).execute()
    return nb


def _bundles(cell):
    return [o["data"] for o in cell.outputs if o["output_type"] == "display_data"]


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_report_cell_shows_what_was_recorded_and_sends_one_report(executed, case):
    index = 2 + 2 * list(CASES).index(case)
    answer, _, shown, number = CASES[case]
    (bundle,) = _bundles(executed.cells[index])
    assert bundle["text/plain"] == shown
    report = bundle[ANSWER_MIME]
    assert report["variable"] == answer.split(" = ")[0] and report["defini"] is True
    assert report["nombre"] == number
    assert not any(o["output_type"] == "stream" for o in executed.cells[index].outputs)


@pytest.mark.slow
def test_unknown_name_gets_a_french_hint_and_the_notebook_goes_on(executed):
    failing, report = executed.cells[-2], executed.cells[-1]
    (error,) = [o for o in failing.outputs if o["output_type"] == "error"]
    assert error["ename"] == "NameError"
    assert any("Indice : le nom « budjet » est inconnu" in line for line in error["traceback"])
    (bundle,) = _bundles(report)
    assert bundle["text/plain"].startswith("Aucune réponse enregistrée : reponse n'est pas défini")
    assert bundle[ANSWER_MIME]["defini"] is False


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    from tests.helpers import Class, new_course

    root = new_course(tmp_path_factory.mktemp("validate"), 2, {"devoir-v": ["fnac-campagne-emailing"]})
    return Class(root, "devoir-v")


def _validate(c, tmp_path, answers: dict[str, str]) -> str:
    """`nbgrader validate` as a student's Validate button runs it, on the filled notebook."""
    import subprocess
    import sys

    from generators.simulate import set_answers

    student = sorted(c.rows)[0]
    path = tmp_path / "devoir-v.ipynb"
    nbformat.write(set_answers(c.released(student), answers), path)
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", str(path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_validate_lists_every_unanswered_question_of_a_blank_notebook(small_class, tmp_path):
    out = _validate(small_class, tmp_path, {})
    assert "VALIDATION FAILED ON 3 CELL(S)" in out
    for variable in ("cout_par_lead", "taux_de_conversion", "choix_indicateur"):
        assert f"Question sans réponse ({variable})" in out
    assert "Vérification de l'exercice 1, question 2" in out


@pytest.mark.slow
def test_validate_lists_only_what_is_missing_and_accepts_a_bare_letter(small_class, tmp_path):
    c = small_class
    rows = {r["variable"]: r for r in c.rows[sorted(c.rows)[0]]}
    letter = c.expected(rows["choix_indicateur"])
    out = _validate(c, tmp_path, {
        rows["cout_par_lead"]["cell_id"]: "cout_par_lead = budjet / leads",  # a typo: NameError
        rows["choix_indicateur"]["cell_id"]: f"choix_indicateur = {letter}",  # no quotes
    })  # fmt: skip
    assert "VALIDATION FAILED ON 2 CELL(S)" in out
    assert "Question sans réponse (cout_par_lead)" in out and "n'est pas défini" in out
    assert "Question sans réponse (taux_de_conversion)" in out
    assert "choix_indicateur" not in out


@pytest.mark.slow
def test_validate_passes_a_complete_notebook_without_judging_it(small_class, tmp_path):
    c = small_class
    rows = c.rows[sorted(c.rows)[0]]
    wrong = {r["cell_id"]: f"{r['variable']} = {c.wrong(r)}" for r in rows}
    assert "Success!" in _validate(c, tmp_path, wrong)  # the verdict is decided outside the kernel


@pytest.mark.slow
def test_per_student_data_cell_survives_stock_nbgrader_autograde(tmp_path):
    """DESIGN.md §4: the data cell has no nbgrader metadata, so autograde keeps the student's table."""
    import json
    import subprocess
    import sys

    from tests.helpers import Class, new_course

    A = "devoir-c"
    c = Class(new_course(tmp_path, 2, {A: ["cas-heinz-brand-content"]}), A)
    student = sorted(c.rows)[0]
    answers = {}
    for r in c.rows[student]:
        value = c.expected(r)
        written = value if c.is_choice(r) else repr(value)  # choice letters without quotes
        if r["variable"] == "fans_pour_mille_vues":
            written = "lecons.fans_gagnes.sum() / lecons.vues.sum() * 1000"  # on the notebook's data
        answers[r["cell_id"]] = f"{r['variable']} = {written}"
    c.submit(student, answers)
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", A, "--student", student],
        cwd=c.root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads(c.course.verdicts_file(A, student).read_text("utf-8"))
    assert all(v["status"] == "correct" for v in record["verdicts"])
    graded = nbformat.read(c.root / "autograded" / student / A / f"{A}.ipynb", as_version=4)
    given = next(x for x in graded.cells if x.metadata.get("mercatique", {}).get("role") == "given")
    assert given.source == next(
        x for x in c.released(student).cells if x.metadata.get("mercatique", {}).get("role") == "given"
    ).source
    assert any("text/html" in o.get("data", {}) for o in given.outputs)  # the table's head()


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory, chromium):
    """JupyterLab in French (the language pack), on loopback, with a partly answered notebook."""
    import json
    import os
    import socket
    import subprocess
    import sys
    import time

    from generators.simulate import set_answers

    base = tmp_path_factory.mktemp("lab")
    exercises = [EXERCISES[0]]
    slots = plan_slots(exercises)
    variants = {exercises[0].id: student_variant(exercises[0], "secret", "devoir", "eleve001")}
    nb = personalise(source_notebook("devoir", exercises, slots), Student("eleve001", "Roux", "Zoé"),
                     variants, exercises, slots)  # fmt: skip
    typo, bare = "cout_par_lead = budjet / leads", "choix_indicateur = C"
    nb = set_answers(nb, {slots[0].cell_id: typo, slots[2].cell_id: bare})
    work = base / "travail"
    work.mkdir()
    nbformat.write(nb, work / "devoir.ipynb")
    settings = base / "settings" / "@jupyterlab" / "translation-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"locale": "fr_FR"}))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(base / "settings"))
    env["JUPYTER_CONFIG_DIR"] = str(base / "cfg")
    log = (base / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--IdentityProvider.token=jeton", f"--ServerApp.root_dir={work}", "--allow-root"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.5)
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        page.goto(f"http://127.0.0.1:{port}/lab/tree/devoir.ipynb?token=jeton")
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        page.wait_for_function(  # the kernel is ready (French status bar)
            "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
            ".some(e => e.textContent.includes('Inactif'))",
            timeout=90000,
        )
        yield page
        context.close()
    finally:
        server.terminate()
        server.wait(20)
        log.close()


@pytest.mark.slow
def test_in_french_jupyterlab_run_all_shows_each_report_and_goes_past_a_typo(jupyterlab, tmp_path):
    page = jupyterlab
    page.get_by_role("menuitem", name="Exécution").click()  # the menus the instructions name
    page.get_by_role("menuitem", name="Exécuter toutes les cellules").first.click()
    page.wait_for_selector("text=Réponse enregistrée : C", timeout=60000)  # the last report: Run All went on
    outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
    assert any("Indice : le nom « budjet » est inconnu" in o for o in outputs)
    assert any(o.startswith("Aucune réponse enregistrée : cout_par_lead n'est pas défini") for o in outputs)
    assert "Aucune réponse enregistrée : remplacez ... par votre calcul" in outputs
    assert page.locator(".jp-InputPlaceholder").count() == 1  # the helper's source is folded
    Screenshots(tmp_path).take(page, "notebook-apres-tout-executer")


@pytest.mark.slow
def test_in_jupyterlab_the_validate_button_lists_the_unanswered_questions(jupyterlab, tmp_path):
    page = jupyterlab
    page.locator(".jp-Toolbar").get_by_text("Validate").click()
    message = page.locator("#validation-message")
    message.wait_for(timeout=120000)
    text = message.inner_text()
    assert "Question sans réponse (cout_par_lead)" in text and "n'est pas défini" in text
    assert "Question sans réponse (taux_de_conversion)" in text
    assert "choix_indicateur)" not in text  # answered with a bare letter
    Screenshots(tmp_path).take(page, "notebook-validate")


def test_the_notebook_writer_gives_what_nbformat_writes_of_the_personalised_copy():
    """assign's fast path (structure prepared once, texts spliced in) is byte for byte
    nbformat's own output, for a pandas case with a data cell and odd names."""
    from generators.classroom.notebook import NotebookWriter, personal_texts

    exercises = [*EXERCISES, find_exercise("cas-fnac-faq")]
    slots = plan_slots(exercises)
    released = source_notebook("devoir-1", exercises, slots)
    released.cells[0].metadata["trusted"] = True  # transient: nbformat drops it when writing
    writer = NotebookWriter(released)
    students = [Student("eleve001", "Roux", "Zoé"), Student("o-brien", "O'Brien « Junior »", 'Anne "Lou"')]
    for student in students:
        variants = {ex.id: student_variant(ex, "secret", "devoir-1", student.id) for ex in exercises}
        expected = nbformat.writes(personalise(released, student, variants, exercises, slots))
        assert writer.writes(personal_texts(student, variants, exercises, slots)) == expected
    assert "trusted" in released.cells[0].metadata  # the released notebook is left as it was
    assert writer.writes({}) == nbformat.writes(released)  # a text not given keeps the released one
