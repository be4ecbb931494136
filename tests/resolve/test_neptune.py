"""Resolve stage with real Neptune offline runs (written by the neptune client): values, provenance, drift."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.evidence import position, resolve_failure, resolve_project, valid_model
from helpers.project import minimal_source, write_tree

pytest.importorskip("neptune")

WRITER = textwrap.dedent(
    """
    import sys
    import neptune

    run = neptune.init_run(
        mode="offline", project="team/triage", name="baseline", tags=["logreg", "baseline"],
        capture_hardware_metrics=False, capture_stdout=False, capture_stderr=False, capture_traceback=False,
        git_ref=False, source_files=[],
    )
    run["parameters"] = {"lr": 0.01, "optimizer": {"name": "adam"}}
    for step, value in enumerate([0.80, 0.86, float(sys.argv[1])]):
        run["val/auroc"].append(value, step=step)
    run["test/n"] = 1234
    run.stop()
    """
)


def _write(root: Path, last: float) -> Path:
    """A `.neptune` folder with one offline run written by the client; the folder."""
    root.mkdir(parents=True)
    env = {**os.environ, "NEPTUNE_MODE": "offline", "HOME": str(root), "HTTPS_PROXY": "http://127.0.0.1:9"}
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(last)], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return root / ".neptune"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two `.neptune` folders, each with one offline run (the same script, a different last value), and its id."""
    base = tmp_path_factory.mktemp("neptune")
    first, rerun = _write(base / "first", 0.91), _write(base / "rerun", 0.93)
    metadata = json.loads(next(first.glob("offline/run__*/metadata.json")).read_text())
    return {"first": first, "rerun": rerun, "id": metadata["containerId"]}


def _setup(project: Path, neptune: Path, refs: dict[str, str], path: str = ".neptune") -> Path:
    folder = project / "content/m"
    folder.mkdir(parents=True, exist_ok=True)
    if neptune.exists():
        shutil.copytree(neptune, folder / ".neptune")
    data = minimal_source("m")
    result = data["evaluation"]["results"][0]
    result.update(value=refs.get("value", 0.5), n=100)
    if "value" in refs:
        result.pop("ci_low")
        result.pop("ci_high")
    data["system"]["training"]["hyperparameters"] = {k: v for k, v in refs.items() if k != "value"}
    data["evidence"] = {"sources": [{"id": "runs", "kind": "neptune", "path": path}]}
    write_tree(project, {"content/m/model.yaml": yaml.safe_dump(data, sort_keys=False), "docs-compile.yaml": ""})
    return folder


def _facts(project: Path) -> dict[str, Any]:
    return dict(json.loads((project / "content/m/facts.lock.json").read_text())["facts"])


def test_values_and_provenance(project: Path, runs: dict[str, Any]) -> None:
    run = runs["id"]
    refs = {
        "value": f"neptune://{run}/val/auroc",
        "first": f"neptune://runs@{run}/val/auroc?step=0",
        "lr": f"neptune://{run}/parameters/lr",
        "opt": f"neptune://{run}/parameters/optimizer/name",
        "tags": f"neptune://{run}/sys/tags",
        "n": f"neptune://{run}/test/n",
    }
    _setup(project, runs["first"], refs)
    assert resolve_project(project).models[0].status == "written"
    facts = _facts(project)
    assert {k: facts[v]["value"] for k, v in refs.items()} == {
        "value": 0.91,
        "first": 0.8,
        "lr": 0.01,
        "opt": "adam",
        "tags": "baseline, logreg",
        "n": 1234,
    }
    fact = facts[refs["value"]]
    run_dir = next((project / "content/m/.neptune/offline").iterdir())
    assert (fact["kind"], fact["step"], fact["run_id"], fact["run_name"]) == (
        "neptune.series",
        2,
        run,
        "baseline",
    )
    assert fact["run_dir"] == f".neptune/offline/{run_dir.name}" and len(fact["sha256"]) == 64
    assert facts[refs["first"]]["step"] == 0 and facts[refs["lr"]]["kind"] == "neptune.field"
    assert resolve_project(project).models[0].status == "unchanged"


def test_a_missing_run_field_and_step_are_named(project: Path, runs: dict[str, Any]) -> None:
    run = runs["id"]
    refs = {
        "value": "neptune://nightly/val/auroc",
        "field": f"neptune://{run}/parameters/learning_rate",
        "step": f"neptune://{run}/val/auroc?step=7",
    }
    _setup(project, runs["first"], refs)
    found = {str(p.location): (p.message, p.hint) for p in resolve_failure(project).problems}
    assert found[position(project, refs["value"])] == (
        f"{refs['value']}: no Neptune run 'nightly' in '.neptune'",
        f"runs in '.neptune': {run}",
    )
    assert (
        found[position(project, refs["field"])][0]
        == f"{refs['field']}: Neptune run {run} has no field 'parameters/learning_rate'"
    )
    assert found[position(project, refs["step"])] == (
        f"{refs['step']}: Neptune run {run} logged no value of 'val/auroc' at step 7",
        "steps: 0, 1, 2",
    )


