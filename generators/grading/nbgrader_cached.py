"""Two of nbgrader's sanitize steps, same checks, with their set-up done once per worker.

nbgrader's `OverwriteCells` opens the gradebook and runs two SQL queries per graded
cell of every copy; `CheckCellMetadata` re-checks the metadata JSON schema itself for
every cell (jsonschema.validate). Both costs are the same for every copy of an
assignment, so a grading worker pays them once: the assignment's source cells are
read from the gradebook into a snapshot (refreshed when the manifest changes), and
the schema validator is built once. What each copy is checked and repaired against
is unchanged: nbgrader's own `preprocess_cell` and validators run on the snapshot.
"""

from __future__ import annotations

import functools
import traceback
from types import SimpleNamespace

import jsonschema
from jsonschema.exceptions import best_match
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import CheckCellMetadata, OverwriteCells


def _cell(cell, **extra) -> SimpleNamespace:
    fields = ("name", "cell_type", "locked", "checksum", "source")
    return SimpleNamespace(**{f: getattr(cell, f) for f in fields}, **extra)


def _scored(cell) -> SimpleNamespace:
    return SimpleNamespace(name=cell.name, max_score=cell.max_score)


class SourceCells:
    """What `OverwriteCells` asks the gradebook, read once: a read-only stand-in for it."""

    def __init__(self, db_url: str, notebook: str, assignment: str):
        self.notebook_id, self.assignment_id = notebook, assignment
        with Gradebook(db_url) as gb:
            source = gb.find_notebook(notebook, assignment)
            self.source_cells = [_cell(c) for c in source.source_cells]
            self.grade_cells = [_scored(c) for c in source.grade_cells]
            self.solution_cells = [SimpleNamespace(name=c.name) for c in source.solution_cells]
            self.task_cells = [_scored(c) for c in source.task_cells]
        self.by_name = {c.name: c for c in self.source_cells}
        self.points = {c.name: c.max_score for c in self.grade_cells}

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def _check(self, notebook: str, assignment: str) -> None:
        if (notebook, assignment) != (self.notebook_id, self.assignment_id):
            raise MissingEntry(f"No such notebook: {assignment}/{notebook}")

    def find_notebook(self, notebook: str, assignment: str):
        self._check(notebook, assignment)
        return self

    def find_source_cell(self, name: str, notebook: str, assignment: str):
        self._check(notebook, assignment)
        if name not in self.by_name:
            raise MissingEntry(f"No such source cell: {assignment}/{notebook}/{name}")
        return self.by_name[name]

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        self._check(notebook, assignment)
        if name in self.points:
            return SimpleNamespace(name=name, max_score=self.points[name])
        task = {c.name: c for c in self.task_cells}
        if name in task:
            return task[name]
        raise MissingEntry(f"No such graded cell: {assignment}/{notebook}/{name}")


@functools.lru_cache(maxsize=8)
def source_cells(db_url: str, notebook: str, assignment: str, version: str) -> SourceCells:
    """The snapshot for one assignment; `version` (the manifest's fingerprint) renews it."""
    return SourceCells(db_url, notebook, assignment)


class SnapshotOverwriteCells(OverwriteCells):
    """nbgrader's OverwriteCells, reading the source cells from a per-worker snapshot."""

    def preprocess(self, nb, resources):
        meta = resources["nbgrader"]
        self.notebook_id, self.assignment_id = meta["notebook"], meta["assignment"]
        self.db_url = meta["db_url"]
        version = meta.get("source_version", "")
        self.gradebook = source_cells(self.db_url, self.notebook_id, self.assignment_id, version)
        nb, resources = super(OverwriteCells, self).preprocess(nb, resources)  # each cell, as nbgrader
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


class _CompiledSchema(BaseMetadataValidator):
    """The base check with the JSON schema compiled once (jsonschema.validate re-checks it each call)."""

    def validate_cell(self, cell) -> None:
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            return
        version = meta.get("schema_version", 0)
        if version != self.schema_version:  # nbgrader's own messages for too old or too new
            return super().validate_cell(cell)
        error = best_match(_validator(self.schema_version, self.schema).iter_errors(meta))
        if error is not None:
            raise error


class FastMetadataValidator(MetadataValidator, _CompiledSchema):
    """nbgrader's current validator (its checks on top), whose base check is `_CompiledSchema`."""


_validators: dict[int, jsonschema.protocols.Validator] = {}


def _validator(version: int, schema: dict):
    if version not in _validators:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validators[version] = cls(schema)
    return _validators[version]


@functools.cache
def metadata_validator() -> FastMetadataValidator:
    return FastMetadataValidator()


class FastCheckCellMetadata(CheckCellMetadata):
    """nbgrader's CheckCellMetadata (same messages) with the validator built once per worker."""

    def preprocess(self, nb, resources):
        try:
            metadata_validator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg) from None
        return nb, resources
