"""Resolve stage: the interval methods — the AUROC score interval, BCa, the jackknives, the F1 fallback."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats
from sklearn.metrics import f1_score, roc_auc_score

from compiler.resolve.intervals import (
    Z95,
    _hanley_mcneil_variance,
    auroc_jackknife,
    auroc_score_interval,
    bca,
    count_jackknife,
    f1_from_jaccard_interval,
    wilson,
)


@pytest.mark.parametrize(("value", "n_pos", "n_neg"), [(0.8, 10, 10), (0.93, 15, 300), (0.5, 40, 60), (0.62, 3, 7)])
def test_auroc_score_interval_bounds_solve_the_score_equation(value: float, n_pos: int, n_neg: int) -> None:
    def gap(theta: float) -> float:
        return (value - theta) ** 2 - Z95**2 * _hanley_mcneil_variance(theta, n_pos, n_neg)

    low, high = auroc_score_interval(value, n_pos, n_neg)
    assert low == pytest.approx(optimize.brentq(gap, 1e-12, value), abs=1e-9)
    assert high == pytest.approx(optimize.brentq(gap, value, 1 - 1e-12), abs=1e-9)
    assert 0 < low < value < high < 1


def test_auroc_score_interval_does_not_collapse_at_perfect_separation() -> None:
    low, high = auroc_score_interval(1.0, 10, 10)
    assert high == 1.0 and 0.75 < low < 0.95
    assert auroc_score_interval(0.0, 10, 10) == (0.0, pytest.approx(1 - low))
    # More cases, a tighter interval.
    assert auroc_score_interval(1.0, 100, 100)[0] > low


def test_bca_matches_scipy_on_its_own_resamples() -> None:
    rng = np.random.default_rng(4)
    x = rng.exponential(1.0, 40)  # skewed, so bias correction and acceleration both matter
    res = stats.bootstrap((x,), np.mean, method="BCa", n_resamples=4000, random_state=1)
    jack = (x.sum() - x) / (len(x) - 1)
    low, high = bca(res.bootstrap_distribution, float(x.mean()), jack, np.ones(len(x)))
    assert (low, high) == pytest.approx((res.confidence_interval.low, res.confidence_interval.high), rel=2e-3)


def test_bca_is_none_when_every_resample_is_the_same() -> None:
    assert bca(np.ones(100), 1.0, [1.0, 1.0], [3, 4]) is None
    assert bca(np.full(100, np.nan), 0.5, [0.5], [1]) is None


def test_auroc_jackknife_matches_leave_one_out_by_scikit_learn() -> None:
    rng = np.random.default_rng(2)
    pos, neg = np.round(rng.normal(1, 1, 9), 1), np.round(rng.normal(0, 1, 12), 1)  # rounded: ties
    found = auroc_jackknife(pos, neg)
    expected = [roc_auc_score(np.r_[np.ones(8), np.zeros(12)], np.r_[np.delete(pos, i), neg]) for i in range(9)]
    expected += [roc_auc_score(np.r_[np.ones(9), np.zeros(11)], np.r_[pos, np.delete(neg, j)]) for j in range(12)]
    assert found == pytest.approx(expected, abs=1e-12)


def test_count_jackknife_matches_leaving_each_case_out() -> None:
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1, 0, 1], dtype=bool)
    pred = np.array([1, 0, 1, 1, 0, 0, 0, 1, 0, 0], dtype=bool)
    counts = {"tp": 3.0, "fn": 2.0, "fp": 1.0, "tn": 4.0}

    def f1(c: dict[str, float]) -> float:
        return 2 * c["tp"] / (2 * c["tp"] + c["fp"] + c["fn"])

    values, weights = count_jackknife(f1, counts)
    brute = sorted(f1_score(np.delete(y, i), np.delete(pred, i)) for i in range(len(y)))
    assert sorted(np.repeat(values, np.array(weights, dtype=int))) == pytest.approx(brute, abs=1e-12)


def test_f1_fallback_maps_the_jaccard_wilson_interval() -> None:
    low, high = f1_from_jaccard_interval(10, 0, 0)
    j_low = wilson(10, 10)[0]
    assert (low, high) == (pytest.approx(2 * j_low / (1 + j_low)), 1.0)
    low, high = f1_from_jaccard_interval(6, 2, 3)
    assert low < 2 * 6 / (12 + 5) < high
    assert not math.isnan(low)