def test_drift_a_rerun_and_a_removed_run(project: Path, runs: dict[str, Any], cli) -> None:
    ref, tag = f"neptune://{runs['id']}/val/auroc", f"neptune://{runs['id']}/parameters/lr"
    folder = _setup(project, runs["first"], {"value": ref, "lr": tag})
    assert cli("resolve").exit_code == 0
    assert cli("resolve", "--check").exit_code == 0
    # The run's operations change (the rerun's log, written by the client, in the locked run's folder).
    (log,) = (folder / ".neptune").glob("offline/run__*/data-1.log")
    shutil.copyfile(next(runs["rerun"].glob("offline/run__*/data-1.log")), log)
    result = cli("resolve", "--check")
    assert result.exit_code == 1
    assert f"{position(project, ref)}: evaluation.results[0].value: {ref}: locked 0.91, now 0.93" in result.stderr
    assert f"{tag}: source changed since the lock (sha256: " in result.stderr
    shutil.rmtree(folder / ".neptune" / "offline")
    result = cli("resolve", "--check")
    assert result.exit_code == 1
    assert f"{ref}: locked 0.91, but now no Neptune run '{runs['id']}' in '.neptune'" in result.stderr


def _monitored(project: Path, runs: dict[str, Any], history: str) -> Path:
    """A model whose one monitoring signal's history is `history`."""
    folder = _setup(project, runs["first"], {})
    data = yaml.safe_load((folder / "model.yaml").read_text())
    data["system"]["monitoring"] = {
        "signals": [
            {
                "id": "auroc",
                "name": "Validation AUROC",
                "threshold": 0.85,
                "direction": "below",
                "frequency": "each epoch",
                "action": "Stop the release.",
                "history": history,
            }
        ]
    }
    write_tree(project, {"content/m/model.yaml": yaml.safe_dump(data, sort_keys=False)})
    return folder


def test_a_float_series_feeds_a_monitoring_signal(project: Path, runs: dict[str, Any]) -> None:
    from compiler.build import render_input
    from compiler.render.monitoring import trends

    history = f"neptune://{runs['id']}/val/auroc"
    folder = _monitored(project, runs, history)
    assert resolve_project(project).models[0].status == "written"
    entry = json.loads((folder / "facts.lock.json").read_text())["histories"][history]
    assert (entry["x_label"], entry["x"], entry["values"], entry["kind"], entry["run_id"], entry["step"]) == (
        "step",
        [0, 1, 2],
        [0.80, 0.86, 0.91],
        "neptune.history",
        runs["id"],
        2,
    )
    model = render_input(valid_model(project))
    (trend,) = trends(model.source, model.histories)
    assert trend.warning == (
        "Validation AUROC went below its alert threshold 0.85 at step 0 (0.8) and has since recovered "
        "(latest 0.91 at step 2). Declared action: Stop the release."
    )


def test_a_single_value_is_not_a_history(project: Path, runs: dict[str, Any]) -> None:
    history = f"neptune://{runs['id']}/test/n"
    _monitored(project, runs, history)
    (problem,) = resolve_failure(project).problems
    assert (str(problem.location), problem.message, problem.hint) == (
        position(project, history),
        f"{history}: 'test/n' of Neptune run {runs['id']} is a single value, not a float series",
        "float series of this run: val/auroc",
    )


def test_an_unreachable_server_fails_within_the_deadline(project: Path) -> None:
    port = 9
    token = {"api_address": f"http://127.0.0.1:{port}", "api_url": f"http://127.0.0.1:{port}", "api_key": "x"}
    ref = "neptune://TRI-1/val/auroc"
    _setup(project, project / "none", {"value": ref}, path="team/triage")
    (project / "docs-compile.yaml").write_text("trackers:\n  deadline: 3\n")
    env = {
        **os.environ,
        "NEPTUNE_API_TOKEN": base64.b64encode(json.dumps(token).encode()).decode(),
        "HOME": str(project),
    }
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "compiler", "resolve"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert time.monotonic() - start < 3 + 15
    assert (
        f"{position(project, ref)}: evaluation.results[0].value: {ref}: Neptune run 'TRI-1' of project 'team/triage'"
        in done.stderr
    )
