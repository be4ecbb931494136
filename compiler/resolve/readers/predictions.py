"""Resolve stage: metrics computed from a predictions file (`evaluation.computed`, `computed://…`)."""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from compiler._util.hashing import sha256_file
from compiler.errors import ConfigError
from compiler.resolve.metrics import SUPPORTED, Cell, Estimate, estimate_all
from compiler.resolve.paths import existing_file
from compiler.resolve.readers.base import Fact, Reader
from compiler.resolve.readers.files import MAX_EVIDENCE_BYTES
from compiler.resolve.refs import FactError, Reference
from compiler.schema.evaluation import Computed
from compiler.schema.governance import PredictionsSource

BOOTSTRAP_DRAWS = 10_000_000
"""Bootstrap draws one computed entry may take: its slices (overall, each level, each intersection) times
the source's resamples. Raise it with DOCS_COMPILE_LIMIT_BOOTSTRAP_DRAWS (like the bounds of load/limits.py)."""
BOOTSTRAP_DRAWS_ENV = "DOCS_COMPILE_LIMIT_BOOTSTRAP_DRAWS"


def bootstrap_draws_limit() -> int:
    """BOOTSTRAP_DRAWS, or the whole number of 1 or more set in DOCS_COMPILE_LIMIT_BOOTSTRAP_DRAWS."""
    raw = os.environ.get(BOOTSTRAP_DRAWS_ENV, "").strip()
    if not raw:
        return BOOTSTRAP_DRAWS
    value = int(raw.replace("_", "")) if raw.replace("_", "").isdigit() else 0
    if value < 1:
        raise ConfigError(f"{BOOTSTRAP_DRAWS_ENV}={raw!r}: expected a whole number of 1 or more")
    return value


def _check_bootstrap_work(block: Computed, source: PredictionsSource, levels: dict[str, list[str]]) -> None:
    """Refuse, before any slice is built, an entry whose slices times resamples exceed the bound."""
    slices = 1 + sum(len(levels.get(g, [])) for g in block.groups)
    slices += sum(math.prod(len(levels.get(f, [])) for f in combo) for combo in block.intersections)
    draws, limit = slices * source.resamples, bootstrap_draws_limit()
    if draws > limit:
        raise FactError(
            f"{slices:,} slices x {source.resamples:,} resamples is {draws:,} bootstrap draws, more than the limit of {limit:,}",
            f"lower `resamples` of predictions source '{source.id}', compute fewer groups or intersections, "
            f"or raise {BOOTSTRAP_DRAWS_ENV}",
        )


MISSING = "(missing)"
"""The level given to rows whose group value is empty, so that they are counted, never dropped."""
THRESHOLD_RULE = "a case is positive when its score >= the operating point's threshold"

_LABELS = {"0": False, "1": True, "0.0": False, "1.0": True, "false": False, "true": True}
_FIELDS = ("value", "ci_low", "ci_high", "n")


@dataclass
class Table:
    """A predictions file as arrays: labels, scores and one text column per group (empty cells read as MISSING)."""

    path: str
    sha256: str
    y: Any
    s: Any
    groups: dict[str, list[str]]

    @property
    def rows(self) -> int:
        return len(self.y)


def _columns_csv(path: Path, shown: str) -> dict[str, list[str]]:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    lines = text.splitlines(keepends=True)
    # Leading '#' lines are a comment header (e.g. "synthetic demonstration data"), not rows.
    skipped = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    reader = csv.reader(io.StringIO("".join(lines[skipped:])))
    try:
        header = next(reader, None)
        if not header:
            raise FactError(f"{shown} is empty", "write a header row: label,score,<group columns>")
        columns: dict[str, list[str]] = {name: [] for name in header}
        for line, row in enumerate(reader, start=skipped + 2):
            if len(row) != len(header):
                raise FactError(f"{shown}:{line}: {len(row)} cells, the header has {len(header)}", "fix the row")
            for name, cell in zip(header, row, strict=True):
                columns[name].append(cell)
    except csv.Error as exc:  # e.g. a field longer than csv.field_size_limit()
        raise FactError(f"{shown}:{skipped + reader.line_num + 1}: not valid CSV: {exc}") from None
    return columns


