"""Resolve stage: tracking servers that do not answer — a total deadline, bounded retries, exit 2 naming the source.

The servers are real: a closed port on 127.0.0.1, a listener that never answers, an HTTP server that
answers 503. `resolve` runs as a subprocess of the CLI with no MLFLOW_HTTP_* variables set, so MLflow's
own back-off (minutes) would show if docs-compile did not bound it.
"""

from __future__ import annotations

import http.server
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from helpers.evidence import position
from helpers.network import accepted_connections, local_listener
from helpers.project import minimal_source, write_tree

pytest.importorskip("mlflow")

SLACK = 15  # seconds of interpreter start-up and imports a loaded machine may add to the deadline
HINT = (
    "check that the server is up and the URI is right; the deadline ({deadline} s) and retries ({retries}) are "
    "`trackers: {{deadline, retries}}` in docs-compile.yaml, or DOCS_COMPILE_TRACKER_DEADLINE / "
    "DOCS_COMPILE_TRACKER_RETRIES"
)
RUN = "0123456789abcdef0123456789abcdef"
REFS = {"value": f"mlflow://{RUN}/metrics/auroc", "n": f"mlflow://{RUN}/metrics/n_test"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _project(project: Path, port: int, trackers: str = "") -> None:
    data = minimal_source("m")
    result = data["evaluation"]["results"][0]
    result.update(REFS)
    result.pop("ci_low")
    result.pop("ci_high")
    data["evidence"] = {"sources": [{"id": "tracking", "kind": "mlflow", "tracking_uri": f"http://127.0.0.1:{port}"}]}
    config = f"trackers:\n  allow: ['127.0.0.1:{port}']\n{trackers}"
    write_tree(project, {"content/m/model.yaml": yaml.safe_dump(data, sort_keys=False), "docs-compile.yaml": config})


def _resolve(project: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """`docs-compile resolve` in a child process with a bare environment; its result and how long it took."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "compiler", "resolve"],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "HOME": str(project), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done, time.monotonic() - start


def _lines(project: Path, port: int, reason: str, tries: str, deadline: int = 30, retries: int = 2) -> str:
    """The expected stderr as a pattern: the first reference names the failure, the second is not retried."""
    first = "cannot be reached: " + reason + r" \(" + tries + r" in \d+\.\d s\)"
    where = f"tracking server http://127.0.0.1:{port} of source 'tracking'"
    hint = re.escape(f" (hint: {HINT.format(deadline=deadline, retries=retries)})")
    return (
        re.escape(f"error: {position(project, REFS['value'])}: evaluation.results[0].value: {REFS['value']}: {where} ")
        + first
        + hint
        + re.escape(
            f"\nerror: {position(project, REFS['n'])}: evaluation.results[0].n: {REFS['n']}: {where} did not "
            "answer earlier in this run ("
        )
        + reason
        + re.escape("); not contacted again\n2 errors\n")
    )


def test_a_closed_port_fails_with_exit_2_within_the_default_deadline(project: Path) -> None:
    port = _closed_port()
    _project(project, port)
    done, seconds = _resolve(project)
    assert done.returncode == 2, done.stderr
    assert seconds < 30 + SLACK
    assert re.fullmatch(_lines(project, port, "connection refused", "3 attempts"), done.stderr), done.stderr
    assert not (project / "content/m/facts.lock.json").exists()


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A server that accepts connections and never answers."""
    with local_listener() as server:
        yield server


def test_a_server_that_never_answers_is_given_up_at_the_configured_deadline(
    project: Path, silent: socket.socket
) -> None:
    port = silent.getsockname()[1]
    _project(project, port, "  deadline: 3\n")
    done, seconds = _resolve(project)
    assert done.returncode == 2, done.stderr
    assert 3 <= seconds < 3 + SLACK
    reason = "no answer within the deadline of 3 s"
    assert re.fullmatch(_lines(project, port, reason, "1 attempt", deadline=3), done.stderr), done.stderr
    assert accepted_connections(silent) == 1  # the deadline was spent waiting: no second attempt


def test_the_environment_overrides_the_configured_deadline(project: Path, silent: socket.socket) -> None:
    port = silent.getsockname()[1]
    _project(project, port, "  deadline: 600\n")
    done, seconds = _resolve(project, DOCS_COMPILE_TRACKER_DEADLINE="2")
    assert done.returncode == 2, done.stderr
    assert seconds < 2 + SLACK
    assert "(hint: check that the server is up and the URI is right; the deadline (2 s)" in done.stderr


class _Unavailable(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        body = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "down for maintenance"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def unavailable() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server answering 503 to every request, and the requests it received."""
    handler = type("Handler", (_Unavailable,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler.requests
    finally:
        server.shutdown()
        server.server_close()


def test_error_statuses_are_retried_as_configured_then_the_source_is_left_alone(
    project: Path, unavailable: tuple[int, list[str]]
) -> None:
    port, received = unavailable
    _project(project, port, "  retries: 1\n")
    done, _ = _resolve(project)
    assert done.returncode == 2, done.stderr
    assert re.fullmatch(_lines(project, port, "HTTP 503", "2 attempts", retries=1), done.stderr), done.stderr
    assert len(received) == 2 and all(path.startswith("/api/2.0/mlflow/runs/get") for path in received)


def test_the_limits_are_checked_where_they_are_set(project: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(project, _closed_port(), "  deadline: 0\n")
    result = cli("resolve")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: docs-compile.yaml:3:13: trackers.deadline: ")
    _project(project, _closed_port())
    monkeypatch.setenv("DOCS_COMPILE_TRACKER_RETRIES", "many")
    result = cli("resolve")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: DOCS_COMPILE_TRACKER_RETRIES='many': expected a whole number from 0 to 10\n",
    )
