"""Resolve stage, applying the lock (build): fact references replaced by their locked values.

`resolved_source`, `provenance` and `signal_histories` read only `content/<id>/facts.lock.json` (written
by `compiler.resolve.run`), so documents build without tracker access or MLflow installed.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

from compiler._util.fieldpath import FieldPath, dotted
from compiler._util.paths import display_path
from compiler.errors import EvidenceError, Problem
from compiler.resolve.lock import Lock, lock_path, read_lock
from compiler.resolve.refs import Occurrence, find_references
from compiler.schema import Source
from compiler.validate.project import ValidModel, validate_model

RESOLVE_HINT = "run `docs-compile resolve`"


def needs_evidence(model: ValidModel) -> tuple[list[Occurrence], bool]:
    return find_references(model.loaded), bool(model.source.evaluation.computed)


def never_resolved(model: ValidModel) -> bool:
    """Whether the model names facts or computed results but has no lock file: `docs-compile resolve` never ran."""
    occurrences, has_computed = needs_evidence(model)
    return (bool(occurrences) or has_computed) and not lock_path(model.loaded.folder).is_file()


def _fit(value: Any) -> Any:
    """Whole-number floats become ints so a metric such as n_test can fill a count field."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _set(data: Any, path: FieldPath, value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _lock_or_fail(model: ValidModel, occurrences: list[Occurrence]) -> Lock:
    lock = read_lock(model.loaded.folder)
    if lock is not None:
        return lock
    where = occurrences[0].location if occurrences else model.loaded.locate(("evaluation", "computed"))
    what = (
        f"fact reference {occurrences[0].ref} is not resolved" if occurrences else "computed results are not resolved"
    )
    raise EvidenceError.placed(
        where,
        f"{what}: there is no {display_path(lock_path(model.loaded.folder))}",
        field=dotted(occurrences[0].path) if occurrences else "evaluation.computed",
        hint=RESOLVE_HINT,
    )


def _computed_entry(model: ValidModel, lock: Lock, index: int) -> dict[str, Any] | None:
    spec = model.source.evaluation.computed[index].model_dump(mode="json")
    return next((c for c in lock.computed if c.get("spec") == spec), None)


def resolved_source(model: ValidModel) -> Source:
    """The model's source with every reference replaced by its locked value and computed results added."""
    occurrences, has_computed = needs_evidence(model)
    if not occurrences and not has_computed:
        return model.source
    return apply_lock(model, _lock_or_fail(model, occurrences))


def apply_lock(model: ValidModel, lock: Lock) -> Source:
    """The source with this lock's facts in place, validated again: a fact must pass the rules a value written
    in the source passes (a proportion in [0, 1], an interval around its estimate), so `resolve` can refuse
    a lock before writing it and every later stage refuses a lock that does not fit."""
    occurrences, _ = needs_evidence(model)
    problems: list[Problem] = []
    data = copy.deepcopy(model.loaded.data)
    for occ in occurrences:
        fact = lock.facts.get(occ.ref)
        if fact is None:
            problems.append(Problem(occ.location, f"{occ.ref} is not in the lock", dotted(occ.path), RESOLVE_HINT))
            continue
        _set(data, occ.path, _fit(fact["value"]))
        if occ.path[:2] == ("evaluation", "results") and occ.path[-1] == "value":
            data["evaluation"]["results"][occ.path[2]].setdefault("source", occ.ref)
    entries = []
    for i in range(len(model.source.evaluation.computed)):
        entry = _computed_entry(model, lock, i)
        path: FieldPath = ("evaluation", "computed", i)
        if entry is None:
            problems.append(
                Problem(
                    model.loaded.locate(path),
                    "not in the lock, or changed since it was written",
                    dotted(path),
                    RESOLVE_HINT,
                )
            )
        else:
            entries.append(entry)
    if problems:
        raise EvidenceError(problems)
    first = len(data["evaluation"].setdefault("results", []))
    for entry in entries:
        data["evaluation"]["results"].extend(copy.deepcopy(entry["results"]))
        data["evaluation"].setdefault("undefined", []).extend(copy.deepcopy(entry.get("omitted", [])))
    found = validate_model(dataclasses.replace(model.loaded, data=data))
    if isinstance(found, list):
        refs = {dotted(occ.path): occ.ref for occ in occurrences}
        raise EvidenceError([_after_resolving(p, refs, first) for p in found])
    _check_thresholds(model, found, entries)
    return found


