"""Benchmark of the resolve stage's computed metrics against fairlearn and a plain vectorised NumPy bootstrap.

Every side gets the same work: held-out predictions of a logistic regression on scikit-learn's diabetes
data (n = 171, progression above the median = positive), the same metrics at threshold 0.5 (a case is
positive when score >= 0.5: AUROC, sensitivity, specificity, PPV, F1), the same 12 cells (overall, each
level of sex and of age band, every sex x age-band intersection), the same number of resamples, and the
same repeats (each side's time is the best of `--repeat` runs). Two resampling schemes:

- `cell`: each cell resampled on its own, positives and negatives apart (docs-compile's scheme). fairlearn
  cannot stratify by label, so it gets one MetricFrame per cell (resampling the cell's rows);
- `whole`: the whole data set resampled, every cell recomputed in each resample (fairlearn's scheme, one
  MetricFrame per grouping). docs-compile does not resample this way, so only fairlearn and NumPy run it.

docs-compile runs with `ci: bootstrap` (BCa on every metric), so that all sides bootstrap every metric;
its default (`ci: auto`) computes only F1 by bootstrap and is faster still.

    python benchmarks/bench_metrics.py [--resamples 1000] [--repeat 3] [--schemes cell,whole]
                                       [--no-fairlearn] [--json benchmarks/results/bench_metrics.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compiler.resolve.metrics import Cell, estimate_all

THRESHOLD = 0.5
METRICS = ["auroc", "sensitivity", "specificity", "ppv", "f1"]
Found = dict[tuple[str, str], tuple[float, float, float]]


def data() -> dict[str, Any]:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = load_diabetes(scaled=False, as_frame=True).frame
    y = (frame["target"] > frame["target"].median()).to_numpy()
    x = frame.drop(columns=["target"])
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=171, random_state=7, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x_train, y_train)
    age = x_test["age"].to_numpy()
    return {
        "y": np.asarray(y_test, dtype=bool),
        "score": model.predict_proba(x_test)[:, 1],
        "groups": {
            "sex": np.where(x_test["sex"].to_numpy() == 1, "1", "2"),
            "age_band": np.where(age < 40, "under-40", np.where(age < 60, "40-59", "60-plus")),
        },
    }


def cells(d: dict[str, Any]) -> dict[str, np.ndarray]:
    """Each cell's row mask, by key: overall, each level of each factor, every intersection of the two."""
    groups = d["groups"]
    levels = {g: sorted(set(v)) for g, v in groups.items()}
    slices: list[dict[str, str]] = [{}]
    slices += [{g: level} for g in groups for level in levels[g]]
    slices += [dict(zip(groups, combo, strict=True)) for combo in itertools.product(*levels.values())]
    out = {}
    for slice_ in slices:
        mask = np.ones(len(d["y"]), dtype=bool)
        for g, level in slice_.items():
            mask &= groups[g] == level
        out["&".join(f"{k}={v}" for k, v in sorted(slice_.items())) or "overall"] = mask
    return out


def ours(d: dict[str, Any], metrics: list[str], resamples: int) -> Found:
    found = {}
    for key, mask in cells(d).items():
        cell = Cell(d["y"][mask], d["score"][mask], key, 20240601, resamples)
        for _, e in estimate_all(cell, metrics, [("default", THRESHOLD)], "bootstrap"):
            if e.value is not None and e.ci_low is not None and e.ci_high is not None:
                found[(key, e.metric)] = (e.value, e.ci_low, e.ci_high)
    return found


def _numpy_metrics(y: np.ndarray, s: np.ndarray, w: np.ndarray, metrics: list[str]) -> dict[str, np.ndarray]:
    """Every metric of every resample at once; w[r, i] is how often row i is drawn in resample r."""
    pred = s >= THRESHOLD
    tp, fn = w[:, y & pred].sum(1), w[:, y & ~pred].sum(1)
    fp, tn = w[:, ~y & pred].sum(1), w[:, ~y & ~pred].sum(1)
    values, inverse = np.unique(s, return_inverse=True)
    onehot = np.zeros((len(s), len(values)))
    onehot[np.arange(len(s)), inverse] = 1
    pos_w, neg_w = w[:, y] @ onehot[y], w[:, ~y] @ onehot[~y]  # weight per distinct score
    below = np.cumsum(neg_w, axis=1) - neg_w
    with np.errstate(invalid="ignore", divide="ignore"):
        table = {
            "auroc": (pos_w * (below + 0.5 * neg_w)).sum(1) / (pos_w.sum(1) * neg_w.sum(1)),
            "sensitivity": tp / (tp + fn),
            "specificity": tn / (tn + fp),
            "ppv": tp / (tp + fp),
            "f1": 2 * tp / (2 * tp + fp + fn),
        }
    return {m: table[m] for m in metrics}


