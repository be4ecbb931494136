"""Validate stage: raw loaded data -> typed `Source` per model, with every error collected and placed.

Pydantic checks each model against the schema; then cross-references are checked (ids that results,
flows, criteria and reviews point at must exist, also across the catalog). All problems of all models
are raised at once as one SourceError, each naming file:line:column, the field path and a hint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Problem, SourceError
from .limits import source_problems
from .load import FieldPath, LoadedModel, Project, closest, discover, dotted, kind_of
from .schema import Source, json_schema


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
    problems = list(_references(loaded, source))
    return problems or source


# --- schema errors -------------------------------------------------------------------------------


def schema_problems(loaded: LoadedModel, exc: ValidationError, model_cls: type[BaseModel]) -> list[Problem]:
    """Pydantic errors as placed, explained problems (file:line:column, field path, hint)."""
    problems: dict[tuple[FieldPath, str], Problem] = {}
    errors = exc.errors(include_url=False)
    # A misspelt required key shows up twice (unknown key + missing field): report it once, as the typo.
    typos = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            path = _data_path(loaded.data, error["loc"])
            guess = closest(str(path[-1]), _valid_keys(model_cls, path[:-1]))
            if guess:
                typos.add((*path[:-1], guess.split("'")[1]))
    for error in errors:
        path = _data_path(loaded.data, error["loc"])
        kind = error["type"]
        if kind == "missing" and path in typos:
            continue
        message, hint = _explain(kind, dict(error), path, model_cls)
        where = loaded.locate(path, key=kind == "extra_forbidden")
        if kind == "missing":
            where = loaded.locate(path[:-1], key=True)
        problem = Problem(where, message, dotted(path), hint)
        problems.setdefault((path, message), problem)
    return sorted(problems.values(), key=lambda p: (p.location.file, p.location.line, p.location.column, p.field))


def _data_path(data: Any, loc: Iterable[Any]) -> FieldPath:
    """Pydantic's loc without union branch tags: only the keys and indexes that exist in the data."""
    path: list[str | int] = []
    node = data
    parts = list(loc)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, dict) and isinstance(part, str) and (part in node or last):
            path.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            path.append(part)
            node = node[part] if part < len(node) else None
        elif isinstance(node, dict) and isinstance(part, str) and i + 1 < len(parts):
            continue  # a union branch name such as 'mlflow' or 'function-after[...]'
        else:
            path.append(part)
            node = None
    return tuple(path)


_TYPE_WORDS = {
    "string_type": "text",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD) without a time",
}

_PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9._-]{0,79}$": "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit",
    r"^[0-9a-f]{64}$": "a sha256 is 64 lower-case hex digits; `docs-compile sign` writes it",
    r"^https?://": "write a full http(s) address",
    r"@": "write an e-mail address such as team@example.org",
    r"LicenseRef": "use an SPDX id such as Apache-2.0, MIT, CC-BY-4.0, or LicenseRef-Proprietary",
}


def _explain(kind: str, error: dict[str, Any], path: FieldPath, model_cls: type[BaseModel]) -> tuple[str, str]:
    found = error.get("input")
    name = str(path[-1]) if path else ""
    if kind == "missing":
        return "required field is missing", f"add `{name}:`; `docs-compile schema` describes every field"
    if kind == "extra_forbidden":
        valid = _valid_keys(model_cls, path[:-1])
        guess = closest(name, valid)
        return f"unknown key '{name}'", guess or (f"valid keys here: {', '.join(valid)}" if valid else "remove it")
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, found {kind_of(found)}", ""
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        choices = re.fullmatch(r"\^\(([a-z0-9|_-]+)\)\$", pattern)
        if choices:
            options = choices.group(1).split("|")
            guess = closest(str(found), options)
            return f"expected one of {', '.join(options)}, found {found!r}", guess
        hint = next((h for key, h in _PATTERN_HINTS.items() if key in pattern), "")
        return f"{found!r} does not have the expected form", hint
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        return f"expected one of {', '.join(options) or expected}, found {found!r}", closest(str(found), options)
    if kind == "union_tag_invalid":
        tags = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected_tags", "")))
        return f"unknown kind {error.get('ctx', {}).get('tag')!r}", f"use one of {', '.join(tags)}"
    if kind == "union_tag_not_found":
        return "missing `kind:`", "say which kind of source this is"
    if kind in ("string_too_short", "string_too_long"):
        if kind == "string_too_short":
            return "must not be empty", "write the text, or remove the key"
        return (
            f"text is too long ({len(str(found)):,} characters)",
            "move long material into a separate document and link it",
        )
    if kind in ("too_short", "too_long"):
        ctx = error.get("ctx", {})
        if isinstance(found, str):
            return (
                ("must not be empty", "write the text, or remove the key")
                if kind == "too_short"
                else (
                    f"text is too long ({len(found):,} characters)",
                    "move long material into a separate document and link it",
                )
            )
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        what = "at least" if kind == "too_short" else "at most"
        return f"must have {what} {limit} item(s)", ""
    if kind.startswith(("greater_than", "less_than")):
        return error["msg"].replace("Input should be", "must be"), ""
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), ""
    return str(error["msg"]), ""


@lru_cache(maxsize=8)
def _schema(model_cls: type[BaseModel]) -> dict[str, Any]:
    return json_schema() if model_cls is Source else model_cls.model_json_schema()


def _valid_keys(model_cls: type[BaseModel], path: FieldPath) -> list[str]:
    """Keys the schema allows at a mapping path (for 'did you mean')."""
    schema = _schema(model_cls)
    node: dict[str, Any] = schema
    for part in path:
        node = _deref(node, schema)
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part) or _branch_property(node, part, schema) or {}
    node = _deref(node, schema)
    return sorted(node.get("properties", {}))


