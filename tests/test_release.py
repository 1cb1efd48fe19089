"""`mercatique release`: archives per student and per class, the exchange layout, the
notice a student without a personal notebook gets, and feedback folders for nbgrader."""

from __future__ import annotations

import hashlib
import logging
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeError

import generators
from generators.classroom.course import open_course
from generators.classroom.exchange import PersonalFetchAssignment, PersonalList, complete_feedback_folder
from generators.classroom.release import configure_course, release, release_feedback
from generators.errors import MercatiqueError
from generators.grading.nbgrader_cli import run_nbgrader
from tests.helpers import run

A = "devoir-1"
ROSTER = (
    "id,last_name,first_name,email,classe\n"
    "e1,Martin,Léa,,BTS1 A\n"
    "e2,Noël,Hugo,,BTS1 A\n"
    "e3,Dubois,Zoé,,BTS1 B\n"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One assigned course, copied by each test that changes it."""
    base = tmp_path_factory.mktemp("release")
    roster = base / "classe.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    result = run("init", base / "cours", "--roster", roster)
    assert result.exit_code == 0, result.output
    result = run("assign", base / "cours", A, "kpi-cpm-display")
    assert result.exit_code == 0, result.output
    return base / "cours"


@pytest.fixture
def course(built, tmp_path):
    root = tmp_path / "cours"
    shutil.copytree(built, root)
    # the course config names its own folder: point it at the copy
    config = root / "nbgrader_config.py"
    config.write_text(config.read_text("utf-8").replace(str(built), str(root)), "utf-8")
    return open_course(root)


def fetch(course, exchange: Path, student: str, where: Path):
    """A student's `nbgrader fetch_assignment`, in process, as the student id nbgrader would use."""
    where.mkdir(parents=True, exist_ok=True)
    coursedir = CourseDirectory(course_id=course.course_id, assignment_id=A, student_id=student)
    plugin = PersonalFetchAssignment(
        coursedir=coursedir,
        authenticator=Authenticator(),
        root=str(exchange),
        assignment_dir=str(where),
        log=logging.getLogger("test"),
    )
    plugin.start()
    return where / A / f"{A}.ipynb"


def listing(course, exchange: Path, student: str, where: Path) -> dict:
    coursedir = CourseDirectory(course_id=course.course_id, student_id=student)
    plugin = PersonalList(
        coursedir=coursedir,
        authenticator=Authenticator(),
        root=str(exchange),
        assignment_dir=str(where),
        log=logging.getLogger("test"),
    )
    return {info["assignment_id"]: info for info in plugin.start()}


def test_archives_one_per_student_named_for_the_teacher_by_class_and_for_everyone(course):
    result = release(course, A, use_exchange=False)
    folder = course.exports / "distribution" / A
    assert result.distribution == folder
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.zip"))
    assert names == [
        "BTS1 A/MARTIN Léa (e1).zip",
        "BTS1 A/NOËL Hugo (e2).zip",
        "BTS1 B/DUBOIS Zoé (e3).zip",
        f"{A} - BTS1 A.zip",
        f"{A} - BTS1 B.zip",
        f"{A} - tous les élèves.zip",
    ]
    with zipfile.ZipFile(folder / "BTS1 A" / "NOËL Hugo (e2).zip") as zf:
        assert zf.namelist() == [f"{A}/{A}.ipynb"]
        assert zf.read(f"{A}/{A}.ipynb") == course.per_student_notebook("e2", A).read_bytes()
    with zipfile.ZipFile(folder / f"{A} - BTS1 A.zip") as zf:
        assert sorted(zf.namelist()) == [f"MARTIN Léa (e1)/{A}/{A}.ipynb", f"NOËL Hugo (e2)/{A}/{A}.ipynb"]
    with zipfile.ZipFile(folder / f"{A} - tous les élèves.zip") as zf:
        assert (
            zf.read(f"BTS1 B/DUBOIS Zoé (e3)/{A}/{A}.ipynb")
            == course.per_student_notebook("e3", A).read_bytes()
        )
    assert not (course.exports / "nbgrader_config_eleves.py").exists()  # no exchange asked
    assert not (course.exports / "jupyter_eleves").exists()


def test_archives_store_a_spreadsheet_as_it_is_and_deflate_the_notebook(course):
    """An XLSX is already a zip: stored, not deflated again; the notebook text is deflated."""
    import pandas as pd

    from generators.outputs.spreadsheets import xlsx_bytes

    folder = course.per_student_notebook("e1", A).parent
    table = xlsx_bytes(pd.DataFrame({"jour": [1, 2], "appels": [5200, 4100]}), "journal")
    (folder / "cas_journal.xlsx").write_bytes(table)
    release(course, A, use_exchange=False)
    with zipfile.ZipFile(course.exports / "distribution" / A / "BTS1 A" / "MARTIN Léa (e1).zip") as zf:
        kinds = {info.filename: info.compress_type for info in zf.infolist()}
        assert kinds == {f"{A}/{A}.ipynb": zipfile.ZIP_DEFLATED, f"{A}/cas_journal.xlsx": zipfile.ZIP_STORED}
        assert zf.read(f"{A}/cas_journal.xlsx") == table
        assert zf.read(f"{A}/{A}.ipynb") == course.per_student_notebook("e1", A).read_bytes()


def test_archives_without_groups_have_no_class_level(course):
    (course.private / "roster.csv").write_text("id,last_name,first_name,email\ne1,Martin,Léa,\n", "utf-8")
    release(course, A, use_exchange=False)
    folder = course.exports / "distribution" / A
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "DUBOIS Zoé (e3).zip",
        "MARTIN Léa (e1).zip",
        "NOËL Hugo (e2).zip",
        f"{A} - tous les élèves.zip",
    ]