def numpy_plain(d: dict[str, Any], metrics: list[str], resamples: int, scheme: str) -> Found:
    """The bootstrap as a team would write it in NumPy: draw counts per row, compute, take percentiles."""
    y, s, masks = d["y"], d["score"], cells(d)
    rng = np.random.default_rng(0)
    whole = _draws(rng, np.arange(len(y)), resamples, len(y)) if scheme == "whole" else None
    found = {}
    for key, mask in masks.items():
        if whole is not None:
            w = whole[:, mask]
        else:  # positives and negatives of the cell apart
            w = np.zeros((resamples, int(mask.sum())))
            for label in (True, False):
                members = np.flatnonzero(y[mask] == label)
                w[:, members] = _draws(rng, members, resamples, len(members))[:, members]
        point = _numpy_metrics(y[mask], s[mask], np.ones((1, int(mask.sum()))), metrics)
        boot = _numpy_metrics(y[mask], s[mask], w, metrics)
        for m in metrics:
            finite = boot[m][np.isfinite(boot[m])]
            if np.isfinite(point[m][0]) and len(finite):
                low, high = np.quantile(finite, [0.025, 0.975])
                found[(key, m)] = (float(point[m][0]), float(low), float(high))
    return found


def _draws(rng: np.random.Generator, members: np.ndarray, resamples: int, size: int) -> np.ndarray:
    """Counts per row (over the whole row range) of `resamples` draws of `size` rows from `members`."""
    total = int(members.max()) + 1 if len(members) else 0
    picks = members[rng.integers(0, len(members), size=(resamples, size))]
    flat = (picks + np.arange(resamples)[:, None] * total).ravel()
    return np.bincount(flat, minlength=resamples * total).reshape(resamples, total).astype(float)


def _fairlearn_metrics(names: list[str]) -> dict[str, Any]:
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    def at(fn: Any) -> Any:
        return lambda y, s: fn(y, s >= THRESHOLD)

    table = {
        "auroc": roc_auc_score,
        "sensitivity": at(recall_score),
        "specificity": lambda y, s: recall_score(~y, s < THRESHOLD),
        "ppv": at(lambda y, p: precision_score(y, p, zero_division=np.nan)),
        "f1": at(f1_score),
    }
    return {name: table[name] for name in names}


def fairlearn(d: dict[str, Any], metrics: list[str], resamples: int, scheme: str) -> Found:
    import pandas as pd
    from fairlearn.metrics import MetricFrame

    found: Found = {}
    if scheme == "cell":  # one frame per cell: its rows resampled on their own
        for key, mask in cells(d).items():
            frame = MetricFrame(
                metrics=_fairlearn_metrics(metrics),
                y_true=d["y"][mask],
                y_pred=d["score"][mask],
                sensitive_features=np.full(int(mask.sum()), "cell"),
                n_boot=resamples,
                ci_quantiles=[0.025, 0.975],
                random_state=0,
            )
            low, high = frame.overall_ci
            for m in metrics:
                found[(key, m)] = (float(frame.overall[m]), float(low[m]), float(high[m]))
        return found
    features = pd.DataFrame(d["groups"])
    for columns in (["sex"], ["age_band"], ["sex", "age_band"]):
        frame = MetricFrame(
            metrics=_fairlearn_metrics(metrics),
            y_true=d["y"],
            y_pred=d["score"],
            sensitive_features=features[columns],
            n_boot=resamples,
            ci_quantiles=[0.025, 0.975],
            random_state=0,
        )
        low, high = frame.by_group_ci
        for index, row in frame.by_group.iterrows():
            levels = index if isinstance(index, tuple) else (index,)
            key = "&".join(f"{k}={v}" for k, v in sorted(zip(columns, levels, strict=True)))
            for m in metrics:
                found[(key, m)] = (float(row[m]), float(low.loc[index, m]), float(high.loc[index, m]))
        if columns == ["sex"]:
            overall_low, overall_high = frame.overall_ci
            for m in metrics:
                found[("overall", m)] = (float(frame.overall[m]), float(overall_low[m]), float(overall_high[m]))
    return found


