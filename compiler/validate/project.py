"""Validate stage: raw loaded data -> typed `Source` per model, with every error collected and placed.

Pydantic checks each model against the schema; then cross-references are checked (ids that results,
flows, criteria and reviews point at must exist, also across the catalog). All problems of all models
are raised at once as one SourceError, each naming file:line:column, the field path and a hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from compiler._util.fieldpath import FieldPath, dotted
from compiler._util.text import closest
from compiler.errors import Problem, SourceError
from compiler.load.limits import source_problems
from compiler.load.reader import LoadedModel, Project, discover
from compiler.schema import Source
from compiler.validate.problems import schema_problems
from compiler.validate.references import references


@dataclass
class ValidModel:
    """A model whose source passed validation: the typed source plus what was loaded."""

    loaded: LoadedModel
    source: Source

    @property
    def id(self) -> str:
        return self.loaded.id


@dataclass
class Catalog:
    """Every valid model of the project, sorted by id."""

    project: Project
    models: list[ValidModel]

    def get(self, model_id: str) -> ValidModel | None:
        return next((m for m in self.models if m.id == model_id), None)


def validate_project(project: Project) -> Catalog:
    """Validate every loaded model; raise one SourceError listing all problems (load problems included)."""
    problems = list(project.problems)
    valid: list[ValidModel] = []
    for loaded in project.models:
        found = validate_model(loaded)
        if isinstance(found, Source):
            valid.append(ValidModel(loaded, found))
        else:
            problems.extend(found)
    catalog_ids = [folder.name for folder in discover(project.content_root)]
    problems.extend(_catalog_references(valid, catalog_ids))
    if problems:
        raise SourceError(sorted(problems, key=lambda p: (p.location.file, p.location.line, p.location.column)))
    return Catalog(project, sorted(valid, key=lambda m: m.id))


def validate_model(loaded: LoadedModel) -> Source | list[Problem]:
    """The typed source, or the list of problems that stop it from being one."""
    bounds = source_problems(loaded)
    if bounds:  # refused before the schema and every later stage spend time on it
        return bounds
    try:
        source = Source.model_validate(loaded.data)
    except ValidationError as exc:
        return schema_problems(loaded, exc, Source)
    problems = list(references(loaded, source))
    return problems or source


def _catalog_references(models: list[ValidModel], ids: list[str]) -> Iterable[Problem]:
    for m in models:
        for i, comp in enumerate(m.source.system.architecture.components):
            if comp.model_ref and comp.model_ref not in ids:
                path: FieldPath = ("system", "architecture", "components", i, "model_ref")
                yield Problem(
                    m.loaded.locate(path),
                    f"model '{comp.model_ref}' is not in the catalog",
                    dotted(path),
                    closest(comp.model_ref, ids) or "add that model under content/ or remove model_ref",
                )
