"""Export stage: every format passes its third-party validator, reports its losses, and is deterministic."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from fixtures.interop.full import full_source
from helpers.project import EXAMPLES, REPO, minimal_source, write_tree

from compiler.errors import UsageError
from compiler.interop import FORMATS, applicable, export, mapping
from compiler.interop.chai import validate as validate_chai
from compiler.schema import SCHEMA_ID, Source, json_schema


def full() -> Source:
    return Source.model_validate(full_source(minimal_source("cxr")))


def minimal() -> Source:
    return Source.model_validate(minimal_source("demo"))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# --- validators ----------------------------------------------------------------------------------


def check_json(text: str, source: Source) -> None:
    document = json.loads(text)
    assert document["schema"] == SCHEMA_ID
    assert document["model"] == source.model.id
    jsonschema.validate(document["source"], json_schema())
    assert Source.model_validate(document["source"]) == source


def check_hf(text: str, source: Source) -> None:
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import eval_results_to_model_index, model_index_to_eval_results

    card = ModelCard(text, ignore_metadata_errors=False)
    data = card.data.to_dict()
    assert card.data.license
    # The Hub's `datasets` are training data: test sets are named only in model-index, with their split.
    assert data.get("datasets", []) == [d.id for d in source.datasets if d.role in ("train", "tune")]
    index = yaml.safe_load(text.split("---\n")[1]).get("model-index")
    if index:
        name, results = model_index_to_eval_results(index)
        assert name == source.model.name
        assert eval_results_to_model_index(name, results) == index
        assert len(results) == len([r for r in source.evaluation.results if not r.slice and r.dataset])
    assert card.text.lstrip().startswith(f"# Model Card for {source.model.name}")


def check_cyclonedx(text: str, source: Source) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    assert errors is None, [str(e) for e in errors]  # type: ignore[union-attr]
    bom = json.loads(text)
    model = bom["components"][0]
    assert model["type"] == "machine-learning-model"
    assert [c["type"] for c in bom["components"][1:]] == ["data"] * len(source.datasets)
    assert len(model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]) == len(source.evaluation.results)


def check_chai(text: str, source: Source) -> None:
    assert validate_chai(text) == []
    assert source.model.name in text


CHECKS: dict[str, Callable[[str, Source], None]] = {
    "json": check_json,
    "hf": check_hf,
    "cyclonedx": check_cyclonedx,
    "chai": check_chai,
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("make", [full, minimal], ids=["full", "minimal"])
def test_every_format_passes_its_validator(fmt: str, make: Callable[[], Source], offline: None) -> None:
    source = make()
    if fmt not in applicable(source):
        pytest.skip("CHAI cards are for health models")
    result = export(source, fmt)
    CHECKS[fmt](result.text, source)


def _example_cases() -> list[tuple[str, str]]:
    return [(example, fmt) for example in EXAMPLES for fmt in FORMATS]


@pytest.mark.parametrize(("example", "fmt"), _example_cases())
def test_every_example_exports_in_every_format(example: str, fmt: str, offline: None) -> None:
    from compiler.load.reader import load_project
    from compiler.resolve.apply import resolved_source
    from compiler.validate.project import validate_project

    catalog = validate_project(load_project(REPO / "content", [example]))
    # As `docs-compile export` does: fact references and computed results come from the lock.
    source = resolved_source(catalog.models[0])
    if fmt not in applicable(source):
        with pytest.raises(UsageError, match="the CHAI applied model card is for health models"):
            export(source, fmt)
        return
    result = export(source, fmt)
    CHECKS[fmt](result.text, source)


def test_validators_reject_broken_documents(offline: None) -> None:
    """The checks above can fail: a broken BOM and a broken CHAI card are rejected."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    bom = json.loads(export(full(), "cyclonedx").text)
    bom["components"][0]["modelCard"]["considerations"]["users"] = "radiologist"
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(bom)) is not None
    chai = export(full(), "chai").text.replace("<ModelType>", "<ModelKind>").replace("</ModelType>", "</ModelKind>")
    errors = validate_chai(chai)
    assert len(errors) == 1 and "ModelKind': This element is not expected" in errors[0]


