"""nbgrader exchange plug-ins: each student fetches their own notebook, never a classmate's.

Stock nbgrader releases one folder per assignment, the same for the whole class. The
product's notebooks differ per student, so the course's exchange holds one more folder:

    EXCHANGE/<course_id>/
      outbound/<assignment>/<assignment>.ipynb   a French notice, never the placeholder notebook
      personal/<assignment>/<student>/           that student's folder (from release_per_student/)
      inbound/  feedback/                        nbgrader's own, unchanged

`personal/<assignment>/` is 0711: it can be crossed but not listed. When the student has a
Unix account of the same name, only they can read their folder: a root teacher gives it to
them (0700, files 0600); another teacher keeps it (0700/0600) and grants the student's
account read access with a POSIX ACL. Otherwise (no such account: every server runs as
`jovyan`) it stays the teacher's, 0755/0644: a classmate who types the id can read it, which
reveals numbers, not answers (the verdicts are computed outside the notebook).

The plug-ins are set through `ExchangeFactory` (course config for the teacher, the hub's
/etc/jupyter/nbgrader_config.py for students); stock `nbgrader release_assignment`,
`fetch_assignment`, `list` and JupyterLab's *Assignments* tab then use them. A student is
who nbgrader says (`nbgrader.utils.get_username`: the Unix name, or JUPYTERHUB_USER when
every server runs as `jovyan`).

This module is imported on the students' side: it needs nbgrader and nbformat only.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbgrader.exchange.default import (
    ExchangeFetchAssignment,
    ExchangeList,
    ExchangeReleaseAssignment,
    ExchangeReleaseFeedback,
)
from nbgrader.utils import check_mode, get_username

from generators.authoring import typography

PERSONAL = "personal"
PER_STUDENT_SOURCE = "release_per_student"
DEFAULT_ROOT = "/srv/nbgrader/exchange"
NOTICE_KEY = "mercatique_notice"

# The class paths a configuration file names (course config and students' config).
PLUGINS = {
    "release_assignment": "generators.classroom.exchange.PersonalReleaseAssignment",
    "fetch_assignment": "generators.classroom.exchange.PersonalFetchAssignment",
    "list": "generators.classroom.exchange.PersonalList",
    "release_feedback": "generators.classroom.exchange.ExchangeOnlyReleaseFeedback",
}


def notice_notebook(assignment: str, student: str | None = None) -> nbformat.NotebookNode:
    """What a student gets when no personal notebook exists for them: a French notice."""
    who = f"l'identifiant « {student} »" if student else "votre identifiant"
    text = (
        f"# {assignment} : votre notebook personnel est introuvable\n\n"
        "Ce notebook **n'est pas votre devoir**. Chaque élève reçoit un notebook personnel, "
        f"avec ses propres données, et aucun n'a été déposé pour {who}.\n\n"
        "- Vérifiez que vous êtes connecté·e avec votre propre compte.\n"
        "- Prévenez votre enseignant·e : il ou elle doit vous inscrire au cours puis relancer "
        f"« mercatique release … {assignment} ».\n"
        "- Ensuite, revenez dans l'onglet *Assignments* et cliquez de nouveau sur *Fetch* : "
        "ce notebook sera remplacé par le vôtre.\n\n"
        "Ne rendez pas ce notebook : il ne contient aucun exercice."
    )
    if not student:  # what stock nbgrader hands out when the hub lacks the students' config
        text += (
            "\n\n*Pour l'enseignant·e :* si toute la classe reçoit ce message, le hub n'a pas "
            "la configuration des élèves ; copiez le dossier `exports/jupyter_eleves/` du cours "
            "dans `/etc/jupyter/` (voir son LISEZMOI.txt et le README, section JupyterHub)."
        )
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(typography.markdown(text)))
    nb.metadata[NOTICE_KEY] = {"assignment": assignment, "student": student or ""}
    return nb


def is_notice_folder(folder: str | os.PathLike) -> bool:
    """True when a fetched folder holds only an untouched notice (safe to replace)."""
    folder = Path(folder)
    try:
        entries = [p for p in folder.iterdir() if p.name != ".ipynb_checkpoints"]
    except OSError:
        return False
    if len(entries) != 1 or entries[0].suffix != ".ipynb":
        return False
    try:
        nb = nbformat.read(entries[0], as_version=4)
    except Exception:
        return False
    return NOTICE_KEY in nb.metadata and all(c.cell_type == "markdown" for c in nb.cells)


def student_account(student: str) -> pwd.struct_passwd | None:
    """The student's Unix account, when this process may give files to it (root only)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(student)
    except KeyError:
        return None


def _walk_chmod(path: str, owner: pwd.struct_passwd | None, file_mode: int, dir_mode: int) -> None:
    for dirpath, _dirs, files in os.walk(path, topdown=False):
        for name in files:
            target = os.path.join(dirpath, name)
            if owner:
                os.chown(target, owner.pw_uid, owner.pw_gid)
            os.chmod(target, file_mode)
        if owner:
            os.chown(dirpath, owner.pw_uid, owner.pw_gid)
        os.chmod(dirpath, dir_mode)