def timed(run: Callable[[], Found], repeat: int) -> tuple[float, Found]:
    """Best of `repeat` runs, and the last run's results."""
    times, found = [], {}
    for _ in range(repeat):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = run()
        times.append(time.perf_counter() - start)
    return min(times), found


def agreement(mine: Found, theirs: Found) -> dict[str, Any]:
    """Estimates in common, the largest point-estimate difference, the median ratio of interval widths."""
    shared = sorted(k for k in mine.keys() & theirs.keys() if np.isfinite(theirs[k][0]))
    widths = [(mine[k][2] - mine[k][1]) / (theirs[k][2] - theirs[k][1]) for k in shared if theirs[k][2] > theirs[k][1]]
    return {
        "estimates": len(shared),
        "max_point_difference": max(abs(mine[k][0] - theirs[k][0]) for k in shared),
        "median_width_ratio": round(float(np.median(widths)), 3),
    }


def _scheme(
    d: dict[str, Any], metrics: list[str], resamples: int, repeat: int, scheme: str, with_fairlearn: bool
) -> list[dict[str, Any]]:
    """Time every side on one resampling scheme; print and return a row per side, against NumPy."""
    base_time, base = timed(lambda: numpy_plain(d, metrics, resamples, scheme), repeat)
    sides: list[tuple[str, Callable[[], Found]]] = []
    if scheme == "cell":
        sides.append(("docs-compile", lambda: ours(d, metrics, resamples)))
    if with_fairlearn:
        sides.append(("fairlearn", lambda: fairlearn(d, metrics, resamples, scheme)))
    rows = [{"scheme": scheme, "side": "numpy", "seconds": round(base_time, 4)} | agreement(base, base)]
    for side, run in sides:
        seconds, found = timed(run, repeat)
        rows.append({"scheme": scheme, "side": side, "seconds": round(seconds, 4)} | agreement(found, base))
    for r in rows:
        print(
            f"| {scheme} | {r['side']} | {r['seconds']:.3f} | {r['seconds'] / base_time:.2f}x | "
            f"{r['estimates']} ({r['max_point_difference']:.1e}) | {r['median_width_ratio']:.2f} |",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Computed metrics: docs-compile vs fairlearn vs plain NumPy.")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--metrics", default=",".join(METRICS), help=f"comma-separated subset of {','.join(METRICS)}")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of every side (the best is reported)")
    parser.add_argument("--schemes", default="cell,whole", help="resampling schemes: cell, whole or both")
    parser.add_argument("--no-fairlearn", action="store_true", help="time docs-compile and NumPy only")
    parser.add_argument("--json", type=Path, default=Path(__file__).resolve().parent / "results" / "bench_metrics.json")
    args = parser.parse_args(argv)
    metrics = [m for m in args.metrics.split(",") if m]
    d = data()
    work = f"{len(metrics)} metric(s) x {len(cells(d))} cells, {args.resamples} resamples, best of {args.repeat}"
    print(f"data: diabetes held-out predictions, n = {len(d['y'])}; work: {work}\n")
    print("| scheme | side | seconds | vs NumPy | points vs NumPy (max diff) | CI width / NumPy (median) |")
    print("|---|---|---|---|---|---|")
    rows = []
    for scheme in [s for s in args.schemes.split(",") if s]:
        rows += _scheme(d, metrics, args.resamples, args.repeat, scheme, not args.no_fairlearn)
    report = {
        "work": work,
        "metrics": metrics,
        "resamples": args.resamples,
        "repeat": args.repeat,
        "python": platform.python_version(),
        "rows": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
