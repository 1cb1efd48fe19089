"""The class list as schools export it, checked whole before anything is written.

Accepted files (ENT accounts export, Pronote, SIECLE, a spreadsheet saved as CSV):
- columns found by their header, in any order, case, accents, spaces and BOM ignored:
  « Nom », « Prénom », optional « Classe » / « Groupe » / « Division », « E-mail » /
  « Adresse e-mail » / « Courriel », and an optional identifier « Identifiant » /
  « Login » / « Id ». The English header `id,last_name,first_name,email` still works.
  Other columns (date of birth, INE…) are ignored.
- separator: tab, `;` or `,`, the one that splits the header into known columns.
- encoding: UTF-8 with or without BOM, UTF-16 with BOM (Excel's « Texte Unicode »), or
  Windows-1252 (Excel's « CSV (séparateur : point-virgule) »). A file that is not UTF-8
  is read as Windows-1252 only if every name, class and address then reads as plausible
  text (letters, accents, usual punctuation); otherwise it is refused with a French
  message asking for « CSV UTF-8 », because guessing wrong would misspell names.

The identifier is the student's login on the hub (nbgrader's exchange uses it): a given
identifier column is kept as is. Without one, readable ids are made from the names
(`martin.lea`, homonyms `martin.lea-2`), matching students already in the course first,
so a student keeps their id across re-imports and when someone joins later.

Exact duplicate lines are dropped with a warning; two different lines for one
identifier are refused. Every problem is listed with its line and nothing is imported
while one remains.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generators.errors import MercatiqueError

COLUMNS = ("id", "last_name", "first_name", "email")  # the English header of earlier versions
STORED_COLUMNS = ("id", "last_name", "first_name", "email", "group")
STORED_ROSTER = "roster.csv"  # inside the course's private folder
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Folded header (see `_fold_header`) → field; earlier aliases win when a file has several.
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("identifiant", "login", "id", "identifiantent", "username", "utilisateur"),
    "last_name": ("nom", "lastname", "nomdefamille", "nomdusage", "nomeleve"),
    "first_name": ("prenom", "firstname", "prenoms", "prenomeleve"),
    "group": ("classe", "division", "groupe", "group", "groupes", "class"),
    "email": (
        "email", "adresseemail", "courriel", "adressecourriel", "mail", "adressemail",
        "adresseelectronique", "emailpersonnel",
    ),
}  # fmt: skip
LABELS = {"id": "Identifiant", "last_name": "Nom", "first_name": "Prénom", "group": "Classe",
          "email": "E-mail"}  # fmt: skip
DELIMITERS = ("\t", ";", ",")
# Beyond ASCII, what a Windows-1252 name may contain: Latin letters except those that
# Mac Roman or DOS (cp850) accents turn into (« Müller » in Mac Roman reads « MŸller »),
# the typographic apostrophe and Œ œ; a class may also have « » – — ° and no-break spaces.
NAME_EXTRA = set("’Œœ")
NAME_EXCLUDED = set("ŠšŽžŸƒ")
GROUP_EXTRA = NAME_EXTRA | set("«»–—°\u00a0")
MOJIBAKE = re.compile("[ÂÃ][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u017d\u017e\u0178€]")


@dataclass(frozen=True)
class Student:
    id: str
    last_name: str
    first_name: str
    email: str = ""
    group: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class RosterResult:
    """The students of a file in its order, what was dropped or noticed, and how it was read."""

    students: list[Student]
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    lines: dict[str, int] = field(default_factory=dict)  # student id → line in the file


@dataclass
class Row:
    """One student as typed, before the id is settled."""

    where: str  # « ligne 4 » in a file, empty for a student given on the command line
    line: int
    id: str
    last_name: str
    first_name: str
    email: str = ""
    group: str = ""
    raw: tuple[str, ...] = ()


def read_roster(path: Path) -> list[Student]:
    """All the students of the file, or a MercatiqueError listing every bad row."""
    return load_roster(path).students


def parse_roster(text: str, name: str) -> list[Student]:
    return parse_roster_text(text, name).students


def load_roster(path: Path, existing: dict[str, Student] | None = None) -> RosterResult:
    """Read a school's class list; `existing` are the course's students, who keep their ids."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MercatiqueError(f"liste de classe introuvable : {path}") from None
    except IsADirectoryError:
        raise MercatiqueError(f"{path} est un dossier, pas une liste de classe CSV") from None
    text, encoding = decode(raw, str(path))
    result = parse_roster_text(text, str(path), existing, encoding == "windows-1252")
    result.encoding = encoding
    return result


