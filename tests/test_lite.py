"""The JupyterLite practice site: its build pieces (fast), then the site itself in Chromium
over HTTP on 127.0.0.1 with every request to another host aborted and recorded (slow)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

from generators.authoring.catalogue import load_catalogue
from generators.authoring.variants import preview_variant
from generators.book import lite, lite_locale
from generators.book.serve import addresses, make_server
from generators.errors import MercatiqueError
from tests.helpers import Class, new_course, read_csv, run

PLAIN = "kpi-conversion-panier-moyen"
PANDAS = "cas-hertz-nps"
MENU_PATH = re.compile(r"\*\*([^*›]+?) › ([^*]+?)\*\*")


def menu_paths(welcome: str) -> dict[str, set[tuple[str, str]]]:
    """The menu items (menu, item) the welcome notebook names for a computer and for a phone:
    a line about one device names that device's steps, every other line both's."""
    paths: dict[str, set[tuple[str, str]]] = {"ordinateur": set(), "téléphone": set()}
    for line in welcome.splitlines():
        found = set(MENU_PATH.findall(line))
        devices = [d for d in paths if f"sur un {d}" in line.lower()] or list(paths)
        for device in devices:
            paths[device] |= found
    return paths


def _wheel(folder: Path, name: str, version: str, requires: list[str]) -> Path:
    path = folder / f"{name}-{version}-py3-none-any.whl"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{name}/__init__.py", "")
        whl.writestr(f"{name}-{version}.dist-info/METADATA", meta + "\n")
    return path


# ---- fast: the build's pieces --------------------------------------------------------------


def test_lock_takes_local_wheels_hashes_and_sends_the_rest_to_the_cdn(tmp_path):
    lock = {
        "info": {"python": "3.14"},
        "packages": {
            "six": {"name": "six", "version": "1.0", "file_name": "six-1.0-py3-none-any.whl",
                    "sha256": "pyodide-build", "depends": [], "imports": ["six"]},
            "numpy": {"name": "numpy", "version": "2.0", "file_name": "numpy-2.0-cp314.whl",
                      "sha256": "cdn-hash", "depends": [], "imports": ["numpy"]},
        },
    }  # fmt: skip
    six = _wheel(tmp_path, "six", "1.17.0", [])
    comm = _wheel(tmp_path, "comm", "0.2.3", ["traitlets>=4", "pytest; extra == 'test'"])
    out = lite.rebuild_lock(lock, [six, comm], "https://cdn.example/full/")
    packages = out["packages"]
    assert packages["six"]["sha256"] == hashlib.sha256(six.read_bytes()).hexdigest()
    assert (packages["six"]["file_name"], packages["six"]["version"]) == (six.name, "1.17.0")
    assert packages["comm"]["depends"] == ["traitlets"]
    assert packages["comm"]["imports"] == ["comm"]
    assert packages["numpy"]["file_name"] == "https://cdn.example/full/numpy-2.0-cp314.whl"
    assert packages["numpy"]["sha256"] == "cdn-hash"
    assert out["info"] == lock["info"]


def test_missing_npm_pyodide_says_what_to_run(tmp_path):
    with pytest.raises(MercatiqueError, match="make node-deps"):
        lite.check_pyodide(tmp_path / "node_modules" / "pyodide")
    (tmp_path / "pyodide.mjs").write_text("")
    (tmp_path / "package.json").write_text(json.dumps({"version": "0.0.1"}))
    with pytest.raises(MercatiqueError, match="attend"):
        lite.check_pyodide(tmp_path)


def test_missing_start_up_wheels_say_what_to_run(tmp_path):
    with pytest.raises(MercatiqueError, match="make lite-deps"):
        lite.start_up_wheels(tmp_path)


def test_lite_command_reports_missing_pyodide_in_french(tmp_path, monkeypatch):
    monkeypatch.setitem(lite.build_site.__kwdefaults__, "npm_dir", tmp_path / "absent")
    result = run("lite", "--sortie", tmp_path / "site")
    assert result.exit_code == 2
    assert "lancez make node-deps" in result.output
    assert not (tmp_path / "site").exists()


def test_practice_notebook_checks_answers_in_the_page():
    ex = load_catalogue()[PLAIN]
    variant = preview_variant(ex, lite.PRACTICE_SEED)
    nb = lite.practice_notebook(ex)
    sources = [c.source for c in nb.cells]
    assert not any(s == lite.PANDAS_LOADER for s in sources)
    checks = [s for s in sources if s.startswith("# Vérifier")]
    assert len(checks) == sum(1 for q in ex.questions if not q.written)
    # the checker runs as plain Python: right, typed the French way, a typical mistake, wrong
    namespace: dict = {}
    helper = next(s for s in sources if "def _verifier" in s)
    exec(helper, namespace)
    q = next(q for q in ex.questions if q.kind == "number")
    answer = variant.answers[q.id]
    call = next(s for s in checks if repr(q.variable) in s).splitlines()[-1]

    def verdict(value):
        import contextlib
        import io

        namespace[q.variable] = value
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(call, namespace)
        return out.getvalue()

    assert q.unit == "%"
    assert verdict(answer).startswith("Juste")
    assert verdict(f"{answer:.2f}".replace(".", ",") + " %").startswith("Juste")
    assert verdict(f"{answer:.2f}".replace(".", ",") + " pour cent").startswith("Juste")
    said = verdict(f"{answer:.2f}".replace(".", ",") + " €")  # the right number, in euros
    assert said.startswith("Unité incohérente\u00a0: vous avez écrit un montant en euros"), said
    assert "sans point entre les milliers" in verdict("1.250,5")
    assert verdict(answer * 3 + 11).startswith("Pas encore")
    assert verdict("beaucoup").startswith("Écrivez un nombre")
    for mistake in variant.diagnoses.get(q.id, ()):
        if abs(mistake.value - answer) > q.abs_tolerance:
            assert mistake.explanation in verdict(mistake.value)


def test_pandas_exercise_says_so_first():
    nb = lite.practice_notebook(load_catalogue()[PANDAS])
    assert "pandas" in nb.cells[0].source
    assert nb.cells[1].source == lite.PANDAS_LOADER
    assert "piplite.install" in nb.cells[1].source


def test_welcome_lists_every_exercise_and_says_how_to_hand_in(tmp_path):
    listed = lite.write_contents(tmp_path)
    catalogue = load_catalogue()
    assert {ex.id for ex, _ in listed} == set(catalogue)
    assert {p.stem for p in (tmp_path / lite.EXERCISES_FOLDER).glob("*.ipynb")} == set(catalogue)
    welcome = nbformat.read(tmp_path / lite.WELCOME, as_version=4)
    text = "\n".join(c.source for c in welcome.cells)
    assert "Charger des fichiers" in text
    paths = menu_paths(text)
    assert ("Fichier", "Télécharger") in paths["ordinateur"]
    # a phone's steps name buttons only: JupyterLab's menus (Lumino 2) ignore a tap, whose
    # pointer events have no move before the release that triggers a menu item
    assert paths["téléphone"] == set()
    assert "Importer" in text and "▶▶" in text
    pandas_part = text.split("avec pandas", 1)[1]
    assert f"{lite.EXERCISES_FOLDER}/{PANDAS}.ipynb" in pandas_part
    assert f"{lite.EXERCISES_FOLDER}/{PLAIN}.ipynb" not in pandas_part


def installed_pack() -> dict:
    """The French pack's catalogues as jupyterlite-core copies them (domain -> gettext JSON)."""
    from importlib.resources import files

    folder = files("jupyterlab_language_pack_fr_FR") / "locale" / "fr_FR" / "LC_MESSAGES"
    return {f.name.removesuffix(".json"): json.loads(f.read_text("utf-8")) for f in folder.iterdir()
            if f.name.endswith(".json")}  # fmt: skip


