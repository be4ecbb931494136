"""Export stage, CHAI: how one result is written — its label, and its `ValueJson` with a unit."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from compiler.interop.losses import Collector
from compiler.schema import Source
from compiler.schema.evaluation import Metric, Result


def labels_of(s: Source) -> dict[int, str]:
    """A label per result that tells it from every other: metric, subgroup, operating point and dataset."""
    metrics = {m.id: m.name for m in s.evaluation.metrics}
    datasets = {d.id: d.name for d in s.datasets}
    labels: dict[int, str] = {}
    seen: Counter[str] = Counter()
    for r in s.evaluation.results:
        where = [f"{k}={v}" for k, v in r.slice.items()] + ([f"at {r.operating_point}"] if r.operating_point else [])
        label = metrics[r.metric] + (f" ({', '.join(where)})" if where else "")
        label += f" on {datasets.get(r.dataset, r.dataset)}" if r.dataset else ""
        seen[label] += 1
        labels[id(r)] = label + (f" [{seen[label]}]" if seen[label] > 1 else "")
    return labels


def value_json(r: Result, i: int, metric: Metric, collector: Collector) -> str | None:
    """A result's ValueJson, proportions in percent with the unit '%' as CHAI's own examples write them:
    `estimate_ci` with an interval, else `mean_sd` with a standard deviation, else `single`."""
    value = collector.number(r.value, f"evaluation.results[{i}].value")
    if value is None:
        return None
    low = collector.number(r.ci_low, f"evaluation.results[{i}].ci_low")
    high = collector.number(r.ci_high, f"evaluation.results[{i}].ci_high")
    sd = collector.number(r.sd, f"evaluation.results[{i}].sd")
    scale, unit = _unit(metric)
    payload: dict[str, Any] = {"kind": "single", "value": _scaled(value, scale)}
    if low is not None and high is not None:
        payload = {"kind": "estimate_ci", "estimate": _scaled(value, scale), "lower": _scaled(low, scale)}
        payload |= {"upper": _scaled(high, scale), "level": 95}
    elif sd is not None:
        payload = {"kind": "mean_sd", "mean": _scaled(value, scale), "sd": _scaled(sd, scale)}
    if unit:
        payload["unit"] = unit
    return json.dumps(payload, separators=(",", ":"))


def _unit(metric: Metric) -> tuple[float, str | None]:
    """(scale, unit): proportions become percent; a declared unit is kept; counts say so."""
    if metric.unit:
        return 1.0, metric.unit
    if metric.kind == "proportion":
        return 100.0, "%"
    if metric.kind == "count":
        return 1.0, "count"
    return 1.0, None


def _scaled(value: float, scale: float) -> float | int:
    scaled = round(value * scale, 10)
    return int(scaled) if scaled.is_integer() else scaled


def _interval(r: Result) -> bool:
    return r.ci_low is not None and r.ci_high is not None


def note_units(s: Source, collector: Collector) -> None:
    """The loss report's lines for what every result changes in form (names for ids, percent for fractions), and
    the standard deviations a ValueJson with an interval has no place for."""
    results, metrics = s.evaluation.results, {m.id: m for m in s.evaluation.metrics}
    if results:
        collector.changed("evaluation.results[].metric", "the metric's id is written as its name", len(results))
    percent = [r for r in results if _unit(metrics[r.metric])[0] != 1.0]
    how = "proportions are written in percent (value × 100, unit '%'), as CHAI's examples write them"
    for name in ("value", "ci_low", "ci_high"):
        count = sum(getattr(r, name) is not None for r in percent)
        if count:
            collector.changed(f"evaluation.results[].{name}", how, count)
    written = sum(r.sd is not None and not _interval(r) for r in percent)
    if written:
        collector.changed("evaluation.results[].sd", how, written)
    both = sum(r.sd is not None and _interval(r) for r in results)
    if both:
        collector.changed(
            "evaluation.results[].sd", "dropped where the result has a 95% interval: a ValueJson is one kind", both
        )
