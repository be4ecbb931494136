"""Check stage: release gates per model and audience — completeness, framework coverage, acceptance
thresholds, subgroup coverage, sign-offs, review policy, readability and fact lock drift.

Every registered rule (`compiler.check.rules`) runs on every model. Gates never raise for a failed gate:
they return a `CheckReport` of findings whose severity comes from the project configuration; the CLI turns
errors into exit code 1. Input mistakes still raise CompilerError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler._util.fieldpath import dotted
from compiler.check.coverage import Summary, summarise
from compiler.check.findings import FRAMEWORK_GROUP, MODEL_GROUP, Raw
from compiler.check.rules import REGISTRY, RuleContext
from compiler.check.signoff import SignoffRow
from compiler.config.audiences import Audience
from compiler.config.project import ProjectConfig, RuleName
from compiler.errors import Location
from compiler.validate.project import Catalog, ValidModel

_NOWHERE = Location("")


@dataclass(frozen=True)
class Finding:
    """One gate result that needs attention: which rule, how severe, where, and how to fix it."""

    rule: RuleName
    severity: str
    """error or warning (rules set to off produce no findings)."""
    model: str
    group: str
    """Audience name, 'frameworks', or 'model' for model-wide gates."""
    message: str
    field: str = ""
    location: Location = _NOWHERE
    hint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "model": self.model,
            "group": self.group,
            "message": self.message,
            "field": self.field,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "hint": self.hint,
        }


@dataclass
class ModelReport:
    """Everything check found for one model."""

    model: str
    version: str
    resolved: bool
    audiences: list[str]
    coverage: list[Summary]
    criteria: list[dict[str, str]]
    signoffs: list[SignoffRow]
    findings: list[Finding]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "resolved": self.resolved,
            "audiences": self.audiences,
            "passed": self.count("error") == 0,
            "coverage": [s.as_dict() for s in self.coverage],
            "acceptance": self.criteria,
            "signoffs": [vars(r) for r in self.signoffs],
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass
class CheckReport:
    """The result of `docs-compile check` over a catalog."""

    models: list[ModelReport]

    @property
    def errors(self) -> int:
        return sum(m.count("error") for m in self.models)

    @property
    def warnings(self) -> int:
        return sum(m.count("warning") for m in self.models)

    @property
    def passed(self) -> bool:
        return self.errors == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.passed,
            "errors": self.errors,
            "warnings": self.warnings,
            "models": [m.as_dict() for m in self.models],
        }


def check_catalog(
    catalog: Catalog,
    audiences: list[Audience],
    config: ProjectConfig,
    *,
    released: dict[str, ValidModel | None] | None = None,
    lock_drift: list[tuple[str, str, Location]] | None = None,
) -> CheckReport:
    """Run every gate on every model. `released` maps model id -> its last released version (review policy);
    `lock_drift` lists (model id, message, location) reported by the resolve stage."""
    reports = []
    for model in catalog.models:
        prior = (released or {}).get(model.id)
        drift = [(msg, loc) for mid, msg, loc in lock_drift or [] if mid == model.id]
        reports.append(check_model(model, audiences, config, released=prior, drift=drift))
    return CheckReport(reports)


def check_model(
    model: ValidModel,
    audiences: list[Audience],
    config: ProjectConfig,
    *,
    released: ValidModel | None = None,
    drift: list[tuple[str, Location]] | None = None,
) -> ModelReport:
    """Every registered rule on one model."""
    ctx = RuleContext.of(model, audiences, config, released, drift or [])
    raw = [(name, found) for name, check in REGISTRY.items() for found in check(ctx)]
    return ModelReport(
        model=model.id,
        version=str(ctx.source.model.version),
        resolved=ctx.resolved,
        audiences=[a.name for a in ctx.audiences],
        coverage=summarise(ctx.assessments),
        criteria=ctx.acceptance.rows,
        signoffs=ctx.signoffs,
        findings=sorted(_apply(raw, model, config), key=_order),
    )


def _order(f: Finding) -> tuple[Any, ...]:
    group_rank = 2 if f.group == MODEL_GROUP else 1 if f.group == FRAMEWORK_GROUP else 0
    return (group_rank, f.group, f.location.file, f.location.line, f.location.column, f.rule, f.message)


def _apply(raw: list[tuple[RuleName, Raw]], model: ValidModel, config: ProjectConfig) -> list[Finding]:
    """Findings with their rule's configured severity (none for a rule that is off).

    A finding about a source field is reported once, however many ways a rule reaches it; findings placed
    outside the source (lock drift) are the resolve stage's own list and are kept as they come.
    """
    found: dict[tuple[str, str, str, str], Finding] = {}
    placed: list[Finding] = []
    for rule, r in raw:
        severity = config.severity(rule)
        if severity == "off":
            continue
        if r.location is not None:
            placed.append(Finding(rule, severity, model.id, r.group, r.message, dotted(r.path), r.location, r.hint))
            continue
        field = dotted(r.path)
        finding = Finding(rule, severity, model.id, r.group, r.message, field, model.loaded.locate(r.path), r.hint)
        found.setdefault((rule, r.group, r.message, field), finding)
    return [*found.values(), *placed]
