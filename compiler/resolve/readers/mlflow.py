"""Resolve stage: the MLflow reader — runs, metrics, params, tags, artifacts and registry versions.

Only the official client is used, always with an explicit tracking and registry URI (never the
process-wide default, which is a `mlflow.db` in the working directory). A local sqlite store is
opened read-only (`sqlite:///file:…?mode=ro&uri=true`) after checking that it exists, so MLflow can
neither create an empty database nor migrate a team's database in place.

A tracking server is called under the deadline and retries of `trackers:` (compiler/resolve/trackers.py),
with MLflow's own HTTP retries switched off for the call: its back-off would otherwise last minutes.
A deleted run, a run of a deleted experiment and an archived registry version are refused (`Vanished`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from compiler import __version__
from compiler._util.hashing import sha256_file
from compiler._util.text import closest
from compiler.resolve.paths import existing_file, inside
from compiler.resolve.readers.base import Fact, Reader
from compiler.resolve.readers.files import read_document, scalar
from compiler.resolve.refs import FactError, Reference, Unreachable, Vanished, json_pointer, pinned_step
from compiler.resolve.trackers import CallLimits, TrackerDown, allowed, bounded
from compiler.schema.governance import MlflowSource

INSTALL_HINT = "pip install 'docs-compile[mlflow]'"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_REMOTE = ("http://", "https://")
_RETRIES_ENV, _TIMEOUT_ENV = "MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT"


def iso_ms(millis: int | None) -> str | None:
    """An MLflow timestamp (milliseconds since the epoch) as ISO 8601 UTC."""
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def display_uri(uri: str) -> str:
    """A tracking URI without credentials (user, password, token) for the lock and the documents."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and (parts.username or parts.password):
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return uri


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """MLflow and alembic log at INFO to stderr; a resolve prints only its own report."""
    loggers = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _env_int(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


def server_limits(limits: CallLimits) -> CallLimits:
    """The configured limits; MLFLOW_HTTP_REQUEST_MAX_RETRIES, when the environment sets it, may only lower the retries."""
    own = _env_int(_RETRIES_ENV)
    return limits if own is None else replace(limits, retries=min(limits.retries, own))


@contextlib.contextmanager
def _one_request(deadline: float) -> Iterator[None]:
    """MLflow sends each request once (docs-compile retries) and waits for it a little beyond the deadline,
    which `bounded` enforces. MLFLOW_HTTP_REQUEST_TIMEOUT, when the environment sets it lower, is kept.
    """
    saved = {name: os.environ.get(name) for name in (_RETRIES_ENV, _TIMEOUT_ENV)}
    own = _env_int(_TIMEOUT_ENV)
    beyond = int(deadline) + 1
    os.environ[_RETRIES_ENV] = "0"
    os.environ[_TIMEOUT_ENV] = str(min(beyond, own) if own else beyond)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def transient(exc: BaseException) -> str | None:
    """Why a call failed when trying again may help (the server is down, slow or overloaded); None otherwise."""
    import requests

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, requests.exceptions.SSLError):
            return None
        if isinstance(current, requests.exceptions.Timeout):
            return "no answer in time"
        if isinstance(current, requests.exceptions.ConnectionError):
            text = str(current)
            if "refused" in text.lower():
                return "connection refused"
            if "NameResolution" in text or "not known" in text:
                return "host name not found"
            return "no connection"
        if isinstance(current, requests.exceptions.RetryError):
            status = re.search(r"too many (\d{3}) error responses", str(current))
            return f"HTTP {status.group(1)}" if status else "error responses"
        current = current.__cause__ or current.__context__
    return None


