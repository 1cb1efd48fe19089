"""Reading a Moodle « Télécharger tous les travaux remis » archive without trusting it.

Who handed a file in is decided by the Moodle entry it came from, and only by it: the
first path component shaped like Moodle's « Léa Martin_12345_assignsubmission_file_ »
(the folder of recent Moodle versions, or the file-name prefix of older flat archives).
Everything below it is the student's content: a name inside an upload, or inside the
student's own zip, never chooses a student.

Nothing is extracted to disk here. Notebooks are read into memory under limits checked
before decompressing (declared sizes, compression ratio, member count, nesting depth)
and again while reading (bytes actually produced), so a zip bomb costs nothing and no
member name is ever used as a path (no zip-slip). nbgrader's `zip_collect` is not used:
it extracts everything, nested archives included, with no limit, before its collector
plugin sees a single name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat

from generators.errors import MercatiqueError
from generators.grading.sanitize import strip_escapes

MB = 1024 * 1024
MOODLE_ENTRY = re.compile(
    r"^(?P<name>.+?)_(?P<participant>\d+)_(?P<plugin>assign(?:submission|feedback)_[A-Za-z0-9]+)_(?P<rest>.*)$",
    re.DOTALL,
)
JUNK_FOLDERS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
JUNK_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
OTHER_ARCHIVES = (".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz")
RATIO_FLOOR = MB
"""Files below this size are never refused for their compression ratio (small JSON compresses well)."""


@dataclass(frozen=True)
class Limits:
    """What one collect accepts; anything beyond is refused before it is decompressed."""

    max_members: int = 10_000  # entries in the Moodle archive (or files in the folder)
    max_total_mb: int = 2048  # declared uncompressed size of the whole Moodle archive
    max_file_mb: int = 50  # one file: a notebook, or a student's own zip
    max_student_mb: int = 100  # everything read for one student
    max_ratio: int = 100  # uncompressed / compressed size, for files above 1 Mo
    max_nested_members: int = 200  # entries in a student's own zip
    max_depth: int = 1  # Moodle archive → the student's own zip, never deeper


@dataclass(frozen=True)
class Note:
    """One line for the teacher: whose file, which file, what was wrong and what was done."""

    student: str | None  # roster id, None when the file matched nobody
    who: str  # « Léa Martin (eleve001) », or Moodle's name when unmatched (printable)
    file: str  # the file as the student named it (printable)
    message: str  # French: why, and what was done

    def __str__(self) -> str:
        where = f", {quote(self.file)}" if self.file else ""
        return f"{self.who}{where}\u00a0: {self.message}"


@dataclass(frozen=True)
class Entry:
    """One file of the Moodle archive (or of its unzipped folder), not read yet."""

    path: str  # POSIX path inside the archive
    when: dt.datetime  # aware
    size: int  # declared uncompressed size
    packed: int | None  # compressed size (None for a folder)
    read: Callable[[int], bytes]  # at most `cap` bytes, else Refused
    encrypted: bool = False
    link: bool = False


@dataclass
class Upload:
    """One file a Moodle participant handed in."""

    name: str  # the upload's own name (content, not identity)
    entry: Entry


@dataclass
class Participant:
    """A Moodle folder (or flat prefix): the only identity a file has."""

    moodle_name: str
    number: str
    uploads: list[Upload] = field(default_factory=list)


@dataclass
class Notebook:
    """A notebook found among one student's uploads."""

    label: str  # « devoir.zip › devoir-1.ipynb »
    data: bytes
    uploaded: dt.datetime  # Moodle's date of the upload it came from (aware)
    inner: dt.datetime | None  # its date inside the student's own zip
    problem: str | None  # why it is not a readable notebook


class Refused(Exception):
    """One upload is refused; the message says why and what was done (French)."""


def quote(text: str) -> str:
    return f"«\u00a0{text}\u00a0»"


def printable(text: str, limit: int = 120) -> str:
    """A student-chosen name made safe to print: no escape sequence, control or bidi character."""
    text = strip_escapes(text)
    safe = []
    for char in text:
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            safe.append("?")
        elif category == "Zs":
            safe.append(" ")
        else:
            safe.append(char)
    text = "".join(safe)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def megabytes(size: int) -> str:
    return f"{size / MB:.0f}\u00a0Mo" if size >= MB else f"{size / 1024:.0f}\u00a0ko"


def _read_capped(stream, cap: int) -> bytes:
    """The whole stream, or Refused as soon as it produces more than `cap` bytes."""
    chunks, total = [], 0
    while chunk := stream.read(min(MB, cap + 1 - total)):
        total += len(chunk)
        if total > cap:
            raise Refused(f"fichier trop volumineux (plus de {megabytes(cap)})\u00a0: ignoré")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _zip_date(info: zipfile.ZipInfo, tz: dt.tzinfo) -> dt.datetime:
    try:
        return dt.datetime(*info.date_time, tzinfo=tz)
    except ValueError:  # a zip written with an impossible date
        return dt.datetime(1980, 1, 1, tzinfo=tz)


