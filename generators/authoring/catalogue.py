"""Reading exercise folders (`exercises/<id>/`) into checked, typed templates.

Every problem is reported in French with the file and the field, because the
person who made it is a teacher copying an example folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from generators.authoring import datasets, rounding
from generators.authoring.catalogue_folders import (  # noqa: F401
    DEFAULT_EXERCISES_DIR,
    METADATA_FILE,
    exercise_folders,
    exercises_dir,
)
from generators.authoring.expressions import ENVIRONMENT, FormulaError, check_syntax
from generators.errors import MercatiqueError

STATEMENT_FILE = "statement.md.j2"
SOLUTION_FILE = "solution.md.j2"

@dataclass(frozen=True)
class Mistake:
    formula: str
    explanation: str


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool | str = False
    explanation: str = ""
    also: tuple[str, ...] = ()
    """Other defensible criteria for this option: the stress test checks they agree with `correct`."""


@dataclass(frozen=True)
class Criterion:
    """One line of a written question's marking scheme (barème)."""

    points: float
    criterion: str


NUMBER, CHOICE, WRITTEN = "number", "choice", "written"
"""Question kinds: a computed number and a letter are judged by the grader; a written
answer is a markdown cell nbgrader leaves to the teacher (manually graded answer)."""


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    variable: str
    prompt: str
    points: float
    answer: str | None = None
    unit: str = ""
    decimals: int = 2
    tolerance: float | None = None
    mistakes: tuple[Mistake, ...] = ()
    options: tuple[Option, ...] = ()
    shuffle: bool = True
    range: tuple[float, float] | None = None
    """Where every right answer must fall (checked by the stress test)."""
    kpi: str = ""
    """The formula sheet's name of the KPI computed, so tests can check its base is stated."""
    model_answer: str = ""
    """Written question: the expected elements (Jinja), for the teacher and the solution."""
    rubric: tuple[Criterion, ...] = ()
    """Written question: the marking scheme, whose points add up to `points`."""

    @property
    def written(self) -> bool:
        return self.kind == WRITTEN

    @property
    def abs_tolerance(self) -> float:
        """Absolute tolerance: declared, else one unit of the last decimal asked."""
        return self.tolerance if self.tolerance is not None else 10.0 ** (-self.decimals)


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    chapter: str
    folder: Path
    parameters: dict[str, dict[str, Any]]
    questions: tuple[Question, ...]
    statement_template: str
    solution_template: str
    brand: str = ""
    tags: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    given: tuple[str, ...] = ()
    fictional_data: bool = False
    """Invented numbers: every rendered statement opens with a « Données fictives » notice."""
    data_source: str = ""
    """Where real numbers come from, for an exercise about a real brand without fictional_data."""
    files: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads((Path(__file__).parent / "exercise.schema.json").read_text("utf-8"))
    return Draft202012Validator(schema)


_TYPE_NAMES = {
    "string": "un texte",
    "number": "un nombre",
    "integer": "un nombre entier",
    "array": "une liste",
    "object": "un dictionnaire (clé: valeur)",
    "boolean": "true ou false",
}


def _location(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(racine)"


def _french(error: ValidationError) -> tuple[str, str]:
    """(field, message) in French for one schema error."""
    where = _location(error.absolute_path)
    kind = error.validator
    if kind == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        name = missing[0] if missing else "?"
        full = f"{where}.{name}" if where != "(racine)" else name
        if name in WRITTEN_FIELDS and error.instance.get("kind") == WRITTEN:
            return full, WRITTEN_FIELDS[name]
        return full, "champ obligatoire manquant"
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        name = extra[0] if extra else "?"
        full = f"{where}.{name}" if where != "(racine)" else name
        return full, f"champ inconnu (champs permis : {', '.join(sorted(allowed))})"
    if kind == "type":
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, list) else [wanted]
        return where, "doit être " + " ou ".join(_TYPE_NAMES.get(w, w) for w in wanted)
    if kind == "pattern":
        return where, (
            f"« {error.instance} » n'a pas le format attendu "
            "(lettres minuscules sans accent, chiffres, tirets ou soulignés)"
        )
    if kind in ("enum", "const"):
        values = error.validator_value if kind == "enum" else [error.validator_value]
        shown = ", ".join(f"« {v} »" for v in values)
        return where, f"valeur « {error.instance} » non permise (possibles : {shown})"
    if kind in ("minItems", "minProperties"):
        return where, f"il faut au moins {error.validator_value} élément(s)"
    if kind in ("minimum", "exclusiveMinimum"):
        return where, f"doit être supérieur à {error.validator_value}"
    if kind in ("maximum", "exclusiveMaximum"):
        return where, f"doit être inférieur à {error.validator_value}"
    if kind == "minLength":
        return where, "texte trop court"
    if kind == "oneOf" and "parameters" in list(error.absolute_path)[:1]:
        return where, (
            "un paramètre se déclare soit avec min et max (et step), soit avec choices, "
            "soit avec formula, soit avec dataset, et un seul de ces modes"
        )
    if kind == "not" and "questions" in list(error.absolute_path)[:1]:
        return where, (
            "une question number a une formule answer et pas d'options ; "
            "une question choice a des options et pas de formule answer ; "
            "une question written a model_answer et rubric, sans answer, options, mistakes ni unit"
        )
    return where, f"valeur invalide ({error.message})"


