"""`docs-compile publish --mlflow MODEL_ID`: the built documents logged to the run behind the documented version."""

from __future__ import annotations

import json

import click

from compiler.cli import Settings, echo, guarded, shared_options
from compiler.load.reader import load_project
from compiler.publish.mlflow import TAG_SHA, publish_to_mlflow
from compiler.validate.project import validate_project


@click.command("publish")
@click.option(
    "--mlflow",
    "model_id",
    required=True,
    metavar="MODEL_ID",
    help="Log MODEL_ID's built documents to the MLflow run behind its documented registry version.",
)
@shared_options
@click.pass_obj
@guarded
def command(settings: Settings, model_id: str) -> None:
    """Attach a model's built documents to its registered model version in MLflow.

    Logs the PDFs, the JSON export and manifest.json from --out as artifacts of the run behind the
    version the documents describe (model.version), under documents/<manifest sha256>/, and tags that
    version with the manifest's sha256. Run `docs-compile build` first; publishing the same build twice
    changes nothing.
    """
    catalog = validate_project(load_project(settings.content, [model_id]))
    model = catalog.get(model_id)
    assert model is not None  # load_project reports an unknown id
    done = publish_to_mlflow(model, settings.out)
    if settings.json:
        click.echo(json.dumps({"ok": True, **done.as_dict()}, indent=2, sort_keys=True))
    elif not settings.quiet:
        verb = "already published" if done.status == "unchanged" else f"published {len(done.files)} file(s)"
        echo(
            f"{model_id}: {verb} to run {done.run_id} ({done.registered_model} version {done.version}) "
            f"under {done.artifact_path}/; tagged {TAG_SHA}={done.manifest_sha256[:12]}…"
        )
