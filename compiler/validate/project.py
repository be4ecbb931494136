"""Validate stage: raw loaded data -> typed `Source` per model, with every error collected and placed.

One pass per model reports every error it can: pydantic checks the model against the schema; the
cross-references (ids that results, flows, criteria and reviews point at must exist, also across the
catalog) and the value rules (`values.py`: proportions in [0, 1], intervals around their estimate, counts
and dates that fit together) are checked on whatever parsed, even when the schema refused part of it. All
problems of all models are raised at once as one SourceError, each naming file:line:column, the field path
and a hint. Judgement calls are warnings: they ride along on each `ValidModel` and never fail validation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from compiler._util.fieldpath import dotted
from compiler._util.text import closest
from compiler.cache import Cache
from compiler.errors import Problem, SourceError
from compiler.load.limits import source_problems
from compiler.load.reader import LoadedModel, Project, discover
from compiler.schema import Source
from compiler.schema.paths import select
from compiler.validate.cached import Outcome, recall, remember
from compiler.validate.problems import schema_problems
from compiler.validate.references import references
from compiler.validate.values import value_findings


@dataclass
class ValidModel:
    """A model whose source passed validation: the typed source plus what was loaded."""

    loaded: LoadedModel
    source: Source
    warnings: list[Problem] = field(default_factory=list)
    """Judgement calls (a sign-off dated after the release): shown by validate, check and build, never failing."""

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

    @property
    def warnings(self) -> list[Problem]:
        """Every model's warnings, in file and position order."""
        return _placed_order([w for m in self.models for w in m.warnings])


@dataclass
class Validated:
    """What validating one source found: the typed source (None when it has errors), errors and warnings."""

    source: Source | None
    problems: list[Problem]
    warnings: list[Problem]
    data: dict[str, Any]
    """The source as plain data the references and value rules were checked on."""


def validate_project(project: Project, cache: Cache | None = None) -> Catalog:
    """Validate every loaded model; raise one SourceError listing all problems (load problems included).

    With a cache, a model loaded from the same files as before is not validated again (`validate.cached`).
    """
    problems = list(project.problems)
    valid: list[ValidModel] = []
    catalog_ids = [folder.name for folder in discover(project.content_root)]
    for loaded in project.models:
        found = validate_source(loaded) if cache is None else _validated(loaded, cache)
        problems.extend(found.problems)
        problems.extend(_catalog_references(loaded, found.data, catalog_ids))
        if found.source is not None:
            valid.append(ValidModel(loaded, found.source, found.warnings))
    if problems:
        raise SourceError(_placed_order(problems))
    return Catalog(project, sorted(valid, key=lambda m: m.id))


def validate_model(loaded: LoadedModel) -> Source | list[Problem]:
    """The typed source, or the list of problems that stop it from being one (warnings left out)."""
    found = validate_source(loaded)
    if found.source is None:
        return found.problems
    return found.source


def validate_source(loaded: LoadedModel) -> Validated:
    """Schema, references and value rules in one pass: every error it can find, and the warnings."""
    bounds = source_problems(loaded)
    if bounds:  # refused before the schema and every later stage spend time on it
        return Validated(None, bounds, [], {})
    source: Source | None = None
    try:
        source = Source.model_validate(loaded.data)
        schema: list[Problem] = []
        data = source.model_dump(mode="json")
    except ValidationError as exc:
        schema = schema_problems(loaded, exc, Source)
        data = _stripped(loaded.data)  # what parsed, as the schema would read it
    problems = [*schema, *references(loaded, data, [p.field for p in schema])]
    warnings: list[Problem] = []
    for found in value_findings(data):
        problem = Problem(loaded.locate(found.path), found.message, dotted(found.path), found.hint)
        (warnings if found.warning else problems).append(problem)
    unique = list({(p.location, p.field, p.message): p for p in problems}.values())
    return Validated(None if unique else source, _placed_order(unique), _placed_order(warnings), data)


def _validated(loaded: LoadedModel, cache: Cache) -> Validated:
    kept = recall(cache, loaded)
    if kept is not None:
        return Validated(
            Source.model_validate(loaded.data) if kept.valid else None, kept.problems, kept.warnings, kept.data
        )
    found = validate_source(loaded)
    remember(cache, loaded, Outcome(found.source is not None, found.problems, found.warnings, found.data))
    return found


def _stripped(value: Any) -> Any:
    """Plain data with the text stripped of surrounding blanks, as the schema reads text."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value


def _placed_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.file, p.location.line, p.location.column))


def _catalog_references(loaded: LoadedModel, data: dict[str, Any], ids: list[str]) -> Iterable[Problem]:
    for path, ref in select(data, "system.architecture.components[].model_ref"):
        if isinstance(ref, str) and ref not in ids:
            yield Problem(
                loaded.locate(path),
                f"model '{ref}' is not in the catalog",
                dotted(path),
                closest(ref, ids) or "add that model under content/ or remove model_ref",
            )
