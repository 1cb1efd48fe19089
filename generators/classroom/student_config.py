"""The students' side of a JupyterHub: the folder `mercatique release` writes for /etc/jupyter/.

On the hub, each student's server needs only the product installed and this folder,
copied whole as its system-wide Jupyter configuration (`/etc/jupyter/` by default):

- nbgrader_config.py: the exchange folder, the course and the plug-ins that hand each
  student their own notebook;
- jupyter_server_config.json: nbgrader's student-side server extensions only, no news
  or update check (the school's network may forbid it), and JupyterLab's application
  settings directory pointed at lab/settings/ below, by its absolute path once copied;
- lab/settings/overrides.json: French as JupyterLab's default language (the product
  depends on jupyterlab-language-pack-fr-FR; JupyterLab only reads overrides from its
  application settings directory, hence the trait above);
- labconfig/page_config.json: nbgrader's teacher-side lab extensions disabled;
- LISEZMOI.txt: where it goes, in French.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from generators.classroom.course import replace_folder, write_atomic
from generators.classroom.exchange import PLUGINS
from generators.errors import MercatiqueError

STUDENT_FOLDER = "jupyter_eleves"
STUDENT_CONFIG = "nbgrader_config_eleves.py"  # the single file earlier versions wrote
DEFAULT_CONFIG_DIR = "/etc/jupyter"
LAB_SETTINGS = "lab/settings"
LOCALE = "fr_FR"

NBGRADER_CONFIG_TEXT = '''"""Configuration nbgrader des élèves du cours « {course_id} ».

Écrite par « mercatique release », dans le dossier exports/{folder}/ à copier tout entier
sur le JupyterHub dans {config_dir}/ (voir LISEZMOI.txt) : ce fichier y devient
{config_dir}/nbgrader_config.py, lu par le serveur de chaque élève et par la commande
nbgrader. Le produit « mercatique » doit être installé dans l'environnement Python des
élèves : l'onglet *Assignments* remet alors à chacun son propre notebook. Plusieurs cours
sur le même hub : supprimez la ligne course_id (les élèves choisiront le cours dans
l'onglet).
"""

c = get_config()  # noqa: F821 (provided by nbgrader)

c.Exchange.root = {root}
c.CourseDirectory.course_id = "{course_id}"
c.ExchangeFactory.fetch_assignment = "{fetch_assignment}"
c.ExchangeFactory.list = "{list}"
'''

README_TEXT = """Configuration Jupyter des élèves — cours « {course_id} »
=========================================================

Écrite par « mercatique release ». Ce dossier se copie TOUT ENTIER sur le JupyterHub,
à la place de {config_dir}/ (la configuration Jupyter commune à tous les serveurs) :

    sudo mkdir -p {config_dir}
    sudo cp -r {folder}/. {config_dir}/

Les élèves n'ont besoin de rien d'autre que du produit « mercatique » installé dans
l'environnement Python de leurs serveurs. Redémarrez les serveurs des élèves (panneau
d'administration du hub) pour qu'ils lisent la nouvelle configuration.

Contenu :
- nbgrader_config.py : le dossier d'échange ({root}), l'identifiant du cours et les
  extensions qui remettent à chaque élève son propre notebook ;
- jupyter_server_config.json : seules les extensions nbgrader des élèves (onglet
  Assignments, bouton Validate), ni formgrader ni liste des cours ; pas de fil
  d'actualités ni de recherche de mises à jour ; JupyterLab lit ses réglages dans
  {config_dir}/{lab_settings}/ ;
- {lab_settings}/overrides.json : JupyterLab en français (menus « Fichier »,
  « Exécution », « Noyau »… que citent les consignes des notebooks) ; chaque élève
  peut encore changer de langue dans le menu « Paramètres » ;
- labconfig/page_config.json : les extensions JupyterLab de l'enseignant (formgrader,
  liste des cours, création de devoirs) désactivées.

Le chemin {config_dir} est écrit dans jupyter_server_config.json : pour copier ce dossier
ailleurs (par exemple dans etc/jupyter/ de l'environnement des élèves), relancez
« mercatique release … --dossier-config CHEMIN ».
"""

STUDENT_EXTENSIONS = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.validate_assignment": True,
}
PAGE_CONFIG = {
    "disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:course-list": True,
        "@jupyter/nbgrader:create-assignment": True,
        "@jupyterlab/apputils-extension:announcements": True,
    }
}
LAB_OVERRIDES = {"@jupyterlab/translation-extension:plugin": {"locale": LOCALE}}


def check_config_dir(config_dir: str | PurePosixPath) -> str:
    """The folder's destination on the hub: an absolute path, since the settings name it."""
    text = str(config_dir).rstrip("/") or "/"
    if not PurePosixPath(text).is_absolute():
        raise MercatiqueError(
            f"--dossier-config « {config_dir} » : donnez le chemin absolu où l'administrateur du hub "
            f"copiera exports/{STUDENT_FOLDER}/ (par défaut {DEFAULT_CONFIG_DIR})"
        )
    return text


def server_config(config_dir: str) -> dict:
    """jupyter_server_config.json: student-side nbgrader, no phoning home, French settings.

    `LabServerApp` rather than `LabApp`: the trait then applies to JupyterLab and to
    Notebook 7 alike (both subclass it and default to share/jupyter/lab/settings)."""
    return {
        "ServerApp": {"jpserver_extensions": STUDENT_EXTENSIONS},
        "LabServerApp": {"app_settings_dir": str(PurePosixPath(config_dir, LAB_SETTINGS))},
        "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
    }


def nbgrader_config_text(course_id: str, root: str, config_dir: str) -> str:
    return NBGRADER_CONFIG_TEXT.format(
        course_id=course_id,
        root=json.dumps(root, ensure_ascii=False),
        folder=STUDENT_FOLDER,
        config_dir=config_dir,
        **PLUGINS,
    )


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def student_files(course_id: str, root: str, config_dir: str) -> dict[str, str]:
    """Relative path in the folder → text."""
    return {
        "LISEZMOI.txt": README_TEXT.format(
            course_id=course_id,
            root=root,
            config_dir=config_dir,
            folder=STUDENT_FOLDER,
            lab_settings=LAB_SETTINGS,
        ),
        "nbgrader_config.py": nbgrader_config_text(course_id, root, config_dir),
        "jupyter_server_config.json": _json(server_config(config_dir)),
        "labconfig/page_config.json": _json(PAGE_CONFIG),
        f"{LAB_SETTINGS}/overrides.json": _json(LAB_OVERRIDES),
    }


def write_student_folder(target: Path, course_id: str, root: str, config_dir: str) -> Path:
    """Write the whole folder beside `target`, then put it in place: never half a folder.

    Readable by all (0755/0644): the students' servers run as the students."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        for name, text in student_files(course_id, root, config_dir).items():
            write_atomic(staging / name, text)
        for path in [staging, *staging.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        replace_folder(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