def _zip_entries(archive: zipfile.ZipFile, tz: dt.tzinfo) -> list[Entry]:
    def reader(info: zipfile.ZipInfo) -> Callable[[int], bytes]:
        def read(cap: int) -> bytes:
            with archive.open(info) as stream:
                return _read_capped(stream, cap)

        return read

    return [
        Entry(
            path=info.filename,
            when=_zip_date(info, tz),
            size=info.file_size,
            packed=info.compress_size,
            read=reader(info),
            encrypted=bool(info.flag_bits & 0x1),
            link=_is_link(info),
        )
        for info in archive.infolist()
        if not info.is_dir()
    ]


def _folder_entries(root: Path, limits: Limits) -> list[Entry]:
    """Every file under `root`, symbolic links reported but never followed."""
    entries: list[Entry] = []

    def reader(path: Path) -> Callable[[int], bytes]:
        def read(cap: int) -> bytes:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as stream:
                return _read_capped(stream, cap)

        return read

    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in sorted(dirs) + sorted(files):
            path = Path(folder) / name
            info = path.lstat()
            if stat.S_ISDIR(info.st_mode):
                continue
            if len(entries) >= limits.max_members:
                raise MercatiqueError(
                    f"{root}\u00a0: plus de {limits.max_members} fichiers, ce n'est pas un dossier de "
                    "travaux Moodle. Donnez le dossier décompressé de « Télécharger tous les travaux remis »."
                )
            entries.append(
                Entry(
                    path=path.relative_to(root).as_posix(),
                    when=dt.datetime.fromtimestamp(info.st_mtime, dt.UTC),
                    size=info.st_size,
                    packed=None,
                    read=reader(path),
                    link=stat.S_ISLNK(info.st_mode),
                )
            )
    return entries


