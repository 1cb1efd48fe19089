"""A class list during the year: init from a school export, add a newcomer, import a new list."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from generators.classroom.course import open_course
from generators.classroom.enrol import import_roster, load_devoir, personalised_notebook, students_by_group
from generators.classroom.setup_course import gradebook_students
from generators.errors import MercatiqueError
from tests.helpers import Class, new_course, read_csv, run

pytestmark = pytest.mark.slow  # every test creates a gradebook (nbgrader runs alembic)

A = "devoir-1"
EXERCISE = "fnac-campagne-emailing"

PRONOTE = (
    "\ufeffNom;Prénom;Classe;Adresse e-mail\r\n"
    "MARTIN;Léa;1STMG2;lea.martin@lycee.example\r\n"
    "LE GOFF;Jean-Noël;1STMG1;\r\n"
    "MARTIN;Léa;1STMG1;\r\n"
    "MARTIN;Léa;1STMG2;lea.martin@lycee.example\r\n"
)


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def snapshot(root: Path) -> dict[str, bytes]:
    """Everything a failed command must leave as it was."""
    files = files_under(root / "release_per_student") | files_under(root / "exports")
    files[".mercatique/roster.csv"] = (root / ".mercatique" / "roster.csv").read_bytes()
    return files


def test_init_from_a_pronote_export_keeps_classes(tmp_path):
    roster = tmp_path / "classe.csv"
    roster.write_bytes(PRONOTE.encode())
    root = tmp_path / "cours"
    result = run("init", root, "--roster", roster)
    assert result.exit_code == 0, result.output
    course = open_course(root)
    students = gradebook_students(course)
    assert {(s.id, s.group) for s in students.values()} == {
        ("martin.lea", "1STMG2"),
        ("le-goff.jean-noel", "1STMG1"),
        ("martin.lea-2", "1STMG1"),
    }
    groups = students_by_group(course)
    assert {g: [s.id for s in ss] for g, ss in groups.items()} == {
        "1STMG1": ["le-goff.jean-noel", "martin.lea-2"],
        "1STMG2": ["martin.lea"],
    }
    listing = run("roster", "list", root)
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert lines[0] == "Classe « 1STMG1 » : 2 élève(s)"
    assert lines[3] == "Classe « 1STMG2 » : 1 élève(s)"
    assert "martin.lea  MARTIN Léa  lea.martin@lycee.example" in lines[4]
    assert lines[-1] == "3 élève(s) en tout."


def test_roster_add_without_devoir_and_its_checks(tmp_path):
    root = new_course(tmp_path, 3, {})
    result = run("roster", "add", root, "--nom", "Petit", "--prénom", "Zoé", "--classe", "BTS 1")
    assert result.exit_code == 0, result.output
    assert "ajouté : Zoé Petit (BTS 1), identifiant « petit.zoe »" in result.output
    assert gradebook_students(open_course(root))["petit.zoe"].group == "BTS 1"
    # the same name again: refused, with the identifier to give a real homonym
    again = run("roster", "add", root, "--nom", "PETIT", "--prenom", "Zoe")
    assert again.exit_code == 2
    assert "Zoé Petit est déjà dans le cours (identifiant « petit.zoe »)" in again.output
    assert "--identifiant petit.zoe-2" in again.output
    twin = run("roster", "add", root, "--nom", "Petit", "--prenom", "Zoé", "--identifiant", "zpetit2")
    assert twin.exit_code == 0, twin.output
    bad = run(
        "roster",
        "add",
        root,
        "--nom",
        "Roux",
        "--prenom",
        "Théo",
        "--email",
        "theo@",
        "--identifiant",
        "t roux",
    )
    assert bad.exit_code == 2
    assert (
        "adresse e-mail « theo@ » invalide" in bad.output and "identifiant « t roux » invalide" in bad.output
    )
    assert set(gradebook_students(open_course(root))) == {
        "eleve001",
        "eleve002",
        "eleve003",
        "petit.zoe",
        "zpetit2",
    }
    listing = run("roster", "list", root).output.splitlines()
    assert listing[0] == "Classe « BTS 1 » : 1 élève(s)"
    assert listing[2] == "Sans classe : 4 élève(s)"
    assert listing[-1] == "5 élève(s) en tout."


def test_a_newcomer_gets_notebooks_and_key_rows_and_nobody_else_changes(tmp_path):
    root = new_course(tmp_path, 4, {A: [EXERCISE]})
    key_path = root / "exports" / f"{A}_answer_key.csv"
    old_key = key_path.read_text("utf-8")
    before = files_under(root / "release_per_student")

    result = run("roster", "add", root, "--nom", "Nouvelle", "--prenom", "Élise", "--classe", "1STMG2")
    assert result.exit_code == 0, result.output
    assert "notebooks du devoir « devoir-1 » pour 1 nouvel(s) élève(s)" in result.output

    after = files_under(root / "release_per_student")
    mine = f"nouvelle.elise/{A}/{A}.ipynb"
    assert set(after) == set(before) | {mine}
    assert all(after[name] == data for name, data in before.items())  # byte-identical
    nb = nbformat.reads(after[mine].decode(), as_version=4)
    header = [c.source for c in nb.cells if c.metadata.get("mercatique", {}).get("role") == "header"]
    assert header == ["**Élève :** Élise Nouvelle (identifiant `nouvelle.elise`)"]

    new_key = key_path.read_text("utf-8")
    assert new_key.startswith(old_key)  # old rows untouched, the newcomer's appended
    rows = read_csv(key_path)
    theirs = [r for r in rows if r["student_id"] == "nouvelle.elise"]
    reference = [r for r in rows if r["student_id"] == "eleve001"]
    assert [r["cell_id"] for r in theirs] == [r["cell_id"] for r in reference]
    # her numbers are her own: the given cells differ from every classmate's
    given = {name: [c.source for c in nbformat.reads(data.decode(), as_version=4).cells
                    if c.metadata.get("mercatique", {}).get("role") == "given"]
             for name, data in after.items()}  # fmt: skip
    assert all(given[mine] != given[other] for other in before)


def test_enrolment_builds_what_assign_built(tmp_path):
    """For a student assign already served, the enrolment path gives the same bytes and key rows."""
    root = new_course(tmp_path, 2, {A: [EXERCISE]})
    course = open_course(root)
    devoir = load_devoir(course, A)
    for student in gradebook_students(course).values():
        text, rows = personalised_notebook(course, devoir, student)
        assert text.encode() == course.per_student_notebook(student.id, A).read_bytes()
        key = [r for r in read_csv(root / "exports" / f"{A}_answer_key.csv") if r["student_id"] == student.id]
        assert [tuple(r.values()) for r in key] == [tuple(map(str, row)) for row in rows]


def test_import_adds_reports_and_never_deletes(tmp_path):
    root = new_course(tmp_path, 4, {A: [EXERCISE]})
    course = open_course(root)
    students = sorted(gradebook_students(course).values(), key=lambda s: s.id)
    kept, dropped = students[:3], students[3]
    lines = ["Nom\tPrénom\tClasse"] + [f"{s.last_name.upper()}\t{s.first_name}\t1STMG2" for s in kept]
    lines += ["Dupont\tMarie\t1STMG2", "Roux\tThéo\t1STMG1"]
    new_list = tmp_path / "nouvelle.csv"
    new_list.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before, state = files_under(root / "release_per_student"), snapshot(root)

    trial = run("roster", "import", root, new_list, "--essai")
    assert trial.exit_code == 0, trial.output
    assert "2 ajouté(s), 3 mis à jour" in trial.output and "rien n'a été modifié" in trial.output
    assert snapshot(root) == state and len(gradebook_students(course)) == 4

    result = run("roster", "import", root, new_list)
    assert result.exit_code == 0, result.output
    assert "2 ajouté(s), 3 mis à jour, 0 inchangé(s), 1 absent(s) de la liste (conservé(s))." in result.output
    assert (
        f"absent de nouvelle.csv : {dropped.full_name} ({dropped.id}), conservé avec ses notes"
        in result.output
    )
    assert "classe « - » → « 1STMG2 »" in result.output
    now = gradebook_students(course)
    assert set(now) == {s.id for s in students} | {"dupont.marie", "roux.theo"}
    assert [now[s.id].group for s in kept] == ["1STMG2"] * 3 and now[dropped.id].group == ""
    assert now[kept[0].id].last_name == kept[0].last_name  # names keep the course's spelling
    after = files_under(root / "release_per_student")
    assert set(after) - set(before) == {f"dupont.marie/{A}/{A}.ipynb", f"roux.theo/{A}/{A}.ipynb"}
    assert all(after[name] == data for name, data in before.items())
    assert {r["student_id"] for r in read_csv(root / "exports" / f"{A}_answer_key.csv")} == set(now)

    # the same list again: same ids, nothing to do
    state = snapshot(root)
    again = run("roster", "import", root, new_list)
    assert again.exit_code == 0, again.output
    assert "0 ajouté(s), 0 mis à jour, 5 inchangé(s), 1 absent(s)" in again.output
    assert snapshot(root) == state


def test_a_refused_or_failed_import_leaves_the_course_as_it_was(tmp_path):
    root = new_course(tmp_path, 3, {A: [EXERCISE]})
    course = open_course(root)
    state, ids = snapshot(root), set(gradebook_students(course))
    bad = tmp_path / "bad.csv"
    bad.write_text("Nom;Prénom;E-mail\nDupont;Marie;marie@\nRoux;;\n", encoding="utf-8")
    result = run("roster", "import", root, bad)
    assert result.exit_code == 2
    assert "ligne 2 : adresse e-mail « marie@ » invalide" in result.output
    assert "ligne 3 : prénom vide" in result.output
    assert snapshot(root) == state and set(gradebook_students(course)) == ids

    # a write that fails half-way (a file where the newcomer's folder should go) is undone
    good = tmp_path / "good.csv"
    good.write_text("Nom;Prénom\nAbel;Luc\nDupont;Marie\n", encoding="utf-8")
    (root / "release_per_student" / "dupont.marie").write_text("pas un dossier")
    state = snapshot(root)
    with pytest.raises(OSError):
        import_roster(course, good)
    assert snapshot(root) == state and set(gradebook_students(course)) == ids


def test_import_refuses_a_login_that_is_someone_else(tmp_path):
    root = new_course(tmp_path, 2, {})
    other = tmp_path / "autre.csv"
    other.write_text("Identifiant,Nom,Prénom\neleve001,Intrus,Paul\n", encoding="utf-8")
    with pytest.raises(MercatiqueError, match="ligne 2 : l'identifiant « eleve001 » est déjà celui de"):
        import_roster(open_course(root), other)
    stored = list(csv.reader((root / ".mercatique" / "roster.csv").open(encoding="utf-8")))
    assert stored[0] == ["id", "last_name", "first_name", "email", "group"] and len(stored) == 3


def test_import_refuses_to_duplicate_students_under_new_logins(tmp_path):
    roster = tmp_path / "classe.csv"
    roster.write_text("Nom;Prénom\nMartin;Léa\nRoux;Théo\n", encoding="utf-8")
    root = tmp_path / "cours"
    assert run("init", root, "--roster", roster).exit_code == 0
    logins = tmp_path / "ent.csv"
    logins.write_text("Login;Nom;Prénom\nlmartin;MARTIN;Léa\ntroux;ROUX;Théo\n", encoding="utf-8")
    result = run("roster", "import", root, logins)
    assert result.exit_code == 2
    assert "ligne 2 : Léa Martin est déjà dans le cours avec l'identifiant « martin.lea »" in result.output
    assert "ligne 3 : Théo Roux" in result.output
    assert set(gradebook_students(open_course(root))) == {"martin.lea", "roux.theo"}


def test_a_newcomer_is_graded_like_everyone(tmp_path):
    """Her right answers, read from the answer key, earn her full marks from the grader."""
    root = new_course(tmp_path, 2, {A: ["oasis-page-facebook"]})
    assert run("roster", "add", root, "--nom", "Nouvelle", "--prenom", "Élise").exit_code == 0
    c = Class(root, A)
    c.submit("nouvelle.elise", c.all_right("nouvelle.elise"))
    result = run("grade", root, A, "--workers", "1")
    assert result.exit_code == 0, result.output
    grades = {row["student_id"]: row for row in read_csv(root / "exports" / f"{A}_grades.csv")}
    assert float(grades["nouvelle.elise"]["score"]) == c.max_points() > 0
