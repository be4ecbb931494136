"""Resolve stage: evidence becomes facts — references resolved into a lock, and the lock applied.

`resolve_catalog` (the `docs-compile resolve` command) reads every reference from its tracker, file
or predictions file and writes `content/<id>/facts.lock.json`; with `check=True` it writes nothing and
reports every fact that drifted. `resolved_source` and `provenance` (used by build) read only the
lock, so documents build without tracker access or MLflow installed.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .errors import EvidenceError, Location, Problem
from .evidence.lock import Lock, computed_drift, fact_drift, lock_path, read_lock, resolution_time, write_lock
from .evidence.refs import FactError, Occurrence, find_references, parse
from .load import FieldPath, display_path, dotted
from .schema import Source
from .validate import Catalog, ValidModel, validate_model

RESOLVE_HINT = "run `docs-compile resolve`"


# --- applying the lock (build) -------------------------------------------------------------------


def _needs_evidence(model: ValidModel) -> tuple[list[Occurrence], bool]:
    return find_references(model.loaded), bool(model.source.evaluation.computed)


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
    occurrences, has_computed = _needs_evidence(model)
    if not occurrences and not has_computed:
        return model.source
    lock = _lock_or_fail(model, occurrences)
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
    data["evaluation"].setdefault("results", [])
    for entry in entries:
        data["evaluation"]["results"].extend(copy.deepcopy(entry["results"]))
    found = validate_model(dataclasses.replace(model.loaded, data=data))
    if isinstance(found, list):
        raise EvidenceError([dataclasses.replace(p, message=f"after resolving facts: {p.message}") for p in found])
    _check_thresholds(model, found, entries)
    return found


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
    from .evidence.history import history_uses

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
    occurrences, has_computed = _needs_evidence(model)
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
    from .evidence.history import history_uses, summary

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


# --- resolving (the resolve command) -------------------------------------------------------------


@dataclass
class ModelReport:
    """What resolve did for one model."""

    model: str
    lock: str
    status: str  # written | unchanged | current | drift | no-evidence
    facts: int = 0
    results: int = 0
    drift: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    histories: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "histories": self.histories,
            "model": self.model,
            "lock": self.lock,
            "status": self.status,
            "facts": self.facts,
            "results": self.results,
            "drift": [p.as_dict() for p in self.drift],
            "warnings": self.warnings,
        }


@dataclass
class ResolveReport:
    """Every model's outcome; `drifted` is true when a check found a lock out of date."""

    models: list[ModelReport]

    @property
    def drifted(self) -> bool:
        return any(m.status == "drift" for m in self.models)

    @property
    def problems(self) -> list[Problem]:
        return [p for m in self.models for p in m.drift]


def _problem(model: ValidModel, occ_path: FieldPath, where: Location, ref: str, exc: FactError) -> Problem:
    return Problem(where, f"{ref}: {exc.message}" if ref else exc.message, dotted(occ_path), exc.hint)


def resolve_model(model: ValidModel) -> tuple[Lock | None, list[str]]:
    """Resolve every reference and computed entry of one model into a fresh lock, plus staleness findings."""
    from .evidence.base import Fact, ModelContext
    from .evidence.history import history_uses
    from .evidence.readers import Readers

    occurrences, has_computed = _needs_evidence(model)
    uses = history_uses(model)
    if not occurrences and not has_computed and not uses:
        return None, []
    context = ModelContext(model.id, model.loaded.folder, model.source)
    readers = Readers(context)
    problems: list[Problem] = []
    first: dict[str, Occurrence] = {}
    for occ in occurrences:
        first.setdefault(occ.ref, occ)
    # Computed references come last: they may use thresholds that are themselves references.
    order = sorted(first.values(), key=lambda o: o.ref.startswith("computed://"))
    facts: dict[str, Fact] = {}
    try:
        for occ in order:
            try:
                ref = parse(occ.ref)
                facts[occ.ref] = context.resolved[occ.ref] = readers.get(ref.scheme).resolve(ref)
            except FactError as exc:
                problems.append(_problem(model, occ.path, occ.location, occ.ref, exc))
        computed = _compute(model, readers, problems)
        histories = _histories(model, context, readers, problems)
        findings = _audit(readers, facts)
        versions = {scheme: reader.reader_version() for scheme, reader in readers.open.items()} if not problems else {}
    finally:
        readers.close()
    if problems:
        raise EvidenceError(problems)
    lock = Lock(
        model.id,
        {ref: f.as_dict() for ref, f in sorted(facts.items())},
        computed,
        dict(sorted(versions.items())),
        histories=dict(sorted(histories.items())),
    )
    return lock, findings