def test_jupyterlite_words_are_french_and_the_pack_keeps_its_own():
    data = installed_pack()
    assert "jupyterlite" not in data  # what this module is for: no published pack has it
    data["notebook"]["Table of Contents"] = ["Sommaire du pack"]
    lite_locale.complete(data)
    for domain in ("jupyterlite", "@jupyterlite"):
        catalogue = data[domain]
        assert catalogue[""]["domain"] == domain and catalogue[""]["plural_forms"]
        # JupyterLite's Download is the word JupyterLab's File menu uses elsewhere
        assert catalogue["Download"] == data["jupyterlab"]["Download"] != ["Download"]
        assert all(isinstance(v, list) and v[0] for k, v in catalogue.items() if k)
        warning = catalogue["Warning: Data Loss Risk"][0]
        assert "\u00a0:" in warning and " :" not in warning  # French typography
    assert data["notebook"]["Table of Contents"] == ["Sommaire du pack"]
    close = "Close and Shut Down Notebook…"
    assert data["notebook"][close] == data["jupyterlab"][close]
    # the pack's slip corrected: the toolbar's Copy and Cut buttons say different things
    assert data["jupyterlab"]["Copy this cell"] != data["jupyterlab"]["Cut this cell"]


def test_a_string_the_pack_stops_translating_is_reported():
    data = installed_pack()
    del data["jupyterlab"]["Download"]
    with pytest.raises(MercatiqueError, match="Download"):
        lite_locale.complete(data)


