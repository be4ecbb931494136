"""Render stage helper: metric plots as deterministic SVG (matplotlib, no dates, fixed ids)."""

from __future__ import annotations

import io
import textwrap
from typing import Any

from markupsafe import Markup, escape

from compiler.render.formats import format_value
from compiler.render.plot_store import stored_plot
from compiler.schema import Metric, Result


def svg_style() -> dict[str, Any]:
    """Matplotlib settings every SVG figure of the documents shares (deterministic bytes)."""
    # A fixed hash salt gives stable element ids; text stays text (no font files), no date in metadata.
    return {
        "svg.hashsalt": "docs-compile",
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def figure(classes: str, anchor: str, path: str, alt: str, caption: str) -> Markup:
    """An SVG asset with its text alternative and caption as an HTML figure, on lines of its own.

    Alt text and caption are folded onto one line: source text in them (a metric's unit, a factor's
    name) must not start a line of the page's Markdown, where a ```` ``` ```` fence would break the figure.
    """
    alt, caption = " ".join(alt.split()), " ".join(caption.split())
    return Markup(
        f'\n<figure class="{classes}" id="{anchor}">'
        f'<img src="{escape(path)}" alt="{escape(alt)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>\n"
    )


def subgroup_plot(
    metric: Metric, factor: str, rows: list[Result], overall: Result | None, operating_point: str | None
) -> tuple[bytes, str]:
    """A dot plot of one metric per level of a factor with 95% CI bars and the overall value as a line.

    Returns the SVG and its text alternative (which states every value, so nothing is lost without the image).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = [r for r in rows if isinstance(r.value, float)]
    labels = [str(next(iter(r.slice.values()))) for r in rows]
    with matplotlib.rc_context(svg_style()):  # type: ignore[arg-type]
        fig = Figure(figsize=(6.4, 0.45 * len(rows) + 1.3))
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        values = [float(r.value) for r in rows]
        lows = [v - float(r.ci_low) if isinstance(r.ci_low, float) else 0.0 for v, r in zip(values, rows, strict=True)]
        highs = [
            float(r.ci_high) - v if isinstance(r.ci_high, float) else 0.0 for v, r in zip(values, rows, strict=True)
        ]
        ax.errorbar(values, ys, xerr=[lows, highs], fmt="o", color="#3f51b5", ecolor="#7986cb", capsize=3)
        if overall is not None and isinstance(overall.value, float):
            ax.axvline(float(overall.value), color="#9e9e9e", linestyle="--", linewidth=1)
            ax.text(float(overall.value), len(rows) - 0.4, " overall", color="#616161", va="bottom")
        ax.set_yticks(ys, labels)
        ax.set_ylim(-0.7, len(rows) - 0.2)
        ax.set_xlabel(metric.name + (f" ({metric.unit})" if metric.unit else ""))
        # Threshold-free metrics (AUROC) have no operating point; long titles wrap instead of running off.
        point = (
            f"\nat operating point {operating_point}"
            if operating_point and any(r.operating_point for r in rows)
            else ""
        )
        title = textwrap.fill(f"{metric.name} by {factor.lower()}", 60)
        ax.set_title(title + point, loc="left")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "docs-compile"})
    described = "; ".join(
        f"{label}: {format_value(r.value, metric)}"
        + (
            f" (95% CI {format_value(r.ci_low, metric)} to {format_value(r.ci_high, metric)})"
            if r.ci_low is not None and r.ci_high is not None
            else ""
        )
        for label, r in zip(labels, rows, strict=True)
    )
    alt = f"{metric.name} by {factor.lower()}: {described}."
    if overall is not None:
        alt += f" Overall: {format_value(overall.value, metric)}."
    return buffer.getvalue(), alt


def cached_subgroup_plot(
    metric: Metric, factor: str, rows: list[Result], overall: Result | None, operating_point: str | None
) -> tuple[bytes, str]:
    """subgroup_plot, drawn once for the same inputs (plot_store.py: in this process and in the build cache)."""
    parts = (
        "subgroups",
        metric.model_dump(),
        factor,
        [r.model_dump() for r in rows],
        overall and overall.model_dump(),
        operating_point,
    )
    return stored_plot(parts, lambda: subgroup_plot(metric, factor, rows, overall, operating_point))
