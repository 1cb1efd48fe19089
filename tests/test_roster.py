"""Is a bad class list refused whole, with the line of each problem?"""

import pytest

from generators.errors import MercatiqueError
from generators.roster import parse_roster, read_roster

HEADER = "id,last_name,first_name,email\n"


def test_reads_accents_bom_and_semicolons(tmp_path):
    path = tmp_path / "classe.csv"
    path.write_bytes("\ufeffid;last_name;first_name;email\nb1;Lefèvre;Éloïse;eloise@ex.fr\n".encode())
    [student] = read_roster(path)
    assert (student.id, student.last_name, student.first_name) == ("b1", "Lefèvre", "Éloïse")


def test_every_bad_row_is_listed_with_its_line():
    text = HEADER + "a1,Martin,Léa,lea@ex.fr\na1,Durand,Noé,\na 2,Roux,,pas-un-mail\n\n,Petit,Zoé,\n"
    with pytest.raises(MercatiqueError) as caught:
        parse_roster(text, "classe.csv")
    message = str(caught.value)
    assert "rien n'a été importé" in message
    assert "ligne 3 : identifiant « a1 » en double (déjà ligne 2)" in message
    assert "ligne 4 : identifiant « a 2 » invalide" in message
    assert "ligne 4 : prénom (first_name) vide" in message
    assert "ligne 4 : adresse e-mail « pas-un-mail » invalide" in message
    assert "ligne 6 : identifiant (id) vide" in message


def test_missing_column_is_named():
    with pytest.raises(MercatiqueError, match="colonnes manquantes : email"):
        parse_roster("id,last_name,first_name\na,b,c\n", "x.csv")


def test_non_utf8_file_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "classe.csv"
    path.write_bytes((HEADER + "a1,Lefèvre,Léa,\n").encode("latin-1"))
    with pytest.raises(MercatiqueError, match="CSV UTF-8"):
        read_roster(path)
