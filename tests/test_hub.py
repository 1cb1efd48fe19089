"""The classroom loop on a real JupyterHub (issue 9), driven through the students' browser.

The teacher (root, in a terminal) creates the course and `mercatique release`s the
assignment into nbgrader's exchange; the folder it writes, exports/jupyter_eleves/, becomes
the hub's /etc/jupyter, and is all the students' side gets: JupyterLab then speaks French
(to an English browser) and the menus the notebook's instructions name are there.
Two local Unix users log in to `jupyterhub` (PAM, LocalProcessSpawner) and work in
JupyterLab with nbgrader's student-side extensions: each fetches their own notebook from
the *Assignments* tab, types their answers from its data, saves and submits. The teacher
collects with `nbgrader collect`, grades with `mercatique grade`, writes the feedback
with `mercatique feedback` and releases it with `nbgrader release_feedback`; each student
then fetches their feedback in the *Assignments* tab and opens it.

What each student deserves comes from the answer key CSV, never from the grader's code.
Screenshots land in the test's tmp folder, and in $MERCATIQUE_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from generators.classroom.course import open_course
from tests.browser import Screenshots
from tests.helpers import read_csv
from tests.hub import harness

pytestmark = pytest.mark.slow

COURSE_ID = "mqh-cours"
A = "devoir-1"
EXERCISE = "fnac-campagne-emailing"
ROSTER = [  # id (the Unix user), last name, first name
    ("mqhlea", "Martin", "Léa"),
    ("mqhhugo", "Bernard", "Hugo"),
]
BIN = Path(sys.executable).parent
VIEWPORT = {"width": 1280, "height": 1500}
# JupyterLab's menu bar in French (the language pack's « menu » context), nbgrader's
# own menu untranslated (the pack has no nbgrader catalogue)
FRENCH_MENUS = ["Fichier", "Édition", "Affichage", "Exécution", "Noyau", "Onglets", "Paramètres", "Aide"]


@pytest.fixture(scope="module")
def hub_site():
    """Unix users, a course, the hub's /etc/jupyter stand-in and a running hub; all removed after."""
    reason = harness.missing_requirements()
    if reason:
        pytest.skip(reason)
    harness.install_product()
    base = Path(tempfile.mkdtemp(prefix="mqh-", dir="/tmp"))
    base.chmod(0o755)  # students cross it to reach their homes and the exchange
    site = {"base": base, "students": {}, "hub": None}
    try:
        homes = base / "home"
        homes.mkdir(mode=0o755)
        exchange = base / "exchange"
        exchange.mkdir()
        exchange.chmod(0o777)  # what nbgrader's docs ask of c.Exchange.root
        teacher = base / "prof"
        teacher.mkdir(mode=0o700)
        state = base / "hub"
        state.mkdir(mode=0o700)
        for name, *_ in ROSTER:
            site["students"][name] = harness.create_student(name, homes)
        roster = teacher / "classe.csv"
        roster.write_text(
            "id,last_name,first_name,email\n"
            + "".join(f"{i},{last},{first},{i}@lycee.example\n" for i, last, first in ROSTER),
            encoding="utf-8",
        )
        course = teacher / "cours"
        site.update(course=course, exchange=exchange, etc=base / "etc-jupyter", state=state)
        teacher_run(site, BIN / "mercatique", "init", course, "--roster", roster, "--course-id", COURSE_ID)
        teacher_run(site, BIN / "mercatique", "assign", course, A, EXERCISE)
        release(site)
        site["hub"] = harness.Hub(state, site["etc"], [name for name, *_ in ROSTER])
        site["hub"].wait_ready()
        yield site
    finally:
        if site["hub"] is not None:
            site["hub"].stop()
        for name, *_ in ROSTER:
            harness.remove_user(name)
        shutil.rmtree(base, ignore_errors=True)


def teacher_run(site, *args, cwd: Path | None = None) -> str:
    """A command the teacher types on the hub (root here), with the hub's /etc/jupyter."""
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(site["etc"])}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def release(site) -> None:
    """`mercatique release`: each student's own folder in the exchange, and the students' config.

    Its exports/jupyter_eleves/ is copied, as it is, to the folder the students' servers
    read as the hub's /etc/jupyter/ (JUPYTER_CONFIG_PATH), as the hub administrator would:
    nothing of the students' configuration is written by this test.
    """
    out = teacher_run(
        site, BIN / "mercatique", "release", site["course"], A,
        "--echange", site["exchange"], "--dossier-config", site["etc"],
    )  # fmt: skip
    folder = site["course"] / "exports" / "jupyter_eleves"
    assert (folder / "nbgrader_config.py").is_file(), out
    shutil.copytree(folder, site["etc"])


