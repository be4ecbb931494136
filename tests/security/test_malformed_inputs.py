"""Issue 14, item 11: malformed locks and evidence files are placed errors (exit 2), never tracebacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.evidence import resolve_failure, valid_model
from helpers.project import minimal_source, write_tree

from compiler.errors import EvidenceError
from compiler.resolve.apply import resolved_source

REF = "file://scores.json#/auroc"
LOCK = "content/m/facts.lock.json"
DEEP = 200_000


def _model(project: Path, ref: str = REF, files: dict[str, Any] | None = None) -> None:
    data = minimal_source("m")
    result = data["evaluation"]["results"][0]
    result["value"] = ref
    result.pop("ci_low")
    result.pop("ci_high")
    write_tree(project, {"content/m/model.yaml": yaml.safe_dump(data, sort_keys=False), **(files or {})})


def _lock(facts: Any) -> str:
    return json.dumps(
        {"lock_version": 1, "model": "m", "resolved_at": "", "readers": {}, "facts": facts, "computed": []}
    )


def _apply_failure(project: Path) -> str:
    with pytest.raises(EvidenceError) as caught:
        resolved_source(valid_model(project))
    return caught.value.format()


@pytest.mark.parametrize(
    ("fact", "problem"),
    [
        ("0.91", f"fact '{REF}' is not an object with a value"),
        ({"kind": "file"}, f"fact '{REF}' has no value"),
    ],
)
def test_item11_a_facts_lock_whose_fact_is_a_string_or_has_no_value(project: Path, fact: Any, problem: str) -> None:
    _model(project, files={LOCK: _lock({REF: fact})})
    assert (
        _apply_failure(project)
        == f"{LOCK}: the lock is damaged: {problem} (hint: run `docs-compile resolve` to rewrite it)"
    )


def test_item11_a_facts_lock_200k_levels_deep(project: Path) -> None:
    _model(project, files={LOCK: "[" * DEEP + "]" * DEEP})
    assert _apply_failure(project) == (
        f"{LOCK}:1:1: cannot read the lock: nested too deeply (hint: run `docs-compile resolve` to rewrite it)"
    )


def test_item11_a_facts_lock_with_a_computed_entry_that_is_not_an_object(project: Path) -> None:
    lock = json.loads(_lock({REF: {"value": 0.9}}))
    lock["computed"] = ["x"]
    _model(project, files={LOCK: json.dumps(lock)})
    assert _apply_failure(project) == (
        f"{LOCK}: the lock is damaged: computed entry 0 is not an object (hint: run `docs-compile resolve` to rewrite it)"
    )


def test_item11_deep_json_in_an_evidence_file(project: Path) -> None:
    _model(project, files={"content/m/scores.json": "[" * DEEP + "]" * DEEP})
    assert resolve_failure(project).problems[0].message == f"{REF}: scores.json is nested too deeply to read"


def test_item11_a_csv_field_over_131072_characters_in_an_evidence_file(project: Path) -> None:
    ref = "file://scores.csv#/0/auroc"
    _model(project, ref, files={"content/m/scores.csv": "auroc,note\n0.9," + "x" * 200_000 + "\n"})
    assert resolve_failure(project).problems[0].message == (
        f"{ref}: scores.csv is not valid CSV (line 2: field larger than field limit (131072))"
    )
