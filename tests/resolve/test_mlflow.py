"""Resolve stage with a real MLflow sqlite store: values, provenance, registry aliases and every refusal."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.evidence import mlflow_evidence, position, resolve_failure, resolve_project, valid_model
from helpers.project import AUDIENCES, REPO, minimal_source, write_tree

from compiler.errors import EvidenceError, Location
from compiler.resolve.apply import provenance, resolved_source

pytest.importorskip("mlflow")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A model folder holding an MLflow store: a finished run, a running run, a registered model with an alias."""
    from mlflow import MlflowClient

    folder = tmp_path_factory.mktemp("template") / "m"
    (folder / "mlruns").mkdir(parents=True)
    uri = f"sqlite:///{folder / 'mlruns/mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("triage", artifact_location=(folder / "mlruns/artifacts").as_uri())
    run = client.create_run(experiment, run_name="baseline").info.run_id
    client.log_param(run, "learning_rate", "0.01")
    client.set_tag(run, "team", "imaging")
    for step, value in enumerate([0.80, 0.86, 0.91]):
        client.log_metric(run, "val/auroc", value, step=step, timestamp=1_700_000_000_000 + step)
    client.log_metric(run, "n_test", 1234.0, timestamp=1_700_000_000_000)
    summary = folder.parent / "eval.json"
    summary.write_text(json.dumps({"subgroups": {"female": {"sensitivity": 0.88}}}))
    client.log_artifact(run, str(summary))
    client.set_terminated(run, end_time=1_700_000_100_000)
    running = client.create_run(experiment, run_name="still-training").info.run_id
    client.log_metric(running, "val/auroc", 0.5)
    client.create_registered_model("triage")
    client.create_model_version("triage", f"runs:/{run}/model", run_id=run, description="first")
    second = client.create_model_version("triage", f"runs:/{run}/model", run_id=run, description="second")
    client.set_registered_model_alias("triage", "champion", second.version)
    return {"folder": folder, "run": run, "running": running, "experiment": experiment}


def _setup(project: Path, store: dict[str, Any], refs: dict[str, str], version: str = "2") -> Path:
    folder = project / "content/m"
    shutil.copytree(store["folder"], folder)
    data = minimal_source("m")
    data["model"]["version"] = version
    result = data["evaluation"]["results"][0]
    result.update(value=refs.get("value", 0.5), n=refs.get("n", 100))
    if "value" in refs:
        result.pop("ci_low")
        result.pop("ci_high")
    data["system"]["training"]["hyperparameters"] = {k: v for k, v in refs.items() if k not in ("value", "n")}
    data["evidence"] = mlflow_evidence(artifact_root="mlruns/artifacts")
    write_tree(project, {"content/m/model.yaml": data})
    return folder


def test_values_and_provenance_from_a_run_and_the_registry(project: Path, store: dict[str, Any]) -> None:
    run = store["run"]
    refs = {
        "value": f"mlflow://{run}/metrics/val/auroc",
        "n": f"mlflow://{run}/metrics/n_test",
        "lr": f"mlflow://{run}/params/learning_rate",
        "team": f"mlflow://tracking@{run}/tags/team",
        "female": f"mlflow://{run}/artifacts/eval.json#/subgroups/female/sensitivity",
        "champion": "mlflow://models/triage/@champion",
        "first": "mlflow://models/triage/1#/description",
    }
    folder = _setup(project, store, refs)
    report = resolve_project(project)
    assert [(m.status, m.facts, m.warnings) for m in report.models] == [("written", 7, [])]
    facts = json.loads((folder / "facts.lock.json").read_text())["facts"]
    metric = facts[refs["value"]]
    assert metric["value"] == 0.91
    assert {
        k: metric[k]
        for k in (
            "kind",
            "key",
            "step",
            "timestamp",
            "run_id",
            "experiment",
            "experiment_id",
            "run_name",
            "run_end_time",
            "tracking_uri",
            "source",
        )
    } == {
        "kind": "mlflow.metric",
        "key": "val/auroc",
        "step": 2,
        "timestamp": "2023-11-14T22:13:20.002Z",
        "run_id": run,
        "experiment": "triage",
        "experiment_id": store["experiment"],
        "run_name": "baseline",
        "run_end_time": "2023-11-14T22:15:00.000Z",
        "tracking_uri": "sqlite:///mlruns/mlflow.db",
        "source": "tracking",
    }
    assert metric["reader"].startswith("docs-compile ") and ", mlflow " in metric["reader"]
    assert facts[refs["lr"]]["value"] == "0.01" and facts[refs["team"]]["value"] == "imaging"
    artifact = facts[refs["female"]]
    assert (artifact["value"], artifact["artifact"], len(artifact["sha256"])) == (0.88, "eval.json", 64)
    champion = facts[refs["champion"]]
    assert (champion["value"], champion["version"], champion["alias"], champion["run_id"]) == (
        "2",
        "2",
        "champion",
        run,
    )
    assert facts[refs["first"]]["value"] == "first"

    source = resolved_source(valid_model(project))
    result = source.evaluation.results[0]
    assert (result.value, result.n, result.source) == (0.91, 1234, refs["value"])
    assert source.system.training.hyperparameters == {
        "lr": "0.01",
        "team": "imaging",
        "female": 0.88,
        "champion": "2",
        "first": "first",
    }
    assert provenance(valid_model(project))["facts"][refs["champion"]]["used_by"] == [
        "system.training.hyperparameters.champion"
    ]


