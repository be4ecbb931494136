"""Resolve stage: computed metrics match scikit-learn; intervals are seeded, flagged and cover the truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from compiler.resolve.metrics import Cell, cell_seed, estimate_all, wilson

THRESHOLDS = [("low", 0.3), ("mid", 0.5), ("high", 0.8)]


def _data(n: int, seed: int, prevalence: float = 0.35, shift: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < prevalence
    # Rounded scores give many ties, which AUROC must count as one half, as scikit-learn does.
    s = np.round(1 / (1 + np.exp(-rng.normal(shift * y - 0.5, 1.0))), 2)
    return y, s


def _reference(metric: str, y: np.ndarray, s: np.ndarray, t: float) -> float:
    pred = s >= t
    return {
        "sensitivity": lambda: recall_score(y, pred),
        "recall": lambda: recall_score(y, pred),
        "specificity": lambda: recall_score(~y, ~pred),
        "ppv": lambda: precision_score(y, pred),
        "precision": lambda: precision_score(y, pred),
        "npv": lambda: precision_score(~y, ~pred),
        "accuracy": lambda: accuracy_score(y, pred),
        "f1": lambda: f1_score(y, pred),
        "prevalence": lambda: float(y.mean()),
        "auroc": lambda: roc_auc_score(y, s),
    }[metric]()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_point_estimates_match_scikit_learn(seed: int) -> None:
    y, s = _data(257, seed)
    metrics = [
        "auroc",
        "sensitivity",
        "recall",
        "specificity",
        "ppv",
        "precision",
        "npv",
        "accuracy",
        "f1",
        "prevalence",
    ]
    found = estimate_all(Cell(y, s, "overall", 1, 200), metrics, THRESHOLDS, "auto")
    assert len(found) == 1 + 1 + 8 * 3
    thresholds = dict(THRESHOLDS)
    for op, e in found:
        t = thresholds[op] if op else 0.5
        assert e.value == pytest.approx(_reference(e.metric, y, s, t), abs=1e-12), (e.metric, op)
        assert e.ci_low is not None and e.ci_high is not None and e.ci_low <= e.value <= e.ci_high


def test_bootstrap_auroc_of_every_resample_matches_scikit_learn() -> None:
    y, s = _data(90, 5)
    cell = Cell(y, s, "overall", 11, 50)
    estimate_all(cell, ["auroc"], [], "bootstrap")
    boot = cell.boot()["auroc"]
    # Replay the cell's draws (positives, then negatives, one chunk) and recompute each resample naively.
    rng = np.random.default_rng(cell_seed(11, "overall"))
    pos_idx = rng.integers(0, len(cell.pos), size=(50, len(cell.pos)))
    neg_idx = rng.integers(0, len(cell.neg), size=(50, len(cell.neg)))
    for r in range(50):
        scores = np.concatenate([cell.pos[pos_idx[r]], cell.neg[neg_idx[r]]])
        labels = np.r_[np.ones(len(cell.pos)), np.zeros(len(cell.neg))]
        assert boot[r] == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_intervals_are_deterministic_for_a_seed() -> None:
    y, s = _data(200, 7)

    def run(seed: int, key: str = "overall") -> list[tuple[float | None, float | None]]:
        found = estimate_all(Cell(y, s, key, seed, 300), ["auroc", "f1"], THRESHOLDS, "auto")
        return [(e.ci_low, e.ci_high) for _, e in found]

    assert run(42) == run(42)
    assert run(42) != run(43)
    assert run(42) != run(42, "sex=female")


def test_wilson_matches_the_closed_form() -> None:
    low, high = wilson(8, 10)
    # Wilson (1927) for 8/10 at 95%: 0.4902 to 0.9433.
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson(0, 12)[0] == 0.0 and wilson(12, 12)[1] == 1.0


def test_small_and_single_class_cells_are_flagged_not_reported_as_certain() -> None:
    y = np.ones(12, dtype=bool)
    s = np.linspace(0.6, 0.9, 12)
    found = dict(
        (e.metric, e)
        for _, e in estimate_all(
            Cell(y, s, "tiny", 1, 200), ["auroc", "sensitivity", "specificity"], [("mid", 0.5)], "auto"
        )
    )
    assert found["auroc"].value is None
    assert found["auroc"].undefined == "AUROC is undefined: one class in this cell (no negatives)"
    assert found["specificity"].value is None
    assert found["specificity"].undefined == "specificity is undefined: no negatives in this cell"
    assert found["specificity"].rule == "positive when score >= 0.5"
    sensitivity = found["sensitivity"]
    assert sensitivity.value == 1.0
    assert sensitivity.ci_high == 1.0 and sensitivity.ci_low is not None and sensitivity.ci_low < 0.8
    assert sensitivity.flags == (
        "small cell (n = 12 < 30)",
        "single class (no negatives)",
        "small denominator (12 positives < 30)",
    )


def test_a_perfect_small_cell_is_never_reported_as_certain() -> None:
    """The README's promise: an n = 20 perfectly separated cell does not get [1.0, 1.0]."""
    y = np.array([True] * 10 + [False] * 10)
    s = np.r_[np.full(10, 0.9), np.full(10, 0.1)]
    for ci in ("auto", "bootstrap"):
        (_, auroc), (_, f1) = estimate_all(Cell(y, s, "tiny", 1, 200), ["auroc", "f1"], [("mid", 0.5)], ci)
        assert auroc.value == f1.value == 1.0
        assert auroc.ci_high == f1.ci_high == 1.0
        assert auroc.ci_low is not None and 0.7 < auroc.ci_low < 0.95, auroc
        assert f1.ci_low is not None and 0.7 < f1.ci_low < 0.95, f1
    method = "score interval with Hanley-McNeil variance (Newcombe), 95%, on 10 positives and 10 negatives"
    # Too few positives to resample an AUROC even under ci: bootstrap (it under-covers there): the score interval.
    assert auroc.method == method and auroc.degenerate is None
    assert auroc.flags == (
        "small cell (n = 20 < 30)",
        "few positives (10 < 30)",
        "score interval, not the bootstrap: fewer than 30 positives or negatives",
    )
    assert f1.degenerate is not None and f1.degenerate.startswith("bootstrap degenerate (every resample gives 1); ")
    assert f1.method == "Wilson interval of the Jaccard index tp / (tp + fp + fn), mapped to F1, 95%"
    assert f1.flags == ("small cell (n = 20 < 30)", f1.degenerate)