def _replace_dir(staging: str, final: str) -> None:
    """Swap a fully written folder into place: nobody ever reads a half-written one."""
    if os.path.isdir(final):
        old = tempfile.mkdtemp(dir=os.path.dirname(final), prefix=".old-")
        os.rename(final, os.path.join(old, "x"))
        os.rename(staging, final)
        shutil.rmtree(old)
    else:
        os.rename(staging, final)


class PersonalReleaseAssignment(ExchangeReleaseAssignment):
    """`nbgrader release_assignment`: the notice in outbound/, each student's own folder in personal/.

    Re-running it (with --force) is idempotent: it mirrors release_per_student/ (newcomers
    added, folders of students no longer there removed).
    """

    def init_src(self):
        super().init_src()
        assignment = self.coursedir.assignment_id
        source = Path(self.coursedir.root) / PER_STUDENT_SOURCE
        self.personal_sources = {}
        if source.is_dir():
            for folder in sorted(source.iterdir()):
                if (folder / assignment / f"{assignment}.ipynb").is_file():
                    self.personal_sources[folder.name] = folder / assignment
        if not self.personal_sources:
            self.fail(
                f"aucun notebook personnel pour « {assignment} » dans {source} : "
                f"lancez d'abord « mercatique assign » (le notebook commun de release/ n'est "
                "jamais distribué, il ne contient que des valeurs de remplacement)"
            )

    def init_dest(self):
        super().init_dest()
        self.personal_path = os.path.join(self.course_path, PERSONAL)
        self.personal_assignment_path = os.path.join(self.personal_path, self.coursedir.assignment_id)
        self.ensure_directory(self.personal_path, 0o755)
        # crossable, not listable: a student reaches their own folder only
        self.ensure_directory(self.personal_assignment_path, 0o711)
        os.chmod(self.personal_assignment_path, 0o711)

    def copy_files(self):
        assignment = self.coursedir.assignment_id
        if os.path.isdir(self.dest_path) and not self.force:
            self.fail(
                f"« {assignment} » est déjà publié dans {self.dest_path} : ajoutez --force pour le republier "
                "(ou utilisez « mercatique release », qui republie sans rien perdre)"
            )
        staging = tempfile.mkdtemp(dir=self.outbound_path, prefix=f".{assignment}-")
        nbformat.write(notice_notebook(assignment), os.path.join(staging, f"{assignment}.ipynb"))
        self.set_perms(staging, fileperms=0o644, dirperms=0o755)
        _replace_dir(staging, self.dest_path)
        self.log.info("Avis déposé à la place du notebook commun : %s", self.dest_path)

        self.protected, self.unprotected = [], []
        for student, source in self.personal_sources.items():
            self._release_one(student, str(source))
        released = set(self.personal_sources)
        for stale in sorted(os.listdir(self.personal_assignment_path)):
            if stale not in released and not stale.startswith("."):
                shutil.rmtree(os.path.join(self.personal_assignment_path, stale))
                self.log.info("Dossier retiré (plus de notebook personnel) : %s", stale)
        self.released = sorted(released)
        self.log.info(
            "%d notebook(s) personnel(s) publié(s) pour %s %s (%d protégé(s) par les droits Unix)",
            len(self.released), self.coursedir.course_id, assignment, len(self.protected),
        )  # fmt: skip

    def _release_one(self, student: str, source: str) -> None:
        staging = tempfile.mkdtemp(dir=self.personal_assignment_path, prefix=f".{student}-")
        os.rmdir(staging)  # copytree wants to create it
        self.do_copy(source, staging)
        owner = student_account(student)
        if owner:
            _walk_chmod(staging, owner, 0o600, 0o700)
            self.protected.append(student)
        elif _grant_by_acl(staging, student):
            self.protected.append(student)
        else:
            _walk_chmod(staging, None, 0o644, 0o755)
            self.unprotected.append(student)
        _replace_dir(staging, os.path.join(self.personal_assignment_path, student))


def _grant_by_acl(folder: str, student: str) -> bool:
    """Not root: keep the folder the teacher's (0700/0600) and let the student's account read
    it through a POSIX ACL (`setfacl`, Debian package acl). False when there is no such
    account, no setfacl, or a file system without ACLs."""
    setfacl = shutil.which("setfacl")
    try:
        pwd.getpwnam(student)
    except KeyError:
        return False
    if not setfacl:
        return False
    _walk_chmod(folder, None, 0o600, 0o700)
    done = subprocess.run(
        [setfacl, "-R", "-m", f"u:{student}:rX", "--", folder], capture_output=True, text=True
    )
    return done.returncode == 0


def _student(coursedir) -> str:
    explicit = coursedir.student_id
    return explicit if explicit and explicit != "*" else get_username()


def personal_folder(root: str, course_id: str, assignment: str, student: str) -> str:
    return os.path.join(root, course_id, PERSONAL, assignment, student)


