"""The class list: a UTF-8 CSV `id,last_name,first_name,email`, checked whole before use.

A spreadsheet exported by a school office has stray spaces, a BOM, semicolons and
duplicate lines: every row is checked and every problem is listed with its line, so
nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import MercatiqueError

COLUMNS = ("id", "last_name", "first_name", "email")
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Student:
    id: str
    last_name: str
    first_name: str
    email: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def read_roster(path: Path) -> list[Student]:
    """All the students of the file, or a MercatiqueError listing every bad row."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MercatiqueError(f"liste de classe introuvable : {path}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MercatiqueError(
            f"{path} : le fichier n'est pas en UTF-8. Dans le tableur, enregistrez-le "
            "au format « CSV UTF-8 »."
        ) from None
    return parse_roster(text, str(path))


def parse_roster(text: str, name: str) -> list[Student]:
    first_line = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = list(reader)
    if not rows:
        raise MercatiqueError(f"{name} : le fichier est vide")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise MercatiqueError(
            f"{name}, ligne 1 : colonnes manquantes : {', '.join(missing)}. "
            f"L'en-tête doit être : {','.join(COLUMNS)}"
        )
    index = {c: header.index(c) for c in COLUMNS}
    students: list[Student] = []
    problems: list[str] = []
    first_seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) < len(header):
            problems.append(f"ligne {line} : {len(row)} colonnes au lieu de {len(header)}")
            continue
        values = {c: row[i].strip() for c, i in index.items()}
        sid = values["id"]
        if not sid:
            problems.append(f"ligne {line} : identifiant (id) vide")
        elif not STUDENT_ID.match(sid):
            problems.append(
                f"ligne {line} : identifiant « {sid} » invalide (lettres sans accent, "
                "chiffres, point, tiret ou souligné ; pas d'espace)"
            )
        elif sid in first_seen:
            problems.append(f"ligne {line} : identifiant « {sid} » en double (déjà ligne {first_seen[sid]})")
        else:
            first_seen[sid] = line
        for column, label in (("last_name", "nom"), ("first_name", "prénom")):
            if not values[column]:
                problems.append(f"ligne {line} : {label} ({column}) vide")
        if values["email"] and not EMAIL.match(values["email"]):
            problems.append(f"ligne {line} : adresse e-mail « {values['email']} » invalide")
        students.append(Student(sid, values["last_name"], values["first_name"], values["email"]))
    if problems:
        listing = "\n  - ".join(problems)
        raise MercatiqueError(f"{name} : liste de classe refusée, rien n'a été importé.\n  - {listing}")
    if not students:
        raise MercatiqueError(f"{name} : aucun élève dans la liste")
    return students
