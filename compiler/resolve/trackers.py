"""Resolve stage: which tracking servers may receive the environment's credentials (`trackers.allow`).

MLflow's client sends MLFLOW_TRACKING_TOKEN (or _USERNAME/_PASSWORD) to whatever server it is given.
A model source is untrusted, so the server it names is contacted only when the trusted configuration
(docs-compile.yaml) lists it; local stores (sqlite inside the model's folder) need no entry.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from compiler._util.fieldpath import FieldPath, dotted
from compiler.errors import Problem
from compiler.schema.governance import MlflowSource
from compiler.validate.project import ValidModel

_DEFAULT_PORTS = {"http": 80, "https": 443}
CREDENTIALS = "MLFLOW_TRACKING_TOKEN / MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD"


def server(uri: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) tracking URI, the port defaulting to the scheme's; None for a local store."""
    parts = urlsplit(uri.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:  # a port that is not a number: no server can match it
        port = -1
    return (parts.hostname or "", port)


def shown(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _entry(entry: str, port: int) -> tuple[str, int] | None:
    """An allow entry `host:port` (or `host`, meaning the URI's own default port) as (host, port)."""
    parts = urlsplit("//" + entry.strip())
    try:
        return (parts.hostname or "", parts.port or port)
    except ValueError:
        return None


def allowed(uri: str, allow: tuple[str, ...]) -> bool:
    """Whether credentials may go to the server of this URI: a local store, or a server listed in `allow`."""
    address = server(uri)
    if address is None:
        return True
    default = _DEFAULT_PORTS[urlsplit(uri.strip()).scheme.lower()]
    entries = {_entry(e, default) for e in allow}
    # A listed host without a port stands for the scheme's default port only, never for every port.
    return address in entries


def untrusted_trackers(model: ValidModel, allow: tuple[str, ...]) -> list[Problem]:
    """A placed problem for every MLflow source whose server is not allowed, before any client is created."""
    problems = []
    for i, source in enumerate(model.source.evidence.sources):
        if not isinstance(source, MlflowSource) or allowed(source.tracking_uri, allow):
            continue
        address = server(source.tracking_uri)
        assert address is not None
        path: FieldPath = ("evidence", "sources", i, "tracking_uri")
        problems.append(
            Problem(
                model.loaded.locate(path),
                f"tracking server '{shown(address)}' is not allowed: MLflow would send {CREDENTIALS} "
                "from the environment to it",
                dotted(path),
                f"if this server is trusted, add it to docs-compile.yaml: `trackers: {{allow: ['{shown(address)}']}}`",
            )
        )
    return problems