def _deref(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    for _ in range(10):
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            branches = [b for b in node["anyOf"] if b.get("type") != "null"]
            if len(branches) != 1:
                return node
            node = branches[0]
        else:
            return node
    return node


def _branch_property(node: dict[str, Any], part: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    for branch in node.get("oneOf", []) + node.get("anyOf", []):
        props = _deref(branch, schema).get("properties", {})
        if part in props:
            return props[part]
    return None


# --- cross-references ----------------------------------------------------------------------------


def _references(loaded: LoadedModel, s: Source) -> Iterable[Problem]:
    def problem(path: FieldPath, message: str, hint: str = "") -> Problem:
        return Problem(loaded.locate(path), message, dotted(path), hint)

    if s.model.id != loaded.id:
        yield problem(
            ("model", "id"),
            f"model id '{s.model.id}' differs from its folder '{loaded.id}'",
            f"rename one; use `id: {loaded.id}`",
        )
    if s.model.medical_device and s.model.regulatory is None:
        yield problem(("model",), "a medical device needs `regulatory:` (status, file number)", "add model.regulatory")

    ids = {
        "metric": [m.id for m in s.evaluation.metrics],
        "factor": [f.id for f in s.factors.relevant],
        "dataset": [d.id for d in s.datasets],
        "operating point": [op.id for out in s.system.outputs for op in out.operating_points],
        "component": [c.id for c in s.system.architecture.components],
        "hazard": [h.id for h in s.risk.hazards],
        "evidence source": [e.id for e in s.evidence.sources],
        "diagram": [d.id for d in s.system.architecture.diagrams],
    }
    lists = {
        "metric": ("evaluation", "metrics"),
        "factor": ("factors", "relevant"),
        "dataset": ("datasets",),
        "component": ("system", "architecture", "components"),
        "hazard": ("risk", "hazards"),
        "evidence source": ("evidence", "sources"),
        "diagram": ("system", "architecture", "diagrams"),
    }
    for what, where in lists.items():
        seen: set[str] = set()
        for i, value in enumerate(ids[what]):
            if value in seen:
                yield problem((*where, i, "id"), f"duplicate {what} id '{value}'", "ids must be unique")
            seen.add(value)

    def ref(path: FieldPath, what: str, value: str | None) -> Iterable[Problem]:
        if value is not None and value not in ids[what]:
            known = ids[what]
            hint = closest(value, known) or (f"declared: {', '.join(known)}" if known else f"declare the {what} first")
            yield problem(path, f"unknown {what} '{value}'", hint)

    levels = {f.id: f.levels for f in s.factors.relevant}
    for i, r in enumerate(s.evaluation.results):
        base = ("evaluation", "results", i)
        yield from ref((*base, "metric"), "metric", r.metric)
        yield from ref((*base, "dataset"), "dataset", r.dataset)
        yield from ref((*base, "operating_point"), "operating point", r.operating_point)
        for factor, level in r.slice.items():
            if factor not in levels:
                yield from ref((*base, "slice", factor), "factor", factor)
            elif level not in levels[factor]:
                yield problem(
                    (*base, "slice", factor),
                    f"'{level}' is not a level of factor '{factor}'",
                    closest(level, levels[factor]) or f"levels: {', '.join(levels[factor])}",
                )
    for i, fid in enumerate(s.factors.evaluation):
        yield from ref(("factors", "evaluation", i), "factor", fid)
    for i, comp_decl in enumerate(s.evaluation.computed):
        base = ("evaluation", "computed", i)
        yield from ref((*base, "source"), "evidence source", comp_decl.source)
        yield from ref((*base, "dataset"), "dataset", comp_decl.dataset)
        for j, m in enumerate(comp_decl.metrics):
            yield from ref((*base, "metrics", j), "metric", m)
        for j, g in enumerate(comp_decl.groups):
            yield from ref((*base, "groups", j), "factor", g)
        for j, op in enumerate(comp_decl.operating_points):
            yield from ref((*base, "operating_points", j), "operating point", op)
    for i, e in enumerate(s.evaluation.external):
        yield from ref(("evaluation", "external", i, "dataset"), "dataset", e.dataset)
    for i, flow in enumerate(s.system.architecture.flows):
        yield from ref(("system", "architecture", "flows", i, "source"), "component", flow.source)
        yield from ref(("system", "architecture", "flows", i, "target"), "component", flow.target)
    for i, comp in enumerate(s.system.architecture.components):
        yield from ref(("system", "architecture", "components", i, "parent"), "component", comp.parent)
    if s.acceptance:
        for i, c in enumerate(s.acceptance.criteria):
            base = ("acceptance", "criteria", i)
            yield from ref((*base, "metric"), "metric", c.metric)
            yield from ref((*base, "factor"), "factor", c.factor)
            yield from ref((*base, "operating_point"), "operating point", c.operating_point)
            yield from ref((*base, "dataset"), "dataset", c.dataset)
            if c.statistic == "max_gap" and c.factor is None:
                yield problem(base, "a max_gap criterion needs `factor:`", "name the factor whose levels are compared")
    if s.plain and s.plain.per_1000:
        yield from ref(("plain", "per_1000", "operating_point"), "operating point", s.plain.per_1000.operating_point)
    for i, review in enumerate(s.reviews):
        if not _path_exists(loaded.data, review.section):
            yield problem(
                ("reviews", i, "section"),
                f"section '{review.section}' does not exist in this source",
                "name a key path such as intended_use or plain",
            )


def _path_exists(data: Any, dotted_path: str) -> bool:
    node = data
    for part in re.findall(r"[^.\[\]]+", dotted_path):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


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
