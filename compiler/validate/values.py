"""Validate stage: value rules — numbers that cannot be true, and dates that do not fit together.

The rules read the source as plain data: as written when the schema refused part of it (so that one run
reports every mistake), as validated otherwise, and with the locked facts in place after resolve (so that a
tracker's 1.64 for a proportion is refused like a typed one). Each finding is placed at the value it is
about. An error is a value that cannot be true; a warning is a judgement call (a sign-off dated after the
release), shown by `validate`, `check` and `build` but never failing them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from compiler._util.fieldpath import FieldPath, dotted

SUM_SLACK = 0.01
"""How far the fractions of one characteristic may add up above 1, for rounding (three levels of 0.335)."""
PROPORTION_HINT = (
    "write a proportion as a fraction between 0 and 1 (0.912, not 91.2), or give the metric another `kind:` "
    "(score, count, time, ratio or other)"
)
_BOUNDS = ("value", "ci_low", "ci_high")


@dataclass(frozen=True)
class Finding:
    """One value rule broken: where, what, how to fix it, and whether it is only a warning."""

    path: FieldPath
    message: str
    hint: str = ""
    warning: bool = False


def value_findings(data: Any) -> list[Finding]:
    """Every value rule over a source as plain data; tolerant of anything the schema refuses."""
    if not isinstance(data, dict):
        return []
    return [
        *_results(data),
        *_subgroup_counts(data),
        *_subpopulations(data),
        *_criteria(data),
        *_dates(data),
    ]


# --- reading plain data that may not have passed the schema -------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # a whole number of hundreds of digits: the schema refuses it
        return None
    return number if math.isfinite(number) else None


def _records(data: Any, *path: str) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """(path, record) of every mapping in the list at path."""
    node = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    for i, item in enumerate(node if isinstance(node, list) else []):
        if isinstance(item, dict):
            yield (*path, i), item


def _get(data: Any, *path: str) -> Any:
    node = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _shown(value: float) -> str:
    return f"{value:,.0f}" if value.is_integer() else f"{value:g}"


def _kinds(data: dict[str, Any]) -> dict[str, str]:
    """Metric id -> kind (proportion when not given, as the schema's default)."""
    return {
        m["id"]: m.get("kind") or "proportion"
        for _, m in _records(data, "evaluation", "metrics")
        if isinstance(m.get("id"), str) and isinstance(m.get("kind") or "proportion", str)
    }


# --- results ------------------------------------------------------------------------------------------


def _results(data: dict[str, Any]) -> Iterator[Finding]:
    """Proportions in [0, 1], counts not negative, and ci_low <= value <= ci_high."""
    kinds = _kinds(data)
    for base, result in _records(data, "evaluation", "results"):
        metric = result.get("metric")
        kind = kinds.get(metric) if isinstance(metric, str) else None
        numbers = {name: _number(result.get(name)) for name in _BOUNDS}
        for name, value in numbers.items():
            if value is None:
                continue
            if kind == "proportion" and not 0 <= value <= 1:
                message = f"{name} {_shown(value)} is outside [0, 1]: metric '{metric}' is a proportion"
                yield Finding((*base, name), message, PROPORTION_HINT)
            elif kind == "count" and value < 0:
                message = f"{name} {_shown(value)} is negative: metric '{metric}' is a count"
                yield Finding((*base, name), message, "a count is 0 or more")
        yield from _interval(base, numbers)
        sd = _number(result.get("sd"))
        if sd is not None and sd < 0:
            yield Finding((*base, "sd"), f"sd {_shown(sd)} is negative", "a standard deviation is 0 or more")


def _interval(base: FieldPath, numbers: dict[str, float | None]) -> Iterator[Finding]:
    low, value, high = numbers["ci_low"], numbers["value"], numbers["ci_high"]
    if low is not None and high is not None and low > high:
        message = f"ci_low ({_shown(low)}) is greater than ci_high ({_shown(high)})"
        yield Finding((*base, "ci_low"), message, "swap the bounds: ci_low is the lower one")
    elif value is not None and low is not None and value < low:
        message = f"value ({_shown(value)}) lies below ci_low ({_shown(low)})"
        yield Finding((*base, "value"), message, "an interval contains its estimate: check the value and its bounds")
    elif value is not None and high is not None and value > high:
        message = f"value ({_shown(value)}) lies above ci_high ({_shown(high)})"
        yield Finding((*base, "value"), message, "an interval contains its estimate: check the value and its bounds")


def _subgroup_counts(data: dict[str, Any]) -> Iterator[Finding]:
    """A subgroup's n is at most the overall n of the same metric, dataset and operating point, and the levels
    of one factor add up to at most the overall n."""
    overall: dict[tuple[Any, ...], list[tuple[FieldPath, float]]] = {}
    sliced: list[tuple[tuple[Any, ...], FieldPath, dict[str, Any], float]] = []
    for base, result in _records(data, "evaluation", "results"):
        n = _number(result.get("n"))
        key = tuple(str(result.get(k)) for k in ("metric", "dataset", "operating_point"))
        cut = result.get("slice")
        if n is None or (cut is not None and not isinstance(cut, dict)):
            continue
        if cut:
            sliced.append((key, base, cut, n))
        else:
            overall.setdefault(key, []).append((base, n))
    sums: dict[tuple[tuple[Any, ...], str], float] = {}
    for key, base, cut, n in sliced:
        if len(overall.get(key, [])) != 1:
            continue  # no overall result, or several: nothing to compare with
        where, total = overall[key][0]
        if n > total:
            message = f"n {_shown(n)} is more than the overall n ({_shown(total)}, {dotted(where)})"
            yield Finding((*base, "n"), message, "a subgroup's cases are part of the overall cases: check both n")
        elif len(cut) == 1:
            level = (key, str(next(iter(cut))))
            sums[level] = sums.get(level, 0) + n
    for (key, factor), total_n in sorted(sums.items(), key=lambda item: str(item[0])):
        where, total = overall[key][0]
        if total_n > total:
            message = (
                f"the levels of '{factor}' add up to n = {_shown(total_n)}, more than this overall n "
                f"({_shown(total)}) for metric '{key[0]}'"
            )
            hint = "each case belongs to one level of a factor: check the n of every level"
            yield Finding((*where, "n"), message, hint)


# --- datasets -----------------------------------------------------------------------------------------


def _subpopulations(data: dict[str, Any]) -> Iterator[Finding]:
    """Shares of one characteristic: counts within the dataset's count, fractions adding up to at most 1."""
    for base, dataset in _records(data, "datasets"):
        composition = dataset.get("composition")
        groups = composition.get("subpopulations") if isinstance(composition, dict) else None
        if not isinstance(groups, dict):
            continue
        total = _number(composition.get("count")) if isinstance(composition, dict) else None
        for factor, shares in groups.items():
            where: FieldPath = (*base, "composition", "subpopulations", factor)
            yield from _shares(where, str(factor), shares if isinstance(shares, list) else [], total)


def _shares(where: FieldPath, factor: str, shares: list[Any], total: float | None) -> Iterator[Finding]:
    counts, fractions, over = 0.0, 0.0, False
    for i, share in enumerate(shares):
        if not isinstance(share, dict):
            continue
        # A share may count something else than the instances (positives by size, users of events): its
        # fraction is not compared with count / total, only each count with the total.
        count, fraction = _number(share.get("count")), _number(share.get("fraction"))
        counts += count or 0
        fractions += fraction if fraction is not None and 0 <= fraction <= 1 else 0
        if count is not None and total is not None and count > total:
            over = True
            message = f"count {_shown(count)} is more than the dataset's {_shown(total)} instances (composition.count)"
            yield Finding((*where, i, "count"), message, "a share's count is part of the dataset's count")
    if total is not None and counts > total and not over:
        message = (
            f"the counts of '{factor}' add up to {_shown(counts)}, more than the dataset's {_shown(total)} instances"
        )
        yield Finding(where, message, "the levels of one characteristic do not overlap: check each count")
    if fractions > 1 + SUM_SLACK:
        message = f"the fractions of '{factor}' add up to {fractions:.3g}; the shares of one characteristic add up to at most 1"
        yield Finding(where, message, "each fraction is a share of all instances (0.506, not 50.6)")


# --- acceptance criteria ------------------------------------------------------------------------------


def _criteria(data: dict[str, Any]) -> Iterator[Finding]:
    """A threshold on a proportion (its value, bounds or largest gap) lies in [0, 1]."""
    kinds = _kinds(data)
    for base, criterion in _records(data, "acceptance", "criteria"):
        metric, threshold = criterion.get("metric"), _number(criterion.get("threshold"))
        if threshold is None or not isinstance(metric, str) or kinds.get(metric) != "proportion":
            continue
        if not 0 <= threshold <= 1:
            message = f"threshold {_shown(threshold)} is outside [0, 1]: metric '{metric}' is a proportion"
            yield Finding((*base, "threshold"), message, "write the threshold as a fraction (0.9, not 90)")


# --- dates --------------------------------------------------------------------------------------------


def _dates(data: dict[str, Any]) -> Iterator[Finding]:
    """Data periods in order, training data that ends before the release, sign-offs and the version history
    that agree with the release date."""
    release = _date(_get(data, "model", "release_date"))
    yield from _released_undated(data)
    for base, dataset in _records(data, "datasets"):
        start, end = _date(_get(dataset, "collection", "start")), _date(_get(dataset, "collection", "end"))
        where: FieldPath = (*base, "collection", "end")
        if start is not None and end is not None and start > end:
            yield Finding(where, f"the data ends ({end}) before it starts ({start})", "swap collection.start and end")
        elif release is not None and end is not None and end > release and dataset.get("role") in ("train", "tune"):
            message = f"{dataset.get('role')}ing data ends {end}, after the model's release date ({release})"
            hint = "a released model cannot be trained on later data: check collection.end and model.release_date"
            yield Finding(where, message, hint)
    if release is None:
        return
    for base, review in _records(data, "reviews"):
        signed = _date(review.get("date"))
        if signed is not None and signed > release:
            message = f"signed off on {signed}, after the release date ({release})"
            hint = "a sign-off approves a section before release; a review after release is fine, and this is a warning"
            yield Finding((*base, "date"), message, hint, warning=True)
    version = _get(data, "model", "version")
    for base, entry in _records(data, "lifecycle", "versions"):
        dated = _date(entry.get("date"))
        if isinstance(version, str) and entry.get("version") == version and dated is not None and dated != release:
            message = f"version {version} is dated {dated} here, and released on {release} in model.release_date"
            yield Finding((*base, "date"), message, "give both the same date", warning=True)


RELEASED = ("released", "retired")
"""Statuses of a model that has been released, and so has a release date (the schema's default is released)."""


def _released_undated(data: dict[str, Any]) -> Iterator[Finding]:
    """A released (or retired) model has a release date; only a draft or one in review may leave it out."""
    model = data.get("model")
    if not isinstance(model, dict) or model.get("release_date") is not None:
        return
    status = model.get("status", "released")
    if status in RELEASED:
        yield Finding(
            ("model", "release_date"),
            f"a model whose status is {status} needs its release date",
            "give model.release_date (YYYY-MM-DD), or set model.status (released by default) to draft or in-review "
            "until the model is released",
        )
