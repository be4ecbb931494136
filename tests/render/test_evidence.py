"""Render stage: the evidence appendix's rows (compiler/render/evidence.py) — where each kind of source is
read from, which can be synthetic, and how computed intervals are described."""

from __future__ import annotations

from typing import Any

from helpers.project import minimal_source

from compiler.render.evidence import ComputedRow, EvidenceRow, computed_rows, evidence_rows, intervals
from compiler.schema import Source


def _source(sources: list[dict[str, Any]]) -> Source:
    data = minimal_source()
    data["evidence"] = {"sources": sources}
    return Source.model_validate(data)


def test_each_kind_of_source_is_located_by_its_own_field() -> None:
    rows = evidence_rows(
        _source(
            [
                {"id": "runs", "kind": "mlflow", "tracking_uri": "sqlite:///mlruns.db"},
                {"id": "sweep", "kind": "wandb", "path": "wandb/run-1"},
                {"id": "scores", "kind": "file", "path": "evaluation/scores.json"},
                {"id": "preds", "kind": "predictions", "path": "p.csv", "label": "y", "score": "s", "synthetic": True},
                {"id": "drift", "kind": "timeseries", "path": "drift.csv"},
            ]
        )
    )
    assert rows == [
        EvidenceRow("runs", "mlflow", "sqlite:///mlruns.db", "tracking_uri", False),
        EvidenceRow("sweep", "wandb", "wandb/run-1", "path", False),
        EvidenceRow("scores", "file", "evaluation/scores.json", "path", False),
        EvidenceRow("preds", "predictions", "p.csv", "path", True),
        EvidenceRow("drift", "timeseries", "drift.csv", "path", False),
    ]


def test_no_sources_give_no_rows() -> None:
    assert evidence_rows(_source([])) == []
    assert computed_rows({}) == []
    assert computed_rows({"computed": [], "facts": {}}) == []


def test_interval_methods_are_described_in_words() -> None:
    auto = (
        "Wilson score for proportions; score interval (Hanley–McNeil variance) for AUROC; "
        "BCa bootstrap stratified by label (1,000 resamples, seed 7) for F1"
    )
    assert intervals("auto", 1000, 7) == intervals("wilson", 1000, 7) == auto  # wilson means auto (statistics.md)
    assert intervals("bootstrap", 2000, 20240601) == (
        "BCa bootstrap stratified by label (2,000 resamples, seed 20240601) for every metric; Wilson score for "
        "prevalence"
    )


def test_computed_entries_keep_their_order_and_say_how_their_intervals_were_made() -> None:
    entry = {
        "used_by": "evaluation.computed[0]",
        "path": "evidence/preds.csv",
        "sha256": "ab" * 32,
        "synthetic": True,
        "rows": 2400,
        "results": 105,
        "resamples": 1000,
        "seed": 11,
        "spec": {"source": "preds", "ci": "bootstrap"},
    }
    second = {**entry, "used_by": "evaluation.computed[1]", "synthetic": False, "spec": {"ci": "auto"}}
    assert computed_rows({"computed": [entry, second]}) == [
        ComputedRow(
            "evaluation.computed[0]",
            "evidence/preds.csv",
            "ab" * 32,
            True,
            2400,
            105,
            "BCa bootstrap stratified by label (1,000 resamples, seed 11) for every metric; Wilson score for prevalence",
        ),
        ComputedRow(
            "evaluation.computed[1]",
            "evidence/preds.csv",
            "ab" * 32,
            False,
            2400,
            105,
            "Wilson score for proportions; score interval (Hanley–McNeil variance) for AUROC; "
            "BCa bootstrap stratified by label (1,000 resamples, seed 11) for F1",
        ),
    ]
