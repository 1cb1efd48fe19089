"""A Moodle archive built by hostile students: nobody is filed as someone else, nothing crashes
or floods the class, and the teacher reads a French line for every refused upload."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from generators.classroom.collect import collect
from generators.classroom.course import open_course
from tests.helpers import run
from tests.test_collect import (
    CHLOE,
    HUGO,
    INES,
    LEA,
    NOE,
    THEO,
    A,
    filed,
    fresh_course,
    make_zip,
    moodle,
    notebook,
)

MB = 1024 * 1024
EARLY, LATE = (2026, 3, 10, 9, 0, 0), (2026, 3, 10, 18, 0, 0)


@pytest.fixture
def course_root(tmp_path, tmp_path_factory) -> Path:
    return fresh_course(tmp_path, tmp_path_factory)


def disk_use(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def zeros_zip(name: str, size: int) -> bytes:
    """A student's zip holding `size` bytes of zeros under `name`: a few hundred kB on the wire."""
    buffer = io.BytesIO()
    info = zipfile.ZipInfo(name, date_time=EARLY)
    info.compress_type = zipfile.ZIP_DEFLATED
    with (
        zipfile.ZipFile(buffer, "w", compresslevel=9) as z,
        z.open(info, "w", force_zip64=True) as member,
    ):
        for _ in range(size // MB):
            member.write(bytes(MB))
    return buffer.getvalue()


def lying_zip(name: str, real: int, declared: int) -> bytes:
    """A zip whose headers declare `declared` bytes for a member that really inflates to `real`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo(name, date_time=EARLY), bytes(real), zipfile.ZIP_DEFLATED)
    data = bytearray(buffer.getvalue())
    data[22:26] = struct.pack("<I", declared)  # local header: uncompressed size
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", declared)
    return bytes(data)


def notes_of(result, student: str) -> list[str]:
    return [f"{n.file} | {n.message}" for n in result.notes if n.student == student]


def test_a_file_or_folder_named_after_another_student_never_lands_in_their_place(course_root):
    course = open_course(course_root)
    earlier = {f"{moodle('Noé Bernard', 104)}/devoir.ipynb": notebook("de Noé")}
    make_zip(course_root.parent / "avant.zip", earlier)
    collect(course, A, course_root.parent / "avant.zip")
    forged_zip = make_zip(
        None,
        {
            f"{moodle('Noé Bernard', 104)}/devoir-1.ipynb": notebook("Chloé se fait passer pour Noé"),
        },
    )
    archive = course_root.parent / "moodle.zip"
    make_zip(
        archive,
        {
            # modern layout: Léa uploads a file named like Hugo's Moodle entry
            f"{moodle('Léa Martin', 101)}/{moodle('Hugo Müller', 102)}devoir.ipynb": notebook(
                "Léa pour Hugo"
            ),
            f"{moodle('Hugo Müller', 102)}/devoir-1.ipynb": notebook("le vrai Hugo"),
            # flat layout: Inès's file name carries Théo's entry after her own
            f"{moodle('Inès Roux', 105)}{moodle('Théo François', 106)}devoir.ipynb": notebook(
                "Inès pour Théo"
            ),
            # a zip holding another student's Moodle folder
            f"{moodle('Chloé André', 103)}/rendu.zip": forged_zip,
        },
    )
    result = collect(course, A, archive)
    assert filed(course_root, HUGO) == "le vrai Hugo"
    assert filed(course_root, NOE) == "de Noé"  # the victim's own earlier submission is intact
    assert filed(course_root, THEO) is None
    # what each student uploaded is their own work, filed under their own name
    assert filed(course_root, LEA) == "Léa pour Hugo"
    assert filed(course_root, INES) == "Inès pour Théo"
    assert filed(course_root, CHLOE) == "Chloé se fait passer pour Noé"
    assert result.imported == [LEA, HUGO, CHLOE, INES] and result.kept == [NOE]


def test_a_second_moodle_account_with_a_students_name_is_never_guessed(course_root):
    archive = course_root.parent / "moodle.zip"
    make_zip(
        archive,
        {
            f"{moodle('Léa Martin', 101)}/devoir-1.ipynb": notebook("une Léa"),
            f"{moodle('MARTIN Léa', 777)}/devoir-1.ipynb": notebook("une autre Léa"),
            f"{moodle('Hugo Müller', 102)}/devoir-1.ipynb": notebook("de Hugo"),
        },
    )
    result = collect(open_course(course_root), A, archive)
    assert result.collected == [HUGO] and filed(course_root, LEA) is None
    assert notes_of(result, LEA) == [
        " | plusieurs participants Moodle (n°\u00a0101 et n°\u00a0777) portent ce nom\u00a0: aucun n'est "
        "importé, à classer à la main"
    ]


def test_two_notebooks_keep_the_latest_upload_and_say_so(course_root):
    archive = course_root.parent / "moodle.zip"
    make_zip(
        archive,
        {
            f"{moodle('Léa Martin', 1)}/brouillon.ipynb": (notebook("Léa tôt"), EARLY),
            f"{moodle('Léa Martin', 1)}/final.ipynb": (notebook("Léa tard"), LATE),
            # a notebook and a zip holding another one: the zip was uploaded later
            f"{moodle('Hugo Müller', 2)}/devoir-1.ipynb": (notebook("Hugo tôt"), EARLY),
            f"{moodle('Hugo Müller', 2)}/devoir.zip": (
                make_zip(None, {"d/v2.ipynb": notebook("Hugo v2")}),
                LATE,
            ),
            # a damaged notebook beside a good one: the readable one wins, whatever the dates
            f"{moodle('Chloé André', 3)}/devoir-1.ipynb": (notebook("Chloé lisible"), EARLY),
            f"{moodle('Chloé André', 3)}/devoir-1 (1).ipynb": (b'{"cells": [', LATE),
        },
    )
    result = collect(open_course(course_root), A, archive)
    assert filed(course_root, LEA) == "Léa tard"
    assert notes_of(result, LEA) == [
        "brouillon.ipynb | deux notebooks rendus\u00a0: le plus récent (d'après la date de dépôt dans "
        "Moodle), «\u00a0final.ipynb\u00a0», est retenu, celui-ci est ignoré"
    ]
    assert filed(course_root, HUGO) == "Hugo v2"
    assert any("devoir-1.ipynb | deux notebooks rendus" in line for line in notes_of(result, HUGO))
    assert filed(course_root, CHLOE) == "Chloé lisible"
    assert any("notebook illisible (pas un JSON valide" in line for line in notes_of(result, CHLOE))
    assert result.collected == [LEA, HUGO, CHLOE]


def test_bombs_are_refused_before_they_are_inflated(course_root):
    """300 Mo of zeros in a student's zip, 40 Mo at a ratio no notebook has, and lying headers."""
    archive = course_root.parent / "moodle.zip"
    make_zip(
        archive,
        {
            f"{moodle('Léa Martin', 1)}/devoir.zip": zeros_zip("devoir-1.ipynb", 300 * MB),
            f"{moodle('Hugo Müller', 2)}/devoir.zip": zeros_zip("devoir-1.ipynb", 40 * MB),
            f"{moodle('Chloé André', 3)}/devoir.zip": lying_zip("devoir-1.ipynb", 30 * MB, 1000),
            f"{moodle('Noé Bernard', 4)}/devoir-1.ipynb": notebook("de Noé"),
        },
    )
    assert archive.stat().st_size < MB
    before = disk_use(course_root)
    result = collect(open_course(course_root), A, archive)
    assert disk_use(course_root) - before < MB
    assert result.collected == [NOE] and filed(course_root, NOE) == "de Noé"
    assert "fichier trop volumineux (300\u00a0Mo, limite 50\u00a0Mo)" in notes_of(result, LEA)[0]
    assert "taux de compression anormal" in notes_of(result, HUGO)[0]
    assert "abîmé" in notes_of(result, CHLOE)[0]
    assert all(filed(course_root, s) is None for s in (LEA, HUGO, CHLOE))


def test_fake_nested_many_and_foreign_archives_are_lines_not_crashes(course_root):
    archive = course_root.parent / "moodle.zip"
    inner = make_zip(None, {"devoir-1.ipynb": notebook("deux niveaux plus bas")})
    crowd = make_zip(None, {f"f{i}.ipynb": notebook(f"n{i}") for i in range(300)})
    make_zip(
        archive,
        {
            f"{moodle('Léa Martin', 1)}/devoir.zip": b"ceci n'est pas une archive",
            f"{moodle('Léa Martin', 1)}/devoir-1.ipynb": notebook("de Léa"),
            f"{moodle('Hugo Müller', 2)}/devoir.zip": make_zip(None, {"encore.zip": inner}),
            f"{moodle('Chloé André', 3)}/devoir.zip": crowd,
            f"{moodle('Noé Bernard', 4)}/devoir.rar": b"Rar!\x1a\x07\x00",
            f"{moodle('Inès Roux', 5)}/devoir.pdf": b"%PDF-1.4",
        },
    )
    result = collect(open_course(course_root), A, archive)
    assert result.collected == [LEA] and filed(course_root, LEA) == "de Léa"
    assert notes_of(result, LEA) == [
        "devoir.zip | archive illisible (ce n'est pas un vrai fichier .zip)\u00a0: ignorée"
    ]
    assert "archive dans une archive" in notes_of(result, HUGO)[0]
    assert "archive de 300 fichiers (limite 200)\u00a0: ignorée" in notes_of(result, CHLOE)[0]
    assert "format d'archive non pris en charge" in notes_of(result, NOE)[0]
    assert "pas un notebook (.ipynb)" in notes_of(result, INES)[0]
    for student in (HUGO, CHLOE, NOE, INES):
        assert "aucun notebook utilisable rendu" in notes_of(result, student)[-1]


def test_zip_slip_names_are_content_never_paths(course_root, tmp_path):
    own = make_zip(None, {"../../../../evil-inner.ipynb": notebook("Léa, chemin piégé")})
    archive = course_root.parent / "moodle.zip"
    make_zip(
        archive,
        {
            f"{moodle('Léa Martin', 1)}/devoir.zip": own,
            f"{moodle('Hugo Müller', 2)}/../../../evil-outer.ipynb": notebook("Hugo, chemin piégé"),
            "../../evil-top.ipynb": notebook("personne"),
            "/tmp/evil-absolute.ipynb": notebook("personne"),
        },
    )
    result = collect(open_course(course_root), A, archive)
    assert filed(course_root, LEA) == "Léa, chemin piégé" and filed(course_root, HUGO) == "Hugo, chemin piégé"
    assert len(result.unmatched) == 2
    for folder in (tmp_path, Path("/tmp")):
        assert not list(folder.glob("evil-*")) and not list(folder.glob("*/evil-*"))


def test_the_cli_prints_no_escape_sequence_and_no_traceback(course_root):
    hostile_name = "devoir\x1b[2J\x1b]0;piraté\x07\u202egnp.ipynb\x1b[31m.txt"
    blinking = moodle("Hugo\x1b[5m Inconnu", 9)
    archive = course_root.parent / "moodle.zip"
    make_zip(
        archive,
        {
            f"{moodle('Léa Martin', 1)}/{hostile_name}": b"du texte",
            f"{moodle('Léa Martin', 1)}/devoir.zip": b"PK\x03\x04 faux",
            f"{blinking}/devoir-1.ipynb": notebook("inconnu"),
            f"{moodle('Hugo Müller', 2)}/devoir.zip": zeros_zip("devoir-1.ipynb", 300 * MB),
            f"{moodle('Noé Bernard', 4)}/devoir-1.ipynb": notebook("de Noé"),
        },
    )
    result = run("collect", course_root, A, archive)
    assert result.exit_code == 0 and result.exception is None
    output = result.output
    assert "Traceback" not in output
    assert not any(char in output for char in "\x1b\x07\u202e\x9b")
    assert "1 copie(s) importée(s)" in output
    assert not any(rest in output for rest in ("[2J", "]0;", "[31m", "[5m"))  # whole sequences are gone
    assert "«\u00a0devoir.zip\u00a0»\u00a0: archive illisible" in output
    assert "Hugo Inconnu" in output and "pas un notebook (.ipynb)" in output
    assert "Sans copie (5)" in output
