"""Benchmark: the documents' subgroup plots drawn by matplotlib (what the compiler uses) against Vega-Lite
through vl-convert-python, on the same data: every subgroup plot the example models draw.

Both draw a dot per level with its 95% interval and the overall value as a dashed line. Reported: the cold
cost (import and first plot, in a fresh process each, which is what a build's worker pays once) and the
median cost of a plot after that, plus the SVG sizes. The SVGs of both are written to --out (and a PNG of
each, for looking at them side by side).

    pip install -e ".[bench]"   # vl-convert-python: for this benchmark only, not a dependency of the compiler
    python benchmarks/plots.py --out /tmp/plots
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))


def plot_inputs() -> list[dict[str, Any]]:
    """Every (metric, factor) subgroup plot the example models draw, as plain data."""
    from compiler.load.cached import load_project
    from compiler.render.results import default_point, factor_name, find_result
    from compiler.resolve.apply import resolved_source
    from compiler.validate.project import validate_project

    catalog = validate_project(load_project(REPO / "content"))
    found = []
    for valid in catalog.models:
        source = resolved_source(valid)
        factors = list(dict.fromkeys([*source.factors.evaluation, *(f.id for f in source.factors.relevant)]))
        for metric in source.evaluation.metrics:
            overall = find_result(source, metric.id)
            dataset = overall.dataset if overall else None
            for factor in factors:
                rows = [
                    r
                    for r in source.evaluation.results
                    if r.metric == metric.id
                    and list(r.slice) == [factor]
                    and dataset in (None, r.dataset)
                    and isinstance(r.value, float)
                ]
                if rows:
                    found.append(
                        {
                            "metric": metric.model_dump(mode="json"),
                            "factor": factor_name(source, factor),
                            "rows": [r.model_dump(mode="json") for r in rows],
                            "overall": overall.model_dump(mode="json") if overall else None,
                            "point": default_point(source),
                        }
                    )
    return found


def draw_matplotlib(plot: dict[str, Any]) -> bytes:
    from compiler.render.plots import subgroup_plot
    from compiler.schema import Metric, Result

    rows = [Result.model_validate(r) for r in plot["rows"]]
    overall = Result.model_validate(plot["overall"]) if plot["overall"] else None
    svg, _ = subgroup_plot(Metric.model_validate(plot["metric"]), plot["factor"], rows, overall, plot["point"])
    return svg


def vega_spec(plot: dict[str, Any]) -> dict[str, Any]:
    """The same dot plot as a Vega-Lite spec: points, interval rules, the overall value as a dashed rule."""
    metric = plot["metric"]
    label = metric["name"] + (f" ({metric['unit']})" if metric.get("unit") else "")
    values = [
        {
            "level": str(next(iter(r["slice"].values()))),
            "value": r["value"],
            "low": r["ci_low"] if r["ci_low"] is not None else r["value"],
            "high": r["ci_high"] if r["ci_high"] is not None else r["value"],
        }
        for r in plot["rows"]
    ]
    y = {"field": "level", "type": "nominal", "sort": None, "title": None}
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "rule", "color": "#7986cb"},
            "encoding": {
                "y": y,
                "x": {"field": "low", "type": "quantitative", "title": label, "scale": {"zero": False}},
                "x2": {"field": "high"},
            },
        },
        {
            "mark": {"type": "point", "filled": True, "color": "#3f51b5"},
            "encoding": {"y": y, "x": {"field": "value", "type": "quantitative"}},
        },
    ]
    if plot["overall"] and isinstance(plot["overall"]["value"], float):
        layers.append(
            {
                "data": {"values": [{"overall": plot["overall"]["value"]}]},
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#9e9e9e"},
                "encoding": {"x": {"field": "overall", "type": "quantitative"}},
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": f"{metric['name']} by {plot['factor'].lower()}", "anchor": "start", "fontSize": 11},
        "width": 520,
        "height": {"step": 32},
        "data": {"values": values},
        "config": {"font": "DejaVu Sans", "view": {"stroke": None}},
        "layer": layers,
    }


def draw_vega(plot: dict[str, Any]) -> bytes:
    import vl_convert

    return str(vl_convert.vegalite_to_svg(vega_spec(plot))).encode()


DRAW = {"matplotlib": draw_matplotlib, "vega-lite": draw_vega}


def cold(engine: str) -> float:
    """Seconds for a fresh process to import its engine and draw the first plot (the clock starts after the
    interpreter has started and the inputs are loaded, so neither is counted)."""
    code = (
        f"import sys, time; sys.path.insert(0, {str(HERE)!r}); import plots; inputs = plots.plot_inputs(); "
        f"t = time.perf_counter(); plots.DRAW[{engine!r}](inputs[0]); print(time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/docs-compile-plots"))
    parser.add_argument("--repeats", type=int, default=5, help="draws of every plot per engine (median taken)")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "plots.json")
    args = parser.parse_args()
    inputs = plot_inputs()
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"plots": len(inputs)}
    for engine, draw in DRAW.items():
        draw(inputs[0])  # warm: imports, fonts, the engine's start-up
        times, sizes = [], []
        for _ in range(args.repeats):
            for i, plot in enumerate(inputs):
                started = time.perf_counter()
                svg = draw(plot)
                times.append(time.perf_counter() - started)
                sizes.append(len(svg))
                (args.out / f"{engine}-{i}.svg").write_bytes(svg)
        colds = [cold(engine) for _ in range(3)]
        result[engine] = {
            "cold_first_plot_s": round(statistics.median(colds), 3),
            "warm_plot_ms": round(statistics.median(times) * 1000, 1),
            "svg_kb": round(statistics.median(sizes) / 1024, 1),
            "deterministic": all(draw(inputs[0]) == draw(inputs[0]) for _ in range(2)),
        }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
