"""Coverage of the computed metrics' 95% intervals, by simulation: how often each interval holds the truth.

Scores are binormal (negatives N(0, 1), positives N(d, 1)), so every true value has a closed form:
AUROC = Phi(d / sqrt 2); at threshold t = d / 2 (a case is positive when score >= t) sensitivity =
specificity = Phi(d / 2); PPV, NPV, accuracy and F1 follow from them at the cell's class balance (the
bootstrap keeps it fixed, so that is the quantity the intervals estimate). Each replicate draws a fresh
cell and runs `compiler.resolve.metrics.estimate_all` as `docs-compile resolve` does, once with
`ci: auto` and once with `ci: bootstrap`. Replicates where a metric is undefined (e.g. PPV with no
positive predictions) are not counted; the table says how many there were.

    python benchmarks/coverage.py [--replicates 4000] [--resamples 1000] [--json benchmarks/results/coverage.json]

Prints a Markdown table and writes the JSON. The same arguments give the same numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compiler.resolve.metrics import Cell, estimate_all

METRICS = ["auroc", "sensitivity", "specificity", "ppv", "npv", "accuracy", "f1"]
# (positives, negatives, d): AUROC 0.80 and 0.90 at 10 / 10 and at 15 / 300.
SCENARIOS = [(10, 10, 1.19), (10, 10, 1.81), (15, 300, 1.19), (15, 300, 1.81)]
GOAL = 0.93


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def truths(n_pos: int, n_neg: int, d: float) -> dict[str, float]:
    """True value of every metric for binormal scores at threshold d / 2 and the cell's class balance."""
    se = sp = _phi(d / 2)
    pi = n_pos / (n_pos + n_neg)
    tp, fn, fp, tn = se * pi, (1 - se) * pi, (1 - sp) * (1 - pi), sp * (1 - pi)
    return {
        "auroc": _phi(d / math.sqrt(2)),
        "sensitivity": se,
        "specificity": sp,
        "ppv": tp / (tp + fp),
        "npv": tn / (tn + fn),
        "accuracy": tp + tn,
        "f1": 2 * tp / (2 * tp + fp + fn),
    }


def scenario(n_pos: int, n_neg: int, d: float, replicates: int, resamples: int) -> dict[str, Any]:
    truth = truths(n_pos, n_neg, d)
    rng = np.random.default_rng([n_pos, n_neg, round(d * 100)])
    y = np.r_[np.ones(n_pos, dtype=bool), np.zeros(n_neg, dtype=bool)]
    tally: dict[str, dict[str, Any]] = {}
    for rep in range(replicates):
        s = np.r_[rng.normal(d, 1, n_pos), rng.normal(0, 1, n_neg)]
        cell = Cell(y, s, f"replicate-{rep}", 20240601, resamples)
        for ci in ("auto", "bootstrap"):
            for _, e in estimate_all(cell, METRICS, [("t", d / 2)], ci):
                row = tally.setdefault(
                    f"{e.metric}|{ci}", {"hits": 0, "counted": 0, "undefined": 0, "width": 0.0, "methods": set()}
                )
                if e.value is None or e.ci_low is None or e.ci_high is None:
                    row["undefined"] += 1
                    continue
                row["counted"] += 1
                row["hits"] += e.ci_low <= truth[e.metric] <= e.ci_high
                row["width"] += e.ci_high - e.ci_low
                row["methods"].add(_method_name(e.method or ""))
    rows = []
    for key, row in sorted(tally.items(), key=lambda kv: (METRICS.index(kv[0].split("|")[0]), kv[0])):
        metric, ci = key.split("|")
        cover = row["hits"] / row["counted"] if row["counted"] else math.nan
        rows.append(
            {
                "metric": metric,
                "ci": ci,
                "methods": sorted(row["methods"]),
                "truth": round(truth[metric], 4),
                "coverage": round(cover, 4),
                "mc_se": round(math.sqrt(cover * (1 - cover) / row["counted"]), 4) if row["counted"] else None,
                "mean_width": round(row["width"] / row["counted"], 4) if row["counted"] else None,
                "counted": row["counted"],
                "undefined": row["undefined"],
            }
        )
    return {"positives": n_pos, "negatives": n_neg, "d": d, "auroc": round(truth["auroc"], 3), "rows": rows}


def _method_name(method: str) -> str:
    """The method without its counts ("Wilson score interval", "BCa bootstrap", ...)."""
    for name in ("Wilson score interval", "Wilson interval of the Jaccard index", "score interval", "BCa bootstrap"):
        if method.startswith(name):
            return name
    return method


def markdown(report: dict[str, Any]) -> str:
    """One row per metric and ci mode, one column per scenario: coverage (mean width)."""
    heads = [f"{s['positives']}/{s['negatives']}, AUROC {s['auroc']:.2f}" for s in report["scenarios"]]
    lines = [
        "| metric | ci | method(s) | " + " | ".join(heads) + " |",
        "|---|---|---|" + "---|" * len(heads),
    ]
    keys = [(r["metric"], r["ci"]) for r in report["scenarios"][0]["rows"]]
    for metric, ci in keys:
        cells, methods = [], set()
        for s in report["scenarios"]:
            row = next(r for r in s["rows"] if (r["metric"], r["ci"]) == (metric, ci))
            methods.update(row["methods"])
            mark = "" if row["coverage"] >= GOAL else " ✗"
            extra = f", {row['undefined']} undef." if row["undefined"] else ""
            cells.append(f"{row['coverage']:.3f}{mark} ({row['mean_width']:.3f}{extra})")
        lines.append(f"| {metric} | {ci} | {' + '.join(sorted(methods))} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Coverage of the computed metrics' 95% intervals, by simulation.")
    parser.add_argument("--replicates", type=int, default=4000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=Path(__file__).resolve().parent / "results" / "coverage.json")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    found = [scenario(p, n, d, args.replicates, args.resamples) for p, n, d in SCENARIOS]
    worst = max(r["mc_se"] or 0 for s in found for r in s["rows"])
    report = {
        "replicates": args.replicates,
        "resamples": args.resamples,
        "threshold_rule": "positive when score >= d / 2",
        "goal": GOAL,
        "max_monte_carlo_se": worst,
        "scenarios": found,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(markdown(report))
    print(
        f"\n{args.replicates} replicates per scenario, {args.resamples} bootstrap resamples; coverage (mean width); "
        f"Monte Carlo standard error at most {worst:.4f}; ✗ below {GOAL:.0%}. "
        f"JSON: {args.json.name}; {time.perf_counter() - start:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