class MlflowReader(Reader):
    """Facts from an MLflow tracking store and model registry."""

    scheme = "mlflow"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[str, Any] = {}
        self._runs: dict[tuple[str, str], Any] = {}
        self._experiments: dict[tuple[str, str], Any] = {}
        self._down: dict[str, str] = {}  # source id -> why its server did not answer
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    # --- connection --------------------------------------------------------------------------

    def _mlflow(self) -> Any:
        try:
            import mlflow
        except ImportError:
            raise FactError("reading MLflow evidence needs MLflow, which is not installed", INSTALL_HINT) from None
        return mlflow

    def reader_version(self) -> str:
        return f"docs-compile {__version__}, mlflow {self._mlflow().__version__}"

    def client_uri(self, source: MlflowSource) -> str:
        """The URI handed to the client: a checked, read-only sqlite file, or the declared server."""
        uri = source.tracking_uri
        if uri.startswith("sqlite:///"):
            relative = unquote(uri.removeprefix("sqlite:///").split("?", 1)[0])
            path = inside(self.context.folder, relative, "tracking database")
            if not path.is_file():
                raise FactError(
                    f"tracking database '{relative}' not found in the model's folder",
                    "MLflow would silently create an empty one; check tracking_uri (relative to the model's folder)",
                )
            with path.open("rb") as handle:
                if handle.read(16) != _SQLITE_MAGIC:
                    raise FactError(
                        f"tracking database '{relative}' is not an SQLite file",
                        "point tracking_uri at the MLflow sqlite database",
                    )
            return f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"
        if uri.startswith(("http://", "https://")):
            # The client sends the environment's credentials to this server: only to one the owner allows.
            if not allowed(uri, self.context.trackers):
                raise FactError(
                    f"tracking server of '{display_uri(uri)}' is not allowed",
                    "list it under `trackers: allow:` in docs-compile.yaml if it is trusted",
                )
            return uri
        raise FactError(
            f"unsupported tracking URI '{display_uri(uri)}'",
            "use sqlite:///<path inside the model's folder> or an http(s) tracking server",
        )

    def client(self, source: MlflowSource) -> Any:
        if source.id not in self._clients:
            mlflow = self._mlflow()
            uri = self.client_uri(source)
            with _quiet():
                self._clients[source.id] = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
        return self._clients[source.id]

    def guarded(self, source: MlflowSource, func: Any, *args: Any, **kwargs: Any) -> Any:
        """`func(*args, **kwargs)`; for a server, under the deadline and retries, Unreachable when it does not answer."""
        if not source.tracking_uri.startswith(_REMOTE):
            with _quiet():
                return func(*args, **kwargs)
        where = display_uri(source.tracking_uri)
        if source.id in self._down:
            raise Unreachable(
                f"tracking server {where} of source '{source.id}' did not answer earlier in this run "
                f"({self._down[source.id]}); not contacted again"
            )
        limits = server_limits(self.context.limits)
        try:
            with _quiet(), _one_request(limits.deadline):
                return bounded(limits, lambda _left: func(*args, **kwargs), transient)
        except TrackerDown as down:
            self._down[source.id] = down.reason
            raise Unreachable(
                f"tracking server {where} of source '{source.id}' cannot be reached: {down}", limits.hint()
            ) from None

    def _call(self, source: MlflowSource, what: str, func: Any, *args: Any) -> Any:
        """Call the client; turn MLflow's exceptions into clear, placed messages."""
        from mlflow.exceptions import MlflowException

        try:
            return self.guarded(source, func, *args)
        except MlflowException as exc:
            where = display_uri(source.tracking_uri)
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST" or "not found" in str(exc.message):
                raise Vanished(f"no {what} in {where}", "check the id against the MLflow UI") from None
            message = str(exc.message).splitlines()[0]
            if "out-of-date database schema" in message:
                raise FactError(
                    f"{where}: the database schema is older than this MLflow client; it is opened read-only and never migrated",
                    "upgrade a copy with `mlflow db upgrade`, or resolve with the MLflow version that wrote it",
                ) from None
            raise FactError(f"{where}: MLflow error: {message}") from None
        except FactError:
            raise
        except Exception as exc:  # sqlalchemy and network errors: the store itself is unreadable
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise FactError(f"{display_uri(source.tracking_uri)}: cannot read the tracking store: {first}") from None

    # --- references --------------------------------------------------------------------------

    def resolve(self, ref: Reference) -> Fact:
        source = self.context.pick(ref, "mlflow")
        assert isinstance(source, MlflowSource)
        parts = ref.parts
        if parts[0] == "models":
            return self._registry(source, ref, parts[1:])
        if len(parts) < 3 or parts[1] not in ("metrics", "params", "tags", "artifacts") or not all(parts[2:]):
            raise FactError(
                "expected mlflow://<run_id>/metrics|params|tags|artifacts/<key> or mlflow://models/<name>/<version|@alias>",
                "see the reference syntax in the README",
            )
        run_id, section, key = parts[0], parts[1], "/".join(parts[2:])
        run = self.run(source, run_id)
        provenance = self._run_provenance(source, run)
        if section == "metrics":
            return self._metric(source, run, key, provenance)
        if section == "artifacts":
            return self._artifact(source, run, key, ref.fragment, provenance)
        values = run.data.params if section == "params" else run.data.tags
        if key not in values:
            shown = [k for k in values if not k.startswith("mlflow.")]
            hint = closest(key, shown) or f"{section} in this run: {', '.join(sorted(shown)) or 'none'}"
            raise FactError(f"run {run_id} has no {section[:-1]} '{key}'", hint)
        return Fact(values[key], provenance | {"kind": f"mlflow.{section[:-1]}", "key": key})

    def run(self, source: MlflowSource, run_id: str, *, finished: bool = True) -> Any:
        """A run that is evidence: neither it nor its experiment deleted, and (`finished`) FINISHED."""
        if (source.id, run_id) not in self._runs:
            client = self.client(source)
            where = display_uri(source.tracking_uri)
            run = self._call(source, f"run '{run_id}'", client.get_run, run_id)
            experiment_id = run.info.experiment_id
            experiment = self._call(source, f"experiment '{experiment_id}'", client.get_experiment, experiment_id)
            # Deleting an experiment deletes its runs too: name the experiment, the cause, first.
            if experiment.lifecycle_stage == "deleted":
                raise Vanished(
                    f"run {run_id} belongs to experiment '{experiment.name}', which is deleted in {where}",
                    f"restore the experiment (`mlflow experiments restore --experiment-id {experiment_id}`) "
                    "or reference a run of another experiment",
                )
            if run.info.lifecycle_stage == "deleted":
                raise Vanished(
                    f"run {run_id} is deleted in {where}",
                    f"a deleted run is not evidence: restore it (`mlflow runs restore --run-id {run_id}`) "
                    "or reference another run",
                )
            self._experiments[(source.id, experiment_id)] = experiment
            self._runs[(source.id, run_id)] = run
        run = self._runs[(source.id, run_id)]
        if finished and run.info.status != "FINISHED":
            raise FactError(
                f"run {run_id} is {run.info.status}, not FINISHED",
                "facts come only from finished runs; wait for the run to end or reference another run",
            )
        return run

    def _run_provenance(self, source: MlflowSource, run: Any) -> dict[str, Any]:
        experiment = self._experiments[(source.id, run.info.experiment_id)]
        return {
            "source": source.id,
            "tracking_uri": display_uri(source.tracking_uri),
            "run_id": run.info.run_id,
            "run_name": run.info.run_name,
            "experiment_id": run.info.experiment_id,
            "experiment": experiment.name,
            "run_end_time": iso_ms(run.info.end_time),
            "reader": self.reader_version(),
        }

    def _metric(self, source: MlflowSource, run: Any, key: str, provenance: dict[str, Any]) -> Fact:
        key, step = pinned_step(key)
        if key not in run.data.metrics:
            known = sorted(run.data.metrics)
            hint = closest(key, known) or f"metrics in this run: {', '.join(known) or 'none'}"
            raise FactError(f"run {run.info.run_id} has no metric '{key}'", hint)
        history = self._call(source, f"metric '{key}'", self.client(source).get_metric_history, run.info.run_id, key)
        if step is None:
            # MLflow's own latest value (what get_run reports): the highest step, then the latest timestamp,
            # then the largest value; the history only says where that value was logged.
            value = run.data.metrics[key]
            chosen = max(history, key=lambda m: (m.step, m.timestamp, m.value), default=None)
        else:
            at_step = [m for m in history if m.step == step]
            if not at_step:
                steps = sorted({m.step for m in history})
                shown = ", ".join(map(str, steps[:12])) + (", …" if len(steps) > 12 else "")
                raise FactError(
                    f"run {run.info.run_id} logged no value of metric '{key}' at step {step}", f"steps: {shown}"
                )
            # Several values at one step: the same rule as MLflow's latest, within the step.
            chosen = max(at_step, key=lambda m: (m.timestamp, m.value))
            value = chosen.value
        extra: dict[str, Any] = {"kind": "mlflow.metric", "key": key}
        if chosen is not None:
            extra |= {"step": chosen.step, "timestamp": iso_ms(chosen.timestamp)}
        return Fact(scalar(value, f"metric '{key}'"), provenance | extra)

    def _artifact(self, source: MlflowSource, run: Any, path: str, pointer: str, provenance: dict[str, Any]) -> Fact:
        local = self._artifact_file(source, run, path)
        document = read_document(local, path)
        value = scalar(json_pointer(document, pointer), f"#{pointer}" if pointer else path)
        extra = {"kind": "mlflow.artifact", "artifact": path, "pointer": pointer, "sha256": sha256_file(local)}
        return Fact(value, provenance | extra)

    def _artifact_file(self, source: MlflowSource, run: Any, path: str) -> Path:
        """A run's artifact as a local file: remapped, checked to stay in the model's folder, or downloaded."""
        uri = run.info.artifact_uri
        parts = urlsplit(uri)
        if parts.scheme not in ("", "file"):
            return self._download(source, run, path)
        run_id = run.info.run_id
        if source.artifact_root:
            root = inside(self.context.folder, source.artifact_root, "artifact root")
            for candidate in (root / run.info.experiment_id / run_id / "artifacts", root / run_id / "artifacts"):
                if candidate.is_dir():
                    folder = candidate.relative_to(self.context.folder.resolve())
                    return existing_file(self.context.folder, f"{folder.as_posix()}/{path}", "artifact")
            raise FactError(
                f"artifact_root '{source.artifact_root}' holds no folder for run {run_id}",
                "it should contain <experiment_id>/<run_id>/artifacts or <run_id>/artifacts",
            )
        absolute = Path(unquote(parts.path))
        try:
            relative = absolute.resolve().relative_to(self.context.folder.resolve())
        except ValueError:
            raise FactError(
                f"the artifacts of run {run_id} are stored at {absolute}, outside the model's folder",
                "copy them into the model's folder and set artifact_root on the MLflow source",
            ) from None
        return existing_file(self.context.folder, f"{relative.as_posix()}/{path}", "artifact")

    def _download(self, source: MlflowSource, run: Any, path: str) -> Path:
        mlflow = self._mlflow()
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="docs-compile-artifacts-")
        target = Path(self._tmp.name) / run.info.run_id
        target.mkdir(exist_ok=True)
        uri = self.client_uri(source)
        download = functools.partial(
            mlflow.artifacts.download_artifacts,
            run_id=run.info.run_id,
            artifact_path=path,
            dst_path=str(target),
            tracking_uri=uri,
        )
        try:
            local = self.guarded(source, download)
        except FactError:
            raise
        except Exception as exc:
            raise FactError(
                f"artifact '{path}' of run {run.info.run_id} cannot be downloaded: {str(exc).splitlines()[0]}"
            ) from None
        return Path(local)

    def _registry(self, source: MlflowSource, ref: Reference, parts: list[str]) -> Fact:
        if len(parts) < 2 or not all(parts):
            raise FactError("expected mlflow://models/<name>/<version> or mlflow://models/<name>/@<alias>", "")
        name, which = "/".join(parts[:-1]), parts[-1]
        client = self.client(source)
        registered = self._call(source, f"registered model '{name}'", client.get_registered_model, name)
        alias = which[1:] if which.startswith("@") else None
        if alias:
            aliases = dict(registered.aliases or {})
            if alias not in aliases:
                known = ", ".join(f"@{a}" for a in sorted(aliases)) or "none"
                raise FactError(
                    f"no alias '@{alias}' on registered model '{name}' in {display_uri(source.tracking_uri)}",
                    f"aliases: {known}",
                )
            version = self._call(
                source, f"alias '@{alias}' on registered model '{name}'", client.get_model_version_by_alias, name, alias
            )
        else:
            version = self._call(
                source, f"version {which} of registered model '{name}'", client.get_model_version, name, which
            )
        if version.current_stage == "Archived":
            raise Vanished(
                f"version {version.version} of registered model '{name}' is archived in {display_uri(source.tracking_uri)}",
                "an archived version is retired: document a current version, or move it out of Archived in the registry",
            )
        record = {
            "name": version.name,
            "version": str(version.version),
            "description": version.description or "",
            "run_id": version.run_id or "",
            "status": version.status,
            "tags": dict(version.tags or {}),
            "aliases": sorted(version.aliases or []),
        }
        value = scalar(
            json_pointer(record, ref.fragment or "/version"), f"#{ref.fragment}" if ref.fragment else "version"
        )
        provenance = {
            "kind": "mlflow.registry",
            "source": source.id,
            "tracking_uri": display_uri(source.tracking_uri),
            "registered_model": version.name,
            "version": str(version.version),
            "alias": alias,
            "run_id": version.run_id,
            "created": iso_ms(version.creation_timestamp),
            "reader": self.reader_version(),
        }
        return Fact(value, provenance)

    # --- staleness ---------------------------------------------------------------------------

    def audit(self, facts: dict[str, dict[str, Any]]) -> list[str]:
        """The documented model version against the registry versions the facts point to."""
        documented = self.context.source.model.version
        if documented.startswith("mlflow://"):
            return []
        findings = []
        for ref, fact in sorted(facts.items()):
            # An alias moves with each release; a reference to a fixed version may name an older one on purpose.
            if fact.get("kind") == "mlflow.registry" and fact.get("alias") and fact["version"] != documented:
                findings.append(
                    f"model.version is '{documented}' but {ref} is version {fact['version']} of '{fact['registered_model']}'"
                )
        for source in self.context.source.evidence.sources:
            if isinstance(source, MlflowSource) and source.registered_model:
                findings += self._audit_registered(source, documented, facts)
        return findings

    def _audit_registered(self, source: MlflowSource, documented: str, facts: dict[str, dict[str, Any]]) -> list[str]:
        name = source.registered_model
        client = self.client(source)
        try:
            version = self._call(
                source, f"version {documented} of registered model '{name}'", client.get_model_version, name, documented
            )
        except FactError as exc:
            return [f"model.version '{documented}': {exc.message}"]
        runs = sorted(
            {f["run_id"] for f in facts.values() if f.get("source") == source.id and f.get("kind") != "mlflow.registry"}
        )
        if runs and version.run_id not in runs:
            return [
                f"version {documented} of '{name}' comes from run {version.run_id}, but the facts come from run(s) {', '.join(runs)}"
            ]
        return []

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
