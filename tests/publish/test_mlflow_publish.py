"""Publish stage, MLflow: which build outputs are published, to which run, and the errors that stop a publication."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.evidence import mlflow_evidence, valid_model
from helpers.project import minimal_source, write_tree

from compiler.errors import UsageError
from compiler.publish.mlflow import Publication, build_outputs, mlflow_target, publish_to_mlflow

FILES = {
    "pdf/m/technical.pdf": b"%PDF-1.7 m\n",
    "exports/m/model.json": b'{"model": {"id": "m"}}\n',
    "pdf/other/technical.pdf": b"%PDF-1.7 other\n",
    "site/index.html": b"<html></html>\n",
}


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _built(out: Path, files: dict[str, bytes] = FILES, models: tuple[str, ...] = ("m", "other")) -> str:
    """A build folder holding `files` and a manifest that lists them; returns the manifest's sha256."""
    listed = []
    for rel, body in sorted(files.items()):
        write_tree(out, {rel: body})
        listed.append({"path": rel, "sha256": _digest(body), "bytes": len(body)})
    manifest = json.dumps({"models": [{"id": m} for m in models], "outputs": listed}).encode()
    write_tree(out, {"manifest.json": manifest})
    return _digest(manifest)


def _model(project: Path, **evidence: Any) -> None:
    """content/m: version 1, documented by the MLflow store in its mlruns/ (or by `evidence` when given)."""
    data = minimal_source("m")
    data["model"]["version"] = "1"
    data["evidence"] = evidence or mlflow_evidence()
    write_tree(project, {"content/m/model.yaml": data})


def _refusal(call: Any, *args: Any) -> str:
    """The error text the command line prints for `call(*args)`."""
    with pytest.raises(UsageError) as caught:
        call(*args)
    return caught.value.format()


def test_only_the_models_pdfs_and_exports_are_published(project: Path) -> None:
    _built(project / "build")
    manifest, outputs = build_outputs(project / "build", "m")
    assert manifest == project / "build/manifest.json"
    assert [o["path"] for o in outputs] == ["exports/m/model.json", "pdf/m/technical.pdf"]
    assert outputs[1]["sha256"] == _digest(FILES["pdf/m/technical.pdf"])


def test_a_build_that_cannot_be_published_is_refused_with_a_hint(project: Path) -> None:
    out = project / "build"
    write_tree(out, {"manifest.json": "{}"})
    assert _refusal(build_outputs, out, "m") == "build/manifest.json: not a docs-compile build manifest ('models')"
    _built(out, models=("other",))
    assert _refusal(build_outputs, out, "m") == (
        "build/manifest.json: the build does not include model 'm' "
        "(hint: models in this build: other; run `docs-compile build --model m`)"
    )
    _built(out, {"exports/m/model.json": b"{}\n"})
    assert _refusal(build_outputs, out, "m") == (
        "build/manifest.json: the build holds no PDF of model 'm' (hint: build without --no-pdf)"
    )
    _built(out)
    (out / "pdf/m/technical.pdf").unlink()
    assert _refusal(build_outputs, out, "m") == (
        "build/pdf/m/technical.pdf: build output is missing (hint: rebuild with `docs-compile build` before publishing)"
    )


def test_the_model_names_exactly_one_registered_model(project: Path) -> None:
    _model(project)
    assert mlflow_target(valid_model(project)).registered_model == "triage"
    second = {"id": "archive", "kind": "mlflow", "tracking_uri": "sqlite:///old.db", "registered_model": "old"}
    _model(project, sources=[*mlflow_evidence()["sources"], second])
    line = (project / "content/m/model.yaml").read_text().splitlines().index("  sources:") + 1
    assert _refusal(mlflow_target, valid_model(project)) == (
        f"content/m/model.yaml:{line}:3: evidence.sources: "
        "model 'm' has 2 MLflow sources with a registered model; publish needs exactly one"
    )


def test_publishing_without_mlflow_installed_says_how_to_install_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _model(project)
    _built(project / "build")
    monkeypatch.setitem(sys.modules, "mlflow", None)
    assert _refusal(publish_to_mlflow, valid_model(project), project / "build") == (
        "publishing to MLflow needs MLflow, which is not installed (hint: pip install 'docs-compile[mlflow]')"
    )


def test_only_a_store_in_the_model_folder_or_a_server_is_written_to(project: Path) -> None:
    pytest.importorskip("mlflow")
    _built(project / "build")
    _model(project, sources=[{"id": "t", "kind": "mlflow", "tracking_uri": "file:///mlruns", "registered_model": "x"}])
    assert _refusal(publish_to_mlflow, valid_model(project), project / "build") == (
        "unsupported tracking URI for publishing: file://…"
    )
    outside = {"id": "t", "kind": "mlflow", "tracking_uri": "sqlite:///../mlflow.db", "registered_model": "x"}
    _model(project, sources=[outside])
    assert _refusal(publish_to_mlflow, valid_model(project), project / "build") == (
        "tracking database path '../mlflow.db' leaves the model's folder ('..') "
        "(hint: move the file into the model's folder)"
    )


def test_publication_names_the_run_the_folder_and_every_file(project: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    folder = project / "content/m"
    (folder / "mlruns").mkdir(parents=True)
    uri = f"sqlite:///{folder / 'mlruns/mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("e", artifact_location=(folder / "mlruns/artifacts").as_uri())
    run = client.create_run(experiment).info.run_id
    client.create_registered_model("triage")
    client.create_model_version("triage", f"runs:/{run}/model", run_id=run)
    _model(project)
    sha = _built(project / "build")

    done = publish_to_mlflow(valid_model(project), project / "build")
    prefix = f"documents/{sha[:12]}"
    assert done == Publication(
        model="m",
        registered_model="triage",
        version="1",
        run_id=run,
        artifact_path=prefix,
        manifest_sha256=sha,
        status="published",
        files=[
            {"artifact": f"{prefix}/manifest.json", "sha256": sha},
            {"artifact": f"{prefix}/exports/m/model.json", "sha256": _digest(FILES["exports/m/model.json"])},
            {"artifact": f"{prefix}/pdf/m/technical.pdf", "sha256": _digest(FILES["pdf/m/technical.pdf"])},
        ],
    )
    assert list(done.as_dict()) == sorted(done.as_dict())
    again = publish_to_mlflow(valid_model(project), project / "build")
    assert again.status == "unchanged" and again.files == done.files
