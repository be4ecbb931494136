"""Exports against the real examples of their format: what a published CHAI card or CycloneDX ML-BOM carries, ours do.

The real examples are in tests/data/real-cards/ (chai/, cyclonedx/; SOURCES.md names their origin and licence).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fixtures.interop.full import full_source
from helpers.project import REPO, minimal_source

from compiler.interop import export
from compiler.interop.chai import validate as validate_chai
from compiler.interop.losses import CHANGED, plain_text
from compiler.schema import Source

REAL = REPO / "tests" / "data" / "real-cards"
NS = "{https://mc.chai.org/v0.2/schema.xsd}"


@cache
def example(model_id: str) -> Source:
    from compiler.load.reader import load_project
    from compiler.resolve.apply import resolved_source
    from compiler.validate.project import validate_project

    return resolved_source(validate_project(load_project(REPO / "content", [model_id])).models[0])


@cache
def exported(model_id: str, fmt: str) -> tuple[str, tuple[Any, ...]]:
    result = export(example(model_id), fmt)
    return result.text, tuple(result.losses)


def _xml(text: str) -> Any:
    from lxml import etree

    return etree.fromstring(text.encode("utf-8"))


def _tag(element: Any) -> str:
    return str(element.tag).removeprefix(NS)


# --- CHAI ------------------------------------------------------------------------------------------------------------


def test_the_real_chai_card_validates_against_the_bundled_schema() -> None:
    """The bundled XSD is the one the published cards follow (a broken copy would fail here)."""
    assert validate_chai((REAL / "chai" / "OrbDoc_Voice-to-SOAP.xml").read_text(encoding="utf-8")) == []


def test_chai_export_has_every_element_of_the_real_card_the_source_can_fill() -> None:
    real = {_tag(e) for e in _xml((REAL / "chai" / "OrbDoc_Voice-to-SOAP.xml").read_text(encoding="utf-8")).iter()}
    ours = {_tag(e) for e in _xml(exported("chest-xray-triage", "chai")[0]).iter()}
    # The source has no field for reimbursement; everything else the real card fills, ours fills.
    assert real - ours == {"ReimbursementStatus"}
    assert validate_chai(exported("chest-xray-triage", "chai")[0]) == []


def test_chai_values_carry_units_as_the_real_cards_do() -> None:
    root = _xml(exported("chest-xray-triage", "chai")[0])
    source = example("chest-xray-triage")
    kinds = {m.name: m.kind for m in source.evaluation.metrics}
    values = [json.loads(e.text) for e in root.iter(f"{NS}ValueJson")]
    assert len(values) == len(source.evaluation.results) == 217
    labels = [e.text for e in root.iter(f"{NS}Label")]
    proportions = [
        v
        for v, label in zip(values, labels, strict=True)
        if kinds[label.split(" (")[0].split(" on ")[0]] == "proportion"
    ]
    assert proportions and all(v["unit"] == "%" for v in proportions)
    # In percent, as in Aidoc's pneumothorax card: 91.79 %, not 0.9179.
    assert all(1 < v.get("estimate", v.get("value")) <= 100 for v in proportions if v.get("estimate", v.get("value")))
    changed = {loss.field: loss for loss in exported("chest-xray-triage", "chai")[1] if loss.kind == CHANGED}
    assert changed["evaluation.results[].value"].count == len(proportions)


def test_chai_labels_are_unique_within_each_section_and_name_the_dataset() -> None:
    root = _xml(exported("chest-xray-triage", "chai")[0])
    for section in root.iter(f"{NS}Results"):
        labels = Counter(item.findtext(f"{NS}Label") for item in section)
        assert [label for label, n in labels.items() if n > 1] == []
    fairness = [e.text for e in root.iter(f"{NS}FairnessEquity") for e in e.iter(f"{NS}Label")]
    internal = [label for label in fairness if label.endswith("on Internal test set (temporal hold-out, sites 1–3)")]
    external = [label for label in fairness if label.endswith("on External validation set (sites 4 and 5)")]
    assert internal and external and len(internal) + len(external) == len(fairness)


def test_chai_sections_each_have_their_own_goal_and_test_type() -> None:
    metrics = _xml(exported("chest-xray-triage", "chai")[0]).find(f"{NS}KeyMetrics")
    for field in ("MetricGoal", "TestType", "TestingDataDescription"):
        texts = [section.findtext(f"{NS}{field}") for section in metrics]
        assert len(set(texts)) == 3, field
    assert metrics.findtext(f"{NS}SafetyReliability/{NS}TestType").startswith(
        "- External validation by Lakeshore University Imaging Core Laboratory"
    )


def test_chai_text_is_plain_and_the_bibliography_is_bibtex() -> None:
    text = exported("chest-xray-triage", "chai")[0]
    root = _xml(text)
    assert [e.text for e in root.iter() if e.text and ("**" in e.text or "](" in e.text)] == []
    bibliography = root.findtext(f"{NS}Bibliography")
    assert bibliography.startswith("@misc{chest-xray-triage,\n  author = {{Harbourview Medical Imaging, Inc.}")
    assert "  note = {Harbourview Medical Imaging. PneumoTriage CXR 2.1.0: technical documentation" in bibliography
    assert "model.citation" in {loss.field for loss in exported("chest-xray-triage", "chai")[1]}


def test_a_bibtex_citation_is_kept_as_given() -> None:
    text = export(Source.model_validate(full_source(minimal_source("cxr"))), "chai").text
    assert _xml(text).findtext(f"{NS}Bibliography") == "@misc{cxr2024, title={Chest X-ray triage}}"


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("a **triage and notification** tool", "a triage and notification tool"),
        (
            "see [the 510(k) summary](https://fda.example/K1) and <https://a.example>",
            "see the 510(k) summary (https://fda.example/K1) and https://a.example",
        ),
        ("*italic*, `code`, __strong__ and snake_case_id", "italic, code, strong and snake_case_id"),
        ("## Heading\n- item with 2 * 3 = 6", "Heading\n- item with 2 * 3 = 6"),
        ("[https://x.example](https://x.example)", "https://x.example"),
    ],
)
def test_plain_text_drops_markdown_marks_but_keeps_the_words(markdown: str, plain: str) -> None:
    assert plain_text(markdown) == plain


# --- CycloneDX -------------------------------------------------------------------------------------------------------


def _paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from _paths(item, path + "[]")
    else:
        yield path


def test_cyclonedx_export_has_every_field_of_the_real_ml_bom_the_source_can_fill() -> None:
    real = set(_paths(json.loads((REAL / "cyclonedx" / "Model-Card-With-Dataset.bom.json").read_text("utf-8"))))
    ours = set(_paths(json.loads(exported("chest-xray-triage", "cyclonedx")[0])))
    # No timestamp (exports are deterministic); the source has no dataset URL and no per-group benefit.
    assert real - ours == {
        "metadata.timestamp",
        "components[].data[].contents.url",
        "components[].modelCard.considerations.fairnessAssessments[].benefits",
    }


def test_cyclonedx_carries_approach_tradeoffs_fairness_graphics_and_ancestors() -> None:
    bom = json.loads(exported("chest-xray-triage", "cyclonedx")[0])
    card = bom["components"][0]["modelCard"]
    assert card["modelParameters"]["approach"] == {"type": "supervised"}
    assert card["modelParameters"]["task"] == "image-classification"
    assert [t.split(":")[0] for t in card["considerations"]["performanceTradeoffs"]] == [
        "Suspected pneumothorax flag, operating point high-sensitivity (threshold 0.3), the default",
        "Suspected pneumothorax flag, operating point high-specificity (threshold 0.5)",
    ]
    groups = [f["groupAtRisk"] for f in card["considerations"]["fairnessAssessments"]]
    assert "Sex: female, male" in groups
    graphics = card["quantitativeAnalysis"]["graphics"]["collection"]
    assert graphics[0]["name"] == "Area under the ROC curve by sex on Internal test set (temporal hold-out, sites 1–3)"
    assert graphics[0]["image"]["contentType"] == "image/svg+xml" and graphics[0]["image"]["encoding"] == "base64"
    assert (
        bom["components"][0]["pedigree"]["ancestors"][0]["name"] == "DenseNet-121 (torchvision, IMAGENET1K_V1 weights)"
    )
    reasons = [loss.format() for loss in exported("chest-xray-triage", "cyclonedx")[1]]
    assert not [r for r in reasons if r.startswith(("system.outputs[].operating_points", "factors.relevant[] "))]


def test_cyclonedx_approach_is_left_out_when_the_source_does_not_name_it() -> None:
    data = full_source(minimal_source("cxr"))
    data["system"]["training"] = {"algorithm": "Gradient boosting", "objective": "Squared error"}
    result = export(Source.model_validate(data), "cyclonedx")
    assert "approach" not in json.loads(result.text)["components"][0]["modelCard"]["modelParameters"]
    assert "system.training.algorithm: names no kind of learning; modelParameters.approach is left out" in [
        loss.format() for loss in result.losses
    ]


# --- Hugging Face ----------------------------------------------------------------------------------------------------


def _front(text: str) -> dict[str, Any]:
    front: dict[str, Any] = yaml.safe_load(text.split("---\n")[1])
    return front


@pytest.mark.parametrize(
    ("model_id", "task"),
    [
        ("chest-xray-triage", "image-classification"),
        ("review-sentiment", "text-classification"),
        ("support-rag-assistant", "text-generation"),
        ("item-recommender", None),
    ],
)
def test_hf_task_comes_from_the_source(model_id: str, task: str | None) -> None:
    text, losses = exported(model_id, "hf")
    front = _front(text)
    assert front.get("pipeline_tag") == task
    assert {r["task"]["type"] for r in front["model-index"][0]["results"]} == {task or "other"}
    reasons = {loss.field: loss.reason for loss in losses}
    assert reasons["system.outputs[].type"] == (
        f"only the Hub task they name is carried ('{task}')" if task else "no Hub task fits; the task is 'other'"
    )


def test_hf_base_model_holds_hub_ids_only_and_the_rest_is_reported() -> None:
    text, losses = exported("support-rag-assistant", "hf")
    assert _front(text)["base_model"] == [
        "intfloat/multilingual-e5-large",
        "BAAI/bge-reranker-v2-m3",
        "protectai/deberta-v3-base-prompt-injection-v2",
    ]
    assert "Anthropic Claude" in text.split("**Finetuned from model:**")[1].split("\n")[0]
    assert (
        "system.pretrained[].name: not a Hub model id, so not in `base_model`; named under 'Finetuned from model'"
        in [loss.format() for loss in losses]
    )
    assert "base_model" not in _front(exported("chest-xray-triage", "hf")[0])


def test_hf_datasets_are_training_data_and_test_sets_stay_in_model_index() -> None:
    front = _front(exported("chest-xray-triage", "hf")[0])
    roles = {d.id: d.role for d in example("chest-xray-triage").datasets}
    assert front["datasets"] and {roles[d] for d in front["datasets"]} <= {"train", "tune"}
    splits = {r["dataset"]["type"]: r["dataset"]["split"] for r in front["model-index"][0]["results"]}
    assert splits == {"internal-test": "test", "external-test": "external"}


def test_hf_loss_report_says_the_status_becomes_draft() -> None:
    reasons = {loss.field: loss.format() for loss in exported("chest-xray-triage", "hf")[1]}
    assert reasons["model.status"] == "model.status: a Hub card has no status: 'released' becomes 'draft' on import"
    data = minimal_source("demo")
    data["model"]["status"] = "draft"
    draft = [loss.format() for loss in export(Source.model_validate(data), "hf").losses if loss.field == "model.status"]
    assert draft == ["model.status: a Hugging Face model card has no place for it"]


def test_exports_of_the_examples_are_byte_identical_twice() -> None:
    for fmt in ("hf", "cyclonedx", "chai"):
        assert export(example("chest-xray-triage"), fmt).text == exported("chest-xray-triage", fmt)[0], fmt


def test_the_ml_bom_with_its_plots_is_byte_identical_across_processes(tmp_path: Path) -> None:
    """Plots are cached within a process, so sameness is checked between two separate runs of the command."""
    import subprocess
    import sys

    outputs = []
    for run in ("first", "second"):
        out = tmp_path / f"{run}.cdx.json"
        command = [sys.executable, "-m", "compiler", "export", "review-sentiment", "--format", "cyclonedx"]
        subprocess.run([*command, "--out", str(out), "--quiet"], cwd=REPO, check=True, timeout=300)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["components"][0]["modelCard"]["quantitativeAnalysis"]["graphics"]["collection"]