def decode(raw: bytes, name: str) -> tuple[str, str]:
    """The text and the encoding it was read with (Windows-1252 is checked afterwards)."""
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom) and not raw.startswith(codecs.BOM_UTF8):
            try:
                return raw.decode(encoding), "utf-16"
            except UnicodeDecodeError:
                break
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    _refuse_mixed(raw, name)
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MercatiqueError(
            f"{name}, ligne {line} : encodage du fichier non reconnu (ni UTF-8, ni Windows-1252). "
            "Dans le tableur, enregistrez la liste au format « CSV UTF-8 »."
        ) from None


def _refuse_mixed(raw: bytes, name: str) -> None:
    """A file whose lines are partly UTF-8 and partly not was edited in two programs."""
    utf8, other = [], []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8.append(number)
        except UnicodeDecodeError:
            other.append(number)
    if utf8 and other:
        raise MercatiqueError(
            f"{name} : le fichier mélange deux encodages (UTF-8 ligne(s) {_numbers(utf8)}, "
            f"un autre encodage ligne(s) {_numbers(other)}). Ouvrez-le dans le tableur, corrigez "
            "les noms mal accentués et enregistrez-le au format « CSV UTF-8 »."
        )


def _numbers(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:5])) + ("…" if len(numbers) > 5 else "")


def parse_roster_text(
    text: str, name: str, existing: dict[str, Student] | None = None, legacy_encoding: bool = False
) -> RosterResult:
    """Check every line, settle the ids, and return the students or raise with every problem."""
    text = text.lstrip("\ufeff")
    if "\n" not in text:
        text = text.replace("\r", "\n")  # old Mac line ends
    if "\x00" in text:
        raise MercatiqueError(f"{name} : ce n'est pas un fichier texte CSV (enregistrez-le en « CSV UTF-8 »)")
    lines = [line.rstrip("\r") for line in text.split("\n")]
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise MercatiqueError(f"{name} : le fichier est vide")
    delimiter, columns, duplicated = _header(lines[first])
    header_line = first + 1
    problems: list[str] = []
    for label, positions in duplicated.items():
        problems.append(
            f"ligne {header_line} : colonne « {label} » présente plusieurs fois "
            f"(colonnes {', '.join(map(str, positions))}) ; gardez-en une"
        )
    missing = [f for f in ("last_name", "first_name") if f not in columns]
    if missing:
        seen = next(csv.reader([lines[first]], delimiter=delimiter))
        odd = _odd_characters(lines[first]) if legacy_encoding else ""
        if odd:
            raise MercatiqueError(
                f"{name}, ligne {header_line} : {_legacy_message(lines[first].strip(), odd)}"
            )
        raise MercatiqueError(
            f"{name}, ligne {header_line} : colonnes manquantes : "
            f"{', '.join(LABELS[f] for f in missing)}. En-têtes trouvés : "
            f"{' | '.join(h.strip() for h in seen) or '(aucun)'}. La liste doit avoir au moins "
            "les colonnes « Nom » et « Prénom » ; « Classe », « E-mail » et « Identifiant » "
            "(le login de l'élève) sont facultatives."
        )
    rows, warnings = _rows(text, first, delimiter, columns, problems)
    if legacy_encoding:
        _check_legacy_text(rows, problems)
    result = settle(rows, name, existing, has_ids="id" in columns, problems=problems)
    result.warnings[:0] = warnings
    result.delimiter = delimiter
    return result