def _after_resolving(problem: Problem, refs: dict[str, str], first: int) -> Problem:
    """A problem of the resolved source, naming the fact (or the computed results) that brought the value."""
    origin = refs.get(problem.field)
    computed = re.match(r"evaluation\.results\[(\d+)\]", problem.field)
    if origin is None and computed is not None and int(computed[1]) >= first:
        origin = "computed results (evaluation.computed)"
    where = f" (from {origin})" if origin else ""
    return dataclasses.replace(problem, message=f"after resolving facts: {problem.message}{where}")


def _check_thresholds(model: ValidModel, source: Source, entries: list[dict[str, Any]]) -> None:
    points = {op.id: op.threshold for out in source.system.outputs for op in out.operating_points}
    for entry in entries:
        for op, threshold in entry.get("thresholds", {}).items():
            if points.get(op) != threshold:
                raise EvidenceError.at(
                    display_path(lock_path(model.loaded.folder)),
                    f"computed results use threshold {threshold} for operating point '{op}', the source now says {points.get(op)}",
                    hint=RESOLVE_HINT,
                )


def signal_histories(model: ValidModel) -> dict[str, dict[str, Any]]:
    """Each monitoring signal's locked series (signal id -> lock entry), for the trend plots."""
    from compiler.resolve.history import history_uses

    uses = history_uses(model)
    if not uses:
        return {}
    lock = read_lock(model.loaded.folder)
    found: dict[str, dict[str, Any]] = {}
    problems = []
    for use in uses:
        entry = lock.histories.get(use.ref) if lock is not None else None
        if entry is None:
            missing = (
                "is not in the lock"
                if lock is not None
                else f"is not resolved: there is no {display_path(lock_path(model.loaded.folder))}"
            )
            problems.append(Problem(use.location, f"history {use.ref} {missing}", dotted(use.path), RESOLVE_HINT))
        else:
            found[use.signal_id] = entry
    if problems:
        raise EvidenceError(problems)
    return found


def provenance(model: ValidModel) -> dict[str, Any]:
    """Where every fact of the model comes from: JSON-ready, sorted, the same for the same lock."""
    occurrences, has_computed = needs_evidence(model)
    if not occurrences and not has_computed:
        histories = _history_provenance(model)
        if not histories:
            return {}
        lock = read_lock(model.loaded.folder)
        # The same shape as with facts, so every reader of the provenance finds its keys.
        return {
            "computed": [],
            "facts": {},
            **histories,
            "readers": dict(sorted(lock.readers.items())) if lock else {},
            "resolved_at": lock.resolved_at if lock else "",
        }
    lock = _lock_or_fail(model, occurrences)
    uses: dict[str, list[str]] = {}
    for occ in occurrences:
        uses.setdefault(occ.ref, []).append(dotted(occ.path))
    facts = {
        ref: dict(sorted({**lock.facts.get(ref, {}), "used_by": sorted(paths)}.items()))
        for ref, paths in sorted(uses.items())
    }
    computed = []
    for i in range(len(model.source.evaluation.computed)):
        entry = _computed_entry(model, lock, i)
        if entry is not None:
            summary = {k: v for k, v in entry.items() if k != "results"}
            summary.update(
                key=f"computed://{entry['source']}", results=len(entry["results"]), used_by=f"evaluation.computed[{i}]"
            )
            computed.append(dict(sorted(summary.items())))
    return {
        **_history_provenance(model, lock),
        "computed": computed,
        "facts": facts,
        "lock": display_path(lock_path(model.loaded.folder)),
        "readers": dict(sorted(lock.readers.items())),
        "resolved_at": lock.resolved_at,
    }


def _history_provenance(model: ValidModel, lock: Lock | None = None) -> dict[str, Any]:
    """The monitoring histories' provenance (without their points); nothing when the model declares none."""
    from compiler.resolve.history import history_uses, summary

    uses = history_uses(model)
    if not uses:
        return {}
    lock = lock or read_lock(model.loaded.folder)
    entries = {u.ref: (lock.histories.get(u.ref) if lock else None) for u in uses}
    histories = {
        ref: summary(entry) | {"used_by": sorted(dotted(u.path) for u in uses if u.ref == ref)}
        for ref, entry in sorted(entries.items())
        if entry is not None
    }
    return {"histories": histories, "lock": display_path(lock_path(model.loaded.folder))}
