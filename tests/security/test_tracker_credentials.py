"""Issue 14, item 6: tracker credentials from the environment go only to hosts docs-compile.yaml allows."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers.network import accepted_connections, local_listener
from helpers.project import minimal_source, write_tree

pytest.importorskip("mlflow")

TOKEN = "ci-secret-token-4711"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with local_listener() as server:
        yield server


def _project(project: Path, uri: str) -> None:
    data = minimal_source("m")
    data["evaluation"]["results"][0]["value"] = "mlflow://0123456789abcdef/metrics/auroc"
    data["evaluation"]["results"][0].pop("ci_low")
    data["evaluation"]["results"][0].pop("ci_high")
    data["evidence"] = {"sources": [{"id": "tracking", "kind": "mlflow", "tracking_uri": uri}]}
    write_tree(project, {"content/m/model.yaml": yaml.safe_dump(data, sort_keys=False)})


def _resolve(project: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(project),
        "MLFLOW_TRACKING_TOKEN": TOKEN,
        "MLFLOW_TRACKING_USERNAME": "ci",
        "MLFLOW_TRACKING_PASSWORD": TOKEN,
        # Today's code connects; keep that failure short instead of MLflow's minutes of retries.
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "compiler", "resolve"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )


def _tracking_line(project: Path) -> str:
    lines = (project / "content/m/model.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines) if "tracking_uri:" in text)
    return f"content/m/model.yaml:{line + 1}:{lines[line].index('tracking_uri:') + len('tracking_uri: ') + 1}"


def test_item6_credentials_sent_where_the_source_says(project: Path, listener: socket.socket) -> None:
    here = f"127.0.0.1:{listener.getsockname()[1]}"
    _project(project, f"http://{here}")
    result = _resolve(project)
    assert accepted_connections(listener) == 0
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert result.stderr == (
        f"error: {_tracking_line(project)}: evidence.sources[0].tracking_uri: tracking server '{here}' is not "
        "allowed: MLflow would send MLFLOW_TRACKING_TOKEN / MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD "
        f"from the environment to it (hint: if this server is trusted, add it to docs-compile.yaml: "
        f"`trackers: {{allow: ['{here}']}}`)\n"
    )


def test_item6_a_host_allowed_elsewhere_does_not_let_another_port_through(
    project: Path, listener: socket.socket
) -> None:
    here = f"127.0.0.1:{listener.getsockname()[1]}"
    _project(project, f"https://user:pw@{here}/mlflow")
    write_tree(project, {"docs-compile.yaml": "trackers:\n  allow: ['127.0.0.1:1', 'mlflow.example.org']\n"})
    result = _resolve(project)
    assert accepted_connections(listener) == 0
    assert result.returncode == 2
    assert f"tracking server '{here}' is not allowed" in result.stderr
    assert "pw" not in result.stderr


def test_item6_an_allowed_host_is_contacted(project: Path, listener: socket.socket) -> None:
    here = f"127.0.0.1:{listener.getsockname()[1]}"
    _project(project, f"http://{here}")
    write_tree(project, {"docs-compile.yaml": f"trackers:\n  allow: ['{here}']\n"})
    result = _resolve(project)
    assert accepted_connections(listener) == 1
    assert result.returncode == 2  # the listener never answers
    assert "not allowed" not in result.stderr
    assert "Traceback" not in result.stderr


def test_item6_an_unknown_trackers_key_is_a_placed_config_error(project: Path) -> None:
    _project(project, "sqlite:///mlruns/mlflow.db")
    write_tree(project, {"docs-compile.yaml": "trackers:\n  allowed: ['x:1']\n"})
    result = _resolve(project)
    assert result.returncode == 2
    assert result.stderr.startswith("error: docs-compile.yaml:2:3: trackers.allowed: ")
