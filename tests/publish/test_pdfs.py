"""Publish stage, PDF dispatch: the files an archival PDF carries."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from helpers.evidence import resolve_project, valid_model
from helpers.project import minimal_source, write_tree

from compiler.build import render_input
from compiler.publish.pdfs import archival_files


def test_an_archival_pdf_carries_the_source_files_and_a_manifest_of_them(project: Path) -> None:
    data = minimal_source("m")
    data["evaluation"]["results"][0]["value"] = "file://evidence/eval.json#/accuracy"
    write_tree(project, {"content/m/model.yaml": data, "content/m/evidence/eval.json": '{"accuracy": 0.52}'})
    resolve_project(project)
    model = render_input(valid_model(project))
    files = archival_files(model)
    names = ["evidence/eval.json", "facts.lock.json", "model.yaml"]
    assert sorted(files) == sorted([*names, "manifest.json"])
    folder = project / "content/m"
    assert all(files[name] == (folder / name).read_bytes() for name in names)
    manifest = json.loads(files["manifest.json"])
    assert manifest["sources"] == [
        {"path": name, "sha256": hashlib.sha256((folder / name).read_bytes()).hexdigest()} for name in names
    ]
    assert (manifest["model"], manifest["version"], manifest["source_sha256"]) == ("m", "0.1.0", model.source_sha256)
    assert manifest["provenance"]["facts"]["file://evidence/eval.json#/accuracy"]["value"] == 0.52
