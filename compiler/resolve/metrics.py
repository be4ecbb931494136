"""Resolve stage: classification metrics with 95% intervals, vectorised over bootstrap resamples.

A case is positive when its score >= the operating point's threshold. Intervals: Wilson for
proportions, a score interval for AUROC, a BCa bootstrap for F1 (methods in `intervals.py`, the
reasons in docs/statistics.md). The bootstrap is stratified by label within the cell (positives and negatives are resampled
separately, so every resample keeps the cell's class balance) and seeded per cell, so a result
does not depend on which other cells are computed. Resamples are held as index draws; the AUROC of
every resample comes from cumulative counts of resampled negatives (Mann-Whitney, ties count one
half), which is linear in the cell size, not quadratic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from compiler.resolve.intervals import (
    auroc_jackknife,
    auroc_score_interval,
    bca,
    count_jackknife,
    f1_from_jaccard_interval,
    wilson,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

SMALL_CELL = 30
# Each metric as (numerator, denominator) over confusion counts; f1 and auroc are handled apart.
RATIOS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sensitivity": (("tp",), ("tp", "fn")),
    "recall": (("tp",), ("tp", "fn")),
    "specificity": (("tn",), ("tn", "fp")),
    "ppv": (("tp",), ("tp", "fp")),
    "precision": (("tp",), ("tp", "fp")),
    "npv": (("tn",), ("tn", "fn")),
    "accuracy": (("tp", "tn"), ("tp", "tn", "fp", "fn")),
    "prevalence": (("tp", "fn"), ("tp", "tn", "fp", "fn")),
}
THRESHOLD_METRICS = frozenset({*RATIOS, "f1"} - {"prevalence"})
SUPPORTED = frozenset({*RATIOS, "f1", "auroc"})
_DENOMINATOR_WORDS: dict[tuple[str, ...], str] = {
    ("tp", "fn"): "positives",
    ("tn", "fp"): "negatives",
    ("tp", "fp"): "predicted positives",
    ("tn", "fn"): "predicted negatives",
}
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class Estimate:
    """One metric in one cell: point value, 95% interval and how it was computed, or why it is undefined.

    `undefined` and `degenerate` are sentences a document can print as they are; `rule` is the threshold
    rule of a threshold metric ("positive when score >= 0.3").
    """

    metric: str
    threshold: float | None
    n: int
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    method: str | None = None
    flags: tuple[str, ...] = ()
    undefined: str | None = None
    rule: str | None = None
    degenerate: str | None = None


def cell_seed(seed: int, key: str) -> Any:
    """A seed sequence for one cell: the declared seed plus a stable hash of the cell's name."""
    import numpy as np

    digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    return np.random.SeedSequence([seed, digest])


def _counts(y: NDArray[np.bool_], pred: NDArray[np.bool_]) -> dict[str, float]:
    tp = float((pred & y).sum())
    fp = float((pred & ~y).sum())
    pos = float(y.sum())
    return {"tp": tp, "fn": pos - tp, "fp": fp, "tn": float(len(y) - pos) - fp}


def _ratio(metric: str, c: dict[str, Any]) -> Any:
    import numpy as np

    if metric == "f1":
        num, den = 2 * c["tp"], 2 * c["tp"] + c["fp"] + c["fn"]
    else:
        top, bottom = RATIOS[metric]
        num, den = sum(c[k] for k in top), sum(c[k] for k in bottom)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.divide(num, den) if np.ndim(den) else (num / den if den else float("nan"))


def auroc(y: NDArray[np.bool_], s: NDArray[np.floating[Any]]) -> float:
    """Area under the ROC curve (Mann-Whitney; ties count one half), as scikit-learn computes it."""
    import numpy as np

    pos, neg = s[y], np.sort(s[~y])
    if not len(pos) or not len(neg):
        return float("nan")
    lo = np.searchsorted(neg, pos, "left")
    hi = np.searchsorted(neg, pos, "right")
    return float((lo + hi).sum() / (2.0 * len(pos) * len(neg)))