def unaccented(text: str) -> str:
    """`text` in lower case without its accents (« Éloïse » → « eloise »), for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold_header(text: str) -> str:
    return "".join(c for c in unaccented(text.replace("\ufeff", "")) if c.isalnum())


def _header(line: str) -> tuple[str, dict[str, int], dict[str, list[int]]]:
    """The delimiter that splits the header into the most known columns, and their positions."""
    best = None
    for delimiter in DELIMITERS:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        found: dict[str, tuple[int, int]] = {}  # field → (alias rank, column)
        same: dict[str, list[int]] = {}
        for column, cell in enumerate(cells):
            folded = _fold_header(cell)
            for f, aliases in HEADERS.items():
                if folded in aliases:
                    rank = aliases.index(folded)
                    if f in found and found[f][0] == rank:
                        same.setdefault(cell.strip(), [found[f][1] + 1]).append(column + 1)
                    elif f not in found or rank < found[f][0]:
                        found[f] = (rank, column)
        score = (len(found), len(cells))
        if best is None or score > best[0]:
            best = (score, delimiter, {f: c for f, (_, c) in found.items()}, same)
    _, delimiter, columns, same = best
    return delimiter, columns, same


def _clean(cell: str) -> str:
    return " ".join(cell.split())


def _rows(text, first, delimiter, columns, problems) -> tuple[list[Row], list[str]]:
    """The data lines as Rows; exact duplicate lines are dropped with a warning."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[Row] = []
    warnings: list[str] = []
    seen: dict[tuple[str, ...], int] = {}
    needed = max(columns["last_name"], columns["first_name"]) + 1
    consumed = 0  # lines read so far: a quoted cell may span several
    for cells in reader:
        start, consumed = consumed + 1, reader.line_num
        if start <= first + 1 or not any(cell.strip() for cell in cells):
            continue  # the header, or a blank line
        raw = tuple(_clean(c) for c in cells)
        while raw and not raw[-1]:
            raw = raw[:-1]
        if _fold_header(cells[columns["last_name"]] if len(cells) >= needed else "") in HEADERS[
            "last_name"
        ] and (_fold_header(cells[columns["first_name"]]) in HEADERS["first_name"]):
            warnings.append(f"ligne {start} : en-tête répété (deux listes mises bout à bout ?), ignoré")
            continue
        if raw in seen:
            warnings.append(f"ligne {start} : ligne identique à la ligne {seen[raw]}, ignorée")
            continue
        seen[raw] = start
        if len(cells) < needed:
            problems.append(
                f"ligne {start} : {len(cells)} colonne(s) seulement, le nom ou le prénom manque "
                "(vérifiez le séparateur de cette ligne)"
            )
            continue
        values = {f: _clean(cells[c]) if c < len(cells) else "" for f, c in columns.items()}
        rows.append(
            Row(
                f"ligne {start}",
                start,
                values.get("id", ""),
                values["last_name"],
                values["first_name"],
                values.get("email", ""),
                values.get("group", ""),
                raw,
            )
        )
    return rows, warnings


def _check_legacy_text(rows: list[Row], problems: list[str]) -> None:
    """A Windows-1252 reading is kept only if what we use from it reads as real text."""
    for row in rows:
        checks = ((row.last_name, NAME_EXTRA), (row.first_name, NAME_EXTRA), (row.group, GROUP_EXTRA),
                  (row.id, set()), (row.email, set()))  # fmt: skip
        for value, extra in checks:
            odd = _odd_characters(value, extra)
            if odd:
                problems.append(_at(row, _legacy_message(value, odd)))
                break


def _legacy_message(value: str, odd: str) -> str:
    return (
        f"« {value} » contient des caractères inattendus ({odd}) : le fichier n'est pas en UTF-8 "
        "et ne se lit pas non plus en Windows-1252. Enregistrez la liste au format « CSV UTF-8 » "
        "dans le tableur."
    )


def _odd_characters(value: str, extra: set[str] = GROUP_EXTRA) -> str:
    """What in a Windows-1252 reading is no letter of a name (or reads as mangled UTF-8)."""
    mangled = MOJIBAKE.search(value)
    if mangled:
        return mangled.group()
    return " ".join(sorted({c for c in value if ord(c) > 127 and not _plausible(c, extra)}))


def _plausible(char: str, extra: set[str]) -> bool:
    if char in extra:
        return True
    if char in NAME_EXCLUDED:
        return False
    return unicodedata.category(char).startswith("L") and "LATIN" in unicodedata.name(char, "")


