"""Resolve stage: the 95% interval methods behind computed metrics, chosen by a coverage simulation.

`benchmarks/coverage.py` measures every method here at 10 positives / 10 negatives and at 15 / 300;
docs/statistics.md explains each one and shows the table. Every function is deterministic: the only
randomness is the bootstrap draws that `metrics.Cell` makes from its own seed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Z95 = 1.959963984540054
_BISECTIONS = 60


def wilson(successes: float, total: float) -> tuple[float, float]:
    """Wilson score interval at 95% for a proportion."""
    p = successes / total
    denom = 1 + Z95**2 / total
    centre = (p + Z95**2 / (2 * total)) / denom
    half = Z95 * ((p * (1 - p) / total + Z95**2 / (4 * total**2)) ** 0.5) / denom
    # At 0 and n successes the bounds are exactly 0 and 1; rounding must not move them.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == total else min(1.0, centre + half)
    return low, high


def _hanley_mcneil_variance(theta: Any, n_pos: int, n_neg: int) -> Any:
    """Variance of the AUROC at `theta` (Hanley & McNeil 1982), with both class sizes replaced by their
    mean N* = (m + n) / 2 as Newcombe (2006) proposes, which keeps it sensible for unbalanced cells."""
    star = (n_pos + n_neg) / 2 - 1
    return theta * (1 - theta) * (1 + star * (1 - theta) / (2 - theta) + star * theta / (1 + theta)) / (n_pos * n_neg)


def auroc_score_interval(value: float, n_pos: int, n_neg: int) -> tuple[float, float]:
    """95% score interval for an AUROC: every theta with (value - theta)^2 <= z^2 V(theta).

    Like Wilson's interval for a proportion, the variance is taken at theta, not at the estimate, so
    the interval stays inside [0, 1] and does not shrink to a point at 0 or 1 (perfect separation).
    Both bounds are found by bisection, vectorised.
    """
    import numpy as np

    # Bisection between [0, value] for the low bound and [value, 1] for the high one, at once.
    lo = np.array([0.0, value])
    hi = np.array([value, 1.0])
    below = np.array([True, False])  # the low bound is where the gap function turns negative going up
    for _ in range(_BISECTIONS):
        mid = (lo + hi) / 2
        outside = (value - mid) ** 2 > Z95**2 * _hanley_mcneil_variance(mid, n_pos, n_neg)
        move_lo = outside == below
        lo = np.where(move_lo, mid, lo)
        hi = np.where(move_lo, hi, mid)
    low = 0.0 if value <= 0 else float((lo[0] + hi[0]) / 2)
    high = 1.0 if value >= 1 else float((lo[1] + hi[1]) / 2)
    return low, high


def f1_from_jaccard_interval(tp: float, fp: float, fn: float) -> tuple[float, float]:
    """95% interval for F1 from Wilson's interval for the Jaccard index J = tp / (tp + fp + fn).

    F1 = 2J / (1 + J) is increasing in J, so the bounds map across. Used when the bootstrap has nothing
    to say (every resample gives the same F1, as in a perfectly separated cell); it is conservative.
    """
    low, high = wilson(tp, tp + fp + fn)
    return 2 * low / (1 + low), 2 * high / (1 + high)


def bca(boot: NDArray[np.floating[Any]], value: float, jack: Any, weights: Any) -> tuple[float, float] | None:
    """Bias-corrected and accelerated (BCa) 95% bootstrap interval, or None when the resamples are all equal.

    `jack` holds the leave-one-out estimates and `weights` how many observations give each one (threshold
    metrics have only four distinct leave-one-out values, so they are passed once with their counts).
    """
    import numpy as np
    from scipy.special import ndtr, ndtri

    finite = boot[np.isfinite(boot)]
    if not len(finite) or finite.min() == finite.max():
        return None
    below = (np.count_nonzero(finite < value) + 0.5 * np.count_nonzero(finite == value)) / len(finite)
    edge = 1 / (len(finite) + 1)
    z0 = float(ndtri(min(max(below, edge), 1 - edge)))
    jack, weights = np.asarray(jack, dtype=float), np.asarray(weights, dtype=float)
    keep = np.isfinite(jack) & (weights > 0)
    jack, weights = jack[keep], weights[keep]
    accel = 0.0
    if weights.sum() > 0:
        spread = np.average(jack, weights=weights) - jack
        denom = 6 * float((weights * spread**2).sum()) ** 1.5
        accel = float((weights * spread**3).sum()) / denom if denom > 0 else 0.0
    z = z0 + np.array([-Z95, Z95])
    levels = ndtr(z0 + z / (1 - accel * z))
    low, high = (float(q) for q in np.quantile(finite, levels))
    return low, high


def count_jackknife(metric_of: Any, counts: dict[str, float]) -> tuple[list[Any], list[float]]:
    """Leave-one-out values of a count metric and how many cases give each: dropping a true positive,
    a false negative, a false positive or a true negative changes one count by one."""
    drops = []
    for key in ("tp", "fn", "fp", "tn"):
        left = dict(counts)
        left[key] -= 1
        drops.append(metric_of(left))
    return drops, [counts["tp"], counts["fn"], counts["fp"], counts["tn"]]


def auroc_jackknife(pos: NDArray[np.floating[Any]], neg: NDArray[np.floating[Any]]) -> Any:
    """Leave-one-out AUROCs, from each case's placement value (DeLong's V10 and V01), in O(n log n)."""
    import numpy as np

    m, n = len(pos), len(neg)
    neg_sorted, pos_sorted = np.sort(neg), np.sort(pos)
    v10 = (np.searchsorted(neg_sorted, pos, "left") + np.searchsorted(neg_sorted, pos, "right")) / (2.0 * n)
    v01 = 1 - (np.searchsorted(pos_sorted, neg, "left") + np.searchsorted(pos_sorted, neg, "right")) / (2.0 * m)
    total = v10.sum() * n  # pairs won (ties one half)
    with np.errstate(invalid="ignore", divide="ignore"):
        drop_pos = (total - n * v10) / ((m - 1) * n) if m > 1 else np.full(m, math.nan)
        drop_neg = (total - m * v01) / (m * (n - 1)) if n > 1 else np.full(n, math.nan)
    return np.concatenate([drop_pos, drop_neg])
