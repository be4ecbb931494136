"""Resolve stage: references, file evidence, computed results, the lock, resolved_source and --check."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.evidence import position, resolve_project, valid_model
from helpers.project import minimal_source, write_tree

from compiler.errors import EvidenceError
from compiler.resolve.apply import provenance, resolved_source
from compiler.resolve.refs import FactError, parse
from compiler.validate.project import ValidModel


def _source(**changes: Any) -> dict[str, Any]:
    data = minimal_source("m")
    data["evaluation"]["results"][0].update(
        value="file://evidence/eval.json#/overall/accuracy", ci_low=0.7, ci_high=0.9, n="file://evidence/eval.json#/n"
    )
    data["evidence"] = {"sources": []}
    data.update(changes)
    return data


EVAL = {"overall": {"accuracy": 0.81}, "n": 240, "upper": 0.9}


def _model(project: Path, data: dict[str, Any], files: dict[str, Any] | None = None) -> ValidModel:
    tree: dict[str, Any] = {"content/m/model.yaml": data, "content/m/evidence/eval.json": json.dumps(EVAL)}
    write_tree(project, {**tree, **(files or {})})
    return valid_model(project)


def test_parse_splits_source_body_and_fragment() -> None:
    ref = parse("mlflow://tracking@0a1b/metrics/val/auroc")
    assert (ref.scheme, ref.source, ref.body, ref.fragment) == ("mlflow", "tracking", "0a1b/metrics/val/auroc", "")
    assert ref.parts == ["0a1b", "metrics", "val", "auroc"]
    registry = parse("mlflow://models/triage/@champion#/run_id")
    assert (registry.source, registry.parts, registry.fragment) == (None, ["models", "triage", "@champion"], "/run_id")
    assert parse("file://evidence/a%20b.json#/x").parts == ["evidence", "a b.json"]


def test_file_facts_are_resolved_locked_and_applied(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    model = _model(project, _source())
    report = resolve_project(project)
    assert [(m.model, m.status, m.facts) for m in report.models] == [("m", "written", 2)]
    lock = json.loads((project / "content/m/facts.lock.json").read_text())
    assert lock["resolved_at"] == "2023-11-14T22:13:20Z"
    fact = lock["facts"]["file://evidence/eval.json#/overall/accuracy"]
    digest = __import__("hashlib").sha256((project / "content/m/evidence/eval.json").read_bytes()).hexdigest()
    assert fact == {
        "kind": "file",
        "path": "evidence/eval.json",
        "pointer": "/overall/accuracy",
        "reader": fact["reader"],
        "sha256": digest,
        "value": 0.81,
    }
    source = resolved_source(model)
    result = source.evaluation.results[0]
    assert (result.value, result.n, result.source) == (0.81, 240, "file://evidence/eval.json#/overall/accuracy")
    prov = provenance(model)
    assert prov["facts"]["file://evidence/eval.json#/n"]["used_by"] == ["evaluation.results[0].n"]
    assert json.dumps(prov, sort_keys=True) == json.dumps(provenance(valid_model(project)), sort_keys=True)


def test_resolving_again_keeps_the_lock_byte_for_byte(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _model(project, _source())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    resolve_project(project)
    before = (project / "content/m/facts.lock.json").read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    report = resolve_project(project)
    assert report.models[0].status == "unchanged"
    assert (project / "content/m/facts.lock.json").read_bytes() == before


def test_model_without_references_is_returned_unchanged(project: Path) -> None:
    write_tree(project, {"content/m/model.yaml": minimal_source("m")})
    model = valid_model(project)
    assert resolved_source(model) is model.source
    assert provenance(model) == {}


def test_missing_lock_names_the_first_reference(project: Path) -> None:
    model = _model(project, _source())
    with pytest.raises(EvidenceError) as caught:
        resolved_source(model)
    where = position(project, "file://evidence/eval.json#/overall/accuracy")
    assert str(caught.value) == (
        f"{where}: evaluation.results[0].value: fact reference file://evidence/eval.json#/overall/accuracy is not "
        "resolved: there is no content/m/facts.lock.json (hint: run `docs-compile resolve`)"
    )


def test_reference_added_after_the_lock_is_reported(project: Path) -> None:
    _model(project, _source())
    resolve_project(project)
    data = _source()
    data["evaluation"]["results"][0]["ci_high"] = "file://evidence/eval.json#/upper"
    write_tree(project, {"content/m/model.yaml": data})
    with pytest.raises(EvidenceError, match=r"ci_high: file://evidence/eval.json#/upper is not in the lock"):
        resolved_source(valid_model(project))


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (
            "file://../outside.json#/x",
            "file://../outside.json#/x: evaluation file path '../outside.json' leaves the model's folder ('..')",
        ),
        ("file:///etc/passwd#/x", "file:///etc/passwd#/x: evaluation file path '/etc/passwd' is absolute"),
        (
            "file://evidence/link.json#/x",
            "file://evidence/link.json#/x: evaluation file path 'evidence/link.json' leads outside the model's folder (through a symbolic link)",
        ),
        (
            "file://evidence/eval.json#/overall/auroc",
            "file://evidence/eval.json#/overall/auroc: no key 'auroc' at /overall",
        ),
        (
            "file://evidence/eval.json#/overall",
            "file://evidence/eval.json#/overall: #/overall is a mapping, not a single value",
        ),
        (
            "wandb://run-1/summary/auroc",
            "wandb://run-1/summary/auroc: no wandb source is declared",
        ),
    ],
)
def test_bad_file_references_are_refused_with_their_place(project: Path, ref: str, message: str) -> None:
    (project / "outside.json").write_text('{"x": 1}')
    (project / "content/m/evidence").mkdir(parents=True)
    os.symlink(project / "outside.json", project / "content/m/evidence/link.json")
    data = _source()
    data["evaluation"]["results"][0]["value"] = ref
    model = _model(project, data)
    with pytest.raises(EvidenceError) as caught:
        resolve_project(project)
    problem = caught.value.problems[0]
    assert f"{problem.location}" == position(project, ref)
    assert problem.field == "evaluation.results[0].value"
    assert problem.message == message.split(" (hint:")[0]
    assert not (model.loaded.folder / "facts.lock.json").exists()


def test_csv_rows_are_selected_by_index_or_key(project: Path) -> None:
    data = _source()
    data["evaluation"]["results"][0].update(
        value="file://evidence/eval.csv#/metric=accuracy/value", n="file://evidence/eval.csv#/1/value"
    )
    _model(project, data, {"content/m/evidence/eval.csv": "metric,value\naccuracy,0.77\nn,310\n"})
    resolve_project(project)
    result = resolved_source(valid_model(project)).evaluation.results[0]
    assert (result.value, result.n) == (0.77, 310)


def test_check_reports_a_changed_file_and_exits_1(project: Path, cli) -> None:
    _model(project, _source())
    assert cli("resolve").exit_code == 0
    assert cli("resolve", "--check").exit_code == 0
    (project / "content/m/evidence/eval.json").write_text(json.dumps({**EVAL, "overall": {"accuracy": 0.79}}))
    result = cli("resolve", "--check")
    assert result.exit_code == 1
    where = position(project, "file://evidence/eval.json#/overall/accuracy")
    assert (
        f"error: {where}: evaluation.results[0].value: file://evidence/eval.json#/overall/accuracy: locked 0.81, now 0.79"
        in result.stderr
    )
    assert "file://evidence/eval.json#/n: source changed since the lock (sha256:" in result.stderr


def test_an_evidence_file_removed_after_the_lock_is_drift_for_check_and_an_error_for_resolve(
    project: Path, cli
) -> None:
    _model(project, _source())
    assert cli("resolve").exit_code == 0
    (project / "content/m/evidence/eval.json").unlink()
    check = cli("resolve", "--check")
    assert check.exit_code == 1, check.output
    value, n = "file://evidence/eval.json#/overall/accuracy", "file://evidence/eval.json#/n"
    gone = "but now evaluation file 'evidence/eval.json' not found in the model's folder"
    hint = "(hint: check the path; it is relative to the model's folder)"
    assert check.stderr.splitlines() == [
        f"error: {position(project, value)}: evaluation.results[0].value: {value}: locked 0.81, {gone} {hint}",
        f"error: {position(project, n)}: evaluation.results[0].n: {n}: locked 240, {gone} {hint}",
        "2 errors",
    ]
    result = cli("resolve")
    assert result.exit_code == 2
    assert f"{value}: evaluation file 'evidence/eval.json' not found in the model's folder {hint}" in result.stderr


def _predictions(n: int = 400, seed: int = 3) -> str:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    score = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1).round(3)
    sex = rng.choice(["female", "male"], n)
    site = rng.choice(["a", "b", "c"], n, p=[0.45, 0.45, 0.1])
    rows = [f"{int(a)},{b},{c},{d}" for a, b, c, d in zip(y, score, sex, site, strict=True)]
    return "label,score,sex,site\n" + "\n".join(rows) + "\n"


def _computed_source() -> dict[str, Any]:
    data = minimal_source("m")
    data["factors"] = {
        "relevant": [
            {"id": "sex", "name": "Sex", "levels": ["female", "male"]},
            {"id": "site", "name": "Site", "levels": ["a", "b", "c"]},
        ],
        "evaluation": ["sex", "site"],
    }
    data["datasets"][0]["id"] = "test"
    data["evaluation"]["results"] = []
    data["evaluation"]["metrics"] = [
        {"id": m, "name": m, "rationale": "why"} for m in ("auroc", "sensitivity", "specificity")
    ]
    data["evaluation"]["computed"] = [
        {
            "source": "preds",
            "dataset": "test",
            "metrics": ["auroc", "sensitivity", "specificity"],
            "groups": ["sex", "site"],
            "intersections": [["sex", "site"]],
        }
    ]
    data["plain"] = {
        "summary": "s",
        "how_it_works": "h",
        "output_meaning": "o",
        "when_not_to_use": ["w"],
        "warnings": ["w"],
        "per_1000": {"prevalence": "computed://preds/prevalence", "population": "people"},
    }
    data["evidence"] = {
        "sources": [
            {
                "id": "preds",
                "kind": "predictions",
                "path": "evidence/preds.csv",
                "label": "label",
                "score": "score",
                "groups": ["sex", "site"],
                "resamples": 200,
                "synthetic": True,
            }
        ]
    }
    return data


def test_computed_results_are_appended_with_provenance_and_flags(project: Path) -> None:
    write_tree(project, {"content/m/model.yaml": _computed_source(), "content/m/evidence/preds.csv": _predictions()})
    resolve_project(project)
    source = resolved_source(valid_model(project))
    results = source.evaluation.results
    slices = [(r.metric, tuple(sorted(r.slice.items()))) for r in results]
    assert len(slices) == len(set(slices)) == 3 * (1 + 2 + 3 + 6)
    assert all(r.source == "computed://preds" and r.dataset == "test" and r.ci_method for r in results)
    assert {r.ci_method.split(",")[0] for r in results if r.metric == "auroc"} == {
        "score interval with Hanley-McNeil variance (Newcombe)"
    }
    small = [r for r in results if r.n is not None and isinstance(r.n, int) and r.n < 30]
    assert small and all(r.flag and ("small cell" in r.flag or "small denominator" in r.flag) for r in small)
    assert source.plain is not None and source.plain.per_1000 is not None
    prevalence = source.plain.per_1000.prevalence
    assert isinstance(prevalence, float) and 0.2 < prevalence < 0.4
    computed = provenance(valid_model(project))["computed"][0]
    assert (computed["key"], computed["synthetic"], computed["rows"], computed["results"]) == (
        "computed://preds",
        True,
        400,
        36,
    )


def test_undeclared_level_in_predictions_is_an_error(project: Path) -> None:
    write_tree(
        project,
        {
            "content/m/model.yaml": _computed_source(),
            "content/m/evidence/preds.csv": _predictions().replace(",c\n", ",d\n"),
        },
    )
    with pytest.raises(
        EvidenceError,
        match=r"column 'site' of evidence/preds.csv holds level\(s\) 'd' that factor 'site' does not declare",
    ):
        resolve_project(project)


def test_changed_computed_declaration_needs_a_new_resolve(project: Path) -> None:
    write_tree(project, {"content/m/model.yaml": _computed_source(), "content/m/evidence/preds.csv": _predictions()})
    resolve_project(project)
    data = _computed_source()
    data["evaluation"]["computed"][0]["groups"] = ["sex"]
    write_tree(project, {"content/m/model.yaml": data})
    with pytest.raises(
        EvidenceError, match=r"evaluation.computed\[0\]: not in the lock, or changed since it was written"
    ):
        resolved_source(valid_model(project))


def test_two_sources_of_a_kind_must_be_named(project: Path) -> None:
    data = _source()
    data["evaluation"]["results"][0]["value"] = "mlflow://abc/metrics/auroc"
    data["evidence"]["sources"] = [
        {"id": "one", "kind": "mlflow", "tracking_uri": "sqlite:///a.db"},
        {"id": "two", "kind": "mlflow", "tracking_uri": "sqlite:///b.db"},
    ]
    _model(project, data)
    with pytest.raises(EvidenceError) as caught:
        resolve_project(project)
    problem = caught.value.problems[0]
    assert (
        problem.message
        == "mlflow://abc/metrics/auroc: 2 mlflow sources are declared (one, two); the reference must name one"
    )
    assert problem.hint == "write mlflow://one@abc/metrics/auroc"


def test_fact_error_carries_a_hint() -> None:
    with pytest.raises(FactError) as caught:
        parse("mlflow://")
    assert caught.value.hint
