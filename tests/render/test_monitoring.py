"""Monitoring trends: histories from MLflow and CSV time series into the lock, plots, crossings and warnings."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from helpers.evidence import resolve_project, valid_model
from helpers.project import REPO, minimal_source, write_tree

from compiler.build import render_input
from compiler.errors import EvidenceError
from compiler.load.reader import load_project
from compiler.render.monitoring import Trend, trends
from compiler.resolve.apply import provenance
from compiler.validate.project import ValidModel, validate_project

CSV = (
    "# SYNTHETIC test series\n"
    "date,ctr,psi_age\n"
    "2025-01-01,1.00,0.05\n"
    "2025-01-02,0.97,0.07\n"
    "2025-01-03,0.93,\n"
    "2025-01-04,0.88,0.12\n"
    "2025-01-05,0.86,0.26\n"
)


def _signal(signal_id: str, history: str, threshold: float, direction: str) -> dict[str, Any]:
    return {
        "id": signal_id,
        "name": f"Signal {signal_id}",
        "threshold": threshold,
        "direction": direction,
        "frequency": "daily",
        "action": "Page the on-call engineer.",
        "history": history,
    }


def _project(project: Path, signals: list[dict[str, Any]], sources: list[dict[str, Any]] | None = None) -> Path:
    data = minimal_source("m")
    data["system"]["monitoring"] = {"signals": signals}
    data["evidence"] = {"sources": sources or []}
    write_tree(project, {"content/m/model.yaml": data, "content/m/evidence/monitoring.csv": CSV})
    return project / "content/m"


def _trends(model: ValidModel) -> list[Trend]:
    """The trends as a build draws them: from the histories its resolve step puts in the render input."""
    found = render_input(model)
    return trends(found.source, found.histories)


def test_csv_history_into_the_lock_and_trends(project: Path) -> None:
    source = {"id": "monitoring", "kind": "timeseries", "path": "evidence/monitoring.csv", "synthetic": True}
    folder = _project(
        project,
        [
            _signal("ctr", "file://monitoring#/ctr", 0.90, "below"),
            _signal("psi-age", "file://evidence/monitoring.csv#/psi_age", 0.30, "above"),
        ],
        [source],
    )
    resolve_project(project)
    histories = json.loads((folder / "facts.lock.json").read_text())["histories"]
    ctr = histories["file://monitoring#/ctr"]
    assert (ctr["x"], ctr["values"], ctr["x_label"], ctr["synthetic"], ctr["source"]) == (
        ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"],
        [1.0, 0.97, 0.93, 0.88, 0.86],
        "date",
        True,
        "monitoring",
    )
    # An empty cell is a gap, not a zero.
    assert histories["file://evidence/monitoring.csv#/psi_age"]["x"] == [
        "2025-01-01",
        "2025-01-02",
        "2025-01-04",
        "2025-01-05",
    ]
    found = _trends(valid_model(project))
    assert [(t.signal_id, t.filename, t.crossed) for t in found] == [
        ("ctr", "trend-ctr.svg", True),
        ("psi-age", "trend-psi-age.svg", False),
    ]
    ctr_trend, psi = found
    assert ctr_trend.warning == (
        "Signal ctr went below its alert threshold 0.9 on 2025-01-04 (0.88) and is still below it "
        "(latest 0.86 on 2025-01-05). Declared action: Page the on-call engineer."
    )
    assert psi.warning is None
    assert ctr_trend.alt == (
        "Line chart of Signal ctr: 5 values from 2025-01-01 to 2025-01-05, between 0.86 and 1; first 1, latest 0.86. "
        "Dashed line: alert threshold 0.9 (alert when below it); 2 of 5 values are below it, shown in red."
    )
    assert ctr_trend.caption == (
        "Signal ctr (daily), 5 values from 2025-01-01 to 2025-01-05, with its alert threshold 0.9 "
        "(alert when below it). Source: evidence/monitoring.csv; synthetic demonstration data."
    )
    texts = _svg_texts(ctr_trend.svg)
    assert "alert below 0.9" in texts and "crossed 2025-01-04" in texts and "Signal ctr" in texts
    assert "crossed" not in " ".join(_svg_texts(psi.svg))
    assert b"<dc:date>" not in ctr_trend.svg
    assert [t.svg for t in _trends(valid_model(project))] == [t.svg for t in found]
    assert provenance(valid_model(project))["histories"]["file://monitoring#/ctr"]["used_by"] == [
        "system.monitoring.signals[0].history"
    ]


def _svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(node.itertext()).strip() for node in root.iter("{http://www.w3.org/2000/svg}text")]


def test_a_recovered_signal_and_repeated_crossings(project: Path) -> None:
    write_tree(project, {"content/m/evidence/steps.csv": "step,latency\n0,90\n1,130\n2,100\n3,125\n4,110\n"})
    _project(project, [_signal("latency", "file://evidence/steps.csv#/latency", 120, "above")])
    resolve_project(project)
    (trend,) = _trends(valid_model(project))
    assert trend.crossed
    assert trend.warning == (
        "Signal latency went above its alert threshold 120 at step 1 (130) (2 crossings in the period) and has since "
        "recovered (latest 110 at step 4). Declared action: Page the on-call engineer."
    )


def test_unresolved_history_and_bad_columns_are_placed(project: Path) -> None:
    _project(project, [_signal("ctr", "file://evidence/monitoring.csv#/ctr_rate", 0.9, "below")])
    with pytest.raises(EvidenceError) as caught:
        _trends(valid_model(project))
    assert caught.value.format() == (
        "content/m/model.yaml:"
        + _line(project, "file://evidence")
        + ": system.monitoring.signals[0].history: history file://evidence/monitoring.csv#/ctr_rate is not resolved: "
        "there is no content/m/facts.lock.json (hint: run `docs-compile resolve`)"
    )
    with pytest.raises(EvidenceError) as caught:
        resolve_project(project)
    assert caught.value.problems[0].message == (
        "file://evidence/monitoring.csv#/ctr_rate: evidence/monitoring.csv has no column 'ctr_rate'"
    )
    assert caught.value.problems[0].hint == "columns: ctr, psi_age"
    write_tree(project, {"content/m/evidence/monitoring.csv": "date,ctr_rate\n2025-01-01,high\n"})
    with pytest.raises(EvidenceError) as caught:
        resolve_project(project)
    assert caught.value.problems[0].message.endswith(
        "evidence/monitoring.csv, data row 1: 'high' in column 'ctr_rate' is not a number"
    )


def _line(project: Path, text: str) -> str:
    lines = (project / "content/m/model.yaml").read_text().splitlines()
    i = next(i for i, line in enumerate(lines) if text in line)
    return f"{i + 1}:{lines[i].index(text) + 1}"


def test_check_reports_a_history_that_moved_on(project: Path, cli: Any) -> None:
    folder = _project(project, [_signal("ctr", "file://evidence/monitoring.csv#/ctr", 0.9, "below")])
    assert cli("resolve").exit_code == 0
    assert cli("resolve", "--check").exit_code == 0
    with (folder / "evidence/monitoring.csv").open("a") as handle:
        handle.write("2025-01-06,0.84,0.27\n")
    result = cli("resolve", "--check")
    assert result.exit_code == 1
    assert (
        "system.monitoring.signals[0].history: file://evidence/monitoring.csv#/ctr: locked 5 points, last 0.86 at "
        "date 2025-01-05, now 6 points, last 0.84 at date 2025-01-06 (hint: run `docs-compile resolve`)"
    ) in result.stderr


def test_mlflow_metric_history(project: Path) -> None:
    pytest.importorskip("mlflow")
    from mlflow import MlflowClient

    folder = _project(project, [])
    (folder / "mlruns").mkdir()
    uri = f"sqlite:///{folder / 'mlruns/mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("monitoring", artifact_location=(folder / "mlruns/artifacts").as_uri())
    run = client.create_run(experiment, run_name="daily-monitoring").info.run_id
    logged = [1.0, 0.99, 0.97, 0.95, 0.92, 0.89, 0.87]
    for step, value in enumerate(logged):
        client.log_metric(run, "ctr/relative", value, step=step, timestamp=1_735_689_600_000 + step * 86_400_000)
    # The monitoring run is still going: its history so far is documented (a fact would be refused).
    data = minimal_source("m")
    data["system"]["monitoring"] = {
        "signals": [_signal("ctr", f"mlflow://{run}/metrics/ctr/relative?history", 0.9, "below")]
    }
    data["evidence"] = {"sources": [{"id": "tracking", "kind": "mlflow", "tracking_uri": "sqlite:///mlruns/mlflow.db"}]}
    write_tree(project, {"content/m/model.yaml": data})
    resolve_project(project)
    entry = json.loads((folder / "facts.lock.json").read_text())["histories"][
        f"mlflow://{run}/metrics/ctr/relative?history"
    ]
    assert (entry["x"], entry["values"], entry["x_label"], entry["kind"], entry["run_status"], entry["key"]) == (
        list(range(7)),
        logged,
        "step",
        "mlflow.history",
        "RUNNING",
        "ctr/relative",
    )
    assert (entry["run_id"], entry["timestamp"], entry["tracking_uri"]) == (
        run,
        "2025-01-07T00:00:00.000Z",
        "sqlite:///mlruns/mlflow.db",
    )
    (trend,) = _trends(valid_model(project))
    assert trend.crossed and trend.warning is not None
    assert trend.warning.startswith("Signal ctr went below its alert threshold 0.9 at step 5 (0.89)")
    assert "crossed at step 5" in _svg_texts(trend.svg)


def test_the_recommender_example_is_reproducible_and_alerts(project: Path, copy_examples: Any) -> None:
    target = project / "monitoring.csv"
    script = REPO / "examples/synthetic/recommender_monitoring.py"
    subprocess.run([sys.executable, str(script), "--out", str(target)], check=True, capture_output=True)
    shipped = REPO / "content/item-recommender/evidence/monitoring.csv"
    assert target.read_bytes() == shipped.read_bytes()
    assert shipped.read_text().startswith("# SYNTHETIC demonstration data")
    copy_examples("item-recommender", audiences=False)
    model = validate_project(load_project(project / "content", ["item-recommender"])).models[0]
    found = {t.signal_id: t for t in _trends(model)}
    assert sorted(found) == ["ctr-decay", "psi-item-price", "psi-user-activity"]
    assert (found["ctr-decay"].crossed, found["psi-user-activity"].crossed) == (True, False)
    assert "synthetic demonstration data" in found["ctr-decay"].caption
    assert resolve_project(project, check=True).models[0].status == "current"