def _histories(model: ValidModel, context: Any, readers: Any, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    """The series behind every monitoring signal's history reference."""
    from .evidence.history import history_uses, resolve_history

    found: dict[str, dict[str, Any]] = {}
    for use in history_uses(model):
        if use.ref in found:
            continue
        try:
            found[use.ref] = resolve_history(use.ref, context, readers)
        except FactError as exc:
            problems.append(_problem(model, use.path, use.location, use.ref, exc))
    return found


def _compute(model: ValidModel, readers: Any, problems: list[Problem]) -> list[dict[str, Any]]:
    levels = {f.id: list(f.levels) for f in model.source.factors.relevant}
    entries = []
    for i, block in enumerate(model.source.evaluation.computed):
        path: FieldPath = ("evaluation", "computed", i)
        try:
            entries.append(readers.get("computed").compute(block, levels))
        except FactError as exc:
            problems.append(_problem(model, path, model.loaded.locate(path), "", exc))
    return entries


def _audit(readers: Any, facts: dict[str, Any]) -> list[str]:
    findings: list[str] = []
    for scheme, reader in sorted(readers.open.items()):
        mine = {ref: f.as_dict() for ref, f in facts.items() if ref.startswith(f"{scheme}://")}
        try:
            findings += reader.audit(mine)
        except FactError as exc:
            findings.append(exc.message)
    return findings


def _drift(model: ValidModel, old: Lock | None, new: Lock, findings: list[str]) -> list[Problem]:
    shown = display_path(lock_path(model.loaded.folder))
    if old is None:
        return [Problem(Location(shown), "no lock file", hint=RESOLVE_HINT)]
    out: list[Problem] = []
    where = {o.ref: o for o in reversed(find_references(model.loaded))}
    for ref, fact in new.facts.items():
        change = fact_drift(ref, old.facts.get(ref), fact)
        if change:
            occ = where[ref]
            out.append(Problem(occ.location, f"{ref}: {change}", dotted(occ.path), RESOLVE_HINT))
    for ref in sorted(old.facts.keys() - new.facts.keys()):
        out.append(Problem(Location(shown), f"{ref}: locked but no longer referenced", hint=RESOLVE_HINT))
    for i, entry in enumerate(new.computed):
        path: FieldPath = ("evaluation", "computed", i)
        before = next((c for c in old.computed if c.get("spec") == entry["spec"]), None)
        for line in computed_drift(before, entry):
            out.append(Problem(model.loaded.locate(path), line, dotted(path), RESOLVE_HINT))
    out += _history_drift(model, old, new)
    if len(old.computed) > len(new.computed):
        out.append(Problem(Location(shown), "the lock holds computed results no longer declared", hint=RESOLVE_HINT))
    out += [Problem(model.loaded.locate(("model", "version")), f"stale: {line}", "model.version") for line in findings]
    return out


def _history_drift(model: ValidModel, old: Lock, new: Lock) -> list[Problem]:
    from .evidence.history import history_drift, history_uses

    out = []
    where = {u.ref: u for u in reversed(history_uses(model))}
    for ref, entry in new.histories.items():
        change = history_drift(old.histories.get(ref), entry)
        if change:
            use = where[ref]
            out.append(Problem(use.location, f"{ref}: {change}", dotted(use.path), RESOLVE_HINT))
    shown = display_path(lock_path(model.loaded.folder))
    for ref in sorted(old.histories.keys() - new.histories.keys()):
        out.append(Problem(Location(shown), f"{ref}: history locked but no longer referenced", hint=RESOLVE_HINT))
    return out


def resolve_catalog(catalog: Catalog, *, check: bool) -> ResolveReport:
    """Resolve every model; then write the locks (or, with check, compare and write nothing).

    Everything is resolved before anything is written, so one bad reference leaves every lock as it was.
    """
    problems: list[Problem] = []
    fresh: list[tuple[ValidModel, Lock | None, list[str]]] = []
    for model in catalog.models:
        try:
            lock, findings = resolve_model(model)
        except EvidenceError as exc:
            problems.extend(exc.problems)
            continue
        fresh.append((model, lock, findings))
    if problems:
        raise EvidenceError(problems)
    reports = []
    for model, lock, findings in fresh:
        shown = display_path(lock_path(model.loaded.folder))
        if lock is None:
            reports.append(ModelReport(model.id, shown, "no-evidence"))
            continue
        try:
            old = read_lock(model.loaded.folder)
        except EvidenceError:
            if check:
                raise
            old = None  # a damaged lock is simply rewritten
        n_facts, n_results = len(lock.facts), sum(len(c["results"]) for c in lock.computed)
        if check:
            drift = _drift(model, old, lock, findings)
            status = "drift" if drift else "current"
            reports.append(
                ModelReport(model.id, shown, status, n_facts, n_results, drift=drift, histories=len(lock.histories))
            )
            continue
        if old is not None and old.same_facts(lock):
            status = "unchanged"
        else:
            lock.resolved_at = resolution_time()
            write_lock(model.loaded.folder, lock)
            status = "written"
        reports.append(
            ModelReport(model.id, shown, status, n_facts, n_results, warnings=findings, histories=len(lock.histories))
        )
    return ResolveReport(reports)