def test_missing_language_pack_says_what_to_run(tmp_path):
    with pytest.raises(MercatiqueError, match="make install"):
        lite_locale.complete_site_pack(tmp_path)


def test_serve_gives_wasm_and_modules_their_types(tmp_path):
    site = tmp_path / "lite" / "static"
    site.mkdir(parents=True)
    (site / "a.wasm").write_bytes(b"\0asm")
    (site / "b.mjs").write_text("export {}")
    server = make_server(tmp_path, 0)
    port = server.server_address[1]
    assert server.server_address[0] == "127.0.0.1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for name, mime in (("a.wasm", "application/wasm"), ("b.mjs", "text/javascript")):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/lite/static/{name}") as response:
                assert response.headers["Content-Type"].split(";")[0] == mime
    finally:
        server.shutdown()
        server.server_close()
    assert [label for label, _ in addresses(tmp_path, port)] == [
        "Le site d'entraînement (JupyterLite)",
        "Sur un téléphone",
    ]
    assert addresses(tmp_path, port)[1][1].endswith("/lite/tree/index.html")


def test_serve_needs_something_built(tmp_path):
    with pytest.raises(MercatiqueError, match="mercatique lite"):
        make_server(tmp_path, 0)


# ---- slow: the built site in Chromium --------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    build = tmp_path_factory.mktemp("build")
    result = run("lite", "--sortie", build / "lite")
    assert result.exit_code == 0, result.output
    server = make_server(build, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield build, f"http://127.0.0.1:{server.server_address[1]}/lite"
    server.shutdown()
    server.server_close()


class Visit:
    """A browser context on the site: requests to other hosts aborted and recorded,
    console errors recorded."""

    def __init__(self, chromium, width=1280, dark=False, phone=False):
        self.context = chromium.new_context(
            viewport={"width": width, "height": 740 if phone else 900},
            color_scheme="dark" if dark else "light",
            accept_downloads=True,
            **({"is_mobile": True, "has_touch": True} if phone else {}),
        )
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.context.on("page", self._watch)  # tabs the site opens too
        self.page = self.context.new_page()

    def _watch(self, page):
        page.on("console", lambda m: m.type == "error" and not self._icon(m) and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    @staticmethod
    def _icon(message) -> bool:
        """Chromium's own request for the server root's /favicon.ico (in phone mode): not the site's."""
        return urlparse(message.location.get("url", "")).path == "/favicon.ico"

    def _route(self, route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, url):
        self.page.goto(url)
        return self.wait_for_notebook(self.page)

    @staticmethod
    def wait_for_notebook(page):
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
        page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=120_000)
        return page

    def run_cell(self, index: int) -> str:
        from playwright.sync_api import Error

        cell = self.page.locator(".jp-Notebook .jp-CodeCell").nth(index)
        # let the notebook become the active document: Maj+Entrée sent before it is lost
        self.page.wait_for_timeout(2000)
        for attempt in range(5):  # JupyterLab may redraw the notebook once more after opening it
            try:
                cell.scroll_into_view_if_needed()
                cell.locator(".cm-content").focus()  # a click may land on a side panel on a phone
                break
            except Error:
                if attempt == 4:
                    raise
                self.page.wait_for_timeout(1000)
        self.page.keyboard.press("Shift+Enter")
        output = cell.locator(".jp-OutputArea-output")
        output.first.wait_for(timeout=180_000)
        return cell.locator(".jp-OutputArea").inner_text()

    def close(self):
        self.context.close()


def run_all(page):
    """Menu Exécution › Exécuter toutes les cellules, as the notebooks tell students."""
    page.locator('.lm-MenuBar-itemLabel:text-is("Exécution")').first.click()
    page.locator('.lm-Menu-itemLabel:text-is("Exécuter toutes les cellules")').first.click()


@pytest.mark.slow
def test_kernel_starts_offline_and_a_kpi_cell_runs(served, chromium, tmp_path):
    from tests.browser import Screenshots

    _, base = served
    shots = Screenshots(tmp_path / "captures")
    # on a phone, the Notebook interface: JupyterLab's file browser would cover the page
    for width, dark, app in ((1280, False, "lab"), (360, True, "notebooks")):
        visit = Visit(chromium, width, dark)
        try:
            page = visit.open(f"{base}/{app}/index.html?path={lite.WELCOME}")
            output = visit.run_cell(0)
            assert "Bienvenue" in "".join(page.locator(".jp-Notebook").all_inner_texts())
            assert "Taux de conversion : 2,50 %" in output.replace("\u202f", " ").replace("\u00a0", " ")
            shots.take(page, f"bienvenue-{width}-{'sombre' if dark else 'clair'}")
            assert visit.outside == []
            assert visit.errors == []
            menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
            assert "Fichier" in menus or app != "lab", menus  # JupyterLab in French
        finally:
            visit.close()


@pytest.mark.slow
def test_practice_check_runs_in_the_page(served, chromium, tmp_path):
    from tests.browser import Screenshots

    _, base = served
    ex = load_catalogue()[PLAIN]
    variant = preview_variant(ex, lite.PRACTICE_SEED)
    nb = nbformat.read(served[0] / "lite" / "files" / lite.EXERCISES_FOLDER / f"{PLAIN}.ipynb", as_version=4)
    q = next(q for q in ex.questions if q.kind == "number")
    code = [c for c in nb.cells if c.cell_type == "code"]
    answer_at = next(i for i, c in enumerate(code) if c.source.startswith(f"{q.variable} ="))
    check_at = next(
        i for i, c in enumerate(code) if c.source.startswith("# Vérifier") and repr(q.variable) in c.source
    )
    visit = Visit(chromium)
    try:
        page = visit.open(f"{base}/lab/index.html?path={lite.EXERCISES_FOLDER}/{PLAIN}.ipynb")
        cell = page.locator(".jp-Notebook .jp-CodeCell").nth(answer_at)
        cell.scroll_into_view_if_needed()
        cell.locator(".cm-content").focus()
        page.keyboard.press("Control+a")
        page.keyboard.type(f"{q.variable} = {variant.answers[q.id]!r}")
        run_all(page)
        check = page.locator(".jp-Notebook .jp-CodeCell").nth(check_at)
        check.locator(".jp-OutputArea-output").first.wait_for(timeout=180_000)
        verdict = check.locator(".jp-OutputArea").inner_text()
        shots = Screenshots(tmp_path / "captures")
        shots.take(page, "exercice-verifie")
        assert "Juste" in verdict, verdict
        # the right rate typed in euros: the grader's reading, run by Pyodide, says why it is wrong
        written = f"{variant.answers[q.id]:.2f}".replace(".", ",")
        cell.scroll_into_view_if_needed()
        cell.locator(".cm-content").focus()
        page.keyboard.press("Control+a")
        page.keyboard.type(f'{q.variable} = "{written} €"')
        page.keyboard.press("Shift+Enter")
        verdict = visit.run_cell(check_at)
        check.scroll_into_view_if_needed()
        shots.take(page, "exercice-unite-incoherente")
        assert verdict.startswith("Unité incohérente\u00a0: vous avez écrit un montant en euros"), verdict
        assert visit.outside == [] and visit.errors == []
    finally:
        visit.close()


# what Pyodide logs when a package cannot be fetched (the CDN is cut here): harmless
PANDAS_OFFLINE_ERRORS = re.compile(r"^(The following error occurred while loading [\w-]+:|Failed to fetch)")


@pytest.mark.slow
def test_pandas_exercise_explains_offline(served, chromium, tmp_path):
    from tests.browser import Screenshots

    _, base = served
    visit = Visit(chromium)
    try:
        page = visit.open(f"{base}/lab/index.html?path={lite.EXERCISES_FOLDER}/{PANDAS}.ipynb")
        output = visit.run_cell(0)
        Screenshots(tmp_path / "captures").take(page, "pandas-hors-ligne")
        assert "pandas n'a pas pu être chargé" in output
        # the only hosts tried are Pyodide's CDN, for pandas and what it needs
        assert visit.outside and all(url.startswith(lite.cdn_base()) for url in visit.outside)
        assert any("/pandas-" in url for url in visit.outside)
        assert all(PANDAS_OFFLINE_ERRORS.match(e) for e in visit.errors), visit.errors
    finally:
        visit.close()


@pytest.mark.slow
def test_notebook_saved_by_jupyterlite_is_graded(served, chromium, tmp_path):
    """A student's own assignment, uploaded in the site, run, saved and downloaded through
    JupyterLite's UI, then graded like any submission."""
    _, base = served
    A = "devoir-lite"
    root = new_course(tmp_path, 2, {A: [PLAIN]})
    c = Class(root, A)
    student = sorted(c.rows)[0]
    from generators.simulate import set_answers

    answered = set_answers(c.released(student), c.all_right(student))
    upload = tmp_path / f"{A}.ipynb"
    nbformat.write(answered, upload)
    visit = Visit(chromium)
    try:
        page = visit.page
        page.goto(f"{base}/lab/index.html")
        page.wait_for_selector(".jp-DirListing-item", timeout=120_000)
        page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=120_000)
        with page.expect_file_chooser() as chooser:
            page.locator(
                '[data-jp-item-name="uploader"] jp-button, [title="Charger des fichiers"]'
            ).first.click()
        chooser.value.set_files(str(upload))
        page.locator(f'.jp-DirListing-item[title*="{A}.ipynb"]').first.wait_for(timeout=60_000)
        page.locator(f'.jp-DirListing-item[title*="{A}.ipynb"]').first.dblclick()
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
        page.wait_for_timeout(2000)  # let the notebook become the active document
        run_all(page)
        page.locator(".jp-OutputArea-output", has_text="Réponse enregistrée").first.wait_for(timeout=180_000)
        page.wait_for_function(
            "[...document.querySelectorAll('.jp-InputArea-prompt')].every(p => !p.textContent.includes('*'))",
            timeout=180_000,
        )
        page.keyboard.press("Control+s")
        page.wait_for_timeout(1000)
        page.locator('.lm-MenuBar-itemLabel:text-is("Fichier")').first.click()
        with page.expect_download() as download:
            page.locator('.lm-Menu-itemLabel:text-is("Télécharger")').first.click()
        saved = tmp_path / "telecharge.ipynb"
        download.value.save_as(saved)
        assert visit.outside == [] and visit.errors == []
    finally:
        visit.close()
    nb = nbformat.read(saved, as_version=4)
    assert any(
        "application/vnd.mercatique.answer+json" in out.get("data", {})
        for cell in nb.cells
        for out in cell.get("outputs", [])
    ), "the Pyodide kernel ran the report cells"
    c.submit(student, {}, nb=nb)
    result = run("grade", root, A)
    assert result.exit_code == 0, result.output
    grades = {row["student_id"]: row for row in read_csv(root / "exports" / f"{A}_grades.csv")}
    assert float(grades[student]["score"]) == pytest.approx(c.max_points())


