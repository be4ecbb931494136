"""Resolve stage, applying the lock: whether a model was ever resolved, and the render input a build takes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers.evidence import position, resolve_project, valid_model
from helpers.project import minimal_source, write_tree

from compiler.build import render_input
from compiler.errors import EvidenceError
from compiler.resolve.apply import never_resolved

HISTORY = "file://evidence/ctr.csv#/ctr"


def _project(project: Path, *, fact: bool = False, history: bool = False) -> None:
    data = minimal_source("m")
    if fact:
        data["evaluation"]["results"][0]["value"] = "file://evidence/eval.json#/accuracy"
    if history:
        signal = {"id": "ctr", "name": "CTR", "threshold": 0.9, "direction": "below", "frequency": "daily"}
        data["system"]["monitoring"] = {"signals": [{**signal, "action": "Page.", "history": HISTORY}]}
    files = {
        "content/m/evidence/eval.json": '{"accuracy": 0.52}',
        "content/m/evidence/ctr.csv": "day,ctr\n1,0.95\n2,0.85\n",
    }
    write_tree(project, {"content/m/model.yaml": data, **files})


def test_never_resolved_means_facts_named_and_no_lock(project: Path) -> None:
    _project(project)
    assert not never_resolved(valid_model(project))  # nothing to resolve
    _project(project, fact=True)
    assert never_resolved(valid_model(project))
    resolve_project(project)
    assert not never_resolved(valid_model(project))


def test_the_render_input_carries_facts_histories_and_file_hashes(project: Path) -> None:
    _project(project, fact=True, history=True)
    resolve_project(project)
    model = render_input(valid_model(project))
    assert model.source.evaluation.results[0].value == 0.52
    assert list(model.histories) == ["ctr"]
    assert (model.histories["ctr"]["x"], model.histories["ctr"]["values"]) == (["1", "2"], [0.95, 0.85])
    assert sorted(model.file_hashes) == ["evidence/ctr.csv", "evidence/eval.json", "facts.lock.json", "model.yaml"]
    lock = (project / "content/m/facts.lock.json").read_bytes()
    assert model.file_hashes["facts.lock.json"] == hashlib.sha256(lock).hexdigest()
    assert model.provenance["histories"][HISTORY]["used_by"] == ["system.monitoring.signals[0].history"]


def test_an_unresolved_history_fails_the_resolve_step_not_the_rendering(project: Path) -> None:
    _project(project, history=True)
    with pytest.raises(EvidenceError) as caught:
        render_input(valid_model(project))
    assert caught.value.format() == (
        f"{position(project, HISTORY)}: system.monitoring.signals[0].history: history {HISTORY} is not resolved: "
        "there is no content/m/facts.lock.json (hint: run `docs-compile resolve`)"
    )