# --- content of the exports ----------------------------------------------------------------------


def test_chai_metric_values_use_estimate_ci_in_percent_with_unique_labels() -> None:
    """As CHAI's own examples: proportions in percent with the unit '%'; the label names the test set."""
    from lxml import etree

    root = etree.fromstring(export(full(), "chai").text.encode())
    ns = {"mc": "https://mc.chai.org/v0.2/schema.xsd"}
    usefulness = root.find("mc:KeyMetrics/mc:UsefulnessUsabilityEfficacy/mc:Results", ns)
    first = usefulness.find("mc:MetricResult", ns)
    assert first.findtext("mc:Label", namespaces=ns) == "AUROC on CXR test"
    assert json.loads(first.findtext("mc:ValueJson", namespaces=ns)) == {
        "kind": "estimate_ci",
        "estimate": 93,
        "lower": 91,
        "upper": 95,
        "level": 95,
        "unit": "%",
    }
    fairness = root.findall("mc:KeyMetrics/mc:FairnessEquity/mc:Results/mc:MetricResult/mc:Label", ns)
    assert [f.text for f in fairness] == [
        "AUROC (sex=female) on CXR test",
        "AUROC (sex=male) on CXR test",
        "AUROC (sex=female, site=b) on CXR test",
    ]


def test_cyclonedx_metrics_carry_slice_and_interval() -> None:
    bom = json.loads(export(full(), "cyclonedx").text)
    metrics = bom["components"][0]["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    assert metrics[5] == {
        "type": "AUROC",
        "value": "0.9",
        "slice": "dataset=test; sex=female; site=b",
        "confidenceInterval": {"lowerBound": "0.85", "upperBound": "0.94"},
    }
    assert metrics[1]["slice"] == "dataset=test; operating_point=default"


def test_hf_model_index_holds_overall_results_only() -> None:
    front = yaml.safe_load(export(full(), "hf").text.split("---\n")[1])
    test_results = front["model-index"][0]["results"][0]
    assert test_results["task"] == {"type": "image-classification", "name": "pneumothorax flag"}
    assert test_results["dataset"] == {"type": "test", "name": "CXR test", "split": "test"}
    assert test_results["metrics"][1] == {
        "type": "sensitivity",
        "value": 0.9,
        "name": "Sensitivity",
        "config": "default",
    }
    assert front["license"] == "apache-2.0"


def test_hf_licence_without_hub_id_goes_out_as_other() -> None:
    front = yaml.safe_load(export(minimal(), "hf").text.split("---\n")[1])
    assert (front["license"], front["license_name"]) == ("other", "LicenseRef-Proprietary")


# --- loss report ---------------------------------------------------------------------------------


def test_loss_report_names_what_each_format_leaves_out() -> None:
    source = full()
    hf = {loss.field: loss for loss in export(source, "hf").losses}
    assert hf["lifecycle"].format() == "lifecycle (6 values): a Hugging Face model card has no place for it"
    assert "risk.hazards[]" in hf and "evaluation.results[].value" not in hf
    cdx = {loss.field for loss in export(source, "cyclonedx").losses}
    assert {"evaluation.results[].n", "intended_use.out_of_scope[]", "risk.hazards[].severity"} <= cdx
    chai = [loss for loss in export(source, "chai").losses if loss.kind == "missing-required"]
    assert [loss.format() for loss in chai] == [
        "evaluation.study.acceptance_criteria, evaluation.human_ai: a CHAI applied model card v0.2 requires "
        "Interpretation; written as 'Not stated in the source.'",
        "system.deployment_forms: a CHAI applied model card v0.2 requires GlobalAvailability; "
        "written as 'Not stated in the source.'",
    ]
    assert export(source, "json").losses == []


