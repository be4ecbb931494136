"""Validate stage: cross-references inside one source — every kind of id a field points at, each message,
field path, hint and the order the problems come in."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.project import CONTENT

from compiler.errors import SourceError
from compiler.load.reader import LoadedModel, load_project
from compiler.validate.project import validate_model, validate_project

EXAMPLE = "chest-xray-triage"


@pytest.fixture(scope="module")
def example() -> LoadedModel:
    (loaded,) = load_project(CONTENT, [EXAMPLE]).models
    return loaded


def _broken(data: dict[str, Any]) -> dict[str, Any]:
    """The example with one wrong reference of every kind, and a duplicate id in every list that has ids."""
    data = copy.deepcopy(data)
    data["model"]["id"] = "chest"
    data["model"].pop("regulatory")
    evaluation, system, risk = data["evaluation"], data["system"], data["risk"]
    for where in (evaluation["metrics"], data["factors"]["relevant"], data["datasets"], risk["hazards"]):
        where.append(copy.deepcopy(where[0]))
    architecture = system["architecture"]
    for where in (architecture["components"], architecture["diagrams"], data["evidence"]["sources"]):
        where.append(copy.deepcopy(where[-1]))
    result = evaluation["results"][0]
    result.update(metric="sensitivty", dataset="internal", operating_point="high")
    result["slice"] = {"sex": "femme", "colour": "red"}
    data["factors"]["evaluation"].append("sexx")
    computed = evaluation["computed"][0]
    computed.update(source="internal-predictions", dataset="external")
    computed["metrics"].append("f1")
    computed["groups"].append("gender")
    computed["operating_points"].append("default")
    evaluation["external"][0]["dataset"] = "external"
    architecture["flows"][0].update(source="modalty", target="gate")
    architecture["components"][1]["parent"] = "nowhere"
    criterion = data["acceptance"]["criteria"][0]
    criterion.update(metric="aurocc", factor="sites", operating_point="low", dataset="tune", statistic="max_gap")
    data["acceptance"]["criteria"][1].update(statistic="max_gap")
    data["plain"]["per_1000"]["operating_point"] = "high-sens"
    data["reviews"][0]["section"] = "intended_uses"
    data["reviews"][1]["section"] = "risk.hazards[99]"
    return data


# (field, message, hint) in the order the checks report them.
EXPECTED = [
    (
        "model.id",
        "model id 'chest' differs from its folder 'chest-xray-triage'",
        "rename one; use `id: chest-xray-triage`",
    ),
    ("model", "a medical device needs `regulatory:` (status, file number)", "add model.regulatory"),
    ("evaluation.metrics[5].id", "duplicate metric id 'auroc'", "ids must be unique"),
    ("factors.relevant[7].id", "duplicate factor id 'sex'", "ids must be unique"),
    ("datasets[4].id", "duplicate dataset id 'development-train'", "ids must be unique"),
    ("system.architecture.components[9].id", "duplicate component id 'monitor'", "ids must be unique"),
    ("risk.hazards[7].id", "duplicate hazard id 'h-01'", "ids must be unique"),
    ("evidence.sources[2].id", "duplicate evidence source id 'external-test-predictions'", "ids must be unique"),
    ("system.architecture.diagrams[2].id", "duplicate diagram id 'cxr-preprocessing'", "ids must be unique"),
    ("evaluation.results[0].metric", "unknown metric 'sensitivty'", "did you mean 'sensitivity'?"),
    ("evaluation.results[0].dataset", "unknown dataset 'internal'", "did you mean 'internal-test'?"),
    (
        "evaluation.results[0].operating_point",
        "unknown operating point 'high'",
        "declared: high-sensitivity, high-specificity",
    ),
    ("evaluation.results[0].slice.sex", "'femme' is not a level of factor 'sex'", "did you mean 'female'?"),
    (
        "evaluation.results[0].slice.colour",
        "unknown factor 'colour'",
        "declared: sex, age_band, manufacturer, view, site, size, race_ethnicity, sex",
    ),
    ("factors.evaluation[6]", "unknown factor 'sexx'", "did you mean 'sex'?"),
    (
        "evaluation.computed[0].source",
        "unknown evidence source 'internal-predictions'",
        "did you mean 'internal-test-predictions'?",
    ),
    ("evaluation.computed[0].dataset", "unknown dataset 'external'", "did you mean 'external-test'?"),
    (
        "evaluation.computed[0].metrics[5]",
        "unknown metric 'f1'",
        "declared: auroc, sensitivity, specificity, ppv, npv, auroc",
    ),
    (
        "evaluation.computed[0].groups[5]",
        "unknown factor 'gender'",
        "declared: sex, age_band, manufacturer, view, site, size, race_ethnicity, sex",
    ),
    (
        "evaluation.computed[0].operating_points[1]",
        "unknown operating point 'default'",
        "declared: high-sensitivity, high-specificity",
    ),
    ("evaluation.external[0].dataset", "unknown dataset 'external'", "did you mean 'external-test'?"),
    ("system.architecture.flows[0].source", "unknown component 'modalty'", "did you mean 'modality'?"),
    ("system.architecture.flows[0].target", "unknown component 'gate'", "did you mean 'gateway'?"),
    (
        "system.architecture.components[1].parent",
        "unknown component 'nowhere'",
        "declared: modality, gateway, preprocess, classifier, decision, notifier, worklist, audit, monitor, monitor",
    ),
    ("acceptance.criteria[0].metric", "unknown metric 'aurocc'", "did you mean 'auroc'?"),
    ("acceptance.criteria[0].factor", "unknown factor 'sites'", "did you mean 'site'?"),
    (
        "acceptance.criteria[0].operating_point",
        "unknown operating point 'low'",
        "declared: high-sensitivity, high-specificity",
    ),
    (
        "acceptance.criteria[0].dataset",
        "unknown dataset 'tune'",
        "declared: development-train, development-tune, internal-test, external-test, development-train",
    ),
    ("acceptance.criteria[1]", "a max_gap criterion needs `factor:`", "name the factor whose levels are compared"),
    ("plain.per_1000.operating_point", "unknown operating point 'high-sens'", "did you mean 'high-sensitivity'?"),
    (
        "reviews[0].section",
        "section 'intended_uses' does not exist in this source",
        "name a key path such as intended_use or plain",
    ),
    (
        "reviews[1].section",
        "section 'risk.hazards[99]' does not exist in this source",
        "name a key path such as intended_use or plain",
    ),
]


def test_every_reference_problem_in_order(example: LoadedModel) -> None:
    # Without positions every problem is placed at the file itself, so the order is the order of the checks.
    loaded = dataclasses.replace(example, data=_broken(example.data), positions={}, key_positions={})
    found = validate_model(loaded)
    assert isinstance(found, list)
    assert [(p.field, p.message, p.hint) for p in found] == EXPECTED
    assert {str(p.location) for p in found} == {f"content/{EXAMPLE}/model.yaml:1:1"}


def test_no_reference_problem_in_the_example(example: LoadedModel) -> None:
    assert not isinstance(validate_model(example), list)


def test_an_undeclared_kind_says_to_declare_it_first(example: LoadedModel) -> None:
    data = copy.deepcopy(example.data)
    data["system"]["architecture"]["components"] = []
    data["system"]["architecture"]["flows"] = [{"source": "camera", "target": "model", "label": "images"}]
    found = validate_model(dataclasses.replace(example, data=data, positions={}, key_positions={}))
    assert isinstance(found, list)
    assert [(p.field, p.message, p.hint) for p in found] == [
        ("system.architecture.flows[0].source", "unknown component 'camera'", "declare the component first"),
        ("system.architecture.flows[0].target", "unknown component 'model'", "declare the component first"),
    ]


def _at(text: str, needle: str) -> str:
    """line:column of the first occurrence of needle in text (1-based)."""
    index = text.index(needle)
    return f"{text.count(chr(10), 0, index) + 1}:{index - text.rfind(chr(10), 0, index)}"


def test_reference_problems_are_placed_at_the_value(project: Path) -> None:
    folder = project / "content" / EXAMPLE
    shutil.copytree(CONTENT / EXAMPLE, folder)
    text = (folder / "model.yaml").read_text(encoding="utf-8")
    text = text.replace("{source: modality, target: gateway,", "{source: modality, target: gate-way,")
    text = text.replace("    operating_point: high-sensitivity\n", "    operating_point: high\n")
    (folder / "model.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        validate_project(load_project(project / "content"))
    flow, per_1000 = _at(text, "gate-way"), _at(text, "high\n    population:")
    assert [p.format() for p in caught.value.problems] == [
        f"content/{EXAMPLE}/model.yaml:{flow}: system.architecture.flows[0].target: unknown component 'gate-way' "
        "(hint: did you mean 'gateway'?)",
        f"content/{EXAMPLE}/model.yaml:{per_1000}: plain.per_1000.operating_point: "
        "unknown operating point 'high' (hint: declared: high-sensitivity, high-specificity)",
    ]
