"""Resolve stage: how tracking servers are contacted — which may (`trackers.allow`), and for how long.

MLflow's client sends MLFLOW_TRACKING_TOKEN (or _USERNAME/_PASSWORD) to whatever server it is given.
A model source is untrusted, so the server it names is contacted only when the trusted configuration
(docs-compile.yaml) lists it; local stores (sqlite inside the model's folder) need no entry.

Every call to a server has a total deadline, retries included (`trackers.deadline`, `trackers.retries`,
or DOCS_COMPILE_TRACKER_DEADLINE / _RETRIES): a client's own back-off (MLflow's lasts minutes) never
holds `resolve` beyond it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from compiler._util.fieldpath import FieldPath, dotted
from compiler.errors import ConfigError, Problem
from compiler.schema.governance import MlflowSource
from compiler.validate.project import ValidModel

_DEFAULT_PORTS = {"http": 80, "https": 443}
CREDENTIALS = "MLFLOW_TRACKING_TOKEN / MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD"

DEADLINE_ENV = "DOCS_COMPILE_TRACKER_DEADLINE"
RETRIES_ENV = "DOCS_COMPILE_TRACKER_RETRIES"
FIRST_PAUSE = 0.5
"""Seconds before the first retry; each further pause doubles, always within the deadline."""

T = TypeVar("T")


@dataclass(frozen=True)
class CallLimits:
    """How long one call to a tracking server may take, retries included, and how often it is retried."""

    deadline: float = 30.0
    retries: int = 2

    def hint(self) -> str:
        return (
            f"check that the server is up and the URI is right; the deadline ({self.deadline:g} s) and retries "
            f"({self.retries}) are `trackers: {{deadline, retries}}` in docs-compile.yaml, or {DEADLINE_ENV} / "
            f"{RETRIES_ENV}"
        )


def call_limits(deadline: float = CallLimits.deadline, retries: int = CallLimits.retries) -> CallLimits:
    """The configured limits, each overridden by its environment variable when set."""
    raw = os.environ.get(DEADLINE_ENV, "").strip()
    if raw:
        try:
            deadline = float(raw)
        except ValueError:
            deadline = 0
        if not 0 < deadline <= 600:
            raise ConfigError(f"{DEADLINE_ENV}={raw!r}: expected a number of seconds above 0 and at most 600")
    raw = os.environ.get(RETRIES_ENV, "").strip()
    if raw:
        retries = int(raw) if raw.isdigit() else -1
        if not 0 <= retries <= 10:
            raise ConfigError(f"{RETRIES_ENV}={raw!r}: expected a whole number from 0 to 10")
    return CallLimits(deadline, retries)


class TrackerDown(Exception):
    """A call failed on every attempt, or ran out of time: why, how many attempts, how long it took."""

    def __init__(self, reason: str, attempts: int, seconds: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.seconds = seconds

    def __str__(self) -> str:
        tries = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
        return f"{self.reason} ({tries} in {self.seconds:.1f} s)"


def bounded(limits: CallLimits, attempt: Callable[[float], T], transient: Callable[[BaseException], str | None]) -> T:
    """`attempt(seconds_left)`, retried while `transient` names its failure and retries and time remain.

    Each attempt runs in a worker thread that is abandoned when the deadline passes, so nothing a client
    does (its own back-off, a name lookup, a server answering byte by byte) holds the caller beyond it.
    Raises TrackerDown when the retries or the time run out; any other failure as it came.
    """
    start = time.monotonic()
    end = start + limits.deadline
    for number in range(1, limits.retries + 2):
        try:
            return _within(end - time.monotonic(), attempt)
        except _Late:
            raise TrackerDown(
                f"no answer within the deadline of {limits.deadline:g} s", number, limits.deadline
            ) from None
        except Exception as exc:
            reason = transient(exc)
            if reason is None:
                raise
            pause = FIRST_PAUSE * 2 ** (number - 1)
            if number > limits.retries or time.monotonic() + pause >= end:
                raise TrackerDown(reason, number, time.monotonic() - start) from None
            time.sleep(pause)
    raise AssertionError("unreachable: the loop returns or raises")


class _Late(Exception):
    pass


def _within(seconds: float, func: Callable[[float], T]) -> T:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = func(seconds)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="docs-compile-tracker-call", daemon=True)
    worker.start()
    worker.join(max(seconds, 0))
    if worker.is_alive():
        raise _Late
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


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
