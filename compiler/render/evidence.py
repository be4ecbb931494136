"""Render stage helper: the evidence appendix's rows — declared sources, computed results and locked facts.

Which field locates a source, which sources can be synthetic and how each computed entry's intervals
were made are decided here, per kind, so that templates only lay the rows out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from compiler.render.formats import number
from compiler.schema import Source
from compiler.schema.governance import (
    EvidenceSource,
    MlflowSource,
    PredictionsSource,
    SagemakerSource,
    TimeseriesSource,
)


@dataclass(frozen=True)
class EvidenceRow:
    """One declared evidence source."""

    id: str
    kind: str
    """mlflow, wandb, sagemaker, neptune, file, predictions or timeseries."""
    location: str
    """Where it is read from: the tracking URI of an MLflow store, a SageMaker endpoint (or region), else the path."""
    location_field: str
    """The source field that holds the location: `tracking_uri`, `endpoint_url`, `region` or `path`."""
    synthetic: bool
    """A predictions file or time series marked as synthetic demonstration data."""


@dataclass(frozen=True)
class ComputedRow:
    """One `evaluation.computed` entry as locked by `docs-compile resolve`."""

    used_by: str
    """The source field it fills, e.g. `evaluation.computed[0]`."""
    path: str
    """The predictions file, relative to the model's folder."""
    sha256: str
    synthetic: bool
    rows: int
    """Rows of the predictions file."""
    results: int
    """Results computed from it."""
    intervals: str
    """How its 95% intervals were computed, in words."""


def evidence_rows(source: Source) -> list[EvidenceRow]:
    """The declared evidence sources, in source order."""
    rows = []
    for declared in source.evidence.sources:
        synthetic = isinstance(declared, (PredictionsSource, TimeseriesSource)) and declared.synthetic
        rows.append(EvidenceRow(declared.id, declared.kind, *_location(declared), synthetic))
    return rows


def _location(declared: EvidenceSource) -> tuple[str, str]:
    """Where a source is read from, and the source field that says so."""
    if isinstance(declared, MlflowSource):
        return declared.tracking_uri, "tracking_uri"
    if isinstance(declared, SagemakerSource):
        return (declared.endpoint_url, "endpoint_url") if declared.endpoint_url else (declared.region, "region")
    return declared.path, "path"


def computed_rows(provenance: Mapping[str, Any]) -> list[ComputedRow]:
    """The computed entries of a model's provenance, in source order; none when nothing is computed."""
    rows = []
    for entry in provenance.get("computed") or []:
        rows.append(
            ComputedRow(
                used_by=str(entry["used_by"]),
                path=str(entry["path"]),
                sha256=str(entry["sha256"]),
                synthetic=bool(entry.get("synthetic")),
                rows=int(entry["rows"]),
                results=int(entry["results"]),
                intervals=intervals(str(entry["spec"]["ci"]), int(entry["resamples"]), int(entry["seed"])),
            )
        )
    return rows


def intervals(method: str, resamples: int, seed: int) -> str:
    """The interval method of a computed entry (`ci`: auto, wilson or bootstrap) in words (docs/statistics.md)."""
    bootstrap = f"BCa bootstrap stratified by label ({number(resamples)} resamples, seed {seed})"
    if method == "bootstrap":
        return f"{bootstrap} for every metric; Wilson score for prevalence"
    return f"Wilson score for proportions; score interval (Hanley–McNeil variance) for AUROC; {bootstrap} for F1"


def provenance_rows(provenance: Mapping[str, Any]) -> list[dict[str, str]]:
    """The locked facts as table rows: key, value, where it came from, and the rest of its provenance."""
    rows = []
    facts = provenance.get("facts", provenance)
    for key, fact in sorted(facts.items()) if isinstance(facts, dict) else []:
        info = fact if isinstance(fact, dict) else {"value": fact}
        details = "; ".join(f"{k}: {v}" for k, v in sorted(info.items()) if k not in ("value", "source"))
        rows.append(
            {
                "key": str(key),
                "value": str(info.get("value", "—")),
                "source": str(info.get("source", "—")),
                "details": details or "—",
            }
        )
    return rows


@dataclass(frozen=True)
class FactRow:
    """One locked fact for readers: what it is, its value and interval, and what is particular to it."""

    label: str
    """What the fact is, in words: 'Sensitivity, operating point high-sensitivity, size = large'."""
    key: str
    """The fact reference as the source writes it (its interval bounds folded in)."""
    value: str
    interval: str
    """'low–high' when the lock holds the fact's interval bounds, else empty."""
    n: str
    """The count the value is computed on, when the lock holds it (`#n`), else empty."""
    details: tuple[tuple[str, str], ...]
    """Labelled provenance fields that differ between the facts of its source."""


