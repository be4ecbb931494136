"""Import stage: Hugging Face and Model Card Toolkit cards become valid sources with TODOs, nothing dropped."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from fixtures.interop.full import full_source
from helpers.project import EXAMPLES, REPO, minimal_source

from compiler.interop import export, mapping
from compiler.interop.hf_import import read as read_hf
from compiler.interop.importing import UNMAPPED_FILE, write_import
from compiler.load.reader import load_project
from compiler.schema import Source
from compiler.validate.project import validate_project

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interop"


def copy(project: Path, name: str) -> Path:
    return Path(shutil.copy(FIXTURES / name, project / name))


def model(project: Path, model_id: str) -> Source:
    return validate_project(load_project(project / "content", [model_id])).models[0].source


# --- Hugging Face --------------------------------------------------------------------------------


def test_hf_card_with_model_index(project: Path, cli: Callable[..., Any]) -> None:
    result = cli("import", "--from", "hf", copy(project, "hf_with_index.md"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "created content/review-sentiment/model.yaml"
    assert cli("validate").stdout == "ok: 1 model(s) valid: review-sentiment\n"
    s = model(project, "review-sentiment")
    assert (s.model.name, s.model.license, s.model.type) == ("Review Sentiment", "MIT", "transformer encoder")
    assert s.model.languages == ["en", "de"] and s.model.keywords == ["sentiment", "reviews"]
    # The front matter's `datasets` are the training data (the Hub's definition); the model-index one is the test
    # split of its `en` config, a dataset of its own.
    assert [(d.id, d.name, d.role, d.version) for d in s.datasets] == [
        ("acme-product-reviews", "acme/product-reviews", "train", None),
        ("acme-product-reviews-en-test", "Product Reviews", "test", "en config, test split"),
    ]
    assert [(r.metric, r.value, r.dataset) for r in s.evaluation.results] == [
        ("accuracy", 0.912, "acme-product-reviews-en-test"),
        ("f1", 0.905, "acme-product-reviews-en-test"),
    ]
    assert s.system.training.hyperparameters == {"learning_rate": 2e-05, "epochs": 3}
    assert s.system.pretrained[0].name == "distilbert-base-uncased"
    assert s.intended_use.out_of_scope == ["medical or legal text", "reviews shorter than three words"]
    assert (s.model.contact.name, s.model.contact.email) == ("Acme Analytics", "ml@acme.example")
    assert s.model.summary == "Classifies English and German product reviews by sentiment."


def test_hf_unknown_fields_are_kept_and_listed(project: Path, cli: Callable[..., Any]) -> None:
    result = cli("import", "--from", "hf", copy(project, "hf_with_index.md"), "--id", "reviews")
    kept = yaml.safe_load((project / "content" / "reviews" / UNMAPPED_FILE).read_text())["unmapped"]
    assert kept["front matter: pipeline_tag"] == "text-classification"
    assert kept["front matter: widget"] == [{"text": "I love this product"}]
    assert "model-index task" not in kept  # its type is the card's pipeline_tag, kept above
    assert kept["Model Description: Shared by"] == "Acme Analytics ML team"
    assert kept["section: Recommendations"] == "Review a sample of routed tickets every week."
    assert kept["section: Environmental Impact"] == "- **Hardware Type:** 1x A100\n- **Hours used:** 2"
    assert kept["section: introduction"].startswith("A DistilBERT model fine-tuned")
    assert "  - front matter: pipeline_tag" in result.stdout.splitlines()
    text = (project / "content" / "reviews" / "model.yaml").read_text()
    assert f"# Content of the card with no place in this schema is kept in {UNMAPPED_FILE}" in text


def test_hf_card_without_model_index_and_missing_fields(project: Path, cli: Callable[..., Any]) -> None:
    result = cli("import", "--from", "hf", copy(project, "hf_no_index.md"))
    assert result.exit_code == 0, result.output
    assert cli("validate").exit_code == 0
    s = model(project, "churn-predictor")
    assert s.model.license == "Apache-2.0"
    assert s.intended_use.purpose == "Predict which subscribers are likely to cancel next month."
    assert s.model.summary == "TODO: one paragraph on what the model does."
    assert s.risk.limitations == ["TODO: known limitation"]
    assert s.evaluation.results == []
    assert "  - model.summary" in result.stdout.splitlines()
    text = (project / "content" / "churn-predictor" / "model.yaml").read_text()
    assert "\n  release_date:" not in text  # not released: no date is invented
    assert "  status: draft  # not released: add model.release_date (YYYY-MM-DD) when it is\n" in text
    assert "  version: 'TODO: version (not in the imported card)'\n" in text
    assert (s.model.release_date, s.model.version) == (None, "TODO: version (not in the imported card)")
    assert "count:" not in text and "# TODO: add composition.count, the number of instances\n" in text  # not 0
    assert s.datasets[0].composition.count is None and "1970" not in text and "versions: []" in text


def test_hf_invalid_front_matter_names_line_and_column(project: Path, cli: Callable[..., Any]) -> None:
    result = cli("import", "--from", "hf", copy(project, "hf_bad_yaml.md"), "--id", "bad")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: hf_bad_yaml.md:4:9: invalid YAML front matter: expected ',' or ']', but got ':' "
        "(hint: fix the YAML between the --- lines)\n"
    )
    assert not (project / "content" / "bad").exists()


def test_hf_front_matter_never_closed(project: Path, cli: Callable[..., Any]) -> None:
    (project / "open.md").write_text("---\nlicense: mit\n# Title\n")
    result = cli("import", "--from", "hf", "open.md", "--id", "open")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: open.md:1:1: front matter opened with --- is never closed")


def test_import_refuses_to_overwrite(project: Path, cli: Callable[..., Any]) -> None:
    card = copy(project, "hf_no_index.md")
    assert cli("import", "--from", "hf", card, "--id", "churn").exit_code == 0
    before = (project / "content" / "churn" / "model.yaml").read_text()
    result = cli("import", "--from", "hf", card, "--id", "churn")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: content/churn/model.yaml: already exists; import never overwrites a model (hint: pass another --id)\n"
    )
    assert (project / "content" / "churn" / "model.yaml").read_text() == before


def test_import_is_deterministic(project: Path, cli: Callable[..., Any]) -> None:
    card = copy(project, "hf_with_index.md")
    cli("import", "--from", "hf", card, "--id", "one")
    cli("import", "--from", "hf", card, "--id", "two")
    one = (project / "content" / "one" / "model.yaml").read_text()
    two = (project / "content" / "two" / "model.yaml").read_text()
    assert one.replace("id: one", "id: two") == two


# --- round trip ----------------------------------------------------------------------------------


def values(node: Any, path: str) -> list[Any]:
    """Every value at a dotted path with [] for list items, as plain JSON data."""
    nodes = [node]
    for part in path.split("."):
        name, many = part.removesuffix("[]"), part.endswith("[]")
        nodes = [getattr(n, name) for n in nodes if getattr(n, name, None) is not None]
        if many:
            nodes = [item for n in nodes for item in n]
    return sorted(
        json.dumps(n.model_dump(mode="json") if hasattr(n, "model_dump") else n, sort_keys=True, default=str)
        for n in nodes
    )


def assert_round_trip(original: Source, project: Path) -> Source:
    card = project / "README.md"
    exported = export(original, "hf")
    card.write_text(exported.text)
    write_import(project / "content", original.model.id, read_hf(card))
    imported = model(project, original.model.id)
    reported = {loss.field for loss in exported.losses}  # what the loss report says is dropped or changed
    for path, _ in mapping("hf"):
        if path not in reported:
            assert values(imported, path) == values(original, path), path

    def result_key(r: Any) -> str:
        keys = ("metric", "dataset", "operating_point", "slice", "value", "ci_low", "ci_high", "n")
        return json.dumps(r.model_dump(mode="json", include=set(keys)), sort_keys=True)

    assert sorted(map(result_key, imported.evaluation.results)) == sorted(map(result_key, original.evaluation.results))
    return imported


def test_hf_round_trip_gives_back_every_carried_field(project: Path) -> None:
    assert_round_trip(Source.model_validate(full_source(minimal_source("cxr"))), project)
    kept = yaml.safe_load((project / "content" / "cxr" / UNMAPPED_FILE).read_text())["unmapped"]
    assert kept == {"front matter: pipeline_tag": "image-classification"}  # the Hub task has no field of its own


@pytest.mark.parametrize("example", EXAMPLES)
def test_hf_round_trip_of_every_example(example: str, project: Path) -> None:
    from compiler.resolve.apply import resolved_source

    # As `docs-compile export` does: fact references replaced by their locked values first.
    original = resolved_source(validate_project(load_project(REPO / "content", [example])).models[0])
    assert_round_trip(original, project)


def test_hf_round_trip_of_the_minimal_source(project: Path) -> None:
    assert_round_trip(Source.model_validate(minimal_source("demo")), project)


# --- Model Card Toolkit --------------------------------------------------------------------------


def test_mct_v001(project: Path, cli: Callable[..., Any]) -> None:
    result = cli("import", "--from", "mct", copy(project, "mct_v001.json"))
    assert result.exit_code == 0, result.output
    assert cli("validate").exit_code == 0
    s = model(project, "census-income-classifier")
    assert (s.model.version, s.model.release_date.isoformat(), s.model.license) == ("0.1", "2020-01-01", "Apache-2.0")
    assert s.model.papers == ["https://archive.ics.uci.edu/ml/datasets/census+income"]
    assert [(d.name, d.role) for d in s.datasets] == [("UCI Census train", "train"), ("UCI Census eval", "test")]
    overall = s.evaluation.results[0]
    assert (overall.value, overall.ci_low, overall.ci_high, overall.operating_point) == (
        0.86,
        0.85,
        0.87,
        "threshold-0-5",
    )
    assert s.evaluation.results[1].slice == {"slice": "sex_Female"}
    assert s.factors.relevant[0].levels == ["sex_Female", "sex_Male"]
    assert s.system.outputs[0].operating_points[0].threshold == 0.5
    assert s.risk.ethics is not None and s.risk.ethics.mitigations == ["Aggregate reporting only."]
    assert s.lifecycle.versions[0].changes == "First release."
    kept = yaml.safe_load((project / "content" / "census-income-classifier" / UNMAPPED_FILE).read_text())["unmapped"]
    assert kept["considerations.tradeoffs"] == ["accuracy versus equal opportunity"]
    assert kept["quantitative_analysis.performance_metrics"] == {"type": "auc", "value": "high"}
    assert kept["model_details.references"] == "not a link"


def test_mct_v002(project: Path, cli: Callable[..., Any]) -> None:
    result = cli("import", "--from", "mct", copy(project, "mct_v002.json"), "--id", "flowers")
    assert result.exit_code == 0, result.output
    assert cli("validate").exit_code == 0
    s = model(project, "flowers")
    assert s.model.license == "CC-BY-4.0"
    assert s.model.contact.url == "https://flora.example/contact"
    assert [u.role for u in s.intended_use.users] == ["botanists", "hobby gardeners"]
    assert [(d.id, d.role) for d in s.datasets] == [
        ("oxford-flowers-102-train", "train"),
        ("oxford-flowers-102-test", "test"),
    ]
    assert [(r.metric, r.value) for r in s.evaluation.results] == [("top-1-accuracy", 0.94), ("top-5-accuracy", 0.99)]
    kept = yaml.safe_load((project / "content" / "flowers" / UNMAPPED_FILE).read_text())["unmapped"]
    assert kept["model_details.documentation"].startswith("A ResNet-50 fine-tuned")
    assert kept["model_details.licenses.custom_text"] == "Attribution to Flora Labs required."
    assert kept["quantitative_analysis.graphics"]["collection"][0]["image"] == "iVBORw0KGgo="


def test_mct_invalid_json_names_line_and_column(project: Path, cli: Callable[..., Any]) -> None:
    (project / "card.json").write_text('{\n  "model_details": {"name": "x",}\n}\n')
    result = cli("import", "--from", "mct", "card.json", "--id", "x")
    assert result.exit_code == 2
    assert result.stderr == "error: card.json:2:33: invalid JSON: Expecting property name enclosed in double quotes\n"


@pytest.mark.parametrize("text", ["[]", '{"name": "x"}'])
def test_mct_rejects_json_that_is_not_a_card(project: Path, cli: Callable[..., Any], text: str) -> None:
    (project / "card.json").write_text(text)
    result = cli("import", "--from", "mct", "card.json", "--id", "x")
    assert result.exit_code == 2
    assert "not a Model Card Toolkit card: expected an object with `model_details`" in result.stderr


def test_import_json_result(project: Path, cli: Callable[..., Any]) -> None:
    result = cli("import", "--from", "mct", copy(project, "mct_v002.json"), "--id", "flowers", "--json")
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["model_file"] == "content/flowers/model.yaml"
    assert "system.ai_statement" in report["todo"]
    assert "model.domain" in report["placeholders"]


# --- editors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "card"), [("hf", "hf_with_index.md"), ("mct", "mct_v002.json")])
def test_an_imported_model_points_editors_at_the_schemas_written_beside_it(
    project: Path, cli: Callable[..., Any], fmt: str, card: str
) -> None:
    (project / "docs-compile.yaml").write_text("content: docs/models\n")
    result = cli("import", "--from", fmt, copy(project, card), "--id", "imported", "--json")
    assert result.exit_code == 0, result.output
    source = project / "docs/models/imported/model.yaml"
    first = source.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../../schemas/model.schema.json"
    assert (source.parent / first.split("$schema=")[1]).resolve() == project / "schemas/model.schema.json"
    assert json.loads(result.stdout)["schemas"] == [
        "schemas/model.schema.json",
        "schemas/dataset.schema.json",
        "schemas/results.schema.json",
    ]
    assert cli("validate").exit_code == 0
    again = cli("import", "--from", fmt, card, "--id", "second")
    assert again.exit_code == 0, again.output
    assert "schemas" not in again.stdout  # written once, never again


def test_import_never_replaces_a_schema_file(project: Path, cli: Callable[..., Any]) -> None:
    (project / "schemas").mkdir()
    (project / "schemas/model.schema.json").write_text("{}\n")
    result = cli("import", "--from", "hf", copy(project, "hf_with_index.md"))
    assert result.exit_code == 0, result.output
    assert (project / "schemas/model.schema.json").read_text() == "{}\n"
    assert result.stdout.splitlines()[-1] == (
        "created schemas/dataset.schema.json, schemas/results.schema.json: the schemas its first line points editors at"
    )
    assert (
        (project / "content/review-sentiment/model.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=../../schemas/model.schema.json\n# Imported by")
    )