def key_rows(site) -> dict[str, dict[str, dict[str, str]]]:
    """The answer key: student -> question -> row, with the question's points (manifest)."""
    points = {slot["key"]: slot["points"] for slot in open_course(site["course"]).manifest(A)["slots"]}
    rows: dict[str, dict[str, dict[str, str]]] = {}
    for row in read_csv(site["course"] / "exports" / f"{A}_answer_key.csv"):
        row["points"] = points[row["question"]]
        rows.setdefault(row["student_id"], {})[row["question"].split("/")[1]] = row
    return rows


def answers_for(key: dict[str, dict[str, str]], right: bool) -> tuple[list[str], float]:
    """What a student types in the three answer cells (computed from the data of their own
    notebook), and the points it deserves according to the answer key."""
    cpl, conv, choice = key["cpl"], key["conversion"], key["indicateur"]
    letter = choice["expected"].strip("'\"")
    if right:
        return [
            f"{cpl['variable']} = budget / leads",
            f"{conv['variable']} = commandes / leads * 100",
            f'{choice["variable"]} = "{letter}"',
        ], float(cpl["points"]) + float(conv["points"]) + float(choice["points"])
    wrong_letter = "A" if letter != "A" else "B"
    return [
        f"{cpl['variable']} = budget / leads",
        f"{conv['variable']} = commandes / clics * 100",  # a typical mistake
        f'{choice["variable"]} = "{wrong_letter}"',
    ], float(cpl["points"])