def _columns_parquet(path: Path) -> dict[str, list[str]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise FactError("reading Parquet needs pyarrow", "pip install 'docs-compile[parquet]', or write CSV") from None
    return {k: ["" if v is None else str(v) for v in vals] for k, vals in pq.read_table(path).to_pydict().items()}


def read_predictions(folder: Path, source: PredictionsSource) -> Table:
    """Read and check a predictions file: every label 0/1, every score a finite number."""
    import numpy as np

    path = existing_file(folder, source.path, "predictions file")
    if path.stat().st_size > 16 * MAX_EVIDENCE_BYTES:
        raise FactError(f"{source.path} is larger than {16 * MAX_EVIDENCE_BYTES // 2**20} MB", "")
    parquet = path.suffix.lower() in (".parquet", ".pq")
    columns = _columns_parquet(path) if parquet else _columns_csv(path, source.path)
    missing = [c for c in (source.label, source.score, *source.groups) if c not in columns]
    if missing:
        raise FactError(
            f"{source.path} has no column {', '.join(repr(c) for c in missing)}", f"columns: {', '.join(columns)}"
        )
    labels = []
    for i, cell in enumerate(columns[source.label]):
        if cell.strip().lower() not in _LABELS:
            raise FactError(
                f"{source.path}: row {i + 1}: label {cell!r} is not 0 or 1", "labels are 0 (negative) or 1 (positive)"
            )
        labels.append(_LABELS[cell.strip().lower()])
    scores = []
    for i, cell in enumerate(columns[source.score]):
        try:
            value = float(cell)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise FactError(f"{source.path}: row {i + 1}: score {cell!r} is not a finite number", "")
        scores.append(value)
    groups = {g: [c.strip() or MISSING for c in columns[g]] for g in source.groups}
    return Table(source.path, sha256_file(path), np.array(labels, dtype=bool), np.array(scores, dtype=float), groups)


def with_missing(declared: Sequence[str], column: Sequence[str]) -> list[str]:
    """A factor's declared levels, then MISSING when some rows have no value for it."""
    return [*declared, MISSING] if MISSING in column and MISSING not in declared else list(declared)


def _slice_key(slice_: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(slice_.items())) or "overall"


def result_dicts(
    estimates: Sequence[tuple[str | None, Estimate]], slice_: dict[str, str], source_id: str, dataset: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Estimates as `evaluation.results` entries, and the undefined ones with their reason."""
    results, omitted = [], []
    for op, e in estimates:
        base: dict[str, Any] = {"metric": e.metric, "slice": dict(slice_), "n": e.n}
        if op is not None:
            base["operating_point"] = op
        if dataset:
            base["dataset"] = dataset
        if e.value is None:
            omitted.append({**base, "reason": e.undefined, **({"flag": "; ".join(e.flags)} if e.flags else {})})
            continue
        entry = {**base, "value": round(e.value, 6), "source": f"computed://{source_id}"}
        if e.ci_low is not None and e.ci_high is not None:
            entry.update(ci_low=round(e.ci_low, 6), ci_high=round(e.ci_high, 6), ci_method=e.method)
        if e.flags:
            entry["flag"] = "; ".join(e.flags)
        results.append(entry)
    return results, omitted


class PredictionsReader(Reader):
    """Computes metrics from predictions files; resolves `computed://` references and `evaluation.computed`."""

    scheme = "computed"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tables: dict[str, Table] = {}

    def table(self, source_id: str) -> tuple[PredictionsSource, Table]:
        source = self.context.sources.get(source_id)
        if not isinstance(source, PredictionsSource):
            kinds = [s.id for s in self.context.sources.values() if s.kind == "predictions"]
            what = f"is a {source.kind} source" if source else "is not declared"
            raise FactError(
                f"evidence source '{source_id}' {what}", f"predictions sources: {', '.join(kinds) or 'none'}"
            )
        if source_id not in self._tables:
            self._tables[source_id] = read_predictions(self.context.folder, source)
        return source, self._tables[source_id]

    def operating_points(self, wanted: Sequence[str] = ()) -> list[tuple[str, float]]:
        """Declared operating points (thresholds resolved when they are references), in order."""
        points: list[tuple[str, float]] = []
        for output in self.context.source.system.outputs:
            for op in output.operating_points:
                threshold = op.threshold
                if isinstance(threshold, str):
                    fact = self.context.resolved.get(threshold)
                    if fact is None or isinstance(fact.value, bool) or not isinstance(fact.value, (int, float)):
                        raise FactError(f"the threshold of operating point '{op.id}' is not a resolved number", "")
                    threshold = float(fact.value)
                points.append((op.id, float(threshold)))
        if wanted:
            known = dict(points)
            return [(op, known[op]) for op in wanted if op in known]
        return points

    def _cell(self, source: PredictionsSource, table: Table, slice_: dict[str, str]) -> Cell:
        import numpy as np

        mask = np.ones(table.rows, dtype=bool)
        for factor, level in slice_.items():
            if factor not in table.groups:
                raise FactError(
                    f"'{factor}' is not a group column of predictions source '{source.id}'",
                    f"group columns: {', '.join(table.groups) or 'none'}",
                )
            mask &= np.array(table.groups[factor]) == level
        return Cell(table.y[mask], table.s[mask], _slice_key(slice_), source.seed, source.resamples)

    def _provenance(self, source: PredictionsSource, table: Table) -> dict[str, Any]:
        return {
            "kind": "computed",
            "source": source.id,
            "path": table.path,
            "sha256": table.sha256,
            "rows": table.rows,
            "resamples": source.resamples,
            "seed": source.seed,
            "synthetic": source.synthetic,
            "reader": self.reader_version(),
        }

    def resolve(self, ref: Reference) -> Fact:
        source_id, _, rest = ref.body.partition("/")
        head, _, query = rest.partition("?")
        metric, _, op = head.partition("@")
        if metric not in SUPPORTED:
            raise FactError(f"cannot compute metric '{metric}'", f"computable: {', '.join(sorted(SUPPORTED))}")
        field = ref.fragment.strip("/") or "value"
        if field not in _FIELDS:
            raise FactError(
                f"'#{ref.fragment}' is not a field of a computed result", f"use one of: {', '.join(_FIELDS)}"
            )
        source, table = self.table(source_id)
        slice_ = dict(parse_qsl(query, keep_blank_values=True))
        points = self.operating_points([op] if op else [])
        if op and not points:
            raise FactError(f"no operating point '{op}'", "declare it under system.outputs[].operating_points")
        cell = self._cell(source, table, slice_)
        if cell.n == 0:
            raise FactError(f"no rows in {table.path} for {_slice_key(slice_)}", "check the level names")
        _, estimate = estimate_all(cell, [metric], points[:1] or [("default", 0.5)], "auto")[0]
        if estimate.value is None:
            raise FactError(f"{estimate.undefined} for {_slice_key(slice_)}", "")
        value = {
            "value": round(estimate.value, 6),
            "ci_low": estimate.ci_low,
            "ci_high": estimate.ci_high,
            "n": estimate.n,
        }[field]
        if value is None:
            raise FactError(f"no interval for {metric} in {_slice_key(slice_)}", "")
        provenance = self._provenance(source, table) | {"metric": metric, "slice": slice_, "method": estimate.method}
        if estimate.flags:
            provenance["flag"] = "; ".join(estimate.flags)
        return Fact(round(value, 6) if isinstance(value, float) else value, provenance)

    def compute(self, block: Computed, levels: dict[str, list[str]]) -> dict[str, Any]:
        """Results of one `evaluation.computed` entry: overall, per level of each group, per intersection."""
        unknown = [m for m in block.metrics if m not in SUPPORTED]
        if unknown:
            raise FactError(f"cannot compute metric '{unknown[0]}'", f"computable: {', '.join(sorted(SUPPORTED))}")
        source, table = self.table(block.source)
        points = self.operating_points(block.operating_points)
        if not points and any(m != "auroc" for m in block.metrics):
            raise FactError(
                "threshold metrics need an operating point", "declare one under system.outputs[].operating_points"
            )
        factors = {*block.groups, *itertools.chain.from_iterable(block.intersections)}
        for factor in factors:
            self._check_levels(source, table, factor, levels)
        levels = {f: with_missing(levels.get(f, []), table.groups[f]) for f in factors}
        _check_bootstrap_work(block, source, levels)
        slices: list[dict[str, str]] = [{}]
        for factor in block.groups:
            slices += [{factor: level} for level in levels[factor]]
        for combo in block.intersections:
            slices += [
                dict(zip(combo, chosen, strict=True)) for chosen in itertools.product(*(levels[f] for f in combo))
            ]
        results: list[dict[str, Any]] = []
        omitted: list[dict[str, Any]] = []
        for slice_ in slices:
            cell = self._cell(source, table, slice_)
            if cell.n == 0:
                omitted.append(
                    {
                        "slice": slice_,
                        "n": 0,
                        "reason": "no rows",
                        **({"dataset": block.dataset} if block.dataset else {}),
                    }
                )
                continue
            found, missing = result_dicts(
                estimate_all(cell, block.metrics, points, block.ci), slice_, source.id, block.dataset
            )
            results += found
            omitted += missing
        blanks = {f: table.groups[f].count(MISSING) for f in sorted(factors) if MISSING in table.groups[f]}
        return {
            **self._provenance(source, table),
            "spec": block.model_dump(mode="json"),
            "thresholds": dict(points),
            "threshold_rule": THRESHOLD_RULE,
            **({"missing": blanks} if blanks else {}),
            "results": results,
            "omitted": omitted,
        }

    def _check_levels(self, source: PredictionsSource, table: Table, factor: str, levels: dict[str, list[str]]) -> None:
        if factor not in table.groups:
            raise FactError(
                f"factor '{factor}' is not a group column of predictions source '{source.id}'",
                f"add it to the source's `groups:` (columns: {', '.join(table.groups) or 'none'})",
            )
        declared = levels.get(factor, [])
        stray = sorted(set(table.groups[factor]) - set(declared) - {MISSING})
        if stray:
            raise FactError(
                f"column '{factor}' of {table.path} holds level(s) {', '.join(repr(v) for v in stray[:5])} that factor '{factor}' does not declare",
                f"declared levels: {', '.join(declared) or 'none'}; add them under factors.relevant",
            )
