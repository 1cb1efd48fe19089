"""The JupyterLite practice site: Python in the browser, built and run with no network.

JupyterLite (jupyterlite-core + jupyterlite-pyodide-kernel, from PyPI) builds the site;
Pyodide's core comes from the npm `pyodide` package (node_modules/pyodide). That package
has no wheels, so the kernel's start-up packages (ipython, jedi, micropip…) are pure-Python
wheels from PyPI (`make lite-deps`, listed in lite_wheels.txt) and the lock is rewritten
with their hashes (PyPI's files differ from Pyodide's builds, whose hashes the npm lock
holds). `PyodideLockAddon` does this with `pyodide-lock`, which needs Python 3.12: this
module does the same small rewrite itself. Every other lock entry (numpy, pandas…) points
to Pyodide's CDN, so those load where the network allows and fail plainly elsewhere.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from generators.authoring import reading, render, typography
from generators.authoring.catalogue import Exercise, load_catalogue
from generators.authoring.variants import Variant, preview_variant
from generators.book.lite_locale import complete_site_pack
from generators.classroom.course import export_folder
from generators.classroom.notebook import HELPER_METADATA, personal_texts, plan_slots, source_notebook
from generators.classroom.roster import Student
from generators.errors import MercatiqueError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PYODIDE_NPM = PROJECT_ROOT / "node_modules" / "pyodide"
WHEELS_LIST = Path(__file__).with_name("lite_wheels.txt")
WHEELS_DIR = Path(sys.prefix) / "share" / "mercatique" / "lite-wheels"
KERNEL_EXTENSION = (
    Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyterlite" / ("pyodide-kernel-extension")
)
PRACTICE_SEED = 1
EXERCISES_FOLDER = "exercices"
WELCOME = "Bienvenue.ipynb"

# what the Pyodide kernel loads before its first cell (jupyterlite-pyodide-kernel's own
# list, PyodideLockAddon.prefetch): preloaded from the lock, they need no piplite lookup
PRELOAD = ["micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython"]
# the npm package's files the site needs (not its source maps, type files or demo pages)
PYODIDE_FILES = ("pyodide.mjs", "pyodide.js", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
# labextensions of the Python environment the site must not carry (they talk to a server)
NOT_IN_SITE = ["@jupyter/nbgrader", "@jupyter-notebook/lab-extension"]


def pyodide_version() -> str:
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

    return PYODIDE_VERSION


def cdn_base() -> str:
    """Where Pyodide's full distribution lives for this kernel (numpy, pandas…)."""
    from jupyterlite_pyodide_kernel.constants import PYODIDE_CDN_URL

    return PYODIDE_CDN_URL


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_info(path: Path) -> dict:
    """Name, version, top-level imports and plain requirements of a wheel, from its metadata."""
    from packaging.requirements import Requirement

    with zipfile.ZipFile(path) as whl:
        names = whl.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = whl.read(meta_name).decode("utf-8")
    fields = re.findall(r"^([A-Za-z-]+): (.*)$", meta.split("\n\n", 1)[0], flags=re.M)
    name = next(v for k, v in fields if k == "Name")
    version = next(v for k, v in fields if k == "Version")
    depends = []
    for key, value in fields:
        if key == "Requires-Dist":
            req = Requirement(value)
            if req.marker is None or "extra" not in str(req.marker):
                depends.append(_canonical(req.name))
    imports = sorted(
        {
            n.split("/")[0].removesuffix(".py")
            for n in names
            if not n.split("/")[0].endswith((".dist-info", ".data")) and (n.endswith(".py") or "/" in n)
        }
    )
    return {"name": _canonical(name), "version": version, "depends": depends, "imports": imports}