def test_a_perfect_cell_large_enough_to_resample_falls_back_on_the_score_interval_and_says_why() -> None:
    y = np.array([True] * 30 + [False] * 30)
    s = np.r_[np.full(30, 0.9), np.full(30, 0.1)]
    ((_, auroc),) = estimate_all(Cell(y, s, "perfect", 1, 200), ["auroc"], [], "bootstrap")
    method = "score interval with Hanley-McNeil variance (Newcombe), 95%, on 30 positives and 30 negatives"
    assert auroc.value == auroc.ci_high == 1.0 and auroc.ci_low is not None and auroc.ci_low < 0.99
    assert auroc.degenerate == f"bootstrap degenerate (every resample gives 1); {method} instead"
    assert auroc.flags == (auroc.degenerate,)


def test_f1_gets_a_bca_interval_that_is_seeded() -> None:
    y, s = _data(120, 3)
    ((_, f1a),) = estimate_all(Cell(y, s, "overall", 5, 500), ["f1"], [("mid", 0.5)], "auto")
    ((_, f1b),) = estimate_all(Cell(y, s, "overall", 5, 500), ["f1"], [("mid", 0.5)], "auto")
    assert f1a == f1b and f1a.degenerate is None
    assert f1a.method == "BCa bootstrap stratified by label, 500 resamples, seed 5, 95%"
    assert f1a.ci_low is not None and f1a.ci_high is not None and f1a.ci_low < f1a.value < f1a.ci_high


def test_intervals_cover_the_truth_at_about_the_nominal_rate() -> None:
    """Binormal scores (negatives N(0,1), positives N(d,1)) have AUROC = Phi(d / sqrt 2)."""
    d, n, reps = 1.0, 160, 200
    true_auroc = 0.5 * (1 + math.erf(d / 2))
    true_sensitivity = 0.5 * (1 + math.erf((d - 0.5) / math.sqrt(2)))  # P(N(d,1) >= 0.5)
    rng = np.random.default_rng(2024)
    hits = {"auroc": 0, "sensitivity": 0}
    for rep in range(reps):
        y = np.r_[np.ones(n // 2, dtype=bool), np.zeros(n // 2, dtype=bool)]
        s = np.where(y, rng.normal(d, 1, n), rng.normal(0, 1, n))
        found = dict(
            (e.metric, e)
            for _, e in estimate_all(Cell(y, s, f"rep{rep}", 9, 400), ["auroc", "sensitivity"], [("t", 0.5)], "auto")
        )
        for metric, truth in (("auroc", true_auroc), ("sensitivity", true_sensitivity)):
            e = found[metric]
            assert e.ci_low is not None and e.ci_high is not None
            hits[metric] += e.ci_low <= truth <= e.ci_high
    coverage = {k: v / reps for k, v in hits.items()}
    # Nominal 0.95; with 200 replicates the standard error is about 0.015.
    assert 0.92 <= coverage["auroc"] <= 0.99, coverage
    assert 0.91 <= coverage["sensitivity"] <= 0.99, coverage


def test_undefined_metrics_say_why_and_threshold_metrics_carry_their_rule() -> None:
    y = np.array([True] * 8 + [False] * 8)
    s = np.r_[np.linspace(0.1, 0.4, 8), np.linspace(0.05, 0.45, 8)]  # nothing reaches 0.5
    found = {
        e.metric: e
        for _, e in estimate_all(Cell(y, s, "c", 1, 100), ["ppv", "npv", "sensitivity", "f1"], [("mid", 0.5)], "auto")
    }
    assert (
        found["ppv"].value is None
        and found["ppv"].undefined == "ppv is undefined: no positive predictions in this cell"
    )
    assert found["sensitivity"].value == 0.0 and found["sensitivity"].rule == "positive when score >= 0.5"
    assert found["npv"].value == 0.5 and found["f1"].value == 0.0
    # A score exactly at the threshold is a positive prediction.
    ((_, at),) = estimate_all(
        Cell(np.array([True, False]), np.array([0.5, 0.2]), "c", 1, 100), ["sensitivity"], [("t", 0.5)], "auto"
    )
    assert at.value == 1.0


def test_degenerate_reasons_reach_the_lock_entry_flag() -> None:
    from compiler.resolve.readers.predictions import result_dicts

    y = np.array([True] * 10 + [False] * 10)
    s = np.r_[np.full(10, 0.9), np.full(10, 0.1)]
    estimates = estimate_all(Cell(y, s, "tiny", 1, 200), ["f1", "ppv"], [("mid", 0.5)], "bootstrap")
    results, omitted = result_dicts(estimates, {"sex": "female"}, "preds", None)
    f1 = next(r for r in results if r["metric"] == "f1")
    assert (f1["value"], f1["ci_high"], f1["ci_low"] < 1) == (1.0, 1.0, True)
    assert "bootstrap degenerate (every resample gives 1)" in f1["flag"] and omitted == []