def menu_items(page) -> dict[str, list[str]]:
    """Each menu of the menu bar and its items, as a person opening them one by one reads them."""
    items = {}
    for menu in page.locator(".lm-MenuBar-itemLabel").all_inner_texts():
        page.locator(f'.lm-MenuBar-itemLabel:text-is("{menu}")').first.click()
        page.locator(".lm-Menu").first.wait_for()
        items[menu] = [label for label in page.locator(".lm-Menu-itemLabel").all_inner_texts() if label]
        page.keyboard.press("Escape")
    return items


@pytest.mark.slow
def test_site_speaks_french_and_follows_the_device_theme(served, chromium, tmp_path):
    """Every menu item in French (none is one of the English strings the site's language pack
    translates), the menus the welcome notebook names exist, light or dark as the device."""
    from tests.browser import Screenshots

    build, base = served
    pack = json.loads((build / "lite" / "api" / "translations" / "fr_FR.json").read_text("utf-8"))
    english = {
        source for catalogue in pack["data"].values() for source, french in catalogue.items()
        if source and french and french[0] != source
    }  # fmt: skip
    assert "Download" in english
    welcome = nbformat.read(build / "lite" / "files" / lite.WELCOME, as_version=4)
    named = menu_paths("\n".join(c.source for c in welcome.cells))
    shots = Screenshots(tmp_path / "captures")
    # the JupyterLab interface on a computer, the Notebook interface on a phone (its menus
    # read at computer width: on a phone the bar shows only the first ones, and a phone's
    # steps use its buttons)
    for app, dark, device in (("lab", False, "ordinateur"), ("notebooks", True, "téléphone")):
        visit = Visit(chromium, 1280, dark)
        try:
            page = visit.open(f"{base}/{app}/index.html?path={lite.WELCOME}")
            theme = page.evaluate("document.body.dataset.jpThemeName")
            assert theme == ("JupyterLab Dark" if dark else "JupyterLab Light")
            shots.take(page, f"{app}-{'sombre' if dark else 'clair'}")
            items = menu_items(page)
            untranslated = sorted(
                {label for labels in items.values() for label in labels if label in english}
            )
            assert untranslated == [], untranslated
            for menu, item in named[device]:
                assert item in items.get(menu, []), (menu, item, items.get(menu))
            assert visit.outside == [] and visit.errors == []
        finally:
            visit.close()


