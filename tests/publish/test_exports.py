"""Publish stage, exports: the build's `exports/<id>/model.json` is the document `export --format json` writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.project import EXAMPLES

from compiler.schema import SCHEMA_ID

MODEL = "chest-xray-triage"  # facts and computed results from its lock: the export is of the resolved source


@pytest.mark.skipif(MODEL not in EXAMPLES, reason="example not present")
def test_the_build_writes_what_the_json_export_writes(copy_examples: Callable[..., Path], cli: Any) -> None:
    project = copy_examples(MODEL)
    built = cli("build", "--no-pdf", "-q", "--model", MODEL, "--audience", "leadership")
    assert built.exit_code == 0, built.output
    exported = cli("export", MODEL, "--format", "json")
    assert exported.exit_code == 0, exported.output
    written = (project / "build/exports" / MODEL / "model.json").read_bytes()
    assert written == exported.stdout_bytes
    document = json.loads(written)
    assert (document["format"], document["schema"], document["model"]) == ("docs-compile-source", SCHEMA_ID, MODEL)
    values = [r["value"] for r in document["source"]["evaluation"]["results"]]
    assert values and all(isinstance(v, (int, float)) for v in values)
