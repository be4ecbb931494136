"""Render stage helper: monitoring trends — each signal's locked history as a deterministic SVG plot.

`trends(source, histories)` draws, for every monitoring signal that declares a `history`, the series with
its alert threshold, the region beyond it shaded and every crossing into it marked, plus a text alternative,
a caption and, when the threshold was crossed, a warning for the documents. The histories come with the
render input (the resolve step read them from the lock), so documents build without tracker access.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from compiler.render.plot_store import stored_plot
from compiler.render.plots import svg_style
from compiler.schema import Source
from compiler.schema.system import Signal

_BLUE, _RED, _GREY = "#3f51b5", "#c62828", "#616161"


@dataclass(frozen=True)
class Trend:
    """One signal's trend plot and what the documents say about it."""

    signal_id: str
    filename: str
    svg: bytes
    alt: str
    caption: str
    crossed: bool
    warning: str | None


@dataclass(frozen=True)
class _Series:
    label: str  # what the x values are: date, step, time…
    x: list[Any]  # as shown in text
    positions: list[Any]  # as plotted (dates, numbers)
    values: list[float]


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _series(entry: dict[str, Any]) -> _Series:
    label = str(entry.get("x_label") or "step")
    x = list(entry["x"])
    values = [float(v) for v in entry["values"]]
    positions: list[Any]
    try:
        if label == "date":
            positions = [date.fromisoformat(str(v)) for v in x]
        elif label in ("time", "timestamp"):
            positions = [datetime.fromisoformat(str(v)) for v in x]
        else:
            positions = [float(v) for v in x]
    except ValueError:
        positions = list(range(len(x)))  # labels that are neither dates nor numbers: plot in order
    return _Series(label, x, positions, values)


def _beyond(signal: Signal, threshold: float, value: float) -> bool:
    return value > threshold if signal.direction == "above" else value < threshold


def _crossings(signal: Signal, threshold: float, values: list[float]) -> list[int]:
    """Indexes where the series enters the alert region (the first point counts when it starts there)."""
    flags = [_beyond(signal, threshold, v) for v in values]
    return [i for i, flag in enumerate(flags) if flag and (i == 0 or not flags[i - 1])]


def _at(series: _Series, i: int) -> str:
    return f"on {series.x[i]}" if series.label in ("date", "time", "timestamp") else f"at {series.label} {series.x[i]}"


def _warning(signal: Signal, threshold: float, series: _Series, crossings: list[int]) -> str | None:
    if not crossings:
        return None
    first, last = crossings[0], len(series.values) - 1
    side = "above" if signal.direction == "above" else "below"
    still = _beyond(signal, threshold, series.values[last])
    now = (
        f"is still {side} it (latest {_number(series.values[last])} {_at(series, last)})"
        if still
        else f"has since recovered (latest {_number(series.values[last])} {_at(series, last)})"
    )
    times = "" if len(crossings) == 1 else f" ({len(crossings)} crossings in the period)"
    return (
        f"{signal.name} went {side} its alert threshold {_number(threshold)} {_at(series, first)} "
        f"({_number(series.values[first])}){times} and {now}. Declared action: {signal.action}"
    )