def test_release_refuses_an_unknown_assignment_or_one_without_personal_notebooks(course, tmp_path):
    with pytest.raises(MercatiqueError, match="devoir inconnu"):
        release(course, "devoir-9", exchange=tmp_path / "ex")
    shutil.rmtree(course.root / "release_per_student")
    with pytest.raises(MercatiqueError, match="aucun notebook personnel"):
        release(course, A, exchange=tmp_path / "ex")
    assert not (tmp_path / "ex").exists()


def test_each_student_fetches_their_own_notebook_and_the_outbound_one_is_a_notice(course, tmp_path):
    exchange = tmp_path / "ex"
    result = run("release", course.root, A, "--echange", exchange)
    assert result.exit_code == 0, result.output
    assert "3 notebook(s) personnel(s)" in result.output
    assert (course.exports / "nbgrader_config_eleves.py").is_file()

    generic = nbformat.read(course.root / "release" / A / f"{A}.ipynb", as_version=4)
    outbound = nbformat.read(exchange / course.course_id / "outbound" / A / f"{A}.ipynb", as_version=4)
    assert "n’est pas votre devoir" in outbound.cells[0].source
    generic_code = {c.source for c in generic.cells if c.cell_type == "code"}
    assert not generic_code & {c.source for c in outbound.cells}
    assert (exchange / course.course_id / "personal" / A).stat().st_mode & 0o777 == 0o711

    for student in ("e1", "e2", "e3"):
        got = fetch(course, exchange, student, tmp_path / "home" / student)
        assert got.read_bytes() == course.per_student_notebook(student, A).read_bytes()
        assert f"`{student}`" in got.read_text("utf-8")


