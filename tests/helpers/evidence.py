"""Resolve stage test helpers: a project's model loaded and validated, the resolve run, where a reference is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler.errors import EvidenceError
from compiler.load.reader import load_project
from compiler.resolve.run import ResolveReport, resolve_catalog
from compiler.validate.project import ValidModel, validate_project

SOURCE = "content/m/model.yaml"


def valid_model(project: Path) -> ValidModel:
    """The first model under project/content, loaded and validated (its lock is read, not refreshed)."""
    return validate_project(load_project(project / "content")).models[0]


def resolve_project(project: Path, check: bool = False) -> ResolveReport:
    """What `docs-compile resolve [--check]` does for project/content."""
    return resolve_catalog(validate_project(load_project(project / "content")), check=check)


def resolve_failure(project: Path) -> EvidenceError:
    """The EvidenceError that resolving project/content must raise."""
    with pytest.raises(EvidenceError) as caught:
        resolve_project(project)
    return caught.value


def position(project: Path, ref: str, source: str = SOURCE) -> str:
    """`file:line:column` of the first place `ref` is written in the source: where errors about it must point."""
    lines = (project / source).read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines) if ref in text)
    return f"{source}:{line + 1}:{lines[line].index(ref) + 1}"


def mlflow_evidence(**settings: str) -> dict[str, Any]:
    """An `evidence:` block with one MLflow source: the store in the model's mlruns/, registered model 'triage'."""
    tracking = {"id": "tracking", "kind": "mlflow", "tracking_uri": "sqlite:///mlruns/mlflow.db"}
    return {"sources": [{**tracking, **settings, "registered_model": "triage"}]}