def rebuild_lock(lock: dict, wheels: list[Path], cdn: str) -> dict:
    """The npm lock with `wheels` (files beside it) as the entries of their packages.

    An entry whose wheel is given gets that file, version and hash (new packages such as
    `comm` and the kernel's own wheels get a new entry); every other package keeps its
    Pyodide build, fetched from `cdn` (absolute URL) since no file of it is local."""
    packages = {name: dict(entry) for name, entry in lock["packages"].items()}
    local = {}
    for path in wheels:
        info = wheel_info(path)
        entry = packages.get(info["name"]) or {
            "name": info["name"],
            "depends": info["depends"],
            "imports": info["imports"],
            "install_dir": "site",
            "package_type": "package",
            "unvendored_tests": False,
        }
        entry.update(
            file_name=path.name,
            version=info["version"],
            sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        packages[info["name"]] = entry
        local[info["name"]] = entry
    for name, entry in packages.items():
        if name not in local and "://" not in entry["file_name"]:
            entry["file_name"] = f"{cdn.rstrip('/')}/{entry['file_name']}"
    return {**lock, "packages": dict(sorted(packages.items()))}


def kernel_wheels() -> list[Path]:
    """The kernel's own wheels as its labextension ships them (piplite, ipykernel stub…)."""
    pypi = KERNEL_EXTENSION / "static" / "pypi"
    return sorted(p for p in pypi.glob("*.whl") if not p.name.startswith("widgetsnbextension"))


def start_up_wheels(wheels_dir: Path = WHEELS_DIR) -> list[Path]:
    """The PyPI wheels of lite_wheels.txt, downloaded by `make lite-deps`."""
    wanted = [
        line.split("==")[0].strip()
        for line in WHEELS_LIST.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    found = {}
    for path in wheels_dir.glob("*.whl") if wheels_dir.is_dir() else ():
        found[_canonical(path.name.split("-")[0])] = path
    missing = [name for name in wanted if _canonical(name) not in found]
    if missing:
        raise MercatiqueError(
            f"Les paquets Python du noyau du site manquent ({', '.join(missing)}) : "
            "lancez make lite-deps (une fois, avec accès à PyPI)."
        )
    return [found[_canonical(name)] for name in wanted]


def check_pyodide(npm_dir: Path = PYODIDE_NPM) -> Path:
    """The npm `pyodide` package, at the version the kernel expects."""
    package = npm_dir / "package.json"
    if not (npm_dir / "pyodide.mjs").is_file() or not package.is_file():
        raise MercatiqueError(f"Le paquet npm pyodide est absent ({npm_dir}) : lancez make node-deps.")
    version = json.loads(package.read_text(encoding="utf-8"))["version"]
    if version != pyodide_version():
        raise MercatiqueError(
            f"Le paquet npm pyodide est en version {version}, le noyau attend {pyodide_version()} : "
            "lancez make node-deps."
        )
    return npm_dir


# ---- notebooks ---------------------------------------------------------------------------

def _reading_source() -> str:
    """generators/authoring/reading.py without its docstring: the reader the grader uses."""
    source = Path(reading.__file__).read_text(encoding="utf-8")
    docstring = ast.parse(source).body[0]
    return "\n".join(source.splitlines()[docstring.end_lineno :]).strip() + "\n"


# The check reads a typed answer with the grader's own code (generators/authoring/reading.py,
# pasted below at build time), so the practice page, the book and the grader read it alike.
CHECK_HEADER = """# Vérification d'entraînement (cellule masquée) : elle compare votre réponse au corrigé
# de cet énoncé d'entraînement. Dans un vrai devoir, c'est le correcteur qui juge ; il lit
# les réponses avec le même code que cette cellule.
"""

CHECK_VERIFIER = """

def _nombre(valeur, unite=""):
    # (le nombre, None), ou (None, la phrase qui dit pourquoi il n'est pas lu)
    if not isinstance(valeur, str):
        try:
            return float(valeur), None
        except (TypeError, ValueError):
            return None, f"Écrivez un nombre (par exemple 12.5)\\u00a0: {valeur!r} n'en est pas un."
    lu = read_answer(valeur)
    if lu.refusal == MIXED:
        return None, f'Écrivez le nombre {MIXED_SEPARATORS}, par exemple "1250,5" ou 1250.5.'
    if lu.value is None:
        return None, f"Écrivez un nombre (par exemple 12.5)\\u00a0: {valeur!r} n'en est pas un."
    if contradicts(lu.unit, unite):
        return None, unit_message(lu.unit, unite).replace(" :", "\\u00a0:")
    return lu.value, None


def _verifier(nom, attendu, tolerance=None, erreurs=(), unite=""):
    valeur = globals().get(nom, Ellipsis)
    if valeur is Ellipsis or valeur is None:
        print(f"Pas encore de réponse\\u00a0: remplacez ... dans la cellule de {nom}, puis exécutez-la.")
        return
    if tolerance is None:
        lettre = str(valeur).strip().strip('"').upper()
        if lettre == attendu:
            print("Juste\\u202f!")
        else:
            print(f"Pas encore\\u00a0: ce n'est pas {lettre}. Relisez l'énoncé et les options.")
        return
    nombre, pourquoi = _nombre(valeur, unite)
    if pourquoi:
        print(pourquoi)
        return
    if abs(nombre - attendu) <= tolerance * 1.000001:
        print("Juste\\u202f!")
        return
    for faux, explication in erreurs:
        if abs(nombre - faux) <= tolerance * 1.000001:
            print(f"Pas encore\\u00a0: {explication}")
            return
    if abs(nombre - attendu) <= 10 * tolerance:
        print("Presque\\u00a0: vérifiez l'arrondi demandé.")
        return
    print("Pas encore\\u00a0: ce n'est pas la bonne valeur. Reprenez le calcul.")
"""


def check_helper() -> str:
    """The practice notebook's hidden check cell."""
    return CHECK_HEADER + "\n" + _reading_source() + CHECK_VERIFIER


PANDAS_LOADER = """# Cet exercice utilise pandas. Dans le navigateur, pandas se télécharge (connexion Internet
# nécessaire) : exécutez cette cellule d'abord.
try:
    import pandas
except ImportError:
    try:
        import piplite

        await piplite.install("pandas")
        import pandas
    except Exception:
        pandas = None
if pandas is None:
    print("pandas n'a pas pu être chargé (pas de connexion Internet\\u202f?)\\u00a0: cet exercice ne peut "
          "pas s'exécuter ici. Faites-le dans JupyterLab (au lycée, sur le serveur de la classe) "
          "ou avec un tableur, ou revenez ici une fois connecté.")
else:
    print(f"pandas {pandas.__version__} est prêt.")
"""


def needs_pandas(variant: Variant) -> bool:
    """An exercise whose data set is a table: its given cell builds a pandas DataFrame."""
    return any(hasattr(variant.params.get(name), "to_csv") for name in variant.exercise.given)


def _check_call(variant: Variant, q) -> str:
    answer = variant.answers[q.id]
    if q.kind == "choice":
        return f"_verifier({q.variable!r}, {answer!r})"
    mistakes = [(d.value, d.explanation) for d in variant.diagnoses.get(q.id, ())]
    unit = f", unite={q.unit!r}" if q.unit else ""
    return f"_verifier({q.variable!r}, {answer!r}, {q.abs_tolerance!r}, {mistakes!r}{unit})"


def practice_notebook(exercise: Exercise, seed: int = PRACTICE_SEED) -> nbformat.NotebookNode:
    """One exercise as a practice notebook: the product's notebook (same statement, data and
    answer cells) for a preview variant, each answer followed by a check that runs in the page."""
    variant = preview_variant(exercise, seed)
    slots = plan_slots([exercise])
    source = source_notebook(exercise.id, [exercise], slots)
    texts = personal_texts(Student("entrainement", "", ""), {exercise.id: variant}, [exercise], slots)
    pandas = needs_pandas(variant)
    intro = (
        f"# Entraînement : {exercise.title}\n\n"
        "Énoncé d'entraînement : les nombres sont les mêmes pour tout le monde (votre devoir a "
        "les vôtres). Remplacez `...` par votre calcul dans chaque cellule de réponse, exécutez-la "
        "(Maj+Entrée), puis exécutez la cellule « Vérifier » en dessous : elle dit si c'est juste."
    )
    if pandas:
        intro += (
            "\n\n**Cet exercice utilise pandas.** Exécutez d'abord la cellule ci-dessous : elle "
            "charge pandas si vous êtes connecté à Internet, et sinon elle le dit."
        )
    cells = [new_markdown_cell(typography.markdown(intro))]
    if pandas:
        cells.append(new_code_cell(PANDAS_LOADER))
    questions = {q.id: q for q in exercise.questions}
    for cell in source.cells[1:]:
        meta = cell.metadata.get("mercatique", {})
        role = meta.get("role")
        if role == "header":
            continue
        cell.metadata.pop("nbgrader", None)
        key = (role, meta.get("exercise", ""), meta.get("question", ""))
        if key in texts:
            cell.source = texts[key]
        cells.append(cell)
        if cell.source.startswith("# Outil de correction"):
            cells.append(new_code_cell(check_helper(), metadata=dict(HELPER_METADATA)))
        if role == "report":
            q = questions[meta["question"]]
            cells.append(new_code_cell(f"# Vérifier (entraînement)\n{_check_call(variant, q)}"))
    cells.append(
        new_markdown_cell(
            typography.markdown(f"## Corrigé (à lire après avoir cherché)\n\n{render.solution(variant)}")
        )
    )
    nb = new_notebook(cells=cells, metadata=source.metadata)
    nb.metadata["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
    return nb


def welcome_notebook(exercises: list[tuple[Exercise, bool]]) -> nbformat.NotebookNode:
    """The landing notebook: what the site is, how to open and hand back one's own assignment."""
    plain = [f"- [{ex.title}]({EXERCISES_FOLDER}/{ex.id}.ipynb)" for ex, pandas in exercises if not pandas]
    with_pandas = [f"- [{ex.title}]({EXERCISES_FOLDER}/{ex.id}.ipynb)" for ex, pandas in exercises if pandas]
    text = (
        "# Bienvenue : Python dans le navigateur, sans rien installer\n\n"
        "Ce site fait tourner Python dans votre navigateur (JupyterLite). Rien n'est envoyé à un "
        "serveur : vos notebooks restent dans ce navigateur, sur cet appareil.\n\n"
        "## Essayer\n\n"
        "Cliquez dans la cellule de code ci-dessous puis appuyez sur Maj+Entrée (sur un téléphone, "
        "touchez la cellule puis le bouton ▶ de la barre d'outils) : Python calcule un taux de "
        "conversion. Le premier lancement prend quelques secondes.\n"
    )
    how_to = (
        "## Travailler sur votre devoir\n\n"
        "1. Ouvrez votre notebook de devoir, le fichier `.ipynb` reçu de votre enseignant :\n"
        "   - sur un ordinateur, dans l'explorateur de fichiers à gauche, cliquez sur le bouton "
        "**Charger des fichiers** (la flèche vers le haut) et choisissez le fichier, puis "
        "double-cliquez sur son nom pour l'ouvrir ;\n"
        "   - sur un téléphone, le site s'ouvre sur la liste de vos fichiers : touchez **Importer** "
        "et choisissez le fichier, puis touchez son nom et **Ouvrir** (il s'ouvre dans un nouvel "
        "onglet). Sur un téléphone, les menus ne répondent pas au toucher : ce sont les boutons "
        "qui servent.\n"
        "2. Répondez dans les cellules de réponse, puis exécutez toutes les cellules :\n"
        "   - sur un ordinateur, menu **Exécution › Exécuter toutes les cellules** ;\n"
        "   - sur un téléphone, touchez le bouton ▶▶ de la barre d'outils (il relance Python et "
        "exécute tout), puis **Redémarrer**.\n"
        "3. Quand vous avez fini, enregistrez votre travail (Ctrl+S, ou la disquette de la barre "
        "d'outils) puis téléchargez-le :\n"
        "   - sur un ordinateur, menu **Fichier › Télécharger** ;\n"
        "   - sur un téléphone, revenez à l'onglet de la liste des fichiers, touchez le nom du "
        "fichier puis **Télécharger**.\n\n"
        "C'est ce fichier que vous rendez à votre enseignant, comme d'habitude.\n\n"
        "Attention : le navigateur garde vos fichiers tant que vous n'effacez pas ses données. "
        "Téléchargez toujours votre travail avant de partir.\n\n"
        "## S'entraîner\n\n"
        "Chaque exercice du cours existe ici en version d'entraînement, avec une cellule « Vérifier » "
        "qui dit si votre réponse est juste.\n\n"
        "### Exercices en Python seul (ils marchent sans connexion)\n\n" + "\n".join(plain) + "\n\n"
        "### Exercices avec pandas (connexion Internet nécessaire)\n\n"
        "Ces exercices lisent un tableau de données avec pandas, que le navigateur doit "
        "télécharger. Sans connexion, leur première cellule le dit : faites-les alors dans "
        "JupyterLab ou avec un tableur.\n\n" + "\n".join(with_pandas) + "\n"
    )
    demo = (
        "visites = 12400\n"
        "commandes = 310\n"
        "taux_conversion = commandes / visites * 100\n"
        'print(f"Taux de conversion : {taux_conversion:.2f} %".replace(".", ","))'
    )
    nb = new_notebook(
        cells=[
            new_markdown_cell(typography.markdown(text)),
            new_code_cell(demo),
            new_markdown_cell(typography.markdown(how_to)),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write_contents(
    contents: Path, catalogue: dict[str, Exercise] | None = None
) -> list[tuple[Exercise, bool]]:
    """The site's files: the welcome notebook and one practice notebook per exercise."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    listed = []
    (contents / EXERCISES_FOLDER).mkdir(parents=True, exist_ok=True)
    for ex in sorted(catalogue.values(), key=lambda e: (e.chapter, e.id)):
        nb = practice_notebook(ex)
        pandas = any(c.source == PANDAS_LOADER for c in nb.cells)
        nbformat.write(nb, contents / EXERCISES_FOLDER / f"{ex.id}.ipynb")
        listed.append((ex, pandas))
    nbformat.write(welcome_notebook(listed), contents / WELCOME)
    return listed


# ---- the build ---------------------------------------------------------------------------


def site_config() -> dict:
    """jupyter-lite.json: French app name, the kernel preloading its start-up packages from
    the local lock, and no fallback to PyPI (piplite installs only what the lock names)."""
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "Mercatique : entraînement",
            "disabledExtensions": NOT_IN_SITE,
            "litePluginSettings": {
                "@jupyterlite/pyodide-kernel-extension:kernel": {
                    "pyodideUrl": "./static/pyodide/pyodide.mjs",
                    "disablePyPIFallback": True,
                    "loadPyodideOptions": {
                        "lockFileURL": "./static/pyodide/pyodide-lock.json",
                        "packages": PRELOAD,
                    },
                }
            },
        },
    }


SETTINGS = {
    "@jupyterlab/translation-extension:plugin": {"locale": "fr_FR"},
    "@jupyterlab/apputils-extension:themes": {"adaptive-theme": True},
}
"""overrides.json: JupyterLab in French (the pack jupyterlab-language-pack-fr-FR is installed
with the product; the site's build carries its translations), light or dark as the
device is (JupyterLab's adaptive theme: JupyterLab Light or Dark from prefers-color-scheme)."""


def stage_pyodide(target: Path, npm_dir: Path, wheels: list[Path]) -> None:
    """Pyodide's core, the wheels and the rebuilt lock, where the PyodideAddon looks
    (`static/pyodide` in the lite folder)."""
    target.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(npm_dir / name, target / name)
    for wheel in wheels:
        shutil.copy2(wheel, target / wheel.name)
    lock = json.loads((npm_dir / "pyodide-lock.json").read_text(encoding="utf-8"))
    rebuilt = rebuild_lock(lock, [target / w.name for w in wheels], cdn_base())
    (target / "pyodide-lock.json").write_text(json.dumps(rebuilt, indent=1), encoding="utf-8")


def build_site(out: Path, *, npm_dir: Path = PYODIDE_NPM, wheels_dir: Path = WHEELS_DIR) -> Path:
    """Build the site into `out` (replaced whole, or left as it was if the build fails)."""
    out = Path(out).resolve()
    npm_dir = check_pyodide(npm_dir)
    wheels = [*start_up_wheels(wheels_dir), *kernel_wheels()]
    if not any(w.name.startswith("pyodide_kernel") for w in wheels):
        raise MercatiqueError("Le noyau Pyodide de JupyterLite est absent : lancez make install.")
    with tempfile.TemporaryDirectory(prefix="mercatique-lite-") as tmp:
        lite_dir, contents = Path(tmp) / "lite", Path(tmp) / "contenu"
        stage_pyodide(lite_dir / "static" / "pyodide", npm_dir, wheels)
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(site_config(), indent=1), encoding="utf-8")
        (lite_dir / "overrides.json").write_text(json.dumps(SETTINGS, indent=1), encoding="utf-8")
        write_contents(contents)
        with export_folder(out) as staging:
            command = [
                sys.executable, "-m", "jupyterlite_core", "build",
                "--lite-dir", str(lite_dir), "--output-dir", str(staging / "site"),
                "--contents", str(contents), "--no-sourcemaps", "--no-libarchive",
            ]  # fmt: skip
            done = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
            if done.returncode != 0:
                raise MercatiqueError(
                    "La construction du site JupyterLite a échoué :\n" + (done.stdout + done.stderr)[-3000:]
                )
            complete_site_pack(staging / "site" / "api" / "translations")
            for path in (staging / "site").iterdir():
                path.rename(staging / path.name)
            (staging / "site").rmdir()
    return out