class Cell:
    """One slice of the predictions: labels, scores, and statistics over its bootstrap resamples."""

    def __init__(self, y: NDArray[np.bool_], s: NDArray[np.floating[Any]], key: str, seed: int, resamples: int) -> None:
        import numpy as np

        self.y, self.s, self.key = y, s, key
        self.n = len(y)
        self.pos = s[y]
        self.neg = np.sort(s[~y])
        self.resamples = resamples
        self.seed = seed
        self.thresholds: tuple[float, ...] = ()
        self._stats: dict[Any, Any] | None = None

    def boot(self) -> dict[Any, Any]:
        """Per resample: AUROC, and true/false positive counts at every threshold of the cell.

        Resamples are drawn in chunks that bound memory; one generator seeded for the cell draws
        them in order, so the result is the same whatever else is computed.
        """
        import numpy as np

        if self._stats is not None:
            return self._stats
        rng = np.random.default_rng(cell_seed(self.seed, self.key))
        n_pos, n_neg = len(self.pos), len(self.neg)
        lo = np.searchsorted(self.neg, self.pos, "left")
        hi = np.searchsorted(self.neg, self.pos, "right")
        pos_pred = {t: self.pos >= t for t in self.thresholds}
        neg_pred = {t: self.neg >= t for t in self.thresholds}
        stats: dict[Any, Any] = {"auroc": np.empty(self.resamples)}
        stats.update({t: {"tp": np.empty(self.resamples), "fp": np.empty(self.resamples)} for t in self.thresholds})
        step = max(1, _CHUNK_CELLS // max(n_pos + n_neg, 1))
        for start in range(0, self.resamples, step):
            rows = min(step, self.resamples - start)
            pos = rng.integers(0, max(n_pos, 1), size=(rows, n_pos))
            neg = rng.integers(0, max(n_neg, 1), size=(rows, n_neg))
            part = slice(start, start + rows)
            for t in self.thresholds:
                stats[t]["tp"][part] = pos_pred[t][pos].sum(axis=1)
                stats[t]["fp"][part] = neg_pred[t][neg].sum(axis=1)
            if n_pos and n_neg:
                # Resampled negatives as counts per sorted original negative, cumulated: cum[r, k] is
                # how many resampled negatives lie below sorted position k (Mann-Whitney in O(n)).
                flat = (neg + (np.arange(rows, dtype=np.int64) * n_neg)[:, None]).ravel()
                cum = np.zeros((rows, n_neg + 1))
                np.cumsum(np.bincount(flat, minlength=rows * n_neg).reshape(rows, n_neg), axis=1, out=cum[:, 1:])
                below = np.take_along_axis(cum, lo[pos], axis=1) + np.take_along_axis(cum, hi[pos], axis=1)
                stats["auroc"][part] = below.sum(axis=1) / (2.0 * n_pos * n_neg)
        self._stats = stats
        return stats

    def boot_counts(self, threshold: float) -> dict[str, Any]:
        counts = self.boot()[threshold]
        tp, fp = counts["tp"], counts["fp"]
        return {"tp": tp, "fn": len(self.pos) - tp, "fp": fp, "tn": len(self.neg) - fp}


_WHY_UNDEFINED = {
    "sensitivity": "no positives in this cell",
    "recall": "no positives in this cell",
    "specificity": "no negatives in this cell",
    "ppv": "no positive predictions in this cell",
    "precision": "no positive predictions in this cell",
    "npv": "no negative predictions in this cell",
    "f1": "no positives and no positive predictions in this cell",
}


def threshold_rule(threshold: float) -> str:
    """The rule that turns a score into a prediction, as documents print it."""
    return f"positive when score >= {threshold:g}"


def estimate(cell: Cell, metric: str, threshold: float | None, ci: str) -> Estimate:
    """Point estimate and 95% interval of one metric in one cell (ci: auto, bootstrap or wilson).

    auto and wilson: Wilson for proportions, the score interval for AUROC, BCa bootstrap for F1;
    bootstrap: the BCa bootstrap for every metric but prevalence (fixed under a label-stratified bootstrap), and
    but AUROC in a cell with fewer than SMALL_CELL positives or negatives, where it under-covers.
    """
    flags = [f"small cell (n = {cell.n} < {SMALL_CELL})"] if cell.n < SMALL_CELL else []
    n_pos, n_neg = len(cell.pos), len(cell.neg)
    if not n_pos or not n_neg:
        flags.append("single class (no positives)" if not n_pos else "single class (no negatives)")
    if metric == "auroc":
        return _auroc(cell, ci, flags)
    assert threshold is not None
    rule = threshold_rule(threshold)
    counts = _counts(cell.y, cell.s >= threshold)
    value = float(_ratio(metric, counts))
    if value != value:
        why = _WHY_UNDEFINED.get(metric, "no cases for its denominator")
        return Estimate(
            metric, threshold, cell.n, None, undefined=f"{metric} is undefined: {why}", flags=tuple(flags), rule=rule
        )
    if metric in RATIOS:
        top, bottom = RATIOS[metric]
        total = sum(counts[k] for k in bottom)
        words = _DENOMINATOR_WORDS.get(bottom, "cases")
        if total < SMALL_CELL and words != "cases":
            flags.append(f"small denominator ({int(total)} {words} < {SMALL_CELL})")
        # n is the proportion's denominator (e.g. the positives for sensitivity), as tables of Se/Sp report it.
        found = Estimate(metric, threshold, int(total), value, flags=tuple(flags), rule=rule)
        low, high = wilson(sum(counts[k] for k in top), total)
        closed = (low, high, f"Wilson score interval, 95%, on {int(total)} {words}")
        # Prevalence is fixed under a label-stratified bootstrap, so it always gets a Wilson interval.
        if ci != "bootstrap" or metric == "prevalence":
            return replace(found, ci_low=low, ci_high=high, method=closed[2])
    else:
        found = Estimate(metric, threshold, cell.n, value, flags=tuple(flags), rule=rule)
        low, high = f1_from_jaccard_interval(counts["tp"], counts["fp"], counts["fn"])
        closed = (low, high, "Wilson interval of the Jaccard index tp / (tp + fp + fn), mapped to F1, 95%")
    boot = _ratio(metric, cell.boot_counts(threshold))
    jack, weights = count_jackknife(lambda c: float(_ratio(metric, c)), counts)
    return _bca(cell, found, boot, jack, weights, closed)


def _auroc(cell: Cell, ci: str, flags: list[str]) -> Estimate:
    n_pos, n_neg = len(cell.pos), len(cell.neg)
    if not n_pos or not n_neg:
        why = "no positives" if not n_pos else "no negatives"
        return Estimate(
            "auroc",
            None,
            cell.n,
            None,
            undefined=f"AUROC is undefined: one class in this cell ({why})",
            flags=tuple(flags),
        )
    if min(n_pos, n_neg) < SMALL_CELL:
        fewer = "positives" if n_pos <= n_neg else "negatives"
        flags.append(f"few {fewer} ({min(n_pos, n_neg)} < {SMALL_CELL})")
    value = auroc(cell.y, cell.s)
    found = Estimate("auroc", None, cell.n, value, flags=tuple(flags))
    low, high = auroc_score_interval(value, n_pos, n_neg)
    method = f"score interval with Hanley-McNeil variance (Newcombe), 95%, on {n_pos} positives and {n_neg} negatives"
    if ci != "bootstrap":
        return replace(found, ci_low=low, ci_high=high, method=method)
    if min(n_pos, n_neg) < SMALL_CELL:
        # The BCa bootstrap of an AUROC covers 89-93% with 15 positives (benchmarks/coverage.py): too few to resample.
        kept = (*found.flags, f"score interval, not the bootstrap: fewer than {SMALL_CELL} positives or negatives")
        return replace(found, ci_low=low, ci_high=high, method=method, flags=kept)
    jack = auroc_jackknife(cell.pos, cell.neg)
    return _bca(cell, found, cell.boot()["auroc"], jack, [1.0] * len(jack), (low, high, method))


def _bca(cell: Cell, found: Estimate, boot: Any, jack: Any, weights: Any, closed: tuple[float, float, str]) -> Estimate:
    """The BCa interval of the resamples, or the closed-form interval (flagged, with the reason) when
    every resample gives the same value and the bootstrap would report a point."""
    import numpy as np

    assert found.value is not None
    flags = list(found.flags)
    boot = np.asarray(boot, dtype=float)
    undefined = int(np.count_nonzero(~np.isfinite(boot)))
    if undefined > 0.05 * len(boot):
        flags.append(f"{undefined} of {len(boot)} resamples undefined; interval unreliable")
    interval = bca(boot, found.value, jack, weights)
    if interval is None:
        same = boot[np.isfinite(boot)]
        what = f"every resample gives {float(same[0]):g}" if len(same) else "no resample is defined"
        reason = f"bootstrap degenerate ({what}); {closed[2]} instead"
        flags.append(reason)
        return replace(
            found, ci_low=closed[0], ci_high=closed[1], method=closed[2], flags=tuple(flags), degenerate=reason
        )
    low, high = interval
    if not low <= found.value <= high:
        flags.append("interval widened to include the point estimate")
        low, high = min(low, found.value), max(high, found.value)
    method = f"BCa bootstrap stratified by label, {cell.resamples} resamples, seed {cell.seed}, 95%"
    return replace(found, ci_low=low, ci_high=high, method=method, flags=tuple(flags))


def estimate_all(
    cell: Cell, metrics: Sequence[str], thresholds: Sequence[tuple[str, float]], ci: str
) -> list[tuple[str | None, Estimate]]:
    """Every requested metric for one cell: AUROC once, threshold metrics at each operating point."""
    wanted = tuple(sorted({t for _, t in thresholds} | {0.5}))
    if wanted != cell.thresholds:
        cell.thresholds, cell._stats = wanted, None
    out: list[tuple[str | None, Estimate]] = []
    for metric in metrics:
        if metric == "prevalence":
            # Prevalence does not depend on the threshold; any one gives the same counts.
            out.append((None, estimate(cell, metric, 0.5, ci)))
        elif metric in THRESHOLD_METRICS:
            out.extend((op, estimate(cell, metric, t, ci)) for op, t in thresholds)
        else:
            out.append((None, estimate(cell, metric, None, ci)))
    return out