def test_a_student_without_notebook_gets_a_french_notice_then_theirs_after_rerelease(course, tmp_path):
    exchange = tmp_path / "ex"
    release(course, A, exchange=exchange, archives=False)
    home = tmp_path / "home" / "e4"
    with pytest.raises(ExchangeError, match="aucun notebook personnel pour « e4 »"):
        fetch(course, exchange, "e4", home)
    notice = home / A / f"{A}.ipynb"
    assert "n’est pas votre devoir" in nbformat.read(notice, as_version=4).cells[0].source
    assert listing(course, exchange, "e4", home)[A]["status"] == "fetched"

    # a newcomer's notebook appears in release_per_student/ (mercatique enrol); release again
    newcomer = course.root / "release_per_student" / "e4" / A
    shutil.copytree(course.root / "release_per_student" / "e1" / A, newcomer)
    again = release(course, A, exchange=exchange, archives=False)
    assert again.released == ["e1", "e2", "e3", "e4"]
    assert listing(course, exchange, "e4", home)[A]["status"] == "released"  # Fetch shows again
    got = fetch(course, exchange, "e4", home)
    assert got.read_bytes() == newcomer.joinpath(f"{A}.ipynb").read_bytes()
    # a student's real work is never replaced
    with pytest.raises(ExchangeError, match="already have a copy"):
        fetch(course, exchange, "e4", home)

    # release mirrors release_per_student/: a folder removed there leaves the exchange
    shutil.rmtree(course.root / "release_per_student" / "e4")
    release(course, A, exchange=exchange, archives=False)
    assert not (exchange / course.course_id / "personal" / A / "e4").exists()


def test_the_teachers_own_nbgrader_release_assignment_hands_out_personal_notebooks(course, tmp_path):
    exchange = tmp_path / "ex"
    configure_course(course, str(exchange))
    run_nbgrader(course, "release_assignment", A)
    outbound = exchange / course.course_id / "outbound" / A / f"{A}.ipynb"
    assert "n’est pas votre devoir" in outbound.read_text("utf-8")
    got = fetch(course, exchange, "e2", tmp_path / "home")
    assert got.read_bytes() == course.per_student_notebook("e2", A).read_bytes()


def test_a_course_made_before_the_stage_subpackages_still_releases_through_its_old_config(course, tmp_path):
    """Its nbgrader_config.py names the plug-in modules by their places before they moved to
    classroom/ and grading/ (generators.MOVED): nbgrader still loads every plug-in."""
    path = course.root / "nbgrader_config.py"
    text = path.read_text("utf-8")
    for old, new in generators.MOVED.items():
        assert new in text
        text = text.replace(new, old)
    assert "generators.classroom" not in text and "generators.grading" not in text
    path.write_text(text, "utf-8")
    exchange = tmp_path / "ex"
    assert configure_course(course, str(exchange))  # only the exchange folder changes
    assert "generators.classroom" not in path.read_text("utf-8")
    assert path.read_text("utf-8").count("c.ExchangeFactory.fetch_assignment") == 1
    run_nbgrader(course, "release_assignment", A)
    got = fetch(course, exchange, "e2", tmp_path / "home")
    assert got.read_bytes() == course.per_student_notebook("e2", A).read_bytes()


def test_configure_course_adds_the_plugins_to_an_old_config_and_follows_a_new_exchange(course):
    path = course.root / "nbgrader_config.py"
    old = path.read_text("utf-8")
    start = old.index("# Échange nbgrader")
    path.write_text(old[:start], "utf-8")  # a course made before the exchange plug-ins
    assert configure_course(course, "/srv/ex1")
    text = path.read_text("utf-8")
    assert 'c.Exchange.root = "/srv/ex1"' in text
    assert (
        'c.ExchangeFactory.fetch_assignment = "generators.classroom.exchange.PersonalFetchAssignment"' in text
    )
    assert not configure_course(course, "/srv/ex1")
    assert configure_course(course, "/srv/ex2")
    assert path.read_text("utf-8").count("c.Exchange.root") == 1
    assert 'c.Exchange.root = "/srv/ex2"' in path.read_text("utf-8")