# JupyterLab's own markup, which the site cannot change (JupyterLab 4.6 in jupyterlite-core
# 0.8.6): axe finds these rules on its toolbar buttons (aria-pressed on Jupyter's web
# components), code editors (CodeMirror's textbox has no name), the notebook's windowed list
# and the collapse button it adds to Markdown headings. Our content is checked alone for
# everything; the whole page only for a rule outside this list (such as contrast).
JUPYTERLAB_VIOLATIONS = {
    "aria-allowed-attr",
    "aria-input-field-name",
    "aria-required-children",
    "button-name",
}
OUR_CONTENT = {
    "include": [[".jp-RenderedMarkdown"], [".jp-OutputArea-output"]],
    "exclude": [[".jp-collapseHeadingButton"]],
}


@pytest.mark.slow
def test_axe_finds_nothing_serious_in_our_notebooks_light_and_dark(served, chromium, tmp_path):
    from tests.browser import Screenshots, axe_violations

    _, base = served
    shots = Screenshots(tmp_path / "captures")
    practice = f"{lite.EXERCISES_FOLDER}/{PLAIN}.ipynb"
    for app, width, path, dark in (
        ("lab", 1280, lite.WELCOME, False),
        ("lab", 1280, lite.WELCOME, True),
        ("lab", 1280, practice, False),
        ("notebooks", 360, practice, True),
    ):
        visit = Visit(chromium, width, dark, phone=width < 500)
        try:
            page = visit.open(f"{base}/{app}/index.html?path={path}")
            if path == lite.WELCOME:  # an output of ours to check too
                page.wait_for_timeout(2000)  # let the notebook become the active document
                run_all(page)
                page.locator(".jp-OutputArea-output").first.wait_for(timeout=180_000)
            shots.take(page, f"axe-{app}-{width}-{'sombre' if dark else 'clair'}-{Path(path).stem}")
            page.locator(".jp-RenderedMarkdown").first.wait_for()  # drawn after the cells
            ours = axe_violations(page, context=OUR_CONTENT)
            assert ours == [], (app, path, dark, ours)
            whole = axe_violations(page)
            assert {v["id"] for v in whole} <= JUPYTERLAB_VIOLATIONS, (app, path, dark, whole)
        finally:
            visit.close()


