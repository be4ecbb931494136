"""`docs-compile publish --mlflow`: built documents become artifacts of the documented version's run."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.evidence import mlflow_evidence
from helpers.project import minimal_source, write_tree

pytest.importorskip("mlflow")

OUTPUTS = {
    "pdf/m/technical.pdf": b"%PDF-1.7 technical card\n",
    "pdf/m/regulatory.pdf": b"%PDF-1.7 regulatory submission\n",
    "exports/m/model.json": b'{"model": {"id": "m"}}\n',
    "pdf/other/technical.pdf": b"%PDF-1.7 another model\n",
    "site/index.html": b"<html></html>\n",
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _build_output(out: Path, outputs: dict[str, bytes] = OUTPUTS) -> bytes:
    """A build folder as `docs-compile build` leaves it: outputs plus a manifest with their sha256."""
    for rel, body in outputs.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(body)
    manifest = {
        "models": [{"id": "m", "version": "2"}, {"id": "other", "version": "1"}],
        "outputs": [{"path": p, "sha256": _sha(b), "bytes": len(b)} for p, b in sorted(outputs.items())],
    }
    text = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    (out / "manifest.json").write_bytes(text)
    return text


@pytest.fixture
def store(project: Path) -> dict[str, Any]:
    """A model folder with an MLflow store holding a finished run and two versions of a registered model."""
    from mlflow import MlflowClient

    folder = project / "content/m"
    (folder / "mlruns").mkdir(parents=True)
    uri = f"sqlite:///{folder / 'mlruns/mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("triage", artifact_location=(folder / "mlruns/artifacts").as_uri())
    first = client.create_run(experiment).info.run_id
    client.set_terminated(first)
    run = client.create_run(experiment, run_name="release").info.run_id
    client.log_metric(run, "auroc", 0.91)
    client.set_terminated(run)
    client.create_registered_model("triage")
    client.create_model_version("triage", f"runs:/{first}/model", run_id=first)
    client.create_model_version("triage", f"runs:/{run}/model", run_id=run)
    data = minimal_source("m")
    data["model"]["version"] = "2"
    data["evidence"] = mlflow_evidence()
    write_tree(project, {"content/m/model.yaml": data})
    return {"client": client, "run": run, "folder": folder}


def _artifacts(client: Any, run: str, path: str = "") -> dict[str, str]:
    """Every artifact of a run under path: artifact path -> sha256 of the stored bytes."""
    found = {}
    for info in client.list_artifacts(run, path or None):
        if info.is_dir:
            found.update(_artifacts(client, run, info.path))
        else:
            local = client.download_artifacts(run, info.path)
            found[info.path] = _sha(Path(local).read_bytes())
    return found


def test_publish_logs_documents_and_tags_the_version(project: Path, store: dict[str, Any], cli: Any) -> None:
    manifest = _build_output(project / "build")
    result = cli("publish", "--mlflow", "m", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    sha = _sha(manifest)
    prefix = f"documents/{sha[:12]}"
    assert (payload["status"], payload["run_id"], payload["version"], payload["artifact_path"]) == (
        "published",
        store["run"],
        "2",
        prefix,
    )
    client = store["client"]
    stored = _artifacts(client, store["run"])
    listed = json.loads(manifest)["outputs"]
    expected = {f"{prefix}/manifest.json": sha} | {
        f"{prefix}/{o['path']}": o["sha256"] for o in listed if o["path"].startswith(("pdf/m/", "exports/m/"))
    }
    assert stored == expected
    version = client.get_model_version("triage", "2")
    assert version.tags == {
        "docs_compile.manifest_sha256": sha,
        "docs_compile.documents": f"runs:/{store['run']}/{prefix}",
        "docs_compile.model_id": "m",
    }
    assert client.get_model_version("triage", "1").tags == {}

    again = cli("publish", "--mlflow", "m")
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"m: already published to run {store['run']} (triage version 2)")
    assert _artifacts(client, store["run"]) == expected
    assert len(client.search_model_versions("name='triage'")) == 2


def test_a_new_build_is_published_beside_the_previous_one(project: Path, store: dict[str, Any], cli: Any) -> None:
    first = _build_output(project / "build")
    assert cli("publish", "--mlflow", "m", "-q").exit_code == 0
    shutil.rmtree(project / "build")
    second = _build_output(project / "build", OUTPUTS | {"pdf/m/technical.pdf": b"%PDF-1.7 corrected card\n"})
    assert cli("publish", "--mlflow", "m", "-q").exit_code == 0
    client = store["client"]
    folders = sorted({p.split("/")[1] for p in _artifacts(client, store["run"])})
    assert folders == sorted([_sha(first)[:12], _sha(second)[:12]])
    assert client.get_model_version("triage", "2").tags["docs_compile.manifest_sha256"] == _sha(second)


def test_clear_errors_without_build_output_or_mlflow_source(project: Path, store: dict[str, Any], cli: Any) -> None:
    missing = cli("publish", "--mlflow", "m")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        "error: build/manifest.json: no build output: manifest.json not found "
        "(hint: run `docs-compile build --model m` first, or pass the build folder with --out)"
    )
    manifest = _build_output(project / "build")
    (project / "build/pdf/m/technical.pdf").write_bytes(b"%PDF-1.7 edited by hand\n")
    changed = cli("publish", "--mlflow", "m")
    assert changed.exit_code == 2
    assert "build/pdf/m/technical.pdf: build output differs from its sha256 in the manifest" in changed.stderr
    assert json.loads(manifest)["outputs"]  # the manifest itself is untouched

    data = minimal_source("m")
    write_tree(project, {"content/m/model.yaml": data})
    _build_output(project / "build")
    no_source = cli("publish", "--mlflow", "m")
    assert no_source.exit_code == 2
    assert "model 'm' has no MLflow source with a registered model to publish to" in no_source.stderr
    assert _artifacts(store["client"], store["run"]) == {}


def test_the_documented_version_must_exist_in_the_registry(project: Path, store: dict[str, Any], cli: Any) -> None:
    data = minimal_source("m")
    data["model"]["version"] = "3.2.0"
    data["evidence"] = mlflow_evidence()
    write_tree(project, {"content/m/model.yaml": data})
    _build_output(project / "build")
    result = cli("publish", "--mlflow", "m")
    assert result.exit_code == 2
    assert (
        "model.version: model.version '3.2.0' is not a version of registered model 'triage' in sqlite:///mlruns/mlflow.db "
        "(hint: document a registry version, e.g. model.version: mlflow://models/triage/@champion)"
    ) in result.stderr
    (store["folder"] / "mlruns/mlflow.db").unlink()
    gone = cli("publish", "--mlflow", "m")
    assert "tracking database 'mlruns/mlflow.db' not found in the model's folder" in gone.stderr
    assert not (store["folder"] / "mlruns/mlflow.db").exists()