def fold_name(text: str) -> str:
    """Lowercase ASCII for ids: accents folded, apostrophes dropped, other separators `-`."""
    text = text.casefold().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    ascii_text = unaccented(text)
    ascii_text = re.sub(r"['’`]", "", ascii_text)
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.encode("ascii", "ignore").decode()).strip("-")


def _same_person_key(last_name: str, first_name: str) -> tuple[str, str]:
    return fold_name(last_name), fold_name(first_name)


def settle(
    rows: list[Row],
    name: str,
    existing: dict[str, Student] | None = None,
    has_ids: bool = False,
    problems: list[str] | None = None,
    refused: str = "liste de classe refusée, rien n'a été importé.",
) -> RosterResult:
    """Check the rows and give each its id; raise with every problem, or return the students.

    With `has_ids` the typed identifier is kept (it is the hub login). Otherwise a student
    of `existing` with the same names keeps their id, and newcomers get `nom.prenom`.
    """
    existing = existing or {}
    problems = problems if problems is not None else []
    warnings: list[str] = []
    for row in rows:
        for value, label in ((row.last_name, "nom"), (row.first_name, "prénom")):
            if not value:
                problems.append(_at(row, f"{label} vide"))
            elif MOJIBAKE.search(value):
                problems.append(
                    _at(
                        row,
                        f"« {value} » est mal encodé (caractères « {MOJIBAKE.search(value).group()} ») ; "
                        "corrigez le nom dans le tableur et enregistrez en « CSV UTF-8 »",
                    )
                )
        if row.email and not EMAIL.match(row.email):
            problems.append(_at(row, f"adresse e-mail « {row.email} » invalide"))
    if has_ids:
        _check_given_ids(rows, existing, problems, warnings)
    else:
        _make_ids(rows, existing, problems, warnings)
    if problems:
        listing = "\n  - ".join(problems)
        raise MercatiqueError(f"{name} : {refused}\n  - {listing}")
    if not rows:
        raise MercatiqueError(f"{name} : aucun élève dans la liste")
    students = [Student(r.id, r.last_name, r.first_name, r.email, r.group) for r in rows]
    return RosterResult(students, warnings, lines={r.id: r.line for r in rows})


def _at(row: Row, message: str) -> str:
    return f"{row.where} : {message}" if row.where else message


def _check_given_ids(rows, existing, problems, warnings) -> None:
    """Typed identifiers: valid, unique (ignoring case, as the hub does), same person as in the course."""
    first_seen: dict[str, Row] = {}
    known = {sid.casefold(): s for sid, s in existing.items()}
    for row in rows:
        sid = row.id
        if not sid:
            problems.append(
                _at(
                    row,
                    "identifiant vide (complétez-le, ou supprimez la colonne pour que les "
                    "identifiants soient faits à partir des noms)",
                )
            )
            continue
        if not STUDENT_ID.match(sid):
            problems.append(
                _at(
                    row,
                    f"identifiant « {sid} » invalide (lettres sans accent, chiffres, point, tiret, "
                    "souligné ou @ ; pas d'espace)",
                )
            )
            continue
        other = first_seen.get(sid.casefold())
        if other is not None:
            problems.append(
                _at(
                    row,
                    f"identifiant « {sid} » déjà donné {other.where} à {other.first_name} "
                    f"{other.last_name} (deux lignes différentes pour un même identifiant)",
                )
            )
            continue
        first_seen[sid.casefold()] = row
        before = known.get(sid.casefold())
        if before is not None:
            if _same_person_key(before.last_name, before.first_name) != _same_person_key(
                row.last_name, row.first_name
            ):
                problems.append(
                    _at(
                        row,
                        f"l'identifiant « {sid} » est déjà celui de {before.full_name} dans le cours, "
                        f"pas de {row.first_name} {row.last_name}",
                    )
                )
                continue
            row.id = before.id  # the course's spelling
        elif sid != sid.lower():
            warnings.append(
                _at(
                    row,
                    f"identifiant « {sid} » avec des majuscules : JupyterHub écrit les logins en "
                    "minuscules ; vérifiez qu'il est bien celui du compte de l'élève",
                )
            )


def _same_email(row: Row, s: Student) -> bool:
    return bool(row.email) and s.email.casefold() == row.email.casefold()


