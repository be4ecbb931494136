"""Validate stage: cross-references inside one source — ids that results, flows, criteria and reviews point at.

Most of them are one rule: "this field names one of those ids". They are data: `DECLARED` says where each
kind of id is declared, `REFERENCES` where fields name them, both written in the field-path language of
`compiler.schema.paths`. Checks that are not a plain reference (a slice level must be a level of its factor,
a max_gap criterion needs a factor) hang off the table row of the record they check, so the problems of one
record stay together, in the order they always came.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compiler._util.fieldpath import FieldPath, dotted
from compiler._util.text import closest
from compiler.errors import Problem
from compiler.load.reader import LoadedModel
from compiler.schema import Source
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
    levels = {f["id"]: f["levels"] for _, f in select(data, "factors.relevant[]")}
    for factor, level in result["slice"].items():
        path = (*base, "slice", factor)
        if factor not in levels:
            yield _unknown(path, "factor", factor, ids)
        elif level not in levels[factor]:
            hint = closest(level, levels[factor]) or f"levels: {', '.join(levels[factor])}"
            yield path, f"'{level}' is not a level of factor '{factor}'", hint


def _gap_factor(base: FieldPath, criterion: dict[str, Any], ids: Ids, data: dict[str, Any]) -> Iterator[Found]:
    if criterion["statistic"] == "max_gap" and criterion["factor"] is None:
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


def references(loaded: LoadedModel, s: Source) -> list[Problem]:
    """Every cross-reference problem of one source, placed at the field that holds the wrong value."""
    found = [*_model(loaded, s), *_checked(s.model_dump(mode="json")), *_reviews(loaded, s)]
    return [Problem(loaded.locate(path), message, dotted(path), hint) for path, message, hint in found]


def _model(loaded: LoadedModel, s: Source) -> Iterator[Found]:
    if s.model.id != loaded.id:
        message = f"model id '{s.model.id}' differs from its folder '{loaded.id}'"
        yield ("model", "id"), message, f"rename one; use `id: {loaded.id}`"
    if s.model.medical_device and s.model.regulatory is None:
        yield ("model",), "a medical device needs `regulatory:` (status, file number)", "add model.regulatory"


def _checked(data: dict[str, Any]) -> Iterator[Found]:
    """Duplicate ids, then every row of `REFERENCES` over the source as plain data."""
    declared = {kind: select(data, d.path) for kind, d in DECLARED.items()}
    ids = {kind: [value for _, value in found] for kind, found in declared.items()}
    for kind, found in declared.items():
        seen: set[str] = set()
        for path, value in found:
            if value in seen and DECLARED[kind].unique:
                yield path, f"duplicate {kind} id '{value}'", "ids must be unique"
            seen.add(value)
    for row in REFERENCES:
        for base, record in select(data, row.each) if row.each else [((), data)]:
            for relative, kind in row.fields.items():
                for where, value in select(record, relative):
                    if value is not None and value not in ids[kind]:
                        yield _unknown((*base, *where), kind, value, ids)
            if row.extra is not None:
                yield from row.extra(base, record, ids, data)


def _unknown(path: FieldPath, kind: str, value: str, ids: Ids) -> Found:
    known = ids[kind]
    hint = closest(value, known) or (f"declared: {', '.join(known)}" if known else f"declare the {kind} first")
    return path, f"unknown {kind} '{value}'", hint


def _reviews(loaded: LoadedModel, s: Source) -> Iterator[Found]:
    for i, review in enumerate(s.reviews):
        if not _path_exists(loaded.data, review.section):
            message = f"section '{review.section}' does not exist in this source"
            yield ("reviews", i, "section"), message, "name a key path such as intended_use or plain"


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
