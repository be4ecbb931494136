"""Exports of the fields a model may leave out or add: a result's standard deviation (`sd`), the reimbursement
status, and a model with no release date yet (nothing is invented for it)."""

from __future__ import annotations

import json
from typing import Any

from helpers.project import minimal_source

from compiler.interop import export
from compiler.interop.chai import validate as validate_chai
from compiler.interop.hf_card import table_row
from compiler.interop.losses import CHANGED, MISSING, NOT_CARRIED, NOT_STATED
from compiler.schema import Source

NS = "{https://mc.chai.org/v0.2/schema.xsd}"
REIMBURSED = "Billed under existing CPT codes; no specific reimbursement."


def source(*, released: bool = True) -> Source:
    data: dict[str, Any] = minimal_source("demo")
    data["model"].update(domain="health", reimbursement=REIMBURSED, citation="Demo model card, 2025.")
    if not released:
        data["model"].pop("release_date")
        data["model"]["status"] = "draft"
    metric = data["evaluation"]["metrics"][0]
    metric.update(id="auroc", name="Area under the ROC curve", kind="score")
    data["evaluation"]["metrics"].append({"id": "accuracy", "name": "Accuracy", "rationale": "Share of correct cases."})
    data["evaluation"]["results"] = [
        {"metric": "auroc", "value": 0.91, "sd": 0.02},  # sd alone: mean_sd
        {"metric": "accuracy", "value": 0.85, "sd": 0.03, "ci_low": 0.8, "ci_high": 0.9},  # both: the interval wins
        {"metric": "accuracy", "value": 0.8},
    ]
    return Source.model_validate(data)


def _values(text: str) -> list[dict[str, Any]]:
    from lxml import etree

    root = etree.fromstring(text.encode("utf-8"))
    return [json.loads(v.text) for v in root.iter(f"{NS}ValueJson")]


def test_chai_writes_mean_sd_and_the_reimbursement_status() -> None:
    result = export(source(), "chai")
    assert validate_chai(result.text) == []
    values = _values(result.text)
    assert {"kind": "mean_sd", "mean": 0.91, "sd": 0.02} in values
    assert {"kind": "estimate_ci", "estimate": 85, "lower": 80, "upper": 90, "level": 95, "unit": "%"} in values
    assert {"kind": "single", "value": 80, "unit": "%"} in values
    assert f"<ReimbursementStatus>{REIMBURSED}</ReimbursementStatus>" in result.text
    sd = {(loss.kind, loss.reason, loss.count) for loss in result.losses if loss.field == "evaluation.results[].sd"}
    assert sd == {(CHANGED, "dropped where the result has a 95% interval: a ValueJson is one kind", 1)}
    assert not any(loss.field == "model.reimbursement" for loss in result.losses)


def test_chai_writes_a_proportion_sd_in_percent_like_its_mean() -> None:
    data = source().model_dump(mode="json", exclude_none=True)
    data["evaluation"]["results"] = [{"metric": "accuracy", "value": 0.85, "sd": 0.025}]
    result = export(Source.model_validate(data), "chai")
    assert _values(result.text)[0] == {"kind": "mean_sd", "mean": 85, "sd": 2.5, "unit": "%"}
    sd = [loss.format() for loss in result.losses if loss.field == "evaluation.results[].sd"]
    assert sd == [
        "evaluation.results[].sd: proportions are written in percent (value × 100, unit '%'), as CHAI's examples write them"
    ]


def test_cyclonedx_has_no_place_for_sd_or_reimbursement_and_says_so() -> None:
    result = export(source(), "cyclonedx")
    metrics = json.loads(result.text)["components"][0]["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    assert all(set(m) <= {"type", "value", "slice", "confidenceInterval"} for m in metrics)
    lost = {(loss.field, loss.kind, loss.count) for loss in result.losses}
    assert ("evaluation.results[].sd", NOT_CARRIED, 2) in lost
    assert ("model.reimbursement", NOT_CARRIED, 1) in lost


def test_hf_results_table_carries_sd_and_reads_it_back() -> None:
    result = export(source(), "hf")
    lines = result.text.splitlines()
    head = lines.index("| Metric | Dataset | Subgroup | Operating point | Value | 95% CI | SD | n |")
    names = {m.name: m.id for m in source().evaluation.metrics}
    rows = [table_row(line, names) for line in lines[head + 2 : head + 5]]
    assert [(r["metric"], r["value"], r.get("sd")) for r in rows if r] == [
        ("auroc", 0.91, 0.02),
        ("accuracy", 0.85, 0.03),
        ("accuracy", 0.8, None),
    ]
    assert not any(loss.field == "evaluation.results[].sd" for loss in result.losses)
    assert ("model.reimbursement", NOT_CARRIED) in {(loss.field, loss.kind) for loss in result.losses}


def test_hf_results_table_has_no_sd_column_when_no_result_has_one() -> None:
    data = source().model_dump(mode="json", exclude_none=True)
    for r in data["evaluation"]["results"]:
        r.pop("sd", None)
    text = export(Source.model_validate(data), "hf").text
    assert "| Metric | Dataset | Subgroup | Operating point | Value | 95% CI | n |" in text


def test_no_release_date_is_never_written_as_a_date() -> None:
    unreleased = source(released=False)
    chai = export(unreleased, "chai")
    assert f"<ReleaseDate>{NOT_STATED}</ReleaseDate>" in chai.text
    assert ("model.release_date", MISSING) in {(loss.field, loss.kind) for loss in chai.losses}
    assert "year =" not in chai.text.split("<Bibliography>")[1]
    bom = json.loads(export(unreleased, "cyclonedx").text)
    assert "docs-compile:release_date" not in {p["name"] for p in bom["components"][0]["properties"]}
    assert "**Release date:**" not in export(unreleased, "hf").text
    assert "**Release date:**" in export(source(), "hf").text