def _same_group(row: Row, s: Student) -> bool:
    return bool(row.group) and s.group == row.group


def _make_ids(rows, existing, problems, warnings) -> None:
    """Ids from names: the course's students first (by names, then e-mail or class), then `nom.prenom`."""
    by_name: dict[tuple[str, str], list[Student]] = {}
    for s in sorted(existing.values(), key=lambda s: s.id):
        by_name.setdefault(_same_person_key(s.last_name, s.first_name), []).append(s)
    taken = {sid.casefold() for sid in existing}
    unmatched = [row for row in rows if row.last_name and row.first_name]
    # the same e-mail first, then the same class, then the same names alone
    for same in (_same_email, _same_group, lambda row, s: True):
        still = []
        for row in unmatched:
            candidates = by_name.get(_same_person_key(row.last_name, row.first_name), [])
            chosen = next((s for s in candidates if same(row, s)), None)
            if chosen:
                row.id = chosen.id
                candidates.remove(chosen)
            else:
                still.append(row)
        unmatched = still
    fresh = unmatched
    homonyms: dict[str, list[Row]] = {}
    for row in fresh:
        base = f"{fold_name(row.last_name)}.{fold_name(row.first_name)}"
        if base.startswith(".") or base.endswith(".") or not STUDENT_ID.match(base):
            problems.append(
                _at(
                    row,
                    f"impossible de faire un identifiant à partir de « {row.first_name} "
                    f"{row.last_name} » : ajoutez une colonne « Identifiant »",
                )
            )
            continue
        sid, n = base, 1
        while sid.casefold() in taken:
            n += 1
            sid = f"{base}-{n}"
        taken.add(sid)
        row.id = sid
        homonyms.setdefault(base, []).append(row)
    in_course: dict[tuple[str, str], list[str]] = {}
    for s in sorted(existing.values(), key=lambda s: s.id):
        in_course.setdefault(_same_person_key(s.last_name, s.first_name), []).append(s.id)
    for same in homonyms.values():
        known = in_course.get(_same_person_key(same[0].last_name, same[0].first_name), [])
        if len(same) > 1 or known:
            ids = ", ".join(r.id for r in same)
            already = f" ; déjà dans le cours : {', '.join(known)}" if known else ""
            warnings.append(
                f"homonymes « {same[0].first_name} {same[0].last_name} » : nouveaux identifiants {ids}"
                f"{already} (vérifiez qu'il ne s'agit pas d'un doublon)"
            )


def student_row(student: Student) -> tuple[str, ...]:
    return tuple(getattr(student, c) for c in STORED_COLUMNS)


def stored_roster_text(students: Iterable[Student]) -> str:
    """The course's class list in canonical form: `id,last_name,first_name,email,group`.

    Kept in the order given (the class list's, newcomers last): exports such as Pronote's
    follow it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STORED_COLUMNS)
    writer.writerows(student_row(s) for s in students)
    return buffer.getvalue()


def read_stored_groups(private: Path) -> dict[str, str]:
    """id → group from the course's stored list, in class-list order.

    Courses made before groups kept the file given to `init` as it was typed: it is read
    leniently (no groups, its order); an unreadable one gives nothing."""
    path = Path(private) / STORED_ROSTER
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames and "group" in reader.fieldnames:
            return {row["id"]: row["group"] or "" for row in reader if row.get("id")}
    try:
        return {s.id: s.group for s in parse_roster(path.read_text("utf-8-sig"), str(path))}
    except MercatiqueError:
        return {}


def sort_key(student: Student) -> tuple[str, str, str]:
    return fold_name(student.last_name), fold_name(student.first_name), student.id


def by_group(students: Iterable[Student]) -> dict[str, list[Student]]:
    """Group → students (alphabetical); groups in natural order, students without one last (key "")."""
    groups: dict[str, list[Student]] = {}
    for s in sorted(students, key=sort_key):
        groups.setdefault(s.group, []).append(s)

    def natural(group: str):
        return (group == "", [int(t) if t.isdigit() else t.casefold() for t in re.split(r"(\d+)", group)])

    return {g: groups[g] for g in sorted(groups, key=natural)}