def trend_svg(signal: Signal, threshold: float, series: _Series, crossings: list[int]) -> bytes:
    """The plot: series, threshold line, alert region shaded, points beyond it and crossings marked."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    with matplotlib.rc_context(svg_style()):  # type: ignore[arg-type]
        fig = Figure(figsize=(6.4, 2.8))
        ax = fig.add_subplot()
        xs, ys = series.positions, series.values
        ax.plot(xs, ys, color=_BLUE, linewidth=1.4, label=signal.name if len(signal.name) < 40 else "value")
        low, high = min([*ys, threshold]), max([*ys, threshold])
        pad = (high - low) * 0.12 or abs(threshold) * 0.1 or 1.0
        ax.set_ylim(low - pad, high + pad)
        bottom, top = ax.get_ylim()
        if signal.direction == "above":
            ax.axhspan(threshold, top, color=_RED, alpha=0.07, linewidth=0)
        else:
            ax.axhspan(bottom, threshold, color=_RED, alpha=0.07, linewidth=0)
        ax.axhline(threshold, color=_RED, linestyle="--", linewidth=1.1)
        side = "above" if signal.direction == "above" else "below"
        ax.annotate(
            f"alert {side} {_number(threshold)}",
            xy=(0.005, threshold),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3 if signal.direction == "above" else -10),
            textcoords="offset points",
            color=_RED,
            fontsize=8,
        )
        beyond = [i for i, v in enumerate(ys) if _beyond(signal, threshold, v)]
        if beyond:
            ax.plot([xs[i] for i in beyond], [ys[i] for i in beyond], "o", color=_RED, markersize=3)
        for i in crossings:
            ax.plot([xs[i]], [ys[i]], marker="v" if side == "below" else "^", color=_RED, markersize=9)
        if crossings:
            first = crossings[0]
            ax.annotate(
                f"crossed {_at(series, first).removeprefix('on ')}",
                xy=(xs[first], ys[first]),
                xytext=(-8, 14 if side == "above" else -16),
                textcoords="offset points",
                ha="right",
                color=_RED,
                fontsize=8,
            )
        if series.label in ("date", "time", "timestamp") and isinstance(xs[0], (date, datetime)):
            locator = AutoDateLocator()
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        else:
            ax.set_xlabel(series.label)
        ax.set_title("\n".join(textwrap.wrap(signal.name, 80)), loc="left", fontsize=9)
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "docs-compile"})
    return buffer.getvalue()


def _describe(signal: Signal, threshold: float, series: _Series, entry: dict[str, Any]) -> tuple[str, str]:
    n, side = len(series.values), ("above" if signal.direction == "above" else "below")
    span = (
        f"from {series.x[0]} to {series.x[-1]}"
        if series.label in ("date", "time", "timestamp")
        else f"{series.label} {series.x[0]} to {series.x[-1]}"
    )
    beyond = sum(_beyond(signal, threshold, v) for v in series.values)
    alt = (
        f"Line chart of {signal.name}: {n} values {span}, between {_number(min(series.values))} and "
        f"{_number(max(series.values))}; first {_number(series.values[0])}, latest {_number(series.values[-1])}. "
        f"Dashed line: alert threshold {_number(threshold)} (alert when {side} it); "
        + (f"{beyond} of {n} values are {side} it, shown in red." if beyond else "no value crosses it.")
    )
    origin = entry.get("path") or (f"run {entry['run_id']}" if entry.get("run_id") else entry.get("source", ""))
    synthetic = "; synthetic demonstration data" if entry.get("synthetic") else ""
    caption = (
        f"{signal.name} ({signal.frequency}), {n} values {span}, with its alert threshold "
        f"{_number(threshold)} (alert when {side} it). Source: {origin}{synthetic}."
    )
    return alt, caption


def _trend_plot(signal: Signal, threshold: float, series: _Series, crossings: list[int]) -> bytes:
    """trend_svg, drawn once for the same data (plot_store.py)."""
    parts = ("trend", signal.model_dump(), threshold, series, crossings)
    return stored_plot(parts, lambda: (trend_svg(signal, threshold, series, crossings), ""))[0]


def trends(source: Source, histories: dict[str, dict[str, Any]]) -> list[Trend]:
    """A trend for every monitoring signal with a history, in source order.

    `source` is the resolved source (a threshold may itself be a fact reference); `histories` maps a signal
    id to its locked series, as `RenderInput.histories` carries them.
    """
    if not histories:
        return []
    monitoring = source.system.monitoring
    assert monitoring is not None
    found = []
    for signal in monitoring.signals:
        entry = histories.get(signal.id)
        if entry is None:
            continue
        threshold = float(signal.threshold)
        series = _series(entry)
        crossings = _crossings(signal, threshold, series.values)
        alt, caption = _describe(signal, threshold, series, entry)
        found.append(
            Trend(
                signal_id=signal.id,
                filename=f"trend-{signal.id}.svg",
                svg=_trend_plot(signal, threshold, series, crossings),
                alt=alt,
                caption=caption,
                crossed=bool(crossings),
                warning=_warning(signal, threshold, series, crossings),
            )
        )
    return found
