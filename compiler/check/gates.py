"""Check stage: release gates per model and audience — completeness, framework coverage, acceptance
thresholds, subgroup coverage, sign-offs, review policy, readability and fact lock drift.

Gates never raise for a failed gate: they return a `CheckReport` of findings whose severity comes from the
project configuration; the CLI turns errors into exit code 1. Input mistakes still raise CompilerError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from compiler._util.fieldpath import FieldPath, dotted
from compiler.check.coverage import MISSING, PARTIAL, Summary, assess, summarise
from compiler.check.signoff import SignoffRow, canonical_sha256, signoff_rows
from compiler.config.audiences import Audience
from compiler.config.project import ProjectConfig, RuleName
from compiler.errors import CompilerError, Location
from compiler.load.reader import LoadedModel
from compiler.schema import Source
from compiler.schema.governance import Criterion
from compiler.schema.paths import PathSyntaxError, is_placeholder, select, unfilled
from compiler.validate.project import Catalog, ValidModel

_NOWHERE = Location("")
MODEL_GROUP = "model"
FRAMEWORK_GROUP = "frameworks"


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


@dataclass
class _Raw:
    """A finding before the configured severity is applied."""

    rule: RuleName
    group: str
    message: str
    path: FieldPath = ()
    hint: str = ""


# --- entry points ----------------------------------------------------------------------------------


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
    """Every gate for one model."""
    from compiler.check.diff import resolved

    source, is_resolved = resolved(model)
    data = source.model_dump(mode="json")
    mine = [a for a in audiences if a.applies(source.model.domain)]
    raw: list[_Raw] = []
    for audience in mine:
        raw += completeness(audience, data)
        raw += readability(audience, data)
    framework_ids = sorted({f for a in mine for f in a.config.frameworks})
    assessments = assess(source, framework_ids)
    raw += framework_findings(assessments, mine)
    criteria, acceptance_raw = acceptance(source)
    raw += acceptance_raw
    raw += subgroup_coverage(source, is_resolved)
    rows = signoff_rows(model.loaded, model.source)
    policy_raw, exempt = review_policy(model, source, released, config, acceptance_failed=bool(acceptance_raw))
    raw += policy_raw
    raw += stale_signoffs(rows, exempt)
    for audience in mine:
        raw += [
            _Raw(
                "signoff-missing",
                audience.name,
                f"the {audience.name} audience requires a sign-off of '{r.section}' by role '{r.role}'",
                _section_path(r.section),
                f"docs-compile sign {model.id} --section {r.section} --reviewer NAME --role {r.role}",
            )
            for r in signoff_rows(model.loaded, model.source, audience)
            if r.status == "missing"
        ]
    findings = _apply(raw, model, config)
    findings += [
        Finding("lock-drift", config.severity("lock-drift"), model.id, MODEL_GROUP, msg, location=loc)
        for msg, loc in drift or []
        if config.severity("lock-drift") != "off"
    ]
    return ModelReport(
        model=model.id,
        version=str(source.model.version),
        resolved=is_resolved,
        audiences=[a.name for a in mine],
        coverage=summarise(assessments),
        criteria=criteria,
        signoffs=rows,
        findings=sorted(findings, key=_order),
    )


def _order(f: Finding) -> tuple[Any, ...]:
    group_rank = 2 if f.group == MODEL_GROUP else 1 if f.group == FRAMEWORK_GROUP else 0
    return (group_rank, f.group, f.location.file, f.location.line, f.location.column, f.rule, f.message)


def _apply(raw: list[_Raw], model: ValidModel, config: ProjectConfig) -> list[Finding]:
    found: dict[tuple[str, str, str, str], Finding] = {}
    for r in raw:
        severity = config.severity(r.rule)
        if severity == "off":
            continue
        finding = Finding(
            r.rule, severity, model.id, r.group, r.message, dotted(r.path), model.loaded.locate(r.path), r.hint
        )
        found.setdefault((r.rule, r.group, r.message, finding.field), finding)
    return list(found.values())


def _section_path(section: str) -> FieldPath:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", section))


# --- completeness and frameworks -------------------------------------------------------------------


def _describe_gap(data: dict[str, Any], gap: FieldPath) -> str:
    value: Any = data
    for key in gap:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            value = None
    if is_placeholder(value):
        return f'is a placeholder ("{value.strip()}")'
    if isinstance(value, list) and any(is_placeholder(v) for v in value):
        return "holds only placeholders"
    return "is empty" if value not in (None, False) else "is missing"


def completeness(audience: Audience, data: dict[str, Any]) -> list[_Raw]:
    """Every field the audience requires is present, not empty and not a placeholder."""
    found = []
    for path in audience.config.requires:
        try:
            gaps = unfilled(data, path)
        except PathSyntaxError as exc:
            raise CompilerError.at(f"{audience.folder}/audience.yaml", str(exc), field="requires") from None
        for gap in gaps:
            found.append(
                _Raw(
                    "completeness",
                    audience.name,
                    f"required by the {audience.name} audience ({audience.config.title}) but {_describe_gap(data, gap)}",
                    gap,
                    "write the content, or remove the requirement from the audience",
                )
            )
    return found


def framework_findings(assessments: Iterable[Any], audiences: list[Audience]) -> list[_Raw]:
    """Requirements that apply and are not (fully) documented, named by framework and item."""
    reporting: dict[str, list[str]] = {}
    for a in audiences:
        for fid in a.config.frameworks:
            reporting.setdefault(fid, []).append(a.name)
    found = []
    for a in assessments:
        row = a.row
        if row.status not in (MISSING, PARTIAL):
            continue
        missing = sorted({dotted(g) for g in a.gaps})
        where = a.gaps[0] if a.gaps else ()
        what = "not documented" if row.status == MISSING else "documented in part"
        found.append(
            _Raw(
                "framework-missing" if row.status == MISSING else "framework-partial",
                FRAMEWORK_GROUP,
                f"{row.framework} {row.requirement_id} ({row.citation}): {what}: {row.text} "
                f"[reported to: {', '.join(reporting.get(row.framework, []))}]",
                where,
                "fill " + ", ".join(missing),
            )
        )
    return found


# --- acceptance and subgroups ----------------------------------------------------------------------


def _describe(r: Any) -> str:
    parts = [f"dataset {r.dataset}" if r.dataset else "", f"at {r.operating_point}" if r.operating_point else ""]
    parts.append(", ".join(f"{k}={v}" for k, v in sorted(r.slice.items())) or "overall")
    return " ".join(p for p in parts if p)


def _matching(source: Source, c: Criterion) -> list[Any]:
    default_ops = {op.id for out in source.system.outputs for op in out.operating_points if op.default}

    def op_ok(r: Any) -> bool:
        if c.dataset and r.dataset != c.dataset:
            return False
        return (
            r.operating_point == c.operating_point if c.operating_point else r.operating_point in {None, *default_ops}
        )

    if c.statistic == "max_gap":
        return [
            r for r in source.evaluation.results if r.metric == c.metric and list(r.slice) == [c.factor] and op_ok(r)
        ]
    return [r for r in source.evaluation.results if r.metric == c.metric and r.slice == c.slice and op_ok(r)]


_OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}


def acceptance(source: Source) -> tuple[list[dict[str, str]], list[_Raw]]:
    """Declared thresholds against the (resolved) results: per criterion pass, fail or cannot-check."""
    rows: list[dict[str, str]] = []
    found: list[_Raw] = []
    for i, c in enumerate(source.acceptance.criteria if source.acceptance else []):
        where: FieldPath = ("acceptance", "criteria", i)
        label = f"{c.metric} {c.statistic}" + (f" of {c.factor}" if c.factor else "") + f" {c.op} {c.threshold}"
        problems = _criterion_problems(source, c)
        status = "fail" if problems else "pass"
        if problems and all(p.startswith("cannot check") for p in problems):
            status = "cannot-check"
        rows.append({"id": c.id, "criterion": label, "status": status, "detail": "; ".join(problems)})
        for problem in problems:
            hint = "run `docs-compile resolve` first" if problem.startswith("cannot check") else ""
            found.append(_Raw("acceptance", MODEL_GROUP, f"criterion '{c.id}' ({label}): {problem}", where, hint))
    return rows, found


def _criterion_problems(source: Source, c: Criterion) -> list[str]:
    if isinstance(c.threshold, str):
        return [f"cannot check: the threshold is an unresolved fact reference ({c.threshold})"]
    results = _matching(source, c)
    if not results:
        what = f"per level of {c.factor}" if c.statistic == "max_gap" else _slice_text(c.slice)
        return [
            f"cannot check: no result for {c.metric} {what}" + (f" at {c.operating_point}" if c.operating_point else "")
        ]
    if c.statistic == "max_gap":
        return _gap_problems(c, results)
    problems = []
    for r in results:
        value = getattr(r, c.statistic)
        if value is None:
            problems.append(f"{_describe(r)} has no {c.statistic}")
        elif isinstance(value, str):
            problems.append(f"cannot check: {_describe(r)} {c.statistic} is an unresolved fact reference ({value})")
        elif not _OPS[c.op](value, c.threshold):
            problems.append(f"fails on {_describe(r)}: {c.statistic} is {value:g}")
    return problems


def _slice_text(slice_: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(slice_.items())) or "overall"


def _gap_problems(c: Criterion, results: list[Any]) -> list[str]:
    by_dataset: dict[str, list[Any]] = {}
    for r in results:
        by_dataset.setdefault(r.dataset or "", []).append(r)
    problems = []
    for dataset, rs in sorted(by_dataset.items()):
        unresolved = [r for r in rs if isinstance(r.value, str)]
        if unresolved:
            problems.append(f"cannot check: {_describe(unresolved[0])} value is an unresolved fact reference")
            continue
        if len(rs) < 2:
            continue
        low, high = min(rs, key=lambda r: r.value), max(rs, key=lambda r: r.value)
        gap = round(high.value - low.value, 6)
        if not _OPS[c.op](gap, c.threshold):
            on = f"dataset {dataset}: " if dataset else ""
            problems.append(
                f"fails on {on}gap {gap:g} between {c.factor}={high.slice[c.factor]} ({high.value:g}) "
                f"and {c.factor}={low.slice[c.factor]} ({low.value:g})"
            )
    return problems


def subgroup_coverage(source: Source, is_resolved: bool) -> list[_Raw]:
    """Every level of every evaluation factor has results (for each metric reported for that factor) or a
    written justification; the missing cells are listed."""
    factors = {f.id: (i, f) for i, f in enumerate(source.factors.relevant)}
    computed = {g for c in source.evaluation.computed for g in c.groups}
    found = []
    for fid in source.factors.evaluation:
        if fid not in factors:
            continue
        i, factor = factors[fid]
        if fid in computed and not is_resolved:
            found.append(
                _Raw(
                    "subgroup-coverage",
                    MODEL_GROUP,
                    f"cannot check factor '{fid}': its results are computed by the resolve stage",
                    ("factors", "relevant", i),
                    "run `docs-compile resolve` first",
                )
            )
            continue
        single = [r for r in source.evaluation.results if list(r.slice) == [fid]]
        metrics = sorted({r.metric for r in single})
        for j, level in enumerate(factor.levels):
            if level in factor.justification:
                continue
            have = {r.metric for r in single if r.slice[fid] == level}
            missing = [m for m in metrics if m not in have] if metrics else ["any metric"]
            if missing:
                found.append(
                    _Raw(
                        "subgroup-coverage",
                        MODEL_GROUP,
                        f"no results for {fid}={level}: {', '.join(missing)}",
                        ("factors", "relevant", i, "levels", j),
                        f"add the results, or a written reason under factors.relevant[{i}].justification.{level}",
                    )
                )
    return found


# --- sign-offs and review policy -------------------------------------------------------------------


def stale_signoffs(rows: list[SignoffRow], exempt: set[str]) -> list[_Raw]:
    """Sign-offs whose section changed since signing, unless the review policy says the change needs none."""
    return [
        _Raw(
            "signoff-stale",
            MODEL_GROUP,
            f"sign-off of '{r.section}' by {r.reviewer} ({r.role}, {r.date}) is stale: the section changed since",
            _section_path(r.section),
            f"ask for a new review, then `docs-compile sign MODEL --section {r.section} --reviewer NAME --role {r.role}`",
        )
        for r in rows
        if r.status == "stale" and r.section not in exempt
    ]


_RECORD = re.compile(r"^(?P<record>evaluation\.results\[(?P<key>[^\]]*)\])")


def _concrete(data: dict[str, Any], path: str) -> FieldPath | None:
    """The raw-data path of a diff path (results are matched by their identity key), or None."""
    from compiler.check.diff import _result_key

    record = _RECORD.match(path)
    if record:
        results = (data.get("evaluation") or {}).get("results") or []
        hits = [i for i, r in enumerate(results) if isinstance(r, dict) and _result_key(r) == record["key"]]
        return ("evaluation", "results", hits[0]) if len(hits) == 1 else None
    try:
        found = select(data, path)
    except PathSyntaxError:
        return None
    return found[0][0] if len(found) == 1 else None


def _covers(section: FieldPath, change: FieldPath) -> bool:
    """A sign-off of `section` covers a change at `change` when one contains the other."""
    n = min(len(section), len(change))
    return section[:n] == change[:n]


_WHY = {
    "always": "the review policy always needs a new sign-off for it",
    "major": "the major version changed, so the review policy needs a new sign-off",
    "outside-acceptance": (
        "it moved outside its released 95% CI or an acceptance criterion fails, so the review policy needs a new sign-off"
    ),
}


def review_policy(
    model: ValidModel, source: Source, released: ValidModel | None, config: ProjectConfig, *, acceptance_failed: bool
) -> tuple[list[_Raw], set[str]]:
    """Apply the review policy to the semantic diff against the last released version.

    Returns the changes that need a fresh sign-off and lack one, and the sections whose stale sign-off the
    policy excuses (every change to them since the release needs no review, and the sign-off held at release).
    """
    if released is None:
        return [], set()
    from compiler.check.diff import diff_sources, resolved

    old = resolved(released)[0]
    report = diff_sources(old, source, "released", "current")
    outside = {m.path for m in report.metrics if m.outside_old_ci}
    needing: dict[str, tuple[FieldPath, str]] = {}
    for change in report.changes:
        need = config.review_policy.need(change.path)
        record = _RECORD.match(change.path)
        # A result is one record: its value and interval changing together is one change to review.
        path = record["record"] if record else change.path
        requires = (
            need == "always"
            or (need == "major" and report.major_version_change)
            or (need == "outside-acceptance" and (acceptance_failed or path in outside))
        )
        if requires:
            concrete = _concrete(model.loaded.data, path) or _section_path(path.split("[", 1)[0])
            needing.setdefault(path, (concrete, need))
    found: list[_Raw] = []
    for path, (concrete, reason) in needing.items():
        covering = [rv for rv in source.reviews if _covers(_section_path(rv.section), concrete)]
        if any(_fresh(model.loaded, rv.section, rv.sha256) for rv in covering):
            continue
        found.append(
            _Raw(
                "review-policy",
                MODEL_GROUP,
                f"'{path}' changed since the released version {report.old_version}; {_WHY[reason]}",
                concrete,
                f"docs-compile sign {model.id} --section {'.'.join(str(p) for p in concrete[:1])} --reviewer NAME --role ROLE",
            )
        )
    exempt = set()
    for rv in source.reviews:
        section = _section_path(rv.section)
        touched = [c for c, _ in needing.values() if _covers(section, c)]
        if not touched and _fresh(released.loaded, rv.section, rv.sha256):
            exempt.add(rv.section)
    return found, exempt


def _fresh(loaded: LoadedModel, section: str, sha256: str) -> bool:
    try:
        return canonical_sha256(loaded.data, section) == sha256
    except KeyError:
        return False


def readability(audience: Audience, data: dict[str, Any]) -> list[_Raw]:
    """The audience's plain-language fields at or below its reading-grade target."""
    target = audience.config.readability
    if target is None:
        return []
    from compiler.check.readability import collect, score

    texts = collect(data, target.fields)
    if not texts:
        return []
    result = score(texts)
    if result.grade <= target.max_grade:
        return []
    hardest = "; ".join(f'"{s.text}" (grade {s.grade:g}, {dotted(s.path)})' for s in result.hardest)
    return [
        _Raw(
            "readability",
            audience.name,
            f"Flesch-Kincaid grade {result.grade:g} is above the {audience.name} target of {target.max_grade:g} "
            f"({result.words} words, {result.sentences} sentences); hardest: {hardest}",
            result.hardest[0].path if result.hardest else (),
            "use shorter sentences and everyday words",
        )
    ]
