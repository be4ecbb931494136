"""Validate stage: cross-references inside one source — ids that results, flows, criteria and reviews point at.

Most of them are one rule: "this field names one of those ids". They are data: `DECLARED` says where each
kind of id is declared, `REFERENCES` where fields name them, both written in the field-path language of
`compiler.schema.paths`. Checks that are not a plain reference (a slice level must be a level of its factor,
a max_gap criterion needs a factor) hang off the table row of the record they check, so the problems of one
record stay together, in the order they always came.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler._util.fieldpath import FieldPath, dotted
from compiler._util.text import closest
from compiler.errors import Problem
from compiler.load.reader import LoadedModel
from compiler.schema.evaluation import MISSING_LEVEL
from compiler.schema.paths import select


@dataclass(frozen=True)
class Declared:
    """One kind of id: where it is declared, and whether a repeat is refused."""

    path: str
    unique: bool = True


# Kind of id -> where its declarations are. A repeated id is refused in every list but the operating points,
# which are declared per output.
DECLARED: dict[str, Declared] = {
    "metric": Declared("evaluation.metrics[].id"),
    "factor": Declared("factors.relevant[].id"),
    "dataset": Declared("datasets[].id"),
    "operating point": Declared("system.outputs[].operating_points[].id", unique=False),
    "component": Declared("system.architecture.components[].id"),
    "hazard": Declared("risk.hazards[].id"),
    "evidence source": Declared("evidence.sources[].id"),
    "diagram": Declared("system.architecture.diagrams[].id"),
}

Found = tuple[FieldPath, str, str]
"""(field path, message, hint) of one problem."""
Ids = Mapping[str, list[str]]
"""Kind of id -> the ids the source declares, in order."""
Extra = Callable[[FieldPath, dict[str, Any], Ids, dict[str, Any]], Iterable[Found]]
"""A check of one record beyond its references: (its path, the record, the ids, the whole source) -> problems."""


@dataclass(frozen=True)
class References:
    """Fields that name an id: path (relative to each record under `each`, else to the source) -> kind of id.

    `extra` checks each record further, after its references.
    """

    fields: dict[str, str]
    each: str = ""
    extra: Extra | None = None


def _slice_levels(base: FieldPath, result: dict[str, Any], ids: Ids, data: dict[str, Any]) -> Iterator[Found]:
    levels = {
        f["id"]: [level for level in f["levels"] if isinstance(level, str)]
        for _, f in select(data, "factors.relevant[]")
        if isinstance(f, dict) and isinstance(f.get("id"), str) and isinstance(f.get("levels"), list)
    }
    cut = result.get("slice")
    for factor, level in cut.items() if isinstance(cut, dict) else ():
        path = (*base, "slice", factor)
        if factor not in levels:
            if "factor" in ids:
                yield _unknown(path, "factor", factor, ids)
        elif isinstance(level, str) and level not in levels[factor] and level != MISSING_LEVEL:
            hint = closest(level, levels[factor]) or f"levels: {', '.join(levels[factor])}"
            yield path, f"'{level}' is not a level of factor '{factor}'", hint


def _gap_factor(base: FieldPath, criterion: dict[str, Any], ids: Ids, data: dict[str, Any]) -> Iterator[Found]:
    if criterion.get("statistic") == "max_gap" and criterion.get("factor") is None:
        yield base, "a max_gap criterion needs `factor:`", "name the factor whose levels are compared"


# Where fields name declared ids, checked in this order.
REFERENCES: tuple[References, ...] = (
    References(
        {"metric": "metric", "dataset": "dataset", "operating_point": "operating point"},
        each="evaluation.results[]",
        extra=_slice_levels,
    ),
    References({"factors.evaluation[]": "factor"}),
    References(
        {
            "source": "evidence source",
            "dataset": "dataset",
            "metrics[]": "metric",
            "groups[]": "factor",
            "operating_points[]": "operating point",
        },
        each="evaluation.computed[]",
    ),
    References({"evaluation.external[].dataset": "dataset"}),
    References({"source": "component", "target": "component"}, each="system.architecture.flows[]"),
    References({"system.architecture.components[].parent": "component"}),
    References(
        {"metric": "metric", "factor": "factor", "operating_point": "operating point", "dataset": "dataset"},
        each="acceptance.criteria[]",
        extra=_gap_factor,
    ),
    References({"plain.per_1000.operating_point": "operating point"}),
)


def references(loaded: LoadedModel, data: dict[str, Any], refused: Iterable[str] = ()) -> list[Problem]:
    """Every cross-reference problem of one source as plain data, placed at the field that holds the wrong value.

    The data is the validated source, or the source as written when the schema refused part of it: the
    references are checked on whatever parsed. `refused` are the fields the schema refused; a kind of id
    whose declarations are among them is not known for sure, so names of it are not reported as unknown.
    """
    found = [*_model(loaded, data), *_checked(data, _unsure(refused)), *_reviews(loaded, data)]
    return [Problem(loaded.locate(path), message, dotted(path), hint) for path, message, hint in found]


def _unsure(refused: Iterable[str]) -> set[str]:
    """Kinds of id whose declaring list holds a field the schema refused."""
    lists = {kind: d.path.split("[]")[0] for kind, d in DECLARED.items()}
    return {
        kind
        for kind, prefix in lists.items()
        for field in refused
        if field == prefix or field.startswith((prefix + "[", prefix + "."))
    }


def _model(loaded: LoadedModel, data: dict[str, Any]) -> Iterator[Found]:
    model = data.get("model")
    if not isinstance(model, dict):
        return
    if isinstance(model.get("id"), str) and model["id"] != loaded.id:
        message = f"model id '{model['id']}' differs from its folder '{loaded.id}'"
        yield ("model", "id"), message, f"rename one; use `id: {loaded.id}`"
    if model.get("medical_device") is True and model.get("regulatory") is None:
        yield ("model",), "a medical device needs `regulatory:` (status, file number)", "add model.regulatory"


def _checked(data: dict[str, Any], unsure: Collection[str] = ()) -> Iterator[Found]:
    """Duplicate ids, then every row of `REFERENCES` over the source as plain data."""
    declared = {kind: [(p, v) for p, v in select(data, d.path) if isinstance(v, str)] for kind, d in DECLARED.items()}
    ids = {kind: [value for _, value in found] for kind, found in declared.items() if kind not in unsure}
    for kind, found in declared.items():
        seen: set[str] = set()
        for path, value in found:
            if value in seen and DECLARED[kind].unique:
                yield path, f"duplicate {kind} id '{value}'", "ids must be unique"
            seen.add(value)
    for row in REFERENCES:
        for base, record in select(data, row.each) if row.each else [((), data)]:
            if not isinstance(record, dict):
                continue
            for relative, kind in row.fields.items():
                for where, value in select(record, relative):
                    if isinstance(value, str) and kind in ids and value not in ids[kind]:
                        yield _unknown((*base, *where), kind, value, ids)
            if row.extra is not None:
                yield from row.extra(base, record, ids, data)


def _unknown(path: FieldPath, kind: str, value: str, ids: Ids) -> Found:
    known = ids[kind]
    hint = closest(value, known) or (f"declared: {', '.join(known)}" if known else f"declare the {kind} first")
    return path, f"unknown {kind} '{value}'", hint


def _reviews(loaded: LoadedModel, data: dict[str, Any]) -> Iterator[Found]:
    for path, section in select(data, "reviews[].section"):
        if isinstance(section, str) and not _path_exists(loaded.data, section):
            message = f"section '{section}' does not exist in this source"
            yield path, message, "name a key path such as intended_use or plain"


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