def given_data(notebook: Path) -> dict[str, float]:
    """The numbers of a fetched notebook's data cell (our own generated code, run here)."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("mercatique", {}).get("role") == "given")
    namespace: dict = {}
    exec(cell.source, namespace)
    return {k: v for k, v in namespace.items() if isinstance(v, int | float)}


def flat(text: str) -> str:
    """Page text without any kind of space, to compare numbers whatever their separators."""
    return re.sub(r"\s+", "", text.replace("\u00a0", " ").replace("\u202f", " "))


def log_in(browser, hub, student):
    # an English browser: French must come from the hub's configuration alone
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", student.name)
    page.fill("#password_input", student.password)
    page.click("#login_submit")
    page.wait_for_selector("#jp-main-dock-panel", timeout=180_000)  # the server spawns first
    return page


def menu_bar(page) -> list[str]:
    labels = page.locator("#jp-menu-panel .lm-MenuBar-itemLabel")
    labels.first.wait_for()
    return [text.strip() for text in labels.all_inner_texts()]


def check_instruction_menus(page, notebook, shots: Screenshots, name: str) -> list[str]:
    """Every « Menu › Item » path the notebook's instructions name (as the student reads them,
    rendered) whose menu is in the menu bar: open the menu, find the item. Returns the paths."""
    bar = menu_bar(page)
    named = notebook.locator(".jp-MarkdownCell").first.locator("strong", has_text="›").all_inner_texts()
    paths = [[part.strip() for part in text.split("›")] for text in named]
    checked = [path for path in paths if path[0] in bar]
    for top, *items in checked:
        page.locator("#jp-menu-panel .lm-MenuBar-item", has_text=top).first.click()
        for item in items:
            entry = page.locator(".lm-Menu:visible .lm-Menu-itemLabel").get_by_text(item, exact=True)
            entry.last.wait_for()
            if item != items[-1]:
                entry.last.hover()
        shots.take(page, f"{name}-menu-{top}")
        page.keyboard.press("Escape")
        page.locator(".lm-Menu:visible").first.wait_for(state="detached")
    return [" › ".join(path) for path in checked]


def open_assignments(page) -> None:
    page.get_by_role("menuitem", name="Nbgrader").click()
    # students get the student side of nbgrader only (no formgrader, no course list)
    page.get_by_role("menuitem", name="Assignment List").wait_for()
    assert page.get_by_role("menuitem", name="Formgrader").count() == 0
    assert page.get_by_role("menuitem", name="Course List").count() == 0
    page.get_by_role("menuitem", name="Assignment List").click()
    page.wait_for_selector("#released_assignments_list")


def answer_and_submit(page, answers: list[str], shots: Screenshots, name: str, full_name: str) -> None:
    open_assignments(page)
    released = page.locator("#released_assignments_list .list_item", has_text=A)
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list .list_item", has_text=A).first
    fetched.locator("a.assignment-notebooks-link").click()
    fetched.page.locator(f"#nbgrader-{COURSE_ID}-{A} .nested_list_item a", has_text=A).click()
    notebook = page.locator(".jp-NotebookPanel:visible")
    todo = notebook.locator(".jp-CodeCell", has_text="# remplacez ...")  # the answer cells
    todo.first.wait_for()
    # their own notebook: the header names them (rendered Markdown)
    notebook.locator(".jp-MarkdownCell", has_text=f"{full_name} (identifiant {name})").wait_for()
    for text in answers:  # (cells are rendered progressively: each locator waits for its own)
        variable = text.split(" = ")[0]
        cell = todo.filter(has_text=f"{variable} = ...")
        cell.scroll_into_view_if_needed()
        cell.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.type(text)
        page.keyboard.press("Escape")
    assert todo.count() == 0
    # JupyterLab speaks French, and the menus the instructions name are there
    bar = menu_bar(page)
    assert all(menu in bar for menu in FRENCH_MENUS), bar
    assert not {"File", "Edit", "Kernel", "Run"} & set(bar), bar
    assert "Nbgrader" in bar
    followed = check_instruction_menus(page, notebook, shots, name)
    assert "Exécution › Exécuter toutes les cellules" in followed, followed
    assert any(path.startswith("Noyau › ") for path in followed), followed
    page.keyboard.press("Control+s")
    page.locator(".jp-mod-current.jp-mod-dirty").wait_for(state="detached")
    shots.take(page, f"{name}-notebook-answers")
    notebook.locator(".jp-Cell").first.scroll_into_view_if_needed()
    shots.take(page, f"{name}-notebook-top")
    page.locator(".lm-TabBar-tab", has_text="Assignments").click()
    fetched.get_by_role("button", name="Submit").click()
    page.locator("#submitted_assignments_list .list_item", has_text=A).first.wait_for()


def fetch_feedback(page, shots: Screenshots, name: str) -> str:
    """Fetch Feedback in the Assignments tab, then open the page it brings; returns its text."""
    page.reload()
    page.wait_for_selector("#jp-main-dock-panel")
    if not page.locator("#submitted_assignments_list").is_visible():
        open_assignments(page)
    submitted = page.locator("#submitted_assignments_list .list_item", has_text=A).first
    submitted.get_by_role("button", name="Fetch Feedback").click()
    link = page.locator("#submitted_assignments_list a", has_text="view feedback").first
    link.click()  # the file browser goes to <assignment>/feedback/<timestamp>/
    page.locator(".jp-DirListing-item", has_text=f"{A}.html").dblclick()
    frame = page.frame_locator(".jp-HTMLViewer iframe")
    frame.locator("h1").wait_for()
    shots.take(page, f"{name}-feedback")
    return frame.locator("body").inner_text()


def test_classroom_loop_on_jupyterhub(hub_site, tmp_path, chromium):
    site, hub = hub_site, hub_site["hub"]
    shots = Screenshots(tmp_path / "screenshots")
    key = key_rows(site)
    plans = {
        "mqhlea": answers_for(key["mqhlea"], right=True),
        "mqhhugo": answers_for(key["mqhhugo"], right=False),
    }
    names = {i: f"{first} {last}" for i, last, first in ROSTER}

    # in the exchange, a student's own notebook is readable by them, not by a classmate
    personal = site["exchange"] / COURSE_ID / "personal" / A
    for reader in site["students"]:
        for owner in site["students"]:
            notebook = personal / owner / f"{A}.ipynb"
            cat = subprocess.run(["runuser", "-u", reader, "--", "cat", str(notebook)], capture_output=True)
            assert (cat.returncode == 0) == (reader == owner), (reader, owner, cat.stderr)

    browser = chromium
    pages = {}
    try:
        for name, student in site["students"].items():
            pages[name] = page = log_in(browser, hub, student)
            answer_and_submit(page, plans[name][0], shots, name, names[name])

        # what each student fetched, as files in their home: their own notebook
        data = {}
        for name, student in site["students"].items():
            fetched = student.home / A / f"{A}.ipynb"
            assert f"**Élève :** {names[name]}" in fetched.read_text(encoding="utf-8")
            data[name] = given_data(fetched)
            assert {"budget", "leads", "commandes", "clics"} <= data[name].keys()
        assert data["mqhlea"] != data["mqhhugo"]

        course = site["course"]
        teacher_run(site, BIN / "nbgrader", "collect", A, cwd=course)
        for name in site["students"]:
            assert (course / "submitted" / name / A / f"{A}.ipynb").is_file()
        teacher_run(site, BIN / "mercatique", "grade", course, A, "--workers", "1")
        grades = {row["student_id"]: row for row in read_csv(course / "exports" / f"{A}_grades.csv")}
        for name, (_, deserved) in plans.items():
            assert float(grades[name]["score"]) == deserved, grades[name]
        teacher_run(site, BIN / "mercatique", "feedback", course, A)
        teacher_run(site, BIN / "nbgrader", "release_feedback", A, cwd=course)

        for name, page in pages.items():
            text = fetch_feedback(page, shots, name)
            assert names[name] in text and name in text
            other = next(n for n in names if n != name)
            assert names[other] not in text
            page_text = flat(text)
            max_score = sum(float(row["points"]) for row in key[name].values())
            assert f"Note:{plans[name][1]:g}/{max_score:g}" in page_text
            # the statement in the page has the numbers of the student's own notebook
            for variable in ("leads", "commandes", "clics"):
                assert f"{data[name][variable]:g}" in page_text, variable
    except BaseException:
        for name, page in pages.items():  # what each student saw when it went wrong
            shots.take(page, f"failure-{name}")
        print(hub.log_text())
        raise
    finally:
        for page in pages.values():
            page.context.close()