UPSTREAM_ERRORS = re.compile(
    r"^(Cannot read properties of null \(reading '(updateRenderOption|insertWidget)'\)"
    r"|Canceled future for kernel_info_request message before replies were done"
    r"|[0-9a-f-]{36} was disposed)$"
)


@pytest.mark.slow
def test_phone_student_opens_runs_and_downloads_their_assignment(served, chromium, tmp_path):
    """At 360 px with taps, as the welcome notebook says: the phone address lists the files,
    Importer uploads the assignment, its name then Ouvrir opens it in a new tab, ▶▶ runs it,
    the disk saves it, and back in the list its name then Télécharger gives it back."""
    from tests.browser import Screenshots

    build, base = served
    A = "devoir-telephone"
    root = new_course(tmp_path, 1, {A: [PLAIN]})
    c = Class(root, A)
    student = sorted(c.rows)[0]
    from generators.simulate import set_answers

    upload = tmp_path / f"{A}.ipynb"
    nbformat.write(set_answers(c.released(student), c.all_right(student)), upload)
    phone_url = dict(addresses(build, 8000))["Sur un téléphone"].split("/lite/", 1)[1]
    shots = Screenshots(tmp_path / "captures")
    visit = Visit(chromium, 360, dark=True, phone=True)
    try:
        files = visit.page
        files.goto(f"{base}/{phone_url}")
        files.wait_for_selector(".jp-DirListing-item", timeout=120_000)
        with files.expect_file_chooser() as chooser:
            files.get_by_text("Importer", exact=True).tap()
        chooser.value.set_files(str(upload))
        item = files.locator(f'.jp-DirListing-item[title*="{A}.ipynb"] .jp-DirListing-itemText').first
        item.wait_for(timeout=60_000)
        item.tap()
        shots.take(files, "telephone-fichiers")
        with visit.context.expect_page() as opened:
            files.get_by_text("Ouvrir", exact=True).tap()
        notebook = Visit.wait_for_notebook(opened.value)
        notebook.wait_for_timeout(2000)  # let the notebook become the active document
        notebook.locator('[data-jp-item-name="restart-and-run"] jp-button').first.tap()
        notebook.locator(".jp-Dialog").get_by_text("Redémarrer", exact=True).tap()
        answer = notebook.locator(".jp-OutputArea-output", has_text="Réponse enregistrée").first
        answer.wait_for(timeout=180_000)
        notebook.wait_for_function(
            "[...document.querySelectorAll('.jp-InputArea-prompt')].every(p => !p.textContent.includes('*'))",
            timeout=180_000,
        )
        notebook.locator('[data-jp-item-name="save"] jp-button').first.tap()
        notebook.wait_for_timeout(1500)
        shots.take(notebook, "telephone-devoir")
        files.bring_to_front()
        item.tap()
        with files.expect_download() as download:
            files.get_by_text("Télécharger", exact=True).tap()
        saved = tmp_path / "telecharge.ipynb"
        download.value.save_as(saved)
        assert visit.outside == []
        # JupyterLab logs these when ▶▶ restarts Python (the old kernel's pending requests are
        # cancelled) and the file list when it hands a notebook to a new tab (Notebook 7.6's
        # tree in JupyterLite 0.8.6): nothing a student sees, the notebook works
        assert all(UPSTREAM_ERRORS.match(e) for e in visit.errors), visit.errors
    finally:
        visit.close()
    nb = nbformat.read(saved, as_version=4)
    recorded = [
        out
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if "application/vnd.mercatique.answer+json" in out.get("data", {})
    ]
    assert len(recorded) == sum(1 for q in load_catalogue()[PLAIN].questions if not q.written)
