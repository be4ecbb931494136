"""Resolve stage, running the readers (`docs-compile resolve`): evidence becomes facts in a lock.

`resolve_catalog` reads every reference from its tracker, file or predictions file and writes
`content/<id>/facts.lock.json`; with `check=True` it writes nothing and reports every fact that drifted,
including evidence that vanished since the lock (a deleted run, an archived version, a removed file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compiler._util.fieldpath import FieldPath, dotted
from compiler._util.paths import display_path
from compiler.config.project import load_config
from compiler.errors import EvidenceError, Location, Problem
from compiler.resolve.apply import RESOLVE_HINT, apply_lock, needs_evidence
from compiler.resolve.lock import (
    Lock,
    computed_drift,
    fact_drift,
    gone_drift,
    lock_path,
    read_lock,
    resolution_time,
    write_lock,
)
from compiler.resolve.refs import FactError, Occurrence, Vanished, find_references, parse
from compiler.resolve.trackers import CallLimits, call_limits, untrusted_trackers
from compiler.validate.project import Catalog, ValidModel


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


@dataclass
class Gone:
    """A reference whose evidence vanished (a check reports it as drift): where it is written, and why."""

    ref: str
    path: FieldPath
    location: Location
    error: Vanished


@dataclass
class Resolved:
    """One model resolved: its fresh lock (None without evidence), staleness findings, and what vanished."""

    lock: Lock | None
    findings: list[str] = field(default_factory=list)
    gone: list[Gone] = field(default_factory=list)


class _Problems(list[Problem]):
    """The problems of one model; with `keep_gone`, vanished evidence is set aside for the check instead."""

    def __init__(self, model: ValidModel, keep_gone: bool) -> None:
        super().__init__()
        self.model = model
        self.keep_gone = keep_gone
        self.gone: list[Gone] = []

    def add(self, path: FieldPath, where: Location, ref: str, exc: FactError) -> None:
        if self.keep_gone and ref and isinstance(exc, Vanished):
            self.gone.append(Gone(ref, path, where, exc))
        else:
            self.append(_problem(self.model, path, where, ref, exc))


def _problem(model: ValidModel, occ_path: FieldPath, where: Location, ref: str, exc: FactError) -> Problem:
    return Problem(where, f"{ref}: {exc.message}" if ref else exc.message, dotted(occ_path), exc.hint)


def resolve_model(
    model: ValidModel, trackers: tuple[str, ...] = (), limits: CallLimits | None = None, *, check: bool = False
) -> Resolved:
    """Resolve every reference and computed entry of one model into a fresh lock, plus staleness findings.

    `trackers` are the tracking servers the trusted configuration allows; any other is refused first.
    `limits` bound each call to a server. With `check`, vanished evidence is returned in `gone` (drift
    for the check) rather than raised; any other problem is raised.
    """
    from compiler.resolve.history import history_uses
    from compiler.resolve.readers.base import Fact, ModelContext
    from compiler.resolve.readers.registry import Readers

    occurrences, has_computed = needs_evidence(model)
    uses = history_uses(model)
    if not occurrences and not has_computed and not uses:
        return Resolved(None)
    untrusted = untrusted_trackers(model, trackers)
    if untrusted:
        raise EvidenceError(untrusted)
    context = ModelContext(
        model.id, model.loaded.folder, model.source, trackers=trackers, limits=limits or CallLimits()
    )
    readers = Readers(context)
    problems = _Problems(model, keep_gone=check)
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
                problems.add(occ.path, occ.location, occ.ref, exc)
        computed = _compute(model, readers, problems)
        histories = _histories(model, context, readers, problems)
        findings = _audit(readers, facts)
        versions = {scheme: reader.reader_version() for scheme, reader in readers.open.items()} if not problems else {}
    finally:
        readers.close()
    if problems:
        raise EvidenceError(list(problems))
    lock = Lock(
        model.id,
        {ref: f.as_dict() for ref, f in sorted(facts.items())},
        computed,
        dict(sorted(versions.items())),
        histories=dict(sorted(histories.items())),
    )
    return Resolved(lock, findings, problems.gone)


def _histories(model: ValidModel, context: Any, readers: Any, problems: _Problems) -> dict[str, dict[str, Any]]:
    """The series behind every monitoring signal's history reference."""
    from compiler.resolve.history import history_uses, resolve_history

    found: dict[str, dict[str, Any]] = {}
    for use in history_uses(model):
        if use.ref in found:
            continue
        try:
            found[use.ref] = resolve_history(use.ref, context, readers)
        except FactError as exc:
            problems.add(use.path, use.location, use.ref, exc)
    return found


