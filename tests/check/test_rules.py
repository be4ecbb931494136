"""Check stage: the rule registry — every configurable rule is one registered function, `check_model` runs
whatever is registered, and the configured severity is applied to what a rule returns."""

from __future__ import annotations

from typing import get_args

import pytest
from helpers.project import AUDIENCES, CONTENT

from compiler.check import rules
from compiler.check.findings import MODEL_GROUP, Raw
from compiler.check.gates import check_model
from compiler.check.rules import REGISTRY, RuleContext, rule
from compiler.config.audiences import Audience, load_audiences
from compiler.config.project import RULES, ProjectConfig, RuleName
from compiler.errors import Location
from compiler.load.reader import load_project
from compiler.validate.project import ValidModel, validate_project

EXAMPLE = "chest-xray-triage"


@pytest.fixture(scope="module")
def example() -> ValidModel:
    (model,) = validate_project(load_project(CONTENT, [EXAMPLE])).models
    return model


@pytest.fixture(scope="module")
def audiences() -> list[Audience]:
    return load_audiences(AUDIENCES)


def test_every_configurable_rule_is_registered_once() -> None:
    assert sorted(REGISTRY) == sorted(RULES) == sorted(get_args(RuleName))


def test_a_name_registers_one_function() -> None:
    with pytest.raises(ValueError) as caught:
        rule("readability")(lambda ctx: [])
    assert str(caught.value) == "check rule 'readability' is registered twice"
    assert REGISTRY["readability"] is rules.readability


def test_the_example_passes_every_rule(example: ValidModel, audiences: list[Audience]) -> None:
    report = check_model(example, audiences, ProjectConfig())
    assert report.findings == []
    assert report.audiences == ["technical", "regulatory", "clinician", "leadership"]


def _report_lines(ctx: RuleContext) -> list[Raw]:
    return [
        Raw(ctx.audiences[0].name, "first", ("model", "version"), "fix it"),
        Raw(ctx.audiences[0].name, "first", ("model", "version"), "fix it"),  # reached twice: reported once
        Raw(MODEL_GROUP, "second"),
    ]


def test_check_model_runs_what_is_registered(
    example: ValidModel, audiences: list[Audience], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(REGISTRY, "readability", _report_lines)
    report = check_model(example, audiences, ProjectConfig())
    assert [f.as_dict() for f in report.findings] == [
        {
            "rule": "readability",
            "severity": "warning",
            "model": EXAMPLE,
            "group": "technical",
            "message": "first",
            "field": "model.version",
            "file": f"content/{EXAMPLE}/model.yaml",
            "line": 10,
            "column": 12,
            "hint": "fix it",
        },
        {
            "rule": "readability",
            "severity": "warning",
            "model": EXAMPLE,
            "group": MODEL_GROUP,
            "message": "second",
            "field": "",
            "file": f"content/{EXAMPLE}/model.yaml",
            "line": 7,
            "column": 1,
            "hint": "",
        },
    ]
    severe = ProjectConfig.model_validate({"rules": {"readability": "error"}})
    assert {f.severity for f in check_model(example, audiences, severe).findings} == {"error"}
    off = ProjectConfig.model_validate({"rules": {"readability": "off"}})
    assert check_model(example, audiences, off).findings == []


def test_lock_drift_is_placed_where_the_resolve_stage_says(example: ValidModel, audiences: list[Audience]) -> None:
    lock = Location(f"content/{EXAMPLE}/facts.lock.json")
    drift = [("no lock file", lock), ("no lock file", lock)]
    report = check_model(example, audiences, ProjectConfig(), drift=drift)
    assert [(f.rule, f.severity, f.group, f.message, f.location, f.field) for f in report.findings] == [
        ("lock-drift", "error", MODEL_GROUP, "no lock file", lock, ""),
        ("lock-drift", "error", MODEL_GROUP, "no lock file", lock, ""),
    ]


def test_results_for_rows_without_a_group_value_are_a_warning() -> None:
    from helpers.project import minimal_source

    from compiler.check.results import missing_levels
    from compiler.schema import Source

    data = minimal_source("m")
    data["factors"] = {"relevant": [{"id": "sex", "name": "Sex", "levels": ["female", "male"]}], "evaluation": []}
    data["evaluation"]["results"] = [
        {"metric": "auroc", "value": 0.9, "n": 100, "slice": {"sex": "(missing)"}},
        {"metric": "auroc", "value": 0.8, "n": 900, "slice": {"sex": "female"}},
    ]
    (found,) = missing_levels(Source.model_validate(data))
    assert found.path == ("factors", "relevant", 0)
    assert found.message == (
        "100 row(s) of the predictions have no value for factor 'sex'; their results are reported under the level "
        "'(missing)'"
    )
    data["evaluation"]["results"].pop(0)
    assert missing_levels(Source.model_validate(data)) == []
