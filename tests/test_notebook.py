"""Do per-student notebooks differ only where nbgrader lets them differ?"""

import nbformat

from generators.catalogue import find_exercise
from generators.notebook import HELPER_ID, personalise, plan_slots, source_notebook
from generators.roster import Student
from generators.variants import student_variant

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
