"""Frameworks as data: every file loads, every field path exists in the schema, ids are unique; the path
language and coverage rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.project import minimal_source, write_tree

from compiler.check.coverage import (
    COVERED,
    MISSING,
    NOT_APPLICABLE,
    PARTIAL,
    applicability,
    assess,
    condition_reason,
    coverage,
    summarise,
)
from compiler.config.frameworks import FOLDER, framework_ids, load_framework, load_frameworks
from compiler.errors import ConfigError
from compiler.schema import Source
from compiler.schema.paths import (
    PathSyntaxError,
    check_condition,
    check_path,
    filled,
    holds,
    is_placeholder,
    satisfied,
    select,
    unfilled,
)

EXPECTED = [
    "chai-applied-model-card",
    "eu-ai-act-annex-iv",
    "eu-ai-act-art13",
    "fda-ai-dsf-2025",
    "gebru",
    "mitchell",
    "onc-hti1",
]


def test_the_shipped_frameworks() -> None:
    assert framework_ids() == EXPECTED


@pytest.mark.parametrize("framework_id", EXPECTED)
def test_every_path_exists_in_the_schema_and_ids_are_unique(framework_id: str) -> None:
    # Read the raw file too, so the test does not only trust the loader's own validation.
    raw = yaml.safe_load((FOLDER / f"{framework_id}.yaml").read_text(encoding="utf-8"))
    ids = [r["id"] for r in raw["requirements"]]
    assert len(ids) == len(set(ids)), f"duplicate ids in {framework_id}"
    for req in raw["requirements"]:
        assert req["text"] and req["citation"] and req["group"]
        for path in req["fields"]:
            check_path(path)
        if req.get("when"):
            check_condition(req["when"])
    framework = load_framework(framework_id)
    assert framework.id == framework_id == raw["id"]


def test_hti1_has_all_31_source_attributes() -> None:
    ids = [r.id for r in load_framework("onc-hti1").requirements]
    assert ids == [f"HTI-{n:02d}" for n in range(1, 32)]


def test_fda_covers_sections_v_to_xiii_and_appendix_e() -> None:
    groups = {r.group.split(" ")[0] for r in load_framework("fda-ai-dsf-2025").requirements}
    assert {"V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "Appendix"} == groups


def test_mitchell_has_nine_sections_and_annex_iv_nine_items() -> None:
    mitchell = {r.citation.split(" ")[0] for r in load_framework("mitchell").requirements}
    assert mitchell == {f"§{n}" for n in range(1, 10)}
    annex = {r.id.split("(")[0].split(".")[0] for r in load_framework("eu-ai-act-annex-iv").requirements}
    assert annex == {f"IV-{n}" for n in range(1, 10)}


def test_annex_iv_has_every_lettered_point_of_items_1_and_2() -> None:
    ids = [r.id for r in load_framework("eu-ai-act-annex-iv").requirements]
    lettered = [i for i in ids if "(" in i]
    assert lettered == [f"IV-{n}({c})" for n in (1, 2) for c in "abcdefgh"]
    assert ids[len(lettered) :] == ["IV-3.1", "IV-3.2", "IV-3.3", *(f"IV-{n}" for n in range(4, 10))]


@pytest.mark.parametrize("framework_id", EXPECTED)
def test_a_framework_with_a_condition_says_whom_it_concerns(framework_id: str) -> None:
    framework = load_framework(framework_id)
    assert bool(framework.when) == bool(framework.applies_to), framework_id


def test_an_unknown_path_is_named_with_a_suggestion() -> None:
    with pytest.raises(PathSyntaxError) as err:
        check_path("intended_use.out_of_scop")
    assert (
        str(err.value)
        == "'intended_use.out_of_scop': IntendedUse has no field 'out_of_scop' (did you mean 'out_of_scope'?)"
    )
    with pytest.raises(PathSyntaxError, match="'model' is not a list"):
        check_path("model[].name")
    with pytest.raises(PathSyntaxError, match="Dataset has no field 'rol'"):
        check_path("datasets[rol=test].name")
    check_path("evaluation.results[slice.sex].value")  # a key under a mapping is any key
    check_path("system.software_versions.pytorch")


def test_a_broken_framework_file_is_a_placed_config_error(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "broken.yaml": {
                "id": "broken",
                "title": "Broken",
                "source": "test",
                "requirements": [
                    {"id": "A", "group": "g", "text": "t", "citation": "c", "fields": ["model.name"]},
                    {"id": "A", "group": "g", "text": "t", "citation": "c", "fields": ["model.nme"]},
                ],
            }
        },
    )
    with pytest.raises(ConfigError) as err:
        load_framework("broken", tmp_path)
    assert "duplicate requirement id 'A'" in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "broken.yaml"))
    with pytest.raises(ConfigError, match=r"no framework 'mitchel' \(hint: did you mean 'mitchell'\?\)"):
        load_frameworks(["mitchel"])


# --- the path language -----------------------------------------------------------------------------

DATA: dict[str, Any] = {
    "datasets": [
        {"id": "a", "role": "train", "composition": {"count": 10}},
        {"id": "b", "role": "test", "composition": {"count": None}},
    ],
    "evaluation": {
        "results": [
            {"metric": "auroc", "value": 0.9, "slice": {}},
            {"metric": "auroc", "value": 0.8, "slice": {"sex": "female"}},
            {"metric": "auroc", "value": 0.7, "slice": {"sex": "female", "age": "65+"}},
        ]
    },
    "model": {"funding": "TBD", "medical_device": False, "domain": "health"},
}


def test_select_with_filters() -> None:
    assert [v for _, v in select(DATA, "datasets[].composition.count")] == [10, None]
    assert [w for w, _ in select(DATA, "datasets[role=test].id")] == [("datasets", 1, "id")]
    assert [v for _, v in select(DATA, "evaluation.results[!slice].value")] == [0.9]
    assert [v for _, v in select(DATA, "evaluation.results[slice.sex].value")] == [0.8, 0.7]
    assert [v for _, v in select(DATA, "evaluation.results[slice#2].value")] == [0.7]
    assert [v for _, v in select(DATA, "datasets[role=train|test].id")] == ["a", "b"]


def test_satisfied_needs_every_selected_value_filled() -> None:
    assert satisfied(DATA, "datasets[role=train].composition.count")
    assert not satisfied(DATA, "datasets[].composition.count")
    assert unfilled(DATA, "datasets[].composition.count") == [("datasets", 1, "composition", "count")]
    assert not satisfied(DATA, "datasets[role=external].id")  # selects nothing
    assert not satisfied(DATA, "model.funding")  # a placeholder


@pytest.mark.parametrize(
    "text", ["TBD", "tbd", "TODO", "TODO: write this", "[More Information Needed]", "N/A", "n/a", "...", "-"]
)
def test_placeholders_count_as_missing(text: str) -> None:
    assert is_placeholder(text)
    assert not filled(text)
    assert not filled([text])


@pytest.mark.parametrize("text", ["N/A: the model takes no demographic input.", "None known.", "0", "Todoist app"])
def test_explained_or_real_text_is_content(text: str) -> None:
    assert filled(text)


def test_conditions() -> None:
    assert holds("domain == health", DATA)
    assert not holds("medical_device", DATA)
    assert holds("not medical_device", DATA)
    assert holds("medical_device or domain == health", DATA)
    assert not holds("medical_device and domain == health", DATA)
    assert holds("domain != finance", DATA)
    with pytest.raises(PathSyntaxError, match="ModelInfo has no field 'medical'"):
        check_condition("medical")


# --- coverage --------------------------------------------------------------------------------------


def _source(**changes: Any) -> Source:
    data = minimal_source()
    for dotted_key, value in changes.items():
        node = data
        *parents, last = dotted_key.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return Source.model_validate(data)


def test_coverage_rows_and_statuses() -> None:
    rows = {r.requirement_id: r for r in coverage(_source(), ["mitchell"])}
    assert rows["MC-1.2"].status == PARTIAL  # date and version filled, type is "TODO model type…"
    assert rows["MC-1.2"].fields == ("model.release_date", "model.version", "model.type")
    assert rows["MC-3.2"].status == MISSING
    assert rows["MC-1.2"].section == "model"
    named = _source(model__type="gradient-boosted trees")
    assert {r.requirement_id: r for r in coverage(named, ["mitchell"])}["MC-1.2"].status == COVERED


def test_conditions_make_requirements_not_applicable() -> None:
    rows = coverage(_source(), ["fda-ai-dsf-2025", "onc-hti1"])
    assert {r.status for r in rows} == {NOT_APPLICABLE}
    health = _source(model__domain="health")
    assert NOT_APPLICABLE not in {r.status for r in coverage(health, ["onc-hti1"])}


def test_applicability_gives_the_reason_in_words_from_the_condition_and_the_values() -> None:
    data = {"model": {"risk_class": "minimal", "medical_device": False, "domain": "consumer"}}
    assert (
        condition_reason("risk_class == high or medical_device", "high-risk systems", data)
        == "applies to high-risk systems; this model: risk class minimal, not a medical device"
    )
    assert (
        condition_reason("not medical_device and model.domain != health", None, data)
        == "applies to models where `not medical_device and model.domain != health` holds; "
        "this model: not a medical device, domain consumer"
    )
    assert condition_reason("model.regulatory.udi", None, data).endswith("this model: no udi")
    assert condition_reason(None, None, data) == "applies to every model"
    device = _source(model__medical_device=True, model__domain="health")
    found = {a.framework: a for a in applicability(device, ["fda-ai-dsf-2025", "onc-hti1", "mitchell"])}
    assert [a.applies for a in found.values()] == [True, True, True]
    assert found["fda-ai-dsf-2025"].reason.endswith("; this model: a medical device")
    (other,) = applicability(_source(), ["onc-hti1"])
    assert not other.applies and other.reason.endswith("; this model: domain other")


def test_a_requirement_that_does_not_apply_carries_the_reason() -> None:
    rows = coverage(_source(), ["fda-ai-dsf-2025"])
    assert {r.reason for r in rows} == {
        "applies to medical devices with AI-enabled device software functions; this model: not a medical device"
    }
    assert {r.reason for r in coverage(_source(), ["mitchell"])} == {""}


def test_datasheets_are_checked_per_dataset() -> None:
    data = minimal_source()
    second = {**data["datasets"][0], "id": "holdout", "role": "test"}
    data["datasets"].append(second)
    rows = coverage(Source.model_validate(data), ["gebru"])
    assert [r.requirement_id for r in rows[:2]] == ["DS-1.1 [train]", "DS-1.1 [holdout]"]
    assert rows[1].fields == ("datasets[id=holdout].motivation.purpose",)


def test_audience_filter_and_summary() -> None:
    source = _source()
    clinician = coverage(source, ["mitchell"], audience="clinician")
    assert [r.requirement_id for r in clinician] == ["MC-2.1", "MC-2.2", "MC-2.3", "MC-9"]
    (summary,) = summarise(assess(source, ["mitchell"]))
    assert summary.applicable == 20
    assert summary.percent == round(100 * summary.covered / 20, 1)
