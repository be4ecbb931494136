"""Render stage helper: subgroup results pivoted into tables — per dataset, a table per factor, a row per group.

The grouping, de-duplication and pivot happen here so that a template only lays the tables out
(`audiences/_common/macros.md.j2`, macro `subgroup_tables`). Everything keeps the order in which the
source lists its results.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from compiler.render.results import factor_name, find_result
from compiler.schema import Result, Source

T = TypeVar("T")


@dataclass(frozen=True)
class SubgroupPlot:
    """A plot of one metric across the levels of one factor (drawn by `plot_subgroups`)."""

    metric: str
    factor: str


@dataclass(frozen=True)
class SubgroupRow:
    """One group of a table: its levels, its operating point when the table has that column, a cell per metric."""

    group: str
    """The group's levels joined with ' × ', e.g. 'female' or 'female × 65+'."""
    operating_point: str
    """The rows' operating point when the table has an operating-point column, else ''."""
    cells: tuple[Result | None, ...]
    """The result of each of the table's metrics, in column order; None where there is none."""
    reasons: tuple[str, ...] = ()
    """Beside each cell: why a computed metric has no value ('undefined: no negatives in this cell'), else ''."""


@dataclass(frozen=True)
class SubgroupTable:
    """One factor (or combination of factors) on one dataset: a row per group, a column per metric."""

    factors: tuple[str, ...]
    """Factor names, e.g. ('Sex',) or ('Sex', 'Age band') for an intersection."""
    metrics: tuple[str, ...]
    """Metric ids, one column each, in the order the source first reports them."""
    point: str
    """The one operating point every threshold-dependent row shares, or '' (none, or several)."""
    by_point: bool
    """Rows are at more than one operating point: the table has an operating-point column."""
    threshold_free: bool
    """Some rows have no operating point (e.g. AUROC beside sensitivity)."""
    rows: tuple[SubgroupRow, ...]
    plots: tuple[SubgroupPlot, ...]
    """Plots shown right after this table (each metric and factor is plotted once, on its overall's dataset)."""


@dataclass(frozen=True)
class DatasetTables:
    """The subgroup tables of one dataset."""

    dataset: str
    """Dataset id, or '' for results that name no dataset."""
    title: str
    """The dataset's name, else its id, else 'Dataset not named'."""
    anchor: str
    """Heading anchor: the dataset id, or 'unnamed'."""
    tables: tuple[SubgroupTable, ...]


@dataclass(frozen=True)
class SubgroupLayout:
    """Every subgroup table of a model, and the plots that belong to no table."""

    datasets: tuple[DatasetTables, ...]
    plots: tuple[SubgroupPlot, ...]
    """Single-factor plots not shown after a table (their overall result is on another dataset)."""


def subgroup_layout(source: Source) -> SubgroupLayout:
    """The source's sliced results as tables: per dataset, per factor combination, in source order."""
    sliced = [r for r in source.evaluation.results if r.slice]
    plotted: list[SubgroupPlot] = []  # plots placed so far, across datasets: each is drawn once
    datasets = []
    for dataset in _unique(r.dataset or "" for r in sliced):
        on = [r for r in sliced if (r.dataset or "") == dataset]
        tables = []
        for factors in _unique(tuple(r.slice) for r in on):
            rows = [r for r in on if tuple(r.slice) == factors]
            plots = _plots_after(source, rows, factors, dataset, plotted)
            plotted.extend(plots)
            tables.append(_table(source, rows, factors, plots))
        title = next((d.name for d in source.datasets if d.id == dataset), dataset or "Dataset not named")
        datasets.append(DatasetTables(dataset, title, dataset or "unnamed", tuple(tables)))
    rest = [p for p in single_factor_plots(source) if p not in plotted]
    return SubgroupLayout(tuple(datasets), tuple(rest))


def single_factor_plots(source: Source) -> list[SubgroupPlot]:
    """Every (metric, factor) that has results on one factor, in source order."""
    return _unique(SubgroupPlot(r.metric, next(iter(r.slice))) for r in source.evaluation.results if len(r.slice) == 1)


def _table(source: Source, rows: list[Result], factors: tuple[str, ...], plots: list[SubgroupPlot]) -> SubgroupTable:
    metrics = _unique(r.metric for r in rows)
    points = _unique(r.operating_point for r in rows if r.operating_point)
    by_point = len(points) > 1
    dataset = rows[0].dataset if rows else None
    # Groups where a computed metric is undefined get a row too, so that its reason is printed.
    undefined = [
        u
        for u in source.evaluation.undefined
        if u.metric in metrics and tuple(u.slice) == factors and u.dataset == dataset
    ]
    groups = _unique(
        [(_levels(r), (r.operating_point or "") if by_point else "") for r in rows]
        + [(" × ".join(u.slice.values()), (u.operating_point or "") if by_point else "") for u in undefined]
    )
    table_rows = tuple(
        SubgroupRow(
            group,
            point,
            tuple(_cell(rows, metric, group, point if by_point else None) for metric in metrics),
            tuple(_reason(source, dataset, metric, group, point if by_point else None) for metric in metrics),
        )
        for group, point in groups
    )
    return SubgroupTable(
        factors=tuple(factor_name(source, f) for f in factors),
        metrics=tuple(metrics),
        point=points[0] if len(points) == 1 else "",
        by_point=by_point,
        threshold_free=any(not r.operating_point for r in rows),
        rows=table_rows,
        plots=tuple(plots),
    )


def _cell(rows: list[Result], metric: str, group: str, point: str | None) -> Result | None:
    """The first result of the metric for the group (at the point, when the table has a point column)."""
    return next(
        (
            r
            for r in rows
            if r.metric == metric and _levels(r) == group and (point is None or (r.operating_point or "") == point)
        ),
        None,
    )


def _reason(source: Source, dataset: str | None, metric: str, group: str, point: str | None) -> str:
    """Why the metric has no value for the group, as 'undefined: …', or '' (a result, or no reason known)."""
    for u in source.evaluation.undefined:
        same = " × ".join(u.slice.values()) == group and u.dataset == dataset and u.metric in (metric, None)
        if same and (point is None or (u.operating_point or "") == point):
            return (
                "undefined: " + u.reason.partition(" is undefined: ")[2] if " is undefined: " in u.reason else u.reason
            )
    return ""


def _plots_after(
    source: Source, rows: list[Result], factors: tuple[str, ...], dataset: str, plotted: list[SubgroupPlot]
) -> list[SubgroupPlot]:
    """The single-factor plots that follow this table: those whose overall result is on this dataset (or on none)."""
    if len(factors) != 1:
        return []
    found = []
    for metric in _unique(r.metric for r in rows):
        plot = SubgroupPlot(metric, factors[0])
        if plot in plotted:
            continue
        overall = find_result(source, metric)
        if overall is None or not overall.dataset or overall.dataset == dataset:
            found.append(plot)
    return found


def _levels(result: Result) -> str:
    return " × ".join(str(level) for level in result.slice.values())


def _unique(items: Iterable[T]) -> list[T]:
    """The distinct items, in the order they first appear."""
    return list(dict.fromkeys(items))
