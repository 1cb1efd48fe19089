"""Class lists as schools export them: read whole, refused whole, with the line of each problem."""

import codecs

import pytest

from generators.classroom.roster import (
    Student,
    by_group,
    load_roster,
    parse_roster,
    parse_roster_text,
    read_roster,
)
from generators.errors import MercatiqueError

HEADER = "id,last_name,first_name,email\n"


def write(tmp_path, data: bytes, name="classe.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(text: str) -> str:
    with pytest.raises(MercatiqueError) as caught:
        parse_roster_text(text, "classe.csv")
    message = str(caught.value)
    assert "rien n'a été importé" in message or "colonnes manquantes" in message
    return message


# ---- the English header of earlier versions keeps working ----------------------------------


def test_reads_accents_bom_and_semicolons(tmp_path):
    path = write(tmp_path, "\ufeffid;last_name;first_name;email\nb1;Lefèvre;Éloïse;eloise@ex.fr\n".encode())
    [student] = read_roster(path)
    assert (student.id, student.last_name, student.first_name, student.group) == (
        "b1",
        "Lefèvre",
        "Éloïse",
        "",
    )


def test_every_bad_row_is_listed_with_its_line():
    text = HEADER + "a1,Martin,Léa,lea@ex.fr\na1,Durand,Noé,\na 2,Roux,,pas-un-mail\n\n,Petit,Zoé,\n"
    message = refused(text)
    assert "ligne 3 : identifiant « a1 » déjà donné ligne 2 à Léa Martin" in message
    assert "ligne 4 : identifiant « a 2 » invalide" in message
    assert "ligne 4 : prénom vide" in message
    assert "ligne 4 : adresse e-mail « pas-un-mail » invalide" in message
    assert "ligne 6 : identifiant vide" in message


def test_parse_roster_still_returns_students():
    students = parse_roster(HEADER + "a1,Martin,Léa,lea@ex.fr\n", "x.csv")
    assert students == [Student("a1", "Martin", "Léa", "lea@ex.fr")]


# ---- school exports -------------------------------------------------------------------------


def test_pronote_semicolons_with_bom(tmp_path):
    text = (
        "\ufeffNom;Prénom;Classe;Adresse e-mail;Date de naissance\r\n"
        "MARTIN;Léa;1STMG2;lea.martin@lycee.example;12/03/2009\r\n"
        "LE GOFF;Jean-Noël;1STMG1;;01/01/2009\r\n"
        "N'DIAYE;Aïssatou;1STMG2;a.ndiaye@lycee.example;05/06/2009\r\n"
    )
    result = load_roster(write(tmp_path, text.encode()))
    assert result.delimiter == ";" and result.encoding == "utf-8" and result.warnings == []
    assert [(s.id, s.last_name, s.first_name, s.group, s.email) for s in result.students] == [
        ("martin.lea", "MARTIN", "Léa", "1STMG2", "lea.martin@lycee.example"),
        ("le-goff.jean-noel", "LE GOFF", "Jean-Noël", "1STMG1", ""),
        ("ndiaye.aissatou", "N'DIAYE", "Aïssatou", "1STMG2", "a.ndiaye@lycee.example"),
    ]


def test_ent_tab_export_keeps_the_logins(tmp_path):
    text = (
        "Identifiant\tNom\tPrénom\tGroupe\tCourriel\tProfil\n"
        "lmartin\tMartin\tLéa\tBTS NDRC 1\tlmartin@ent.example\tÉlève\n"
        "hbernard\tBernard\tHugo\tBTS NDRC 1\t\tÉlève\n"
    )
    result = load_roster(write(tmp_path, text.encode()))
    assert result.delimiter == "\t"
    assert [(s.id, s.group) for s in result.students] == [
        ("lmartin", "BTS NDRC 1"),
        ("hbernard", "BTS NDRC 1"),
    ]


def test_excel_unicode_text_is_utf16_tab(tmp_path):
    text = "Nom\tPrénom\tDivision\nDubois\tChloé\tTSTMG3\n"
    result = load_roster(write(tmp_path, codecs.BOM_UTF16_LE + text.encode("utf-16-le")))
    assert [(s.id, s.first_name, s.group) for s in result.students] == [("dubois.chloe", "Chloé", "TSTMG3")]


def test_headers_ignore_case_accents_spaces_and_order():
    text = "\ufeff  E-MAIL ;  PRENOM ; nom ;CLASSE\nzoe@ex.fr;Zoé;Noël;2nde 4\n"
    [s] = parse_roster(text, "x.csv")
    assert (s.id, s.last_name, s.first_name, s.email, s.group) == (
        "noel.zoe",
        "Noël",
        "Zoé",
        "zoe@ex.fr",
        "2nde 4",
    )


def test_quoted_cells_and_blank_lines_keep_line_numbers():
    text = '\n"Nom","Prénom","Classe"\n"Roux, épouse Petit","Inès","1 G"\n\n"Girard","",""\n'
    message = refused(text)
    assert "ligne 5 : prénom vide" in message


def test_windows_1252_accents_are_read(tmp_path):
    text = (
        "Nom;Prénom;Classe;Courriel\r\nLefèvre;Éloïse;1ère STMG – gr. 2;\r\n"
        "Œillet;Maël;1ère STMG – gr. 2;mael@ex.fr\r\nO’Connor;Zoé;1ère STMG – gr. 2;\r\n"
    )
    result = load_roster(write(tmp_path, text.encode("cp1252")))
    assert result.encoding == "windows-1252"
    assert [(s.id, s.last_name, s.first_name, s.group) for s in result.students] == [
        ("lefevre.eloise", "Lefèvre", "Éloïse", "1ère STMG – gr. 2"),
        ("oeillet.mael", "Œillet", "Maël", "1ère STMG – gr. 2"),
        ("oconnor.zoe", "O’Connor", "Zoé", "1ère STMG – gr. 2"),
    ]


def test_an_unreadable_encoding_is_refused_in_french(tmp_path):
    # an old DOS export (code page 850): « é » is byte 0x82, which Windows-1252 reads as « ‚ »
    path = write(tmp_path, "Nom;Prénom\nMartin;Léa\n".encode("cp850"))
    with pytest.raises(
        MercatiqueError, match="ligne 1 : « Nom;Pr‚nom » contient des caractères inattendus.*CSV UTF-8"
    ):
        load_roster(path)
    path = write(tmp_path, "Nom;Prenom\nMartin;Léa\n".encode("cp850"))
    with pytest.raises(MercatiqueError, match="ligne 2 : « L‚a » contient des caractères inattendus"):
        load_roster(path)


def test_a_mac_roman_export_is_not_mistaken_for_windows_1252(tmp_path):
    path = write(tmp_path, "Nom;Prenom;Classe\nMüller;Noël;1A\n".encode("mac_roman"))
    with pytest.raises(MercatiqueError, match="ligne 2 : « MŸller » contient des caractères inattendus"):
        load_roster(path)
    # « è » has no Windows-1252 reading at all
    path = write(tmp_path, "Nom;Prenom\nMartin;Léa\nLefèvre;Zoé\n".encode("mac_roman"))
    with pytest.raises(MercatiqueError, match="ligne 3 : encodage du fichier non reconnu"):
        load_roster(path)


def test_a_file_mixing_utf8_and_windows_1252_is_refused(tmp_path):
    data = "Nom;Prénom\nMartin;Léa\n".encode() + "Dubois;Chloé\n".encode("cp1252")
    with pytest.raises(
        MercatiqueError, match=r"mélange deux encodages \(UTF-8 ligne\(s\) 1, 2, un autre .* 3\)"
    ):
        load_roster(write(tmp_path, data))


def test_names_already_mangled_in_a_utf8_file_are_refused():
    message = refused("Nom;Prénom\nMartin;LÃ©a\n")
    assert "ligne 2 : « LÃ©a » est mal encodé" in message


def test_old_mac_line_ends_and_a_repeated_column():
    assert [s.id for s in parse_roster("Nom,Prénom\rRoux,Théo\rPetit,Zoé\r", "x.csv")] == [
        "roux.theo",
        "petit.zoe",
    ]
    message = refused("Nom;Prénom;Nom\nRoux;Théo;Roux\n")
    assert "ligne 1 : colonne « Nom » présente plusieurs fois (colonnes 1, 3)" in message


def test_two_exports_pasted_one_after_the_other():
    text = "Nom;Prénom;Classe\nMartin;Léa;1A\nNOM;PRÉNOM;CLASSE\nRoux;Théo;1B\n"
    result = parse_roster_text(text, "x.csv")
    assert [s.id for s in result.students] == ["martin.lea", "roux.theo"]
    assert result.warnings == ["ligne 3 : en-tête répété (deux listes mises bout à bout ?), ignoré"]


def test_exact_duplicate_lines_are_dropped_with_a_warning():
    text = "Nom;Prénom;Classe\nMartin;Léa;1A\nRoux;Théo;1A\n Martin ; Léa ;1A\n"
    result = parse_roster_text(text, "x.csv")
    assert [s.id for s in result.students] == ["martin.lea", "roux.theo"]
    assert result.warnings == ["ligne 4 : ligne identique à la ligne 2, ignorée"]


def test_conflicting_duplicates_are_refused_with_both_lines():
    text = "Identifiant;Nom;Prénom\nlmartin;Martin;Léa\nhroux;Roux;Hugo\nLMARTIN;Martin;Lucie\n"
    message = refused(text)
    assert "ligne 4 : identifiant « LMARTIN » déjà donné ligne 2 à Léa Martin" in message


def test_missing_columns_are_named():
    with pytest.raises(MercatiqueError, match=r"ligne 1 : colonnes manquantes : Prénom\. En-têtes trouvés : "
                       r"Nom \| Classe"):  # fmt: skip
        parse_roster_text("Nom;Classe\nMartin;1A\n", "x.csv")
    with pytest.raises(MercatiqueError, match="colonnes manquantes : Nom, Prénom"):
        parse_roster_text("\n\nid,email\na,b@c.fr\n", "x.csv")


def test_empty_names_and_bad_email_are_all_listed():
    text = "Nom;Prénom;E-mail\n;Léa;\nRoux;;roux@ex.fr\nPetit;Zoé;zoe at ex.fr\nGirard\n"
    message = refused(text)
    for expected in (
        "ligne 2 : nom vide",
        "ligne 3 : prénom vide",
        "ligne 4 : adresse e-mail « zoe at ex.fr » invalide",
        "ligne 5 : 1 colonne(s) seulement",
    ):
        assert expected in message


def test_an_empty_file_and_a_header_alone_are_refused():
    with pytest.raises(MercatiqueError, match="vide"):
        parse_roster_text(" \n\n", "x.csv")
    with pytest.raises(MercatiqueError, match="aucun élève"):
        parse_roster_text("Nom;Prénom\n", "x.csv")


def test_uppercase_login_is_kept_with_a_warning():
    result = parse_roster_text("Login;Nom;Prénom\nLMartin;Martin;Léa\n", "x.csv")
    assert result.students[0].id == "LMartin"
    assert "minuscules" in result.warnings[0]


# ---- ids made from names --------------------------------------------------------------------

CLASS = "Nom;Prénom;Classe;E-mail\nMartin;Léa;1A;\nMartin;Léa;1B;\nMüller;Anaïs;1A;\nde la Tour;Œdipe;1B;\n"


def test_ids_are_folded_and_homonyms_numbered():
    result = parse_roster_text(CLASS, "x.csv")
    assert [s.id for s in result.students] == [
        "martin.lea",
        "martin.lea-2",
        "muller.anais",
        "de-la-tour.oedipe",
    ]
    assert any("homonymes « Léa Martin »" in w and "martin.lea, martin.lea-2" in w for w in result.warnings)


def test_ids_are_stable_across_reimports_and_a_newcomer():
    first = {s.id: s for s in parse_roster_text(CLASS, "x.csv").students}
    assert [s.id for s in parse_roster_text(CLASS, "x.csv").students] == list(first)
    # later: lines reordered, the homonyms swapped, a newcomer homonym in the middle
    later = "Nom;Prénom;Classe;E-mail\nMartin;Léa;1B;\nde la Tour;Œdipe;1B;\nMartin;Léa;1C;\nMartin;Léa;1A;\n"
    result = parse_roster_text(later, "y.csv", existing=first)
    assert [(s.id, s.group) for s in result.students] == [
        ("martin.lea-2", "1B"),
        ("de-la-tour.oedipe", "1B"),
        ("martin.lea-3", "1C"),
        ("martin.lea", "1A"),
    ]
    assert result.warnings == [
        "homonymes « Léa Martin » : nouveaux identifiants martin.lea-3 ; déjà dans le cours : "
        "martin.lea, martin.lea-2 (vérifiez qu'il ne s'agit pas d'un doublon)"
    ]


def test_existing_students_are_matched_by_email_before_class():
    existing = {
        "eleve001": Student("eleve001", "Martin", "Léa", "lea1@ex.fr", "1A"),
        "eleve002": Student("eleve002", "Martin", "Léa", "lea2@ex.fr", "1A"),
    }
    text = "Nom;Prénom;Classe;E-mail\nMARTIN;Lea;1B;lea2@ex.fr\nMartin;Léa;1A;lea1@ex.fr\n"
    result = parse_roster_text(text, "x.csv", existing=existing)
    assert [s.id for s in result.students] == ["eleve002", "eleve001"]


def test_a_login_already_used_by_someone_else_in_the_course_is_refused():
    existing = {"lmartin": Student("lmartin", "Martin", "Léa")}
    message_ok = parse_roster_text("Login;Nom;Prénom\nlmartin;MARTIN;Lea\n", "x.csv", existing=existing)
    assert message_ok.students[0].id == "lmartin"
    with pytest.raises(
        MercatiqueError, match="ligne 2 : l'identifiant « lmartin » est déjà celui de Léa Martin"
    ):
        parse_roster_text("Login;Nom;Prénom\nlmartin;Martin;Lucie\n", "x.csv", existing=existing)


def test_by_group_sorts_groups_naturally_and_students_alphabetically():
    students = [
        Student("a", "Zola", "Émile", group="1STMG10"),
        Student("b", "Ébert", "Anne", group="1STMG2"),
        Student("c", "Abel", "Luc", group="1STMG2"),
        Student("d", "Petit", "Zoé"),
    ]
    groups = by_group(students)
    assert list(groups) == ["1STMG2", "1STMG10", ""]
    assert [s.id for s in groups["1STMG2"]] == ["c", "b"]