@contextlib.contextmanager
def open_source(source: Path, limits: Limits, moodle_tz: str) -> Iterator[list[Entry]]:
    """The files of a Moodle archive or of its unzipped folder; the teacher's mistakes raise."""
    if source.is_dir():
        yield _folder_entries(source, limits)
        return
    if source.suffix.lower() != ".zip":
        raise MercatiqueError(
            f"{source}\u00a0: donnez l'archive .zip téléchargée de Moodle, ou son dossier décompressé"
        )
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise MercatiqueError(
            f"{source}\u00a0: archive zip illisible ou incomplète. Téléchargez-la de nouveau dans Moodle "
            "(« Télécharger tous les travaux remis »)."
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise MercatiqueError(
                f"{source}\u00a0: {len(infos)} fichiers dans l'archive (limite {limits.max_members}), "
                "ce n'est pas une archive de travaux Moodle."
            )
        total = sum(info.file_size for info in infos)
        if total > limits.max_total_mb * MB:
            raise MercatiqueError(
                f"{source}\u00a0: {megabytes(total)} une fois décompressée (limite "
                f"{limits.max_total_mb}\u00a0Mo). Téléchargez les travaux par groupe dans Moodle."
            )
        yield _zip_entries(archive, ZoneInfo(moodle_tz))


def is_junk(path: str) -> bool:
    """Files that operating systems add to folders and zips (macOS, Windows, Jupyter)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return True
    return any(p in JUNK_FOLDERS for p in parts) or parts[-1].startswith("._") or parts[-1] in JUNK_FILES


def owner(path: str) -> tuple[re.Match[str], str] | None:
    """The Moodle entry a file came from and the upload's own name, or None.

    The first component shaped like a Moodle entry is the identity (a teacher may have
    wrapped the archive in a folder); later components belong to the student.
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    for position, part in enumerate(parts):
        found = MOODLE_ENTRY.match(part)
        if found:
            rest = parts[position + 1 :]
            return found, "/".join(rest) if rest else found.group("rest")
    return None


def participants(entries: list[Entry]) -> tuple[list[Participant], list[str]]:
    """Moodle participants with their uploads, and the (printable) paths that belong to nobody."""
    found: dict[tuple[str, str], Participant] = {}
    nobody: list[str] = []
    for entry in entries:
        if is_junk(entry.path):
            continue
        match = owner(entry.path)
        if match is None:
            nobody.append(printable(entry.path))
            continue
        moodle, upload = match
        if moodle.group("plugin").startswith("assignfeedback"):
            continue  # the teacher's own feedback files, not a submission
        key = (moodle.group("participant"), moodle.group("name"))
        participant = found.setdefault(key, Participant(moodle.group("name"), moodle.group("participant")))
        participant.uploads.append(Upload(upload or entry.path.rsplit("/", 1)[-1], entry))
    return list(found.values()), nobody


def notebook_problem(data: bytes) -> str | None:
    """Why these bytes are not a notebook nbgrader can grade (French), or None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "pas un fichier texte UTF-8"
    try:
        json.loads(text)
    except ValueError:
        return "pas un JSON valide, fichier abîmé"
    try:
        nbformat.validate(nbformat.reads(text, as_version=4))
    except Exception:  # nbformat raises several kinds for a malformed notebook
        return "pas un notebook Jupyter valide"
    return None


class Budget:
    """Bytes one student may still have read, shared by all their uploads."""

    def __init__(self, limits: Limits):
        self.limits, self.left = limits, limits.max_student_mb * MB

    def check(self, size: int, packed: int | None, encrypted: bool = False) -> int:
        """The cap to read this file with, or Refused before anything is decompressed."""
        limits = self.limits
        if encrypted:
            raise Refused("fichier protégé par un mot de passe\u00a0: ignoré")
        if size > limits.max_file_mb * MB:
            raise Refused(
                f"fichier trop volumineux ({megabytes(size)}, "
                f"limite {limits.max_file_mb}\u00a0Mo)\u00a0: ignoré"
            )
        if packed is not None and size > RATIO_FLOOR and size > limits.max_ratio * max(packed, 1):
            raise Refused(
                f"taux de compression anormal ({megabytes(packed)} qui deviennent {megabytes(size)}, "
                "archive piégée\u00a0?)\u00a0: ignoré"
            )
        if size > self.left:
            raise Refused(
                f"l'ensemble des fichiers rendus dépasse {limits.max_student_mb}\u00a0Mo\u00a0: ignoré"
            )
        return min(limits.max_file_mb * MB, self.left)

    def spend(self, data: bytes) -> bytes:
        self.left -= len(data)
        return data


def _kind(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".ipynb"):
        return "notebook"
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith(OTHER_ARCHIVES):
        return "other-archive"
    return "other"


def _nested_notebooks(
    upload: Upload, data: bytes, budget: Budget, limits: Limits, note: Callable[[str, str], None]
) -> list[Notebook]:
    """The notebooks of a student's own zip (one level): their names are content, not identity."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, ValueError, OSError):
        raise Refused("archive illisible (ce n'est pas un vrai fichier .zip)\u00a0: ignorée") from None
    found: list[Notebook] = []
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and not is_junk(i.filename)]
        if not infos:
            raise Refused("archive vide\u00a0: ignorée")
        if len(infos) > limits.max_nested_members:
            raise Refused(
                f"archive de {len(infos)} fichiers (limite {limits.max_nested_members})\u00a0: ignorée"
            )
        for info in infos:
            if _kind(info.filename) in ("zip", "other-archive"):
                note(f"{upload.name} › {info.filename}", "archive dans une archive\u00a0: ignorée "
                     "(un seul niveau d'archive est ouvert)")  # fmt: skip
        notebooks = [i for i in infos if _kind(i.filename) == "notebook"]  # data files beside: not graded
        if not notebooks:
            raise Refused("aucun notebook (.ipynb) dans l'archive\u00a0: ignorée")
        for info in notebooks:
            label = f"{upload.name} › {info.filename}"
            if _is_link(info):
                note(label, "lien symbolique\u00a0: ignoré")
                continue
            try:
                cap = budget.check(info.file_size, info.compress_size, bool(info.flag_bits & 0x1))
                with archive.open(info) as stream:
                    content = budget.spend(_read_capped(stream, cap))
            except Refused as exc:
                note(label, str(exc))
                continue
            except (
                zipfile.BadZipFile,
                EOFError,
                OSError,
                ValueError,
                RuntimeError,
                NotImplementedError,
                zlib.error,
            ):
                note(label, "fichier abîmé dans l'archive\u00a0: ignoré")
                continue
            found.append(
                Notebook(
                    label=label,
                    data=content,
                    uploaded=upload.entry.when,
                    inner=_zip_date(info, dt.UTC),
                    problem=notebook_problem(content),
                )
            )
    return found


def student_notebooks(
    participant: Participant, limits: Limits, note: Callable[[str, str], None]
) -> list[Notebook]:
    """Every notebook one participant handed in, directly or in their own zip; the rest becomes notes."""
    budget = Budget(limits)
    found: list[Notebook] = []
    for upload in sorted(participant.uploads, key=lambda u: u.name):
        entry, kind = upload.entry, _kind(upload.name)
        if entry.link:
            note(upload.name, "lien symbolique\u00a0: ignoré (il pourrait désigner un fichier du cours)")
            continue
        if kind == "other":
            note(upload.name, "pas un notebook (.ipynb)\u00a0: ignoré")
            continue
        if kind == "other-archive":
            note(
                upload.name,
                "format d'archive non pris en charge (seuls .ipynb et .zip le sont)\u00a0: ignoré",
            )
            continue
        if kind == "zip" and limits.max_depth < 1:
            note(upload.name, "archive rendue par l'élève\u00a0: ignorée (les archives ne sont pas ouvertes)")
            continue
        try:
            data = budget.spend(entry.read(budget.check(entry.size, entry.packed, entry.encrypted)))
            if kind == "notebook":
                found.append(Notebook(upload.name, data, entry.when, None, notebook_problem(data)))
                continue
            found.extend(_nested_notebooks(upload, data, budget, limits, note))
        except Refused as exc:
            note(upload.name, str(exc))
        except Exception:  # a damaged upload must never stop the class
            note(upload.name, "fichier illisible dans l'archive Moodle\u00a0: ignoré")
    return found