def test_feedback_folders_carry_the_secret_and_only_exchange_copies_are_released(course, tmp_path):
    for student, secret in (("e1", "s3cr3t-e1"), ("e2", None)):
        submitted = course.submitted(student, A)
        submitted.mkdir(parents=True)
        (submitted / "timestamp.txt").write_text("2026-11-23 10:00:00.000000 UTC")
        if secret:
            (submitted / "submission_secret.txt").write_text(secret)
        page = course.root / "feedback" / student / A / f"{A}.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<p>page de {student}</p>", "utf-8")
        complete_feedback_folder(submitted, page.parent)
    folder = course.root / "feedback" / "e1" / A
    assert (folder / "submission_secret.txt").read_text() == "s3cr3t-e1"
    assert (folder / "timestamp.txt").read_text() == "2026-11-23 10:00:00.000000 UTC"
    assert not (course.root / "feedback" / "e2" / A / "submission_secret.txt").exists()

    exchange = tmp_path / "ex"
    exchange.mkdir()
    released, skipped, _root = release_feedback(course, A, exchange=exchange)
    assert (released, skipped) == (["e1"], ["e2"])
    # where stock `nbgrader fetch_feedback` looks: md5(secret + notebook name)
    name = hashlib.md5(b"s3cr3t-e1" + A.encode()).hexdigest()
    published = exchange / course.course_id / "feedback" / f"{name}.html"
    assert published.read_text("utf-8") == "<p>page de e1</p>"
    assert len(list((exchange / course.course_id / "feedback").iterdir())) == 1


def test_feedback_without_a_submission_secret_gets_a_timestamp(tmp_path):
    submitted, folder = tmp_path / "submitted", tmp_path / "feedback"
    submitted.mkdir()
    assert complete_feedback_folder(submitted, folder) is False
    assert (folder / "timestamp.txt").read_text().endswith("UTC")


def test_an_unusable_exchange_folder_is_refused_in_french_and_the_course_is_left_as_it_was(course, tmp_path):
    blocker = tmp_path / "un-fichier"
    blocker.write_text("pas un dossier")
    config = (course.root / "nbgrader_config.py").read_text("utf-8")
    result = run("release", course.root, A, "--echange", blocker / "ex")
    assert result.exit_code == 2
    assert "Erreur : échange nbgrader" in result.output and "--sans-echange" in result.output
    assert (course.root / "nbgrader_config.py").read_text("utf-8") == config
    assert not (course.exports / "distribution").exists()
    assert not (course.exports / "nbgrader_config_eleves.py").exists()
    assert not (course.exports / "jupyter_eleves").exists()


def test_a_student_id_that_is_a_path_or_a_pattern_is_refused(course, tmp_path):
    exchange = tmp_path / "ex"
    release(course, A, exchange=exchange, archives=False)
    for claimed in ("../personal/devoir-1/e1", "e*", ".e1"):
        with pytest.raises(ExchangeError, match="identifiant d'élève invalide"):
            fetch(course, exchange, claimed, tmp_path / "home")
    assert not (tmp_path / "home" / A).exists()


def test_release_names_the_students_of_the_roster_who_have_no_personal_notebook(course):
    shutil.rmtree(course.root / "release_per_student" / "e3")
    result = run("release", course.root, A, "--sans-echange")
    assert result.exit_code == 0, result.output
    assert "« e3 » n'a pas de notebook personnel" in result.output
    assert "dans l'échange" not in result.output
    folder = course.exports / "distribution" / A
    assert not any("e3" in p.name for p in folder.rglob("*.zip"))


