"""Does `init` tell the teacher what it noticed in the class list, and leave nothing behind
when it fails?"""

from __future__ import annotations

from tests.helpers import run

PRONOTE = "\ufeffNom;Prénom;Classe;Adresse e-mail\nMARTIN;Léa;BTS1 A;lea@lycee.example\n" \
          "MARTIN;Léa;BTS1 A;lea@lycee.example\nBERNARD;Hugo;BTS1 B;\n"  # fmt: skip


def test_init_prints_the_class_list_warnings(tmp_path):
    roster = tmp_path / "classe.csv"
    roster.write_text(PRONOTE, encoding="utf-8")
    result = run("init", tmp_path / "cours", "--roster", roster)
    assert result.exit_code == 0, result.output
    assert "avec 2 élèves" in result.output
    # the repeated line is dropped, and the teacher is told which one
    warning = [line for line in result.output.splitlines() if line.startswith("  - ")]
    assert len(warning) == 1 and "ligne 3" in warning[0], result.output


def test_a_failed_init_leaves_no_half_made_course(tmp_path):
    roster = tmp_path / "classe.csv"
    roster.write_text(PRONOTE, encoding="utf-8")
    target = tmp_path / "cours"
    # a gradebook server that does not answer: the failure comes after the first files
    result = run("init", target, "--roster", roster, "--db", "postgresql://prof:s3cret@127.0.0.1:9/notes")
    assert result.exit_code == 2, result.output
    assert "impossible d'ouvrir le carnet de notes" in result.output and "Traceback" not in result.output
    assert "s3cret" not in result.output  # the password is not shown on screen
    assert not target.exists()


def test_a_failed_init_in_an_existing_folder_removes_only_what_it_added(tmp_path):
    roster = tmp_path / "classe.csv"
    roster.write_text(PRONOTE, encoding="utf-8")
    target = tmp_path / "cours"
    target.mkdir()
    (target / "notes-du-prof.txt").write_text("à garder", encoding="utf-8")
    result = run("init", target, "--roster", roster, "--db", "postgresql://prof@127.0.0.1:9/notes")
    assert result.exit_code == 2, result.output
    assert sorted(p.name for p in target.iterdir()) == ["notes-du-prof.txt"]
