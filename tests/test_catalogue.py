"""Does a malformed template stop with a French message naming its file and field?"""

from pathlib import Path

import pytest
import yaml

from generators.authoring.catalogue import find_exercise, load_catalogue, load_exercise
from generators.errors import MercatiqueError


def edit(folder: Path, change) -> None:
    path = folder / "exercise.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_catalogue_has_the_three_brands_with_both_kinds_of_question():
    catalogue = load_catalogue()
    brands = {ex.brand for ex in catalogue.values()}
    assert {"Fnac", "Air France", "Oasis"} <= brands
    kinds = {q.kind for ex in catalogue.values() for q in ex.questions}
    assert kinds == {"number", "choice", "written"}
    for ex in catalogue.values():
        for q in ex.questions:
            if q.kind == "number":
                assert len(q.mistakes) >= 2, f"{ex.id}/{q.id} needs two typical mistakes"
            if q.kind == "written":
                assert q.rubric and q.model_answer, f"{ex.id}/{q.id} needs a model answer and a rubric"


@pytest.mark.parametrize(
    "change, field, words",
    [
        (lambda d: d.pop("title"), "title", "obligatoire"),
        (lambda d: d.update(titre="x"), "titre", "inconnu"),
        (lambda d: d["questions"][0].pop("answer"), "questions[0]", "answer"),
        (lambda d: d["questions"][0].update(kind="nombre"), "questions[0].kind", "non permise"),
        (lambda d: d["questions"][1].update(points="deux"), "questions[1].points", "nombre"),
        (lambda d: d["parameters"]["budget"].update(formula="1"), "parameters.budget", "un seul"),
        (lambda d: d["parameters"]["budget"].update(min=20000), "parameters.budget", "min"),
        (lambda d: d["questions"][0].update(answer="budget / (leads"), "questions[0].answer", "illisible"),
        (lambda d: d.update(given=["budget", "inconnu"]), "given[1]", "inconnu"),
        (lambda d: d.update(id="autre-id"), "id", "nom du dossier"),
        (lambda d: d["questions"][1].update(variable="cout_par_lead"), "questions[1].variable", "déjà"),
        (
            lambda d: [o.pop("correct", None) for o in d["questions"][2]["options"]],
            "questions[2].options",
            "correct",
        ),
    ],
)
def test_schema_errors_name_file_and_field(exercise_copy, change, field, words):
    folder = exercise_copy()
    edit(folder, change)
    with pytest.raises(MercatiqueError) as caught:
        load_exercise(folder)
    message = str(caught.value)
    assert str(folder / "exercise.yml") in message
    assert f"« {field}" in message
    assert words in message


def test_unreadable_yaml_gives_its_line(exercise_copy):
    folder = exercise_copy()
    (folder / "exercise.yml").write_text("id: x\ntitle: [pas fermé\n", encoding="utf-8")
    with pytest.raises(MercatiqueError, match="YAML illisible.*ligne"):
        load_exercise(folder)


def test_broken_statement_template_names_the_file(exercise_copy):
    folder = exercise_copy()
    (folder / "statement.md.j2").write_text("Budget : {{ budget | euros \n", encoding="utf-8")
    with pytest.raises(MercatiqueError, match="statement.md.j2 : ligne"):
        load_exercise(folder)


def test_unknown_exercise_lists_the_catalogue():
    with pytest.raises(MercatiqueError) as caught:
        find_exercise("fnac-inexistant")
    assert "exercice inconnu" in str(caught.value)
    assert "fnac-campagne-emailing" in str(caught.value)
