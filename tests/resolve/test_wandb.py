"""Resolve stage with real Weights & Biases offline runs: summary, config, run id, provenance and refusals."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers.evidence import position, resolve_failure, resolve_project, valid_model
from helpers.project import minimal_source, write_tree

from compiler.resolve.apply import resolved_source

pytest.importorskip("wandb")

# Runs are written in a child process: offline mode, no git or code capture, no stats, no error
# reporting, and a proxy that refuses every connection, so any attempt to reach a server would fail.
WRITER = textwrap.dedent(
    """
    import sys
    import wandb

    settings = wandb.Settings(mode="offline", x_disable_stats=True, disable_git=True, save_code=False, console="off")
    run = wandb.init(project="triage", name="baseline", config={"lr": 0.01, "optimizer": {"name": "adam"}}, settings=settings)
    for step, value in enumerate([0.80, 0.86, 0.91]):
        run.log({"val/auroc": value, "loss": 1.0 / (step + 1)})
    run.summary["n_test"] = 1234
    run.config.update({"epochs": 3})
    run.finish()
    failed = wandb.init(project="triage", name="diverged", settings=settings)
    failed.log({"val/auroc": 0.5})
    failed.finish(exit_code=1)
    print(run.id, failed.id)
    """
)


def _offline_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(
        WANDB_MODE="offline",
        WANDB_SILENT="true",
        WANDB_DIR=str(root),
        WANDB_CONFIG_DIR=str(root / ".config"),
        WANDB_CACHE_DIR=str(root / ".cache"),
        WANDB_DATA_DIR=str(root / ".data"),
        WANDB_DISABLE_GIT="true",
        WANDB_DISABLE_CODE="true",
        WANDB_ERROR_REPORTING="false",
        WANDB_CONSOLE="off",
        HOME=str(root),
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        NO_PROXY="",
    )
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A `wandb/` folder with two offline runs written by the wandb package: one finished, one failed."""
    root = tmp_path_factory.mktemp("wandb-runs")
    done = subprocess.run(
        [sys.executable, "-c", WRITER], cwd=root, env=_offline_env(root), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    run_id, failed_id = done.stdout.split()[-2:]
    run_dir = next((root / "wandb").glob(f"offline-run-*-{run_id}"))
    return {"wandb": root / "wandb", "run": run_id, "failed": failed_id, "run_dir": run_dir.name}


def _setup(project: Path, runs: dict[str, Any], refs: dict[str, str], path: str = "wandb") -> Path:
    folder = project / "content/m"
    shutil.copytree(runs["wandb"], folder / "wandb", ignore=shutil.ignore_patterns("latest-run", "debug*.log"))
    data = minimal_source("m")
    result = data["evaluation"]["results"][0]
    if "value" in refs:
        result.update(value=refs["value"])
        result.pop("ci_low")
        result.pop("ci_high")
    data["system"]["training"]["hyperparameters"] = {k: v for k, v in refs.items() if k != "value"}
    data["evidence"] = {"sources": [{"id": "runs", "kind": "wandb", "path": path}]}
    write_tree(project, {"content/m/model.yaml": data})
    return folder


def test_summary_config_run_id_and_provenance(project: Path, runs: dict[str, Any]) -> None:
    import wandb

    run = runs["run"]
    refs = {
        "value": f"wandb://{run}/summary/val/auroc",
        "n": f"wandb://runs@{run}/summary/n_test",
        "lr": f"wandb://{runs['run_dir']}/config/lr",
        "optimizer": f"wandb://{run}/config/optimizer#/name",
        "epochs": f"wandb://{run}/config/epochs",
    }
    folder = _setup(project, runs, refs)
    report = resolve_project(project)
    assert [(m.status, m.facts) for m in report.models] == [("written", 5)]
    lock = json.loads((folder / "facts.lock.json").read_text())
    log = folder / "wandb" / runs["run_dir"] / f"run-{run}.wandb"
    digest = hashlib.sha256(log.read_bytes()).hexdigest()
    auroc = lock["facts"][refs["value"]]
    assert auroc == {
        "value": 0.91,
        "kind": "wandb.summary",
        "key": "val/auroc",
        "source": "runs",
        "run_id": run,
        "project": "triage",
        "run_name": "baseline",
        "run_state": "finished",
        "run_start_time": auroc["run_start_time"],
        "run_dir": f"wandb/{runs['run_dir']}",
        "files": {f"run-{run}.wandb": digest},
        "sha256": digest,
        "step": 2,
        "reader": f"docs-compile {__import__('compiler').__version__}, wandb {wandb.__version__}",
    }
    assert auroc["run_start_time"].endswith("Z")
    assert lock["readers"] == {"wandb": auroc["reader"]}
    values = {ref: lock["facts"][ref]["value"] for ref in refs.values()}
    assert values == {
        refs["value"]: 0.91,
        refs["n"]: 1234,
        refs["lr"]: 0.01,
        refs["optimizer"]: "adam",
        refs["epochs"]: 3,
    }
    assert lock["facts"][refs["optimizer"]]["pointer"] == "/name"
    source = resolved_source(valid_model(project))
    assert source.evaluation.results[0].value == 0.91
    assert source.system.training.hyperparameters == {"n": 1234, "lr": 0.01, "optimizer": "adam", "epochs": 3}


def test_a_source_may_be_one_run_directory(project: Path, runs: dict[str, Any]) -> None:
    ref = f"wandb://{runs['run']}/summary/n_test"
    other = f"wandb://{runs['failed']}/summary/n_test"
    folder = _setup(project, runs, {"n": ref}, path=f"wandb/{runs['run_dir']}")
    resolve_project(project)
    assert json.loads((folder / "facts.lock.json").read_text())["facts"][ref]["value"] == 1234
    shutil.rmtree(project / "content")
    _setup(project, runs, {"n": other}, path=f"wandb/{runs['run_dir']}")
    assert resolve_failure(project).problems[0].format() == (
        f"{position(project, other)}: system.training.hyperparameters.n: {other}: W&B source 'runs' is the run "
        f"directory of run {runs['run']}, not '{runs['failed']}' (hint: write wandb://{runs['run']}/…)"
    )


def test_missing_directory_run_and_key_are_placed(project: Path, runs: dict[str, Any]) -> None:
    wrong_run = "wandb://zz9plural/summary/val/auroc"
    missing_key = f"wandb://{runs['run']}/summary/val/aurox"
    _setup(project, runs, {"a": wrong_run, "b": missing_key})
    problems = resolve_failure(project).problems
    assert [p.format() for p in problems] == [
        f"{position(project, wrong_run)}: system.training.hyperparameters.a: {wrong_run}: no W&B run 'zz9plural' "
        f"in 'wandb' (hint: runs in 'wandb': {', '.join(sorted([runs['run'], runs['failed']]))})",
        f"{position(project, missing_key)}: system.training.hyperparameters.b: {missing_key}: W&B run {runs['run']} "
        "has no summary key 'val/aurox' (hint: did you mean 'val/auroc'?)",
    ]
    shutil.rmtree(project / "content")
    ref = f"wandb://{runs['run']}/config/lr"
    _setup(project, runs, {"lr": ref}, path="runs-not-copied")
    assert resolve_failure(project).problems[0].format() == (
        f"{position(project, ref)}: system.training.hyperparameters.lr: {ref}: W&B run directory 'runs-not-copied' "
        "not found in the model's folder (hint: set path to an offline run directory (or its wandb/ folder) inside "
        "the model's folder, or to <entity>/<project> for a server)"
    )


def test_a_failed_run_is_refused(project: Path, runs: dict[str, Any]) -> None:
    ref = f"wandb://{runs['failed']}/summary/val/auroc"
    _setup(project, runs, {"value": ref})
    assert resolve_failure(project).problems[0].message == (
        f"{ref}: W&B run {runs['failed']} is failed (exit code 1), not finished"
    )


def test_a_server_project_needs_an_api_key(
    project: Path, runs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(project))  # no ~/.netrc entry either
    monkeypatch.setenv("NETRC", str(project / ".netrc"))
    ref = "wandb://abc123/summary/val/auroc"
    _setup(project, runs, {"value": ref}, path="northwind/triage")
    problem = resolve_failure(project).problems[0]
    assert problem.message == (
        f"{ref}: W&B source 'runs' names the server project 'northwind/triage', but no W&B API key is configured"
    )
    assert problem.hint.startswith("set WANDB_API_KEY")


def test_without_the_wandb_package_the_error_says_what_to_install(
    project: Path, runs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "wandb" or m.startswith("wandb.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "wandb", None)
    ref = f"wandb://{runs['run']}/summary/val/auroc"
    _setup(project, runs, {"value": ref})
    assert resolve_failure(project).problems[0].format() == (
        f"{position(project, ref)}: evaluation.results[0].value: {ref}: reading Weights & Biases evidence needs the "
        "wandb package, which is not installed (hint: pip install 'docs-compile[wandb]')"
    )


def test_a_run_directory_with_only_its_files(project: Path, runs: dict[str, Any]) -> None:
    folder = _setup(project, runs, {}, path="synced")
    files = folder / "synced/run-20250101_000000-abcd1234/files"
    summary = json.dumps({"val/auroc": 0.88, "_step": 9})
    write_tree(
        files,
        {
            "wandb-summary.json": summary,
            "config.yaml": "_wandb:\n  value: {cli_version: 0.18.0}\nlr:\n  desc: null\n  value: 0.02\n",
        },
    )
    data = minimal_source("m")
    data["system"]["training"]["hyperparameters"] = {
        "auroc": "wandb://abcd1234/summary/val/auroc",
        "lr": "wandb://abcd1234/config/lr",
    }
    data["evidence"] = {"sources": [{"id": "runs", "kind": "wandb", "path": "synced"}]}
    write_tree(project, {"content/m/model.yaml": data})
    resolve_project(project)
    facts = json.loads((folder / "facts.lock.json").read_text())["facts"]
    auroc = facts["wandb://abcd1234/summary/val/auroc"]
    assert (auroc["value"], auroc["run_id"], auroc["run_state"], auroc["step"]) == (0.88, "abcd1234", "unknown", 9)
    assert auroc["sha256"] == hashlib.sha256(summary.encode()).hexdigest()
    assert facts["wandb://abcd1234/config/lr"]["value"] == 0.02


def test_a_logged_metric_history_feeds_a_monitoring_signal(project: Path, runs: dict[str, Any]) -> None:
    from compiler.build import render_input
    from compiler.render.monitoring import trends

    history = f"wandb://{runs['run']}/history/val/auroc"
    folder = _setup(project, runs, {})
    data = minimal_source("m")
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
    data["evidence"] = {"sources": [{"id": "runs", "kind": "wandb", "path": "wandb"}]}
    write_tree(project, {"content/m/model.yaml": data})
    resolve_project(project)
    entry = json.loads((folder / "facts.lock.json").read_text())["histories"][history]
    assert (entry["x"], entry["values"], entry["kind"], entry["run_id"]) == (
        [0, 1, 2],
        [0.80, 0.86, 0.91],
        "wandb.history",
        runs["run"],
    )
    model = render_input(valid_model(project))
    (trend,) = trends(model.source, model.histories)
    assert trend.warning == (
        "Validation AUROC went below its alert threshold 0.85 at step 0 (0.8) and has since recovered "
        "(latest 0.91 at step 2). Declared action: Stop the release."
    )


def _linked(project: Path, runs: dict[str, Any], refs: dict[str, str], *, history: str = "") -> Path:
    """The `wandb/` folder as wandb leaves it: every run directory and the `latest-run` link to the newest."""
    folder = project / "content/m"
    shutil.copytree(runs["wandb"], folder / "wandb", symlinks=True, ignore=shutil.ignore_patterns("debug*.log"))
    data = minimal_source("m")
    data["system"]["training"]["hyperparameters"] = refs
    if history:
        data["system"]["monitoring"] = {
            "signals": [
                {
                    "id": "auroc",
                    "name": "Validation AUROC",
                    "threshold": 0.4,
                    "direction": "below",
                    "frequency": "each epoch",
                    "action": "Stop the release.",
                    "history": history,
                }
            ]
        }
    data["evidence"] = {"sources": [{"id": "runs", "kind": "wandb", "path": "wandb"}]}
    write_tree(project, {"content/m/model.yaml": data})
    return folder


def test_the_latest_run_link_is_the_same_run_not_a_second_one(project: Path, runs: dict[str, Any]) -> None:
    link = runs["wandb"] / "latest-run"
    assert link.is_symlink() and (runs["wandb"] / os.readlink(link)).name.endswith(runs["failed"])
    latest = next((runs["wandb"]).glob(f"offline-run-*-{runs['failed']}")).name
    # The newest run (the link's target) by id, the link by name, and the other run by id.
    history = "wandb://latest-run/history/val/auroc"
    by_id = f"wandb://{runs['failed']}/summary/val/auroc"
    _linked(project, runs, {"lr": f"wandb://{runs['run']}/config/lr"}, history=history)
    lock = resolve_project(project) and json.loads((project / "content/m/facts.lock.json").read_text())
    entry = lock["histories"][history]
    assert (entry["run_id"], entry["run_dir"], entry["values"]) == (runs["failed"], f"wandb/{latest}", [0.5])
    shutil.rmtree(project / "content")
    _linked(project, runs, {"auroc": by_id})
    assert resolve_failure(project).problems[0].message == (
        f"{by_id}: W&B run {runs['failed']} is failed (exit code 1), not finished"
    )


def test_a_copy_that_resolved_the_link_still_counts_the_run_once(project: Path, runs: dict[str, Any]) -> None:
    ref = f"wandb://{runs['failed']}/history/val/auroc"
    folder = _linked(project, runs, {}, history=ref)
    link = folder / "wandb/latest-run"
    target = link.resolve()
    link.unlink()
    shutil.copytree(target, link)  # what `cp -rL` or an archive without links leaves
    resolve_project(project)
    entry = json.loads((folder / "facts.lock.json").read_text())["histories"][ref]
    assert (entry["run_id"], entry["run_dir"]) == (runs["failed"], f"wandb/{target.name}")


def test_a_link_out_of_the_model_folder_is_not_followed(project: Path, runs: dict[str, Any], tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(runs["wandb"] / runs["run_dir"], outside / "offline-run-20250101_000000-zzzz9999")
    ref = "wandb://latest-run/summary/n_test"
    folder = _linked(project, runs, {"n": ref, "m": "wandb://zzzz9999/summary/n_test"})
    (folder / "wandb/latest-run").unlink()
    (folder / "wandb/latest-run").symlink_to(outside / "offline-run-20250101_000000-zzzz9999")
    problems = resolve_failure(project).problems
    assert [p.message for p in problems] == [
        f"{ref}: 'latest-run' in 'wandb' leads outside the model's folder (through a symbolic link)",
        "wandb://zzzz9999/summary/n_test: no W&B run 'zzzz9999' in 'wandb'",
    ]
    assert problems[0].hint == "copy the run directory into the model's folder instead of linking it"


def test_summary_is_the_runs_own_value_and_a_step_pins_a_logged_one(project: Path, runs: dict[str, Any]) -> None:
    run = runs["run"]
    refs = {
        "summary": f"wandb://{run}/summary/val/auroc",
        "step1": f"wandb://{run}/history/val/auroc?step=1",
        "loss0": f"wandb://{run}/history/loss?step=0",
    }
    folder = _setup(project, runs, refs)
    resolve_project(project)
    facts = json.loads((folder / "facts.lock.json").read_text())["facts"]
    assert [(facts[r]["value"], facts[r]["kind"], facts[r]["step"]) for r in refs.values()] == [
        (0.91, "wandb.summary", 2),
        (0.86, "wandb.history", 1),
        (1.0, "wandb.history", 0),
    ]
    shutil.rmtree(project / "content")
    series, missing = f"wandb://{run}/history/val/auroc", f"wandb://{run}/history/val/auroc?step=7"
    _setup(project, runs, {"a": series, "b": missing})
    assert [(p.message, p.hint) for p in resolve_failure(project).problems] == [
        (
            f"{series}: a history reference names one value only with ?step=<n> (found 'val/auroc')",
            f"write wandb://{run}/history/val/auroc?step=<n>, or wandb://{run}/summary/val/auroc for the run's "
            "summary value",
        ),
        (f"{missing}: W&B run {run} logged no value of 'val/auroc' at step 7", "steps: 0, 1, 2"),
    ]


def test_an_unreachable_server_fails_with_exit_2_within_the_deadline(project: Path, runs: dict[str, Any]) -> None:
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    refs = {"value": "wandb://abc123/summary/val/auroc", "lr": "wandb://abc123/config/lr"}
    _setup(project, runs, refs, path="northwind/triage")
    write_tree(project, {"docs-compile.yaml": "trackers:\n  deadline: 4\n"})
    env = _offline_env(project) | {"WANDB_MODE": "online", "WANDB_API_KEY": "k" * 40, "WANDB_BASE_URL": closed}
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        env.pop(proxy)  # straight to the closed port
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "compiler", "resolve"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert time.monotonic() - start < 4 + 15
    first, second, count = done.stderr.splitlines()
    where = "W&B run 'northwind/triage/abc123' of source 'runs'"
    # The hyperparameter comes first in the file; whichever is read first names the failure.
    assert first.startswith(
        f"error: {position(project, refs['lr'])}: system.training.hyperparameters.lr: {refs['lr']}: {where} cannot "
        f"be read from {closed}: "
    )
    assert first.endswith(
        "(hint: check that the server is up and the URI is right; the deadline (4 s) and retries (2) "
        "are `trackers: {deadline, retries}` in docs-compile.yaml, or DOCS_COMPILE_TRACKER_DEADLINE / "
        "DOCS_COMPILE_TRACKER_RETRIES)"
    )
    assert f"evaluation.results[0].value: {refs['value']}: {where}: {closed} failed earlier in this run (" in second
    assert second.endswith("; not contacted again") and count == "2 errors"