def test_build_inputs_need_neither_mlflow_nor_the_store(
    project: Path, store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = store["run"]
    folder = _setup(
        project, store, {"value": f"mlflow://{run}/metrics/val/auroc", "version": "mlflow://models/triage/@champion"}
    )
    resolve_project(project)
    (folder / "mlruns/mlflow.db").unlink()
    monkeypatch.setitem(sys.modules, "mlflow", None)
    model = valid_model(project)
    assert resolved_source(model).evaluation.results[0].value == 0.91
    assert provenance(model)["facts"][f"mlflow://{run}/metrics/val/auroc"]["run_id"] == run
    with pytest.raises(
        EvidenceError,
        match=r"reading MLflow evidence needs MLflow, which is not installed \(hint: pip install 'docs-compile\[mlflow\]'\)",
    ):
        resolve_project(project)


def test_a_run_that_is_not_finished_is_refused(project: Path, store: dict[str, Any]) -> None:
    ref = f"mlflow://{store['running']}/metrics/val/auroc"
    _setup(project, store, {"value": ref})
    error = resolve_failure(project)
    assert error.format() == (
        f"{position(project, ref)}: evaluation.results[0].value: {ref}: run {store['running']} is RUNNING, not FINISHED "
        "(hint: facts come only from finished runs; wait for the run to end or reference another run)"
    )


def test_a_missing_database_is_not_created(project: Path, store: dict[str, Any]) -> None:
    ref = f"mlflow://{store['run']}/metrics/val/auroc"
    folder = _setup(project, store, {"value": ref})
    shutil.rmtree(folder / "mlruns")
    error = resolve_failure(project)
    assert error.problems[0].message == f"{ref}: tracking database 'mlruns/mlflow.db' not found in the model's folder"
    assert "MLflow would silently create an empty one" in error.problems[0].hint
    assert (
        not (folder / "mlruns").exists() and not (project / "mlflow.db").exists() and not (project / "mlruns").exists()
    )


def test_a_wrong_run_id_and_a_missing_metric_name_their_place(project: Path, store: dict[str, Any]) -> None:
    wrong = "mlflow://0123456789abcdef0123456789abcdef/metrics/val/auroc"
    missing = f"mlflow://{store['run']}/metrics/val/auroc_macro"
    _setup(project, store, {"value": wrong, "n": missing})
    problems = resolve_failure(project).problems
    assert [p.format() for p in problems] == [
        f"{position(project, wrong)}: evaluation.results[0].value: {wrong}: no run '0123456789abcdef0123456789abcdef' in "
        "sqlite:///mlruns/mlflow.db (hint: check the id against the MLflow UI)",
        f"{position(project, missing)}: evaluation.results[0].n: {missing}: run {store['run']} has no metric 'val/auroc_macro' "
        "(hint: did you mean 'val/auroc'?)",
    ]


def test_unknown_alias_and_stale_documented_version(project: Path, store: dict[str, Any]) -> None:
    _setup(
        project,
        store,
        {"value": f"mlflow://{store['run']}/metrics/val/auroc", "v": "mlflow://models/triage/@challenger"},
    )
    assert resolve_failure(project).problems[0].message == (
        "mlflow://models/triage/@challenger: no alias '@challenger' on registered model 'triage' in sqlite:///mlruns/mlflow.db"
    )
    shutil.rmtree(project / "content")
    _setup(project, store, {"v": "mlflow://models/triage/@champion"}, version="1")
    report = resolve_project(project)
    assert report.models[0].warnings == [
        "model.version is '1' but mlflow://models/triage/@champion is version 2 of 'triage'"
    ]


def test_check_detects_a_changed_metric(project: Path, store: dict[str, Any], cli) -> None:
    from mlflow import MlflowClient

    ref = f"mlflow://{store['run']}/metrics/val/auroc"
    folder = _setup(project, store, {"value": ref})
    assert cli("resolve").exit_code == 0
    current = cli("resolve", "--check")
    assert current.exit_code == 0, current.output
    uri = f"sqlite:///{folder / 'mlruns/mlflow.db'}"
    MlflowClient(tracking_uri=uri).log_metric(store["run"], "val/auroc", 0.93, step=3, timestamp=1_700_000_000_003)
    result = cli("resolve", "--check")
    assert result.exit_code == 1
    assert (
        f"error: {position(project, ref)}: evaluation.results[0].value: {ref}: locked 0.91, now 0.93 (hint: run `docs-compile resolve`)"
        in result.stderr
    )
    assert json.loads((folder / "facts.lock.json").read_text())["facts"][ref]["value"] == 0.91


def test_build_uses_the_lock_without_mlflow(
    project: Path, store: dict[str, Any], cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (REPO / "compiler/commands/build.py").is_file() or not AUDIENCES.is_dir():
        pytest.skip("the build stage is not available")
    run = store["run"]
    folder = _setup(project, store, {"value": f"mlflow://{run}/metrics/val/auroc"})
    shutil.copytree(AUDIENCES, project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    assert cli("resolve").exit_code == 0
    shutil.rmtree(folder / "mlruns")
    monkeypatch.setitem(sys.modules, "mlflow", None)
    result = cli("build", "--no-pdf", "--audience", "technical")
    assert result.exit_code == 0, result.output
    manifest = json.loads((project / "build/manifest.json").read_text())
    facts = manifest["models"][0]["provenance"]["facts"]
    assert facts[f"mlflow://{run}/metrics/val/auroc"]["run_id"] == run
    page = next((project / "build/site").rglob("technical/index.html")).read_text()
    assert "0.910" in page and run in page


def _client(folder: Path) -> Any:
    from mlflow import MlflowClient

    uri = f"sqlite:///{folder / 'mlruns/mlflow.db'}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_a_deleted_run_is_refused_and_deleting_a_locked_run_is_drift(project: Path, store: dict[str, Any], cli) -> None:
    run = store["run"]
    ref = f"mlflow://{run}/metrics/val/auroc"
    folder = _setup(project, store, {"value": ref})
    assert cli("resolve").exit_code == 0
    locked = (folder / "facts.lock.json").read_bytes()
    _client(folder).delete_run(run)
    hint = f"a deleted run is not evidence: restore it (`mlflow runs restore --run-id {run}`) or reference another run"
    assert resolve_failure(project).format() == (
        f"{position(project, ref)}: evaluation.results[0].value: {ref}: run {run} is deleted in "
        f"sqlite:///mlruns/mlflow.db (hint: {hint})"
    )
    result = cli("resolve")
    assert result.exit_code == 2 and f"run {run} is deleted" in result.stderr
    check = cli("resolve", "--check")
    assert check.exit_code == 1, check.output
    assert (
        f"error: {position(project, ref)}: evaluation.results[0].value: {ref}: locked 0.91, but now run {run} is "
        f"deleted in sqlite:///mlruns/mlflow.db (hint: {hint})"
    ) in check.stderr
    assert (folder / "facts.lock.json").read_bytes() == locked
    _client(folder).restore_run(run)
    assert cli("resolve", "--check").exit_code == 0


def test_a_run_of_a_deleted_experiment_is_refused(project: Path, store: dict[str, Any]) -> None:
    ref = f"mlflow://{store['run']}/params/learning_rate"
    folder = _setup(project, store, {"lr": ref})
    _client(folder).delete_experiment(store["experiment"])
    problem = resolve_failure(project).problems[0]
    assert problem.message == (
        f"{ref}: run {store['run']} belongs to experiment 'triage', which is deleted in sqlite:///mlruns/mlflow.db"
    )
    assert problem.hint == (
        f"restore the experiment (`mlflow experiments restore --experiment-id {store['experiment']}`) "
        "or reference a run of another experiment"
    )


def test_archived_and_deleted_registry_versions(project: Path, store: dict[str, Any], cli) -> None:
    import warnings

    first, champion = "mlflow://models/triage/1#/description", "mlflow://models/triage/@champion"
    folder = _setup(project, store, {"first": first, "champion": champion})
    assert cli("resolve").exit_code == 0
    client = _client(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # model stages are deprecated, yet registries still hold them
        client.transition_model_version_stage("triage", "1", "Archived")
    problem = resolve_failure(project).problems[0]
    assert (problem.location, problem.message) == (
        Location(*_at(project, first)),
        f"{first}: version 1 of registered model 'triage' is archived in sqlite:///mlruns/mlflow.db",
    )
    assert problem.hint.startswith("an archived version is retired")
    client.delete_model_version("triage", "1")
    check = cli("resolve", "--check")
    assert check.exit_code == 1, check.output
    assert (
        f"{first}: locked 'first', but now no version 1 of registered model 'triage' in sqlite:///mlruns/mlflow.db"
    ) in check.stderr
    assert champion not in check.stderr  # version 2 is still there


def _at(project: Path, ref: str) -> tuple[str, int, int]:
    file, line, column = position(project, ref).split(":")
    return file, int(line), int(column)


def test_a_metric_logged_several_times_resolves_as_mlflow_reports_it(project: Path, store: dict[str, Any]) -> None:
    folder = _setup(project, store, {})
    client = _client(folder)
    run = client.create_run(store["experiment"], run_name="repeated").info.run_id
    # Two values at the same step and the same millisecond: MLflow's latest is the larger one.
    client.log_metric(run, "auroc", 0.93, step=4, timestamp=1_700_000_000_500)
    client.log_metric(run, "auroc", 0.95, step=4, timestamp=1_700_000_000_500)
    client.log_metric(run, "auroc", 0.91, step=4, timestamp=1_700_000_000_400)
    # A later timestamp at a lower step is not the latest: the step decides first.
    client.log_metric(run, "auroc", 0.50, step=2, timestamp=1_700_000_009_000)
    client.set_terminated(run, end_time=1_700_000_100_000)
    refs = {
        "latest": f"mlflow://{run}/metrics/auroc",
        "step2": f"mlflow://{run}/metrics/auroc?step=2",
        "step4": f"mlflow://{run}/metrics/auroc?step=4",
    }
    data = minimal_source("m")
    data["system"]["training"]["hyperparameters"] = refs
    data["evidence"] = mlflow_evidence()
    write_tree(project, {"content/m/model.yaml": data})
    resolve_project(project)
    facts = json.loads((folder / "facts.lock.json").read_text())["facts"]
    assert client.get_run(run).data.metrics["auroc"] == 0.95
    assert [(facts[r]["value"], facts[r]["step"], facts[r]["timestamp"]) for r in refs.values()] == [
        (0.95, 4, "2023-11-14T22:13:20.500Z"),
        (0.5, 2, "2023-11-14T22:13:29.000Z"),
        (0.95, 4, "2023-11-14T22:13:20.500Z"),
    ]


def test_a_pinned_step_that_was_not_logged_and_a_wrong_pin(project: Path, store: dict[str, Any]) -> None:
    run = store["run"]
    missing, wrong = f"mlflow://{run}/metrics/val/auroc?step=7", f"mlflow://{run}/metrics/val/auroc?epoch=2"
    _setup(project, store, {"a": missing, "b": wrong})
    assert [(p.message, p.hint) for p in resolve_failure(project).problems] == [
        (f"{missing}: run {run} logged no value of metric 'val/auroc' at step 7", "steps: 0, 1, 2"),
        (
            f"{wrong}: '?epoch=2' is not a step pin",
            "write ?step=<n> for the value logged at step n",
        ),
    ]


def test_a_monitoring_history_of_a_deleted_run_is_drift(project: Path, store: dict[str, Any], cli) -> None:
    history = f"mlflow://{store['run']}/metrics/val/auroc?history"
    folder = _setup(project, store, {})
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
    data["evidence"] = mlflow_evidence()
    write_tree(project, {"content/m/model.yaml": data})
    assert cli("resolve").exit_code == 0
    _client(folder).delete_run(store["run"])
    check = cli("resolve", "--check")
    assert check.exit_code == 1, check.output
    assert (
        f"error: {position(project, history)}: system.monitoring.signals[0].history: {history}: history locked "
        f"(3 points), but now run {store['run']} is deleted in sqlite:///mlruns/mlflow.db"
    ) in check.stderr
