"""Render stage helper: the evidence appendix's rows — declared sources, computed results and locked facts.

Which field locates a source, which sources can be synthetic and how each computed entry's intervals
were made are decided here, per kind, so that templates only lay the rows out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compiler.render.formats import number
from compiler.schema import Source
from compiler.schema.governance import MlflowSource, PredictionsSource, TimeseriesSource


@dataclass(frozen=True)
class EvidenceRow:
    """One declared evidence source."""

    id: str
    kind: str
    """mlflow, wandb, file, predictions or timeseries."""
    location: str
    """Where it is read from: the tracking URI of an MLflow store, else the path."""
    location_field: str
    """The source field that holds the location: `tracking_uri` or `path`."""
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
        field = "tracking_uri" if isinstance(declared, MlflowSource) else "path"
        synthetic = isinstance(declared, (PredictionsSource, TimeseriesSource)) and declared.synthetic
        rows.append(EvidenceRow(declared.id, declared.kind, getattr(declared, field), field, synthetic))
    return rows


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
    """The interval method of a computed entry (`ci`: wilson, bootstrap or auto) in words."""
    bootstrap = f"percentile bootstrap stratified by label ({number(resamples)} resamples, seed {seed})"
    if method == "wilson":
        return "Wilson score"
    if method == "bootstrap":
        return bootstrap
    return f"Wilson score for proportions; {bootstrap} for AUROC and F1"


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