def test_release_writes_the_students_etc_jupyter_folder_and_jupyterlab_reads_it_in_french(course, tmp_path):
    """exports/jupyter_eleves/, copied where --dossier-config says, is all a student's server
    needs: JupyterLab (its own config loading and settings code) finds French by default."""
    from jupyterlab.labapp import LabApp
    from jupyterlab_server.settings_utils import get_settings
    from jupyterlab_server.translation_utils import get_language_packs
    from notebook.app import JupyterNotebookApp
    from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

    exchange, etc = tmp_path / "ex", tmp_path / "hub" / "etc-jupyter"
    result = run("release", course.root, A, "--echange", exchange, "--dossier-config", etc)
    assert result.exit_code == 0, result.output
    folder = course.exports / "jupyter_eleves"
    assert str(folder) in result.output and f"{etc}/" in result.output
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "LISEZMOI.txt",
        "jupyter_server_config.json",
        "lab/settings/overrides.json",
        "labconfig/page_config.json",
        "nbgrader_config.py",
    ]
    assert all(p.stat().st_mode & 0o777 == (0o755 if p.is_dir() else 0o644) for p in folder.rglob("*"))
    assert not [p for p in course.exports.iterdir() if p.name.startswith(".")]  # no staging left
    assert f"sudo cp -r jupyter_eleves/. {etc}/" in (folder / "LISEZMOI.txt").read_text("utf-8")
    # the single file earlier versions wrote is still there, the same as the folder's
    old = course.exports / "nbgrader_config_eleves.py"
    assert old.read_text("utf-8") == (folder / "nbgrader_config.py").read_text("utf-8")

    shutil.copytree(folder, etc)  # what the hub administrator does
    nbgrader = PyFileConfigLoader("nbgrader_config.py", path=str(etc)).load_config()
    assert nbgrader.Exchange.root == str(exchange.resolve())
    assert nbgrader.CourseDirectory.course_id == course.course_id
    assert (
        nbgrader.ExchangeFactory.fetch_assignment == "generators.classroom.exchange.PersonalFetchAssignment"
    )
    server = JSONFileConfigLoader("jupyter_server_config.json", path=str(etc)).load_config()
    extensions = server.ServerApp.jpserver_extensions
    assert extensions["nbgrader.server_extensions.assignment_list"] is True
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    lab = LabApp(config=server)
    assert lab.app_settings_dir == str(etc / "lab" / "settings")
    assert JupyterNotebookApp(config=server).app_settings_dir == lab.app_settings_dir  # Notebook 7 too
    settings, _ = get_settings(
        lab.app_settings_dir,
        lab.schemas_dir,
        str(tmp_path / "user-settings"),
        schema_name="@jupyterlab/translation-extension:plugin",
    )
    assert settings["schema"]["properties"]["locale"]["default"] == "fr_FR"
    assert "fr_FR" in get_language_packs()[0]  # the product's dependency brings the pack


def test_a_relative_config_folder_is_refused_before_anything_changes(course, tmp_path):
    config = (course.root / "nbgrader_config.py").read_text("utf-8")
    result = run("release", course.root, A, "--echange", tmp_path / "ex", "--dossier-config", "etc/jupyter")
    assert result.exit_code == 2
    assert "--dossier-config « etc/jupyter »" in result.output and "chemin absolu" in result.output
    assert (course.root / "nbgrader_config.py").read_text("utf-8") == config
    assert not (tmp_path / "ex").exists()
    assert not (course.exports / "jupyter_eleves").exists()


def test_a_second_release_replaces_the_students_folder_whole(course, tmp_path):
    release(course, A, exchange=tmp_path / "ex1", archives=False)
    folder = course.exports / "jupyter_eleves"
    (folder / "reste.txt").write_text("d'une ancienne version")
    release(course, A, exchange=tmp_path / "ex2", archives=False, config_dir="/opt/hub/etc/jupyter/")
    assert not (folder / "reste.txt").exists()
    assert str(tmp_path / "ex2") in (folder / "nbgrader_config.py").read_text("utf-8")
    server = (folder / "jupyter_server_config.json").read_text("utf-8")
    assert '"/opt/hub/etc/jupyter/lab/settings"' in server
    assert not [p for p in course.exports.iterdir() if p.name.startswith(".")]