@dataclass(frozen=True)
class FactGroup:
    """The locked facts of one evidence source, with the provenance they all share said once."""

    source: str
    common: tuple[tuple[str, str], ...]
    facts: tuple[FactRow, ...]


_FOLDED = {"ci_low": 0, "ci_high": 1, "n": 2}
"""Fragments of a reference that are a part of the fact it names: its interval bounds and count."""
_IN_LABEL = frozenset({"value", "source", "metric", "slice"})
_PER_FACT = frozenset({"flag", "method"})
"""Fields that describe one fact's cell, never its source: said on the fact's row even when all rows agree."""
_FIELD_NAMES = {
    "flag": "Note",
    "sha256": "SHA-256",
    "run_id": "Run ID",
    "ci_method": "Interval",
    "url": "URL",
    "uri": "URI",
}


def fact_groups(provenance: Mapping[str, Any], metric_name: Callable[[str], str]) -> list[FactGroup]:
    """The locked facts grouped by evidence source (sorted by source, then by reference): a fact's interval bounds
    and count (`#ci_low`, `#ci_high`, `#n`) on its row, and the provenance every fact of a source shares said once."""
    facts = provenance.get("facts", provenance)
    if not isinstance(facts, dict):
        return []
    bases: dict[str, dict[str, Any]] = {}
    parts: dict[str, list[str]] = {}
    for key, fact in facts.items():
        info = fact if isinstance(fact, dict) else {"value": fact}
        base, _, part = str(key).rpartition("#")
        if base and part in _FOLDED:
            parts.setdefault(base, ["", "", ""])[_FOLDED[part]] = str(info.get("value", ""))
            bases.setdefault(base, {**info, "value": None})
        else:
            bases[str(key)] = info
    by_source: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for key, info in sorted(bases.items()):
        by_source.setdefault(str(info.get("source", "—")), []).append((key, info))
    return [_group(source, members, parts, metric_name) for source, members in sorted(by_source.items())]


def _group(
    source: str,
    members: list[tuple[str, dict[str, Any]]],
    parts: Mapping[str, list[str]],
    metric_name: Callable[[str], str],
) -> FactGroup:
    fields = sorted({k for _, info in members for k in info} - _IN_LABEL)
    shared = [
        f for f in fields if f not in _PER_FACT and len({_shown(info.get(f)) for _, info in members}) == 1
    ] if len(members) > 1 else []  # fmt: skip
    common = tuple((_field_name(f), _shown(members[0][1].get(f))) for f in shared if members[0][1].get(f) is not None)
    rows = []
    for key, info in members:
        low, high, n = parts.get(key, ("", "", ""))
        value = info.get("value")
        details = tuple(
            (_field_name(f), _shown(info[f])) for f in fields if f not in shared and info.get(f) is not None
        )
        rows.append(
            FactRow(
                label=_fact_label(key, info, metric_name),
                key=key,
                value="—" if value is None else _shown(value),
                interval=f"{low}–{high}" if low and high else "",
                n=n,
                details=details,
            )
        )
    return FactGroup(source, common, tuple(rows))


def _fact_label(key: str, info: Mapping[str, Any], metric_name: Callable[[str], str]) -> str:
    """What a fact is: its metric, operating point and slice when the lock says so, else its reference's path."""
    rest = key.split("://", 1)[-1]
    if info.get("metric"):
        point = rest.split("@", 1)[1].split("?", 1)[0].split("#", 1)[0] if "@" in rest else ""
        where = info.get("slice") or {}
        parts = [metric_name(str(info["metric"]))]
        parts += [f"operating point {point}"] if point else []
        parts.append(", ".join(f"{k} = {v}" for k, v in sorted(where.items())) if where else "overall")
        return ", ".join(parts)
    path = rest.split("/", 1)[1] if "/" in rest else rest
    return path.replace("/", " › ")


def _field_name(field: str) -> str:
    return _FIELD_NAMES.get(field, field.replace("_", " ").capitalize())


def _shown(value: Any) -> str:
    """A provenance value in words: yes/no, `k = v` pairs, comma-separated lists."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} = {_shown(v)}" for k, v in sorted(value.items())) or "—"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "—"
    return str(value)
