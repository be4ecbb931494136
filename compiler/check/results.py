"""Check stage: gates on the evaluation results — declared acceptance thresholds, and results for every level
of every evaluation factor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compiler._util.fieldpath import FieldPath
from compiler.check.findings import MODEL_GROUP, Raw
from compiler.schema import Source
from compiler.schema.evaluation import MISSING_LEVEL
from compiler.schema.governance import Criterion

_OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}


@dataclass(frozen=True)
class Acceptance:
    """Each declared criterion with its status (the report's acceptance table), and the findings."""

    rows: list[dict[str, str]]
    found: list[Raw]


def check_acceptance(source: Source) -> Acceptance:
    """Declared thresholds against the (resolved) results: per criterion pass, fail or cannot-check."""
    rows: list[dict[str, str]] = []
    found: list[Raw] = []
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
            found.append(Raw(MODEL_GROUP, f"criterion '{c.id}' ({label}): {problem}", where, hint))
    return Acceptance(rows, found)


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
        # The gap is between declared levels; rows with no value ("(missing)") are a warning of their own.
        return [
            r
            for r in source.evaluation.results
            if r.metric == c.metric
            and list(r.slice) == [c.factor]
            and MISSING_LEVEL not in r.slice.values()
            and op_ok(r)
        ]
    return [r for r in source.evaluation.results if r.metric == c.metric and r.slice == c.slice and op_ok(r)]


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


def subgroup_gaps(source: Source, is_resolved: bool) -> list[Raw]:
    """Levels of evaluation factors without results (for each metric reported for that factor) and without a
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
                Raw(
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
                    Raw(
                        MODEL_GROUP,
                        f"no results for {fid}={level}: {', '.join(missing)}",
                        ("factors", "relevant", i, "levels", j),
                        f"add the results, or a written reason under factors.relevant[{i}].justification.{level}",
                    )
                )
    return found


def missing_levels(source: Source) -> list[Raw]:
    """Factors whose computed results include rows without a value (the level "(missing)")."""
    found = []
    for i, factor in enumerate(source.factors.relevant):
        cells = [r for r in source.evaluation.results if r.slice == {factor.id: MISSING_LEVEL}]
        if not cells:
            continue
        rows = max((r.n for r in cells if r.metric == "auroc" and isinstance(r.n, int)), default=None)
        counted = f"{rows} row(s)" if rows is not None else "some rows"
        found.append(
            Raw(
                MODEL_GROUP,
                f"{counted} of the predictions have no value for factor '{factor.id}'; "
                f"their results are reported under the level '{MISSING_LEVEL}'",
                ("factors", "relevant", i),
                "fill in the group column of the predictions file, or say in the documents why the values are missing",
            )
        )
    return found
