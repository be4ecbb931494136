"""Render stage helper: finding a model's results — by metric, slice, operating point and dataset."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.render.view import FieldError
from compiler.schema import Result, Source


def default_point(source: Source) -> str | None:
    """The id of the default operating point (the one marked `default`, else the first declared), or None."""
    points = [op for out in source.system.outputs for op in out.operating_points]
    chosen = next((op for op in points if op.default), points[0] if points else None)
    return chosen.id if chosen else None


def find_result(
    source: Source,
    metric_id: str,
    slice: dict[str, str] | None = None,
    op: str | None = None,
    dataset: str | None = None,
) -> Result | None:
    """The result for a metric and slice (overall by default), at the given or else the default operating point."""
    wanted = dict(slice or {})
    found = [r for r in source.evaluation.results if r.metric == metric_id and r.slice == wanted]
    if dataset:
        found = [r for r in found if r.dataset == dataset]
    if op:
        # A result without an operating point is threshold-free (e.g. AUROC) or the only one there is.
        found = [r for r in found if r.operating_point == op] or [r for r in found if r.operating_point is None]
    else:
        default = default_point(source)
        found.sort(key=lambda r: 0 if r.operating_point in (default, None) else 1)
    return found[0] if found else None


def factor_name(source: Source, factor_id: str) -> str:
    """A factor's display name (`sex` -> 'Sex'), or the id itself when the source does not declare it."""
    return next((f.name for f in source.factors.relevant if f.id == factor_id), factor_id)


@dataclass(frozen=True)
class PerThousand:
    """The 'per 1,000 people' example: what the model does to 1,000 people of the intended population."""

    population: str
    prevalence: float
    with_condition: int
    found: int
    missed: int
    without: int
    cleared: int
    false_alarms: int
    flagged: int
    operating_point: str | None


def per_thousand(source: Source) -> PerThousand:
    """The example computed from the declared prevalence and the overall sensitivity and specificity."""
    plain = source.plain
    if plain is None or plain.per_1000 is None:
        raise FieldError("plain.per_1000", "source field 'plain.per_1000' is missing")
    example = plain.per_1000
    op = example.operating_point or default_point(source)
    sens, spec = find_result(source, "sensitivity", op=op), find_result(source, "specificity", op=op)
    if sens is None or spec is None or not isinstance(example.prevalence, float):
        raise FieldError(
            "plain.per_1000", "the per-1,000 example needs a prevalence and overall sensitivity and specificity"
        )
    if not isinstance(sens.value, float) or not isinstance(spec.value, float):
        raise FieldError("evaluation.results", "sensitivity and specificity must be resolved numbers")
    with_condition = round(1000 * example.prevalence)
    found = round(sens.value * with_condition)
    without = 1000 - with_condition
    cleared = round(spec.value * without)
    return PerThousand(
        population=example.population,
        prevalence=example.prevalence,
        with_condition=with_condition,
        found=found,
        missed=with_condition - found,
        without=without,
        cleared=cleared,
        false_alarms=without - cleared,
        flagged=found + without - cleared,
        operating_point=op,
    )


@dataclass(frozen=True)
class TestedOn:
    """The people the overall sensitivity and specificity were measured on: the numbers' dataset and prevalence."""

    dataset: str
    """The dataset's name, or empty when the results name none."""
    setting: str
    """When its cases were collected (the dataset's timeframe), or empty."""
    people: int
    with_condition: int
    prevalence: float
    ppv: float | None
    """The positive predictive value measured there, when the source reports it."""


def tested_on(source: Source) -> TestedOn | None:
    """The test population of the overall sensitivity and specificity at the default operating point: their
    counts (n) of people with and without the condition, and the dataset both name; none when either is missing."""
    op = default_point(source)
    sens, spec = find_result(source, "sensitivity", op=op), find_result(source, "specificity", op=op)
    if sens is None or spec is None or not isinstance(sens.n, int) or not isinstance(spec.n, int):
        return None
    if sens.n + spec.n == 0 or sens.dataset != spec.dataset:
        return None
    data = next((d for d in source.datasets if d.id == sens.dataset), None) if sens.dataset else None
    setting = str(data.collection.timeframe or "") if data is not None else ""
    ppv = find_result(source, "ppv", op=op, dataset=sens.dataset)
    return TestedOn(
        dataset=str(data.name) if data is not None else "",
        setting=setting,
        people=sens.n + spec.n,
        with_condition=sens.n,
        prevalence=sens.n / (sens.n + spec.n),
        ppv=ppv.value if ppv is not None and isinstance(ppv.value, float) else None,
    )