def _compute(model: ValidModel, readers: Any, problems: _Problems) -> list[dict[str, Any]]:
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


def _drift(model: ValidModel, old: Lock | None, resolved: Resolved) -> list[Problem]:
    shown = display_path(lock_path(model.loaded.folder))
    new = resolved.lock
    assert new is not None
    if old is None:
        return [Problem(Location(shown), "no lock file", hint=RESOLVE_HINT)]
    out: list[Problem] = []
    where = {o.ref: o for o in reversed(find_references(model.loaded))}
    for ref, fact in new.facts.items():
        change = fact_drift(ref, old.facts.get(ref), fact)
        if change:
            occ = where[ref]
            out.append(Problem(occ.location, f"{ref}: {change}", dotted(occ.path), RESOLVE_HINT))
    gone = {g.ref for g in resolved.gone}
    for g in resolved.gone:
        locked = old.facts.get(g.ref) or old.histories.get(g.ref)
        out.append(Problem(g.location, f"{g.ref}: {gone_drift(locked, g.error.message)}", dotted(g.path), g.error.hint))
    for ref in sorted(old.facts.keys() - new.facts.keys() - gone):
        out.append(Problem(Location(shown), f"{ref}: locked but no longer referenced", hint=RESOLVE_HINT))
    for i, entry in enumerate(new.computed):
        path: FieldPath = ("evaluation", "computed", i)
        before = next((c for c in old.computed if c.get("spec") == entry["spec"]), None)
        for line in computed_drift(before, entry):
            out.append(Problem(model.loaded.locate(path), line, dotted(path), RESOLVE_HINT))
    out += _history_drift(model, old, new, gone)
    if len(old.computed) > len(new.computed):
        out.append(Problem(Location(shown), "the lock holds computed results no longer declared", hint=RESOLVE_HINT))
    out += [
        Problem(model.loaded.locate(("model", "version")), f"stale: {line}", "model.version")
        for line in resolved.findings
    ]
    return out


def _history_drift(model: ValidModel, old: Lock, new: Lock, gone: set[str]) -> list[Problem]:
    from compiler.resolve.history import history_drift, history_uses

    out = []
    where = {u.ref: u for u in reversed(history_uses(model))}
    for ref, entry in new.histories.items():
        change = history_drift(old.histories.get(ref), entry)
        if change:
            use = where[ref]
            out.append(Problem(use.location, f"{ref}: {change}", dotted(use.path), RESOLVE_HINT))
    shown = display_path(lock_path(model.loaded.folder))
    for ref in sorted(old.histories.keys() - new.histories.keys() - gone):
        out.append(Problem(Location(shown), f"{ref}: history locked but no longer referenced", hint=RESOLVE_HINT))
    return out


def _tracker_settings(
    trackers: tuple[str, ...] | None, limits: CallLimits | None
) -> tuple[tuple[str, ...], CallLimits]:
    if trackers is None:
        config = load_config().trackers
        return tuple(config.allow), limits or call_limits(config.deadline, config.retries)
    return trackers, limits or call_limits()


def resolve_catalog(
    catalog: Catalog, *, check: bool, trackers: tuple[str, ...] | None = None, limits: CallLimits | None = None
) -> ResolveReport:
    """Resolve every model; then write the locks (or, with check, compare and write nothing).

    Everything is resolved before anything is written, so one bad reference leaves every lock as it was.
    `trackers` (the servers allowed credentials) default to `trackers.allow` of docs-compile.yaml, and
    `limits` (deadline and retries of a call to a server) to its `trackers.deadline` and `.retries`
    (when `trackers` is given: to the defaults), with the DOCS_COMPILE_TRACKER_* variables over them.
    """
    trackers, limits = _tracker_settings(trackers, limits)
    problems: list[Problem] = []
    fresh: list[tuple[ValidModel, Resolved]] = []
    for model in catalog.models:
        try:
            fresh.append((model, resolve_model(model, trackers, limits, check=check)))
        except EvidenceError as exc:
            problems.extend(exc.problems)
    for model, resolved in fresh:
        # A fact passes the rules a written value passes, before any lock is written. A check that found
        # vanished evidence has an incomplete lock: it reports the drift instead.
        if resolved.lock is not None and not resolved.gone:
            try:
                apply_lock(model, resolved.lock)
            except EvidenceError as exc:
                problems.extend(exc.problems)
    if problems:
        raise EvidenceError(problems)
    reports = []
    for model, resolved in fresh:
        lock, findings = resolved.lock, resolved.findings
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
            drift = _drift(model, old, resolved)
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