WRITTEN_FIELDS = {
    "rubric": (
        "une question rédigée (kind: written) doit avoir un barème : rubric, une liste de "
        "critères « - points: 1 / criterion: ... » dont la somme fait les points de la question"
    ),
    "model_answer": (
        "une question rédigée (kind: written) doit avoir un corrigé : model_answer, "
        "les éléments de réponse attendus"
    ),
}


def _fail(path: Path, where: str, message: str) -> MercatiqueError:
    return MercatiqueError(f"{path} : champ « {where} » : {message}")


# libyaml's loader when PyYAML was built with it: the catalogue loads in half the time
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        raise MercatiqueError(f"{path} : fichier introuvable") from None
    except UnicodeDecodeError:
        raise MercatiqueError(f"{path} : le fichier doit être encodé en UTF-8") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (ligne {line + 1})" if line is not None else ""
        raise MercatiqueError(f"{path} : YAML illisible{where} : {exc}") from None


def load_exercise(folder: Path) -> Exercise:
    """Read and check one exercise folder; MercatiqueError names the file and the field."""
    meta_path = folder / METADATA_FILE
    data = _read_yaml(meta_path)
    if not isinstance(data, dict):
        raise MercatiqueError(f"{meta_path} : le fichier doit décrire un dictionnaire (clé: valeur)")
    # the deepest error is the most specific (a wrong `kind` before the options it implies)
    errors = sorted(_validator().iter_errors(data), key=lambda e: -len(e.absolute_path))
    if errors:
        raise _fail(meta_path, *_french(errors[0]))
    if data["id"] != folder.name:
        raise _fail(meta_path, "id", f"« {data['id']} » doit être égal au nom du dossier « {folder.name} »")

    templates = {}
    for name in (STATEMENT_FILE, SOLUTION_FILE):
        path = folder / name
        if not path.is_file():
            raise MercatiqueError(f"{path} : fichier introuvable (chaque exercice a {name})")
        templates[name] = path.read_text(encoding="utf-8")
        try:
            ENVIRONMENT.parse(templates[name])
        except TemplateSyntaxError as exc:
            raise MercatiqueError(f"{path} : ligne {exc.lineno} : {exc.message}") from None

    questions = tuple(_question(meta_path, i, q) for i, q in enumerate(data["questions"]))
    exercise = Exercise(
        id=data["id"],
        title=data["title"],
        chapter=data["chapter"],
        folder=folder,
        brand=data.get("brand", ""),
        tags=tuple(data.get("tags", ())),
        parameters=dict(data["parameters"]),
        constraints=tuple(data.get("constraints", ())),
        given=tuple(data.get("given", ())),
        fictional_data=bool(data.get("fictional_data", False)),
        data_source=data.get("data_source", ""),
        questions=questions,
        statement_template=templates[STATEMENT_FILE],
        solution_template=templates[SOLUTION_FILE],
        files={name: (folder / name).read_text("utf-8") for name in (METADATA_FILE, *templates)},
    )
    _check_semantics(meta_path, exercise)
    return exercise


def _question(meta_path: Path, index: int, raw: dict[str, Any]) -> Question:
    return Question(
        id=raw["id"],
        kind=raw["kind"],
        # a written answer is a markdown cell: no Python variable (the id names it)
        variable=raw.get("variable", raw["id"] if raw["kind"] == WRITTEN else ""),
        prompt=raw["prompt"],
        points=float(raw["points"]),
        answer=raw.get("answer"),
        unit=raw.get("unit", ""),
        decimals=raw.get("decimals", 2),
        tolerance=raw.get("tolerance"),
        mistakes=tuple(Mistake(**m) for m in raw.get("mistakes", ())),
        options=tuple(Option(**{**o, "also": tuple(o.get("also", ()))}) for o in raw.get("options", ())),
        shuffle=raw.get("shuffle", True),
        range=tuple(raw["range"]) if "range" in raw else None,
        kpi=raw.get("kpi", ""),
        model_answer=raw.get("model_answer", ""),
        rubric=tuple(Criterion(float(c["points"]), c["criterion"]) for c in raw.get("rubric", ())),
    )