class PersonalFetchAssignment(ExchangeFetchAssignment):
    """`nbgrader fetch_assignment` and the *Fetch* button: the student's own folder.

    With no personal folder for them, the student gets a French notice (and the command
    fails, saying why); once the teacher has released theirs, *Fetch* replaces the notice.
    """

    def init_src(self):
        super().init_src()  # course access, assignment released
        self.student = _student(self.coursedir)
        if "/" in self.student or self.student.startswith(".") or any(c in self.student for c in "*?[+"):
            self.fail(f"identifiant d'élève invalide : « {self.student} »")
        cd = self.coursedir
        personal = personal_folder(self.root, cd.course_id, cd.assignment_id, self.student)
        self.missing = not (os.path.isdir(personal) and check_mode(personal, read=True, execute=True))
        if not self.missing:
            self.src_path = personal

    def init_dest(self):
        if self.path_includes_course:
            local = os.path.join(self.coursedir.course_id, self.coursedir.assignment_id)
        else:
            local = self.coursedir.assignment_id
        dest = os.path.abspath(os.path.join(self.assignment_dir, local))
        if not self.missing and os.path.isdir(dest) and is_notice_folder(dest):
            self.log.info("Avis remplacé par le notebook personnel : %s", dest)
            shutil.rmtree(dest)
        if self.missing and os.path.isdir(dest):
            self.fail(self._missing_message() + f" (dossier {local} déjà présent)")
        super().init_dest()

    def _missing_message(self) -> str:
        return (
            f"aucun notebook personnel pour « {self.student} » dans le devoir "
            f"« {self.coursedir.assignment_id} » du cours « {self.coursedir.course_id} » : "
            "prévenez votre enseignant·e (inscription au cours, puis « mercatique release »)"
        )

    def copy_files(self):
        if self.missing:
            os.makedirs(self.dest_path)
            notebook = os.path.join(self.dest_path, f"{self.coursedir.assignment_id}.ipynb")
            nbformat.write(notice_notebook(self.coursedir.assignment_id, self.student), notebook)
            self.fail(self._missing_message() + f" ; un avis a été déposé dans {notebook}")
        super().copy_files()


class PersonalList(ExchangeList):
    """`nbgrader list` and the *Assignments* tab: a fetched notice shows *Fetch* again
    once the student's own notebook has been released."""

    def parse_assignments(self):
        assignments = super().parse_assignments()
        if self.inbound or self.cached:
            return assignments
        student = None
        for info in assignments:
            if info.get("status") != "fetched" or not is_notice_folder(info["path"]):
                continue
            student = student or _student(self.coursedir)
            personal = personal_folder(self.root, info["course_id"], info["assignment_id"], student)
            if os.path.isdir(personal) and check_mode(personal, read=True, execute=True):
                outbound = os.path.join(self.root, info["course_id"], "outbound", info["assignment_id"])
                info["status"] = "released"
                info["path"] = outbound
                notebooks = sorted(Path(outbound).glob("*.ipynb"))
                info["notebooks"] = [{"notebook_id": nb.stem, "path": str(nb)} for nb in notebooks]
        return assignments


class ExchangeOnlyReleaseFeedback(ExchangeReleaseFeedback):
    """`nbgrader release_feedback` that skips pages of copies not submitted through the
    exchange (Moodle, USB key): they have no submission_secret.txt, so no student could
    fetch them, and stock nbgrader would stop on them."""

    def copy_files(self):
        skipped = set()
        for html in glob.glob(os.path.join(self.src_path, "*.html")):
            folder = os.path.dirname(html)
            if not os.path.isfile(os.path.join(folder, "submission_secret.txt")):
                skipped.add(os.path.basename(os.path.dirname(folder)))
        for student in sorted(skipped):
            self.log.warning(
                "Page de « %s » non publiée : copie reçue hors de l'échange nbgrader "
                "(remettez-la autrement : ENT, Moodle)", student,
            )  # fmt: skip
        before = self.coursedir.student_id_exclude
        excluded = {s for s in (before or "").split(",") if s} | skipped
        self.coursedir.student_id_exclude = ",".join(sorted(excluded))
        try:
            super().copy_files()
        finally:
            self.coursedir.student_id_exclude = before
        self.skipped = sorted(skipped)


def complete_feedback_folder(submitted: Path, feedback: Path) -> bool:
    """Give feedback/<id>/<assignment>/ what `nbgrader release_feedback` reads.

    timestamp.txt and submission_secret.txt come from the collected submission (nbgrader's
    submit wrote them; the student's own copy of the secret is what `fetch_feedback` hashes
    with the notebook's name). A copy that came another way (Moodle) has no secret: it gets a
    timestamp only, and True/False says whether the page can go through the exchange.
    """
    from generators.classroom.course import write_atomic  # teacher's side only

    timestamp = submitted / "timestamp.txt"
    if timestamp.is_file():
        text = timestamp.read_text("utf-8")
    else:
        text = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    write_atomic(feedback / "timestamp.txt", text)
    secret = submitted / "submission_secret.txt"
    kept = feedback / "submission_secret.txt"
    if secret.is_file():
        write_atomic(kept, secret.read_text("utf-8"))  # 0600: it opens the student's page
        return True
    kept.unlink(missing_ok=True)
    return False
