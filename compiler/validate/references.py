"""Validate stage: cross-references inside one source — ids that results, flows, criteria and reviews point at."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from compiler._util.fieldpath import FieldPath, dotted
from compiler._util.text import closest
from compiler.errors import Problem
from compiler.load.reader import LoadedModel
from compiler.schema import Source


def references(loaded: LoadedModel, s: Source) -> Iterable[Problem]:
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