def _check_semantics(meta_path: Path, ex: Exercise) -> None:
    """What a schema cannot say: names that exist, formulas that parse, ids that are unique."""
    for name, spec in ex.parameters.items():
        where = f"parameters.{name}"
        if "min" in spec and spec["min"] > spec["max"]:
            raise _fail(meta_path, where, "min doit être inférieur ou égal à max")
        if (
            "min" in spec
            and "step" not in spec
            and not (float(spec["min"]).is_integer() and float(spec["max"]).is_integer())
        ):
            raise _fail(meta_path, where, "step est obligatoire quand min ou max n'est pas entier")
        if "formula" in spec:
            _check_formula(meta_path, f"{where}.formula", spec["formula"])
        if "dataset" in spec and spec["dataset"] not in datasets.names():
            known = ", ".join(datasets.names())
            raise _fail(
                meta_path, f"{where}.dataset", f"jeu de données « {spec['dataset']} » inconnu ({known})"
            )
    for i, source in enumerate(ex.constraints):
        _check_formula(meta_path, f"constraints[{i}]", source)
    for i, name in enumerate(ex.given):
        if name not in ex.parameters:
            raise _fail(meta_path, f"given[{i}]", f"« {name} » n'est pas un paramètre déclaré")
    seen_ids: set[str] = set()
    seen_vars: set[str] = set()
    for i, q in enumerate(ex.questions):
        where = f"questions[{i}]"
        if q.id in seen_ids:
            raise _fail(meta_path, f"{where}.id", f"« {q.id} » est déjà utilisé par une autre question")
        if not q.written and (q.variable in seen_vars or q.variable in ex.given):
            raise _fail(meta_path, f"{where}.variable", f"« {q.variable} » est déjà utilisée")
        seen_ids.add(q.id)
        if not q.written:
            seen_vars.add(q.variable)
        if q.written:
            _check_written(meta_path, where, q)
        if q.answer is not None:
            _check_formula(meta_path, f"{where}.answer", q.answer)
        if q.tolerance is not None and not rounding.tolerance_agrees(q.decimals, q.tolerance):
            unit = 10.0 ** (-q.decimals)
            raise _fail(
                meta_path,
                f"{where}.tolerance",
                f"la tolérance {q.tolerance:g} ne va pas avec decimals {q.decimals} (arrondi "
                f"{rounding.precision_label(q.decimals)}) : choisissez une tolérance entre "
                f"{unit / 2:g} et {unit:g}, ou changez decimals",
            )
        for j, m in enumerate(q.mistakes):
            _check_formula(meta_path, f"{where}.mistakes[{j}].formula", m.formula)
        if q.kind == "choice":
            if not any(o.correct for o in q.options):
                raise _fail(meta_path, f"{where}.options", "aucune option n'est marquée correct")
            for j, o in enumerate(q.options):
                if isinstance(o.correct, str):
                    _check_formula(meta_path, f"{where}.options[{j}].correct", o.correct)
                if o.also and not isinstance(o.correct, str):
                    raise _fail(
                        meta_path,
                        f"{where}.options[{j}].also",
                        "also n'a de sens qu'avec un correct écrit comme une expression",
                    )
                for k, source in enumerate(o.also):
                    _check_formula(meta_path, f"{where}.options[{j}].also[{k}]", source)


def _check_written(meta_path: Path, where: str, q: Question) -> None:
    """A marking scheme that adds up to the question's points, and texts Jinja can read."""
    total = sum(c.points for c in q.rubric)
    if abs(total - q.points) > 1e-9:
        raise _fail(
            meta_path,
            f"{where}.rubric",
            f"les points du barème font {total:g} alors que la question vaut {q.points:g} points",
        )
    for field_name, text in (("prompt", q.prompt), ("model_answer", q.model_answer)):
        try:
            ENVIRONMENT.parse(text)
        except TemplateSyntaxError as exc:
            raise _fail(meta_path, f"{where}.{field_name}", f"ligne {exc.lineno} : {exc.message}") from None


def _check_formula(meta_path: Path, where: str, source: str) -> None:
    try:
        check_syntax(source)
    except FormulaError as exc:
        raise _fail(meta_path, where, str(exc)) from None


def load_catalogue(root: Path | None = None) -> dict[str, Exercise]:
    """Every exercise of the catalogue, by id; a broken one stops with its message."""
    return {ex.id: ex for ex in map(load_exercise, exercise_folders(root))}


def find_exercise(exercise_id: str, root: Path | None = None) -> Exercise:
    root = root or exercises_dir()
    folder = root / exercise_id
    if not (folder / METADATA_FILE).is_file():
        known = ", ".join(p.name for p in exercise_folders(root)) or "aucun"
        raise MercatiqueError(
            f"exercice inconnu : « {exercise_id} ». Exercices disponibles : {known}. "
            "La commande « mercatique list » montre le catalogue."
        )
    return load_exercise(folder)
