"""Publish stage, MLflow: the built documents logged to the run behind the documented registry version.

The model's PDFs, JSON export and the build manifest (from the build folder) become artifacts of the
MLflow run that produced the documented registry version, under `documents/<manifest sha256, 12
characters>/`, and the version is tagged with the manifest's sha256. The documents then travel with the
model artifact. Publishing the same build again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from compiler._util.hashing import sha256_file
from compiler._util.paths import display_path
from compiler.errors import EvidenceError, UsageError
from compiler.resolve.apply import resolved_source
from compiler.resolve.paths import inside
from compiler.resolve.readers.mlflow import INSTALL_HINT, _quiet, display_uri
from compiler.resolve.refs import FactError
from compiler.schema.governance import MlflowSource
from compiler.validate.project import ValidModel

MANIFEST = "manifest.json"
TAG_SHA = "docs_compile.manifest_sha256"
TAG_PATH = "docs_compile.documents"
TAG_MODEL = "docs_compile.model_id"


@dataclass
class Publication:
    """What was logged where (JSON-ready for --json)."""

    model: str
    registered_model: str
    version: str
    run_id: str
    artifact_path: str
    manifest_sha256: str
    status: str  # published | unchanged
    files: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(sorted(self.__dict__.items()))


def publish_to_mlflow(model: ValidModel, out: Path) -> Publication:
    """Log the built documents in `out` as artifacts of the documented version's run and tag the version.

    Raises UsageError when the build, the model's MLflow source or the registry version is not usable.
    """
    manifest_path, outputs = build_outputs(out, model.id)
    source = mlflow_target(model)
    version = _documented_version(model)
    try:
        import mlflow
    except ImportError:
        raise UsageError(f"publishing to MLflow needs MLflow, which is not installed (hint: {INSTALL_HINT})") from None
    uri = _writable_uri(model, source.tracking_uri)
    name = str(source.registered_model)
    sha = sha256_file(manifest_path)
    prefix = f"documents/{sha[:12]}"
    files = [{"path": MANIFEST, "sha256": sha, "bytes": manifest_path.stat().st_size}, *outputs]
    with _quiet():
        client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
        run_id, tags_now = _registered_run(client, model, name, version, display_uri(source.tracking_uri))
        wanted = {f"{prefix}/{f['path']}": f["bytes"] for f in files}
        have = _existing(client, run_id, prefix)
        tags = {TAG_SHA: sha, TAG_PATH: f"runs:/{run_id}/{prefix}", TAG_MODEL: model.id}
        same = all(have.get(p) == size for p, size in wanted.items()) and all(
            tags_now.get(k) == v for k, v in tags.items()
        )
        if not same:
            for f in files:
                local = manifest_path if f["path"] == MANIFEST else out / f["path"]
                folder = "/".join([prefix, *f["path"].split("/")[:-1]])
                client.log_artifact(run_id, str(local), artifact_path=folder)
            for key, value in tags.items():
                client.set_model_version_tag(name, version, key, value)
    return Publication(
        model=model.id,
        registered_model=name,
        version=version,
        run_id=run_id,
        artifact_path=prefix,
        manifest_sha256=sha,
        status="unchanged" if same else "published",
        files=[{"artifact": f"{prefix}/{f['path']}", "sha256": f["sha256"]} for f in files],
    )


def build_outputs(out: Path, model_id: str) -> tuple[Path, list[dict[str, Any]]]:
    """The manifest and the model's PDFs and exports listed in it, each checked against its sha256."""
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise UsageError.at(
            display_path(manifest_path),
            f"no build output: {MANIFEST} not found",
            hint=f"run `docs-compile build --model {model_id}` first, or pass the build folder with --out",
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        built = {m["id"] for m in manifest["models"]}
        outputs = list(manifest["outputs"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError.at(display_path(manifest_path), f"not a docs-compile build manifest ({exc})") from None
    if model_id not in built:
        raise UsageError.at(
            display_path(manifest_path),
            f"the build does not include model '{model_id}'",
            hint=f"models in this build: {', '.join(sorted(built)) or 'none'}; run `docs-compile build --model {model_id}`",
        )
    mine = [o for o in outputs if str(o.get("path", "")).startswith((f"pdf/{model_id}/", f"exports/{model_id}/"))]
    if not any(o["path"].startswith("pdf/") for o in mine):
        raise UsageError.at(
            display_path(manifest_path),
            f"the build holds no PDF of model '{model_id}'",
            hint="build without --no-pdf",
        )
    for entry in mine:
        path = out / entry["path"]
        if not path.is_file() or sha256_file(path) != entry.get("sha256"):
            state = "is missing" if not path.is_file() else "differs from its sha256 in the manifest"
            raise UsageError.at(
                display_path(path), f"build output {state}", hint="rebuild with `docs-compile build` before publishing"
            )
    return manifest_path, sorted(mine, key=lambda o: o["path"])


def mlflow_target(model: ValidModel) -> MlflowSource:
    """The model's MLflow source that names a registered model."""
    sources = [s for s in model.source.evidence.sources if isinstance(s, MlflowSource) and s.registered_model]
    where = model.loaded.locate(("evidence",)) if "evidence" in model.loaded.data else model.loaded.locate(())
    if not sources:
        raise UsageError.placed(
            where,
            f"model '{model.id}' has no MLflow source with a registered model to publish to",
            field="evidence.sources",
            hint="declare one: {id: tracking, kind: mlflow, tracking_uri: sqlite:///…, registered_model: NAME}",
        )
    if len(sources) > 1:
        raise UsageError.placed(
            where,
            f"model '{model.id}' has {len(sources)} MLflow sources with a registered model; publish needs exactly one",
            field="evidence.sources",
        )
    return sources[0]


def _writable_uri(model: ValidModel, uri: str) -> str:
    """The store opened for writing: a sqlite file that must already exist (MLflow would create one), or a server."""
    if uri.startswith("sqlite:///"):
        relative = unquote(uri.removeprefix("sqlite:///").split("?", 1)[0])
        try:
            path = inside(model.loaded.folder, relative, "tracking database")
        except FactError as exc:
            raise UsageError(f"{exc.message} (hint: {exc.hint})") from None
        if not path.is_file():
            where = model.loaded.locate(("evidence", "sources"))
            raise UsageError.placed(
                where,
                f"tracking database '{relative}' not found in the model's folder",
                field="evidence.sources",
                hint="MLflow would silently create an empty one; check tracking_uri (relative to the model's folder)",
            )
        return f"sqlite:///{path}"
    if uri.startswith(("http://", "https://")):
        return uri
    raise UsageError(f"unsupported tracking URI for publishing: {uri.split('://', 1)[0]}://…")


def _documented_version(model: ValidModel) -> str:
    """model.version with its registry reference resolved from the lock."""
    try:
        return str(resolved_source(model).model.version)
    except EvidenceError as exc:
        raise UsageError(exc.problems) from None


def _registered_run(client: Any, model: ValidModel, name: str, version: str, shown: str) -> tuple[str, dict[str, str]]:
    """The run behind the registry version, and the version's tags."""
    from mlflow.exceptions import MlflowException

    try:
        registered = client.get_model_version(name, version)
    except MlflowException:
        raise UsageError.placed(
            model.loaded.locate(("model", "version")),
            f"model.version '{version}' is not a version of registered model '{name}' in {shown}",
            field="model.version",
            hint=f"document a registry version, e.g. model.version: mlflow://models/{name}/@champion",
        ) from None
    if not registered.run_id:
        raise UsageError(f"version {version} of '{name}' in {shown} names no run to attach the documents to")
    return str(registered.run_id), dict(registered.tags)


def _existing(client: Any, run_id: str, prefix: str) -> dict[str, int | None]:
    """Artifacts already under the prefix: path -> size."""
    found: dict[str, int | None] = {}
    pending = [prefix]
    while pending:
        for info in client.list_artifacts(run_id, pending.pop()):
            if info.is_dir:
                pending.append(info.path)
            else:
                found[info.path] = info.file_size
    return found
