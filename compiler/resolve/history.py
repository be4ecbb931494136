"""Resolve stage: monitoring histories — the series behind each signal's `history` reference, for the lock.

A signal's `history` names a series rather than one value:

    mlflow://[<source>@]<run_id>/metrics/<key>[?history]   every logged value of a metric (by step, or time)
    wandb://[<source>@]<run>/history/<key>                 every logged value of a W&B run's metric
    neptune://[<source>@]<run>/<field/path>                every logged value of a Neptune run's float series
    file://<path-or-source-id>#/<column>                   a CSV time series column (first column: date or step)

The series is written into the lock (`histories`, keyed by the reference), so a build draws the trend
plots without tracker access.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

from compiler._util.hashing import sha256_file
from compiler._util.text import closest
from compiler.errors import Location
from compiler.resolve.paths import existing_file
from compiler.resolve.readers.base import ModelContext
from compiler.resolve.readers.mlflow import display_uri, iso_ms
from compiler.resolve.refs import FactError, Reference, parse
from compiler.schema.governance import MlflowSource, TimeseriesSource

HISTORY_SUFFIX = "?history"
X_COLUMNS = ("date", "step", "time", "timestamp")


@dataclass(frozen=True)
class HistoryUse:
    """A signal that declares a history: its id, its index in system.monitoring.signals, the reference and place."""

    signal_id: str
    index: int
    ref: str
    location: Location

    @property
    def path(self) -> tuple[str | int, ...]:
        return ("system", "monitoring", "signals", self.index, "history")


def history_uses(model: Any) -> list[HistoryUse]:
    """Every signal of a validated model that declares a history, in source order."""
    monitoring = model.source.system.monitoring
    if monitoring is None:
        return []
    uses = []
    for i, signal in enumerate(monitoring.signals):
        if signal.history:
            where = model.loaded.locate(("system", "monitoring", "signals", i, "history"))
            uses.append(HistoryUse(signal.id, i, signal.history, where))
    return uses


def series(x_label: str, x: list[Any], values: list[float], provenance: dict[str, Any]) -> dict[str, Any]:
    """A lock entry: the points (x and value lists of equal length) and where they come from."""
    return {"x_label": x_label, "x": x, "values": values, "points": len(values), **provenance}


def resolve_history(text: str, context: ModelContext, readers: Any) -> dict[str, Any]:
    """The series a history reference names; FactError when it cannot be read."""
    ref = parse(text)
    if ref.scheme == "mlflow":
        body = ref.body.removesuffix(HISTORY_SUFFIX)
        return mlflow_history(readers.get("mlflow"), Reference(ref.text, ref.scheme, ref.source, body, ref.fragment))
    if ref.scheme in ("wandb", "neptune"):
        steps, values, provenance = readers.get(ref.scheme).history(ref)
        return series("step", steps, values, provenance)
    if ref.scheme == "file":
        return csv_history(context, ref)
    raise FactError(
        f"a history cannot come from {ref.scheme}:// references",
        "use mlflow://<run>/metrics/<key>?history, wandb://<run>/history/<key>, neptune://<run>/<field/path> "
        "or file://<csv>#/<column>",
    )


def mlflow_history(reader: Any, ref: Reference) -> dict[str, Any]:
    """Every logged value of an MLflow metric, by step (or by time when all share one step)."""
    source = reader.context.pick(ref, "mlflow")
    assert isinstance(source, MlflowSource)
    parts = ref.parts
    if len(parts) < 3 or parts[1] != "metrics" or not all(parts[2:]):
        raise FactError("expected mlflow://<run_id>/metrics/<key>?history for a history", "")
    run_id, key = parts[0], "/".join(parts[2:])
    client = reader.client(source)
    # A monitoring run may still be running: its history so far is what the documents show. A deleted one is refused.
    run = reader.run(source, run_id, finished=False)
    if key not in run.data.metrics:
        known = sorted(run.data.metrics)
        raise FactError(
            f"run {run_id} has no metric '{key}'", closest(key, known) or f"metrics: {', '.join(known) or 'none'}"
        )
    logged = reader._call(source, f"metric '{key}'", client.get_metric_history, run_id, key)
    logged = sorted(logged, key=lambda m: (m.step, m.timestamp))
    by_step = len({m.step for m in logged}) == len(logged)
    x: list[Any] = [m.step for m in logged] if by_step else [iso_ms(m.timestamp) for m in logged]
    values = [float(m.value) for m in logged]
    provenance = {
        "kind": "mlflow.history",
        "source": source.id,
        "tracking_uri": display_uri(source.tracking_uri),
        "run_id": run_id,
        "run_status": run.info.status,
        "key": key,
        "step": logged[-1].step,
        "timestamp": iso_ms(logged[-1].timestamp),
        "reader": reader.reader_version(),
    }
    return series("step" if by_step else "time", x, values, provenance)


def _csv_rows(text: str, shown: str) -> tuple[list[str], list[list[str]]]:
    # Leading '#' lines label the file (e.g. as synthetic data); they are not part of the table.
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    reader = csv.reader(io.StringIO("\n".join(lines)))
    try:
        table = list(reader)
    except csv.Error as exc:  # e.g. a field longer than csv.field_size_limit()
        raise FactError(f"{shown} is not valid CSV (row {reader.line_num + 1}: {exc})") from None
    if not table or not table[0]:
        raise FactError(f"{shown} has no header row", "the first row names the columns: date (or step), then signals")
    return [c.strip() for c in table[0]], table[1:]


def csv_history(context: ModelContext, ref: Reference) -> dict[str, Any]:
    """One column of a CSV time series against its first column (date or step)."""
    body = "/".join(ref.parts)
    declared = context.sources.get(body)
    synthetic = False
    if declared is not None:
        if declared.kind not in ("timeseries", "file"):
            raise FactError(f"evidence source '{body}' is a {declared.kind} source, not a time series", "")
        relative = declared.path
        synthetic = isinstance(declared, TimeseriesSource) and declared.synthetic
    else:
        relative = body
    path = existing_file(context.folder, relative, "time series")
    column = ref.fragment.removeprefix("/")
    if not column:
        raise FactError("the history names no column", f"write file://{body}#/<column>")
    header, rows = _csv_rows(path.read_bytes().decode("utf-8-sig", errors="replace"), relative)
    if column not in header[1:]:
        hint = closest(column, header[1:]) or f"columns: {', '.join(header[1:]) or 'none'}"
        raise FactError(f"{relative} has no column '{column}'", hint)
    x_label = header[0].lower() if header[0].lower() in X_COLUMNS else header[0]
    at = header.index(column)
    x: list[Any] = []
    values: list[float] = []
    for number, row in enumerate(rows, start=2):
        cell = row[at].strip() if at < len(row) else ""
        if not cell:
            continue  # a day without a value is a gap, not a zero
        try:
            value = float(cell)
        except ValueError:
            raise FactError(
                f"{relative}, data row {number - 1}: '{cell}' in column '{column}' is not a number"
            ) from None
        if not math.isfinite(value):
            raise FactError(f"{relative}, data row {number - 1}: '{cell}' is not a finite number")
        x.append(int(row[0]) if x_label == "step" and row[0].strip().isdigit() else row[0].strip())
        values.append(value)
    if not values:
        raise FactError(f"{relative}: column '{column}' holds no values")
    provenance: dict[str, Any] = {"kind": "timeseries", "path": relative, "column": column, "sha256": sha256_file(path)}
    if declared is not None:
        provenance["source"] = declared.id
    if synthetic:
        provenance["synthetic"] = True
    from compiler import __version__

    provenance["reader"] = f"docs-compile {__version__}"
    return series(x_label, x, values, provenance)


def history_drift(old: dict[str, Any] | None, new: dict[str, Any]) -> str | None:
    """How a series differs from its locked form, or None when it does not."""
    if old is None:
        return "not in the lock"
    if old.get("x") == new.get("x") and old.get("values") == new.get("values"):
        if old.get("sha256") != new.get("sha256"):
            return "source changed since the lock (sha256 differs)"
        return None

    def last(entry: dict[str, Any]) -> str:
        if not entry.get("values"):
            return "no points"
        return f"{entry['points']} points, last {entry['values'][-1]} at {entry['x_label']} {entry['x'][-1]}"

    return f"locked {last(old)}, now {last(new)}"


def summary(entry: dict[str, Any]) -> dict[str, Any]:
    """A history's provenance without its points (for the manifest)."""
    shown = {k: v for k, v in entry.items() if k not in ("x", "values")}
    if entry.get("x"):
        shown.update(first=entry["x"][0], last=entry["x"][-1])
    return dict(sorted(shown.items()))