def test_unresolved_fact_reference_is_skipped_and_reported() -> None:
    data = full_source(minimal_source("cxr"))
    data["evaluation"]["results"][0]["value"] = "mlflow://run1/metrics/auroc"
    data["evaluation"]["results"][0].pop("ci_low")
    data["evaluation"]["results"][0].pop("ci_high")
    source = Source.model_validate(data)
    expected = (
        "evaluation.results[0].value: unresolved fact reference mlflow://run1/metrics/auroc left out; "
        "run `docs-compile resolve` first"
    )
    for fmt in ("hf", "cyclonedx", "chai"):
        result = export(source, fmt)
        assert expected in [loss.format() for loss in result.losses], fmt
        assert "mlflow://" not in result.text, fmt
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(export(source, "cyclonedx").text) is None
    assert validate_chai(export(source, "chai").text) == []
    json_losses = [loss.format() for loss in export(source, "json").losses]
    assert json_losses == [
        "evaluation.results[].value: still the fact reference mlflow://run1/metrics/auroc; "
        "run `docs-compile resolve` to substitute it"
    ]


def test_chai_refuses_a_model_outside_health() -> None:
    with pytest.raises(UsageError) as info:
        export(minimal(), "chai")
    assert info.value.format() == (
        "demo: model.domain: the CHAI applied model card is for health models; this model's domain is 'other' "
        "(hint: export one of json, hf, cyclonedx)"
    )


def test_exports_are_deterministic() -> None:
    for fmt in FORMATS:
        assert export(full(), fmt).text == export(full(), fmt).text
    first = json.loads(export(full(), "cyclonedx").text)["serialNumber"]
    changed = full_source(minimal_source("cxr"))
    changed["model"]["version"] = "2.1.1"
    assert json.loads(export(Source.model_validate(changed), "cyclonedx").text)["serialNumber"] != first


def test_mapping_table_is_documented() -> None:
    doc = (REPO / "docs" / "interop.md").read_text(encoding="utf-8")
    for fmt in FORMATS:
        for source_field, target in mapping(fmt):
            assert f"| `{source_field}` | {target} |" in doc, (fmt, source_field)


# --- command line --------------------------------------------------------------------------------


def _project(root: Path, data: dict[str, Any]) -> None:
    write_tree(root, {f"content/{data['model']['id']}/model.yaml": data})


def test_cli_writes_the_file_and_prints_the_loss_report(project: Path, cli: Callable[..., Any]) -> None:
    _project(project, full_source(minimal_source("cxr")))
    result = cli("export", "cxr", "--format", "cyclonedx", "--out", "out/cxr.cdx.json")
    assert result.exit_code == 0, result.output
    assert (project / "out" / "cxr.cdx.json").read_text() == export(full(), "cyclonedx").text
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "exported cxr as cyclonedx to out/cxr.cdx.json"
    assert "    - evaluation.results[].n (7 values): a CycloneDX 1.6 ML-BOM has no place for it" in lines


def test_cli_out_to_a_device_writes_into_it(project: Path, cli: Callable[..., Any]) -> None:
    """--out /dev/null must not replace the device with a regular file."""
    _project(project, minimal_source("demo"))
    null = Path("/dev/null")
    assert cli("export", "demo", "--format", "json", "--out", null, "--quiet").exit_code == 0
    assert null.is_char_device()


def test_cli_writes_to_stdout_and_json(project: Path, cli: Callable[..., Any]) -> None:
    _project(project, minimal_source("demo"))
    plain = cli("export", "demo", "--format", "hf")
    assert plain.exit_code == 0
    assert plain.stdout == export(minimal(), "hf").text
    as_json = json.loads(cli("export", "demo", "--format", "json", "--json").stdout)
    assert as_json["ok"] is True and as_json["format"] == "json" and as_json["losses"] == []
    assert json.loads(as_json["text"])["model"] == "demo"


def test_cli_chai_for_other_domain_is_a_clear_error(project: Path, cli: Callable[..., Any]) -> None:
    _project(project, minimal_source("demo"))
    result = cli("export", "demo", "--format", "chai")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: demo: model.domain: the CHAI applied model card is for health models; this model's domain is 'other'"
    )


def test_cli_unknown_model_is_an_input_error(project: Path, cli: Callable[..., Any]) -> None:
    _project(project, minimal_source("demo"))
    result = cli("export", "dmeo", "--format", "json")
    assert result.exit_code == 2
    assert "no model 'dmeo' under content" in result.stderr and "did you mean 'demo'?" in result.stderr
