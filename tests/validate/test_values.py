"""Validate stage: value rules (numbers that cannot be true, dates that do not fit) and one pass that reports
every error it can — schema, references and values — each placed at the value it is about."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.evidence import position, resolve_project, valid_model
from helpers.project import minimal_source, write_tree

from compiler.errors import EvidenceError, SourceError
from compiler.load.reader import load_project
from compiler.resolve.apply import resolved_source
from compiler.validate.project import Catalog, validate_project

FILE = "content/m/model.yaml"
PROPORTION_HINT = (
    "(hint: write a proportion as a fraction between 0 and 1 (0.912, not 91.2), or give the metric another "
    "`kind:` (score, count, time, ratio or other))"
)


def _write(project: Path, data: dict[str, Any]) -> str:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    write_tree(project, {FILE: text})
    return text


def _at(text: str, needle: str, after: str = "") -> str:
    """`file:line:column` of needle (the first after the text `after`)."""
    index = text.index(needle, text.index(after) if after else 0)
    line = text.count("\n", 0, index) + 1
    return f"{FILE}:{line}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


def _date_at(text: str, value: str) -> str:
    """Where a date is written: YAML quotes it as text, and the value starts at the quote."""
    return _at(text, f"'{value}'")


def _errors(project: Path) -> list[str]:
    with pytest.raises(SourceError) as caught:
        validate_project(load_project(project / "content"))
    return [p.format() for p in caught.value.problems]


def _valid(project: Path) -> Catalog:
    return validate_project(load_project(project / "content"))


def _source(**result: Any) -> dict[str, Any]:
    data = minimal_source("m")
    data["evaluation"]["results"][0].update(result)
    return data


# --- proportions and intervals ------------------------------------------------------------------------


def test_a_proportion_outside_0_1_is_refused_at_each_value(project: Path) -> None:
    text = _write(project, _source(value=1.64, ci_low=1.62, ci_high=1.66))
    assert _errors(project) == [
        f"{_at(text, '1.64')}: evaluation.results[0].value: value 1.64 is outside [0, 1]: metric 'accuracy' is a "
        f"proportion {PROPORTION_HINT}",
        f"{_at(text, '1.62')}: evaluation.results[0].ci_low: ci_low 1.62 is outside [0, 1]: metric 'accuracy' is a "
        f"proportion {PROPORTION_HINT}",
        f"{_at(text, '1.66')}: evaluation.results[0].ci_high: ci_high 1.66 is outside [0, 1]: metric 'accuracy' is a "
        f"proportion {PROPORTION_HINT}",
    ]


def test_a_score_may_leave_0_1_and_a_count_may_not_be_negative(project: Path) -> None:
    data = _source(value=-3.5, ci_low=-4.0, ci_high=12.0)
    data["evaluation"]["metrics"][0]["kind"] = "score"
    _write(project, data)
    assert _valid(project).models[0].source.evaluation.results[0].value == -3.5
    data["evaluation"]["metrics"][0]["kind"] = "count"
    text = _write(project, data)
    assert _errors(project) == [
        f"{_at(text, '-3.5')}: evaluation.results[0].value: value -3.5 is negative: metric 'accuracy' is a count "
        "(hint: a count is 0 or more)",
        f"{_at(text, '-4.0')}: evaluation.results[0].ci_low: ci_low -4 is negative: metric 'accuracy' is a count "
        "(hint: a count is 0 or more)",
    ]


@pytest.mark.parametrize(
    ("result", "needle", "expected"),
    [
        ({"value": 0.3}, "0.3", "value: value (0.3) lies below ci_low (0.4)"),
        ({"value": 0.7}, "0.7", "value: value (0.7) lies above ci_high (0.6)"),
        ({"ci_low": 0.65}, "0.65", "ci_low: ci_low (0.65) is greater than ci_high (0.6)"),
    ],
)
def test_an_interval_holds_its_estimate_and_the_error_is_at_the_value(
    project: Path, result: dict[str, float], needle: str, expected: str
) -> None:
    text = _write(project, _source(**result))
    hint = (
        "(hint: swap the bounds: ci_low is the lower one)"
        if "greater" in expected
        else "(hint: an interval contains its estimate: check the value and its bounds)"
    )
    assert _errors(project) == [f"{_at(text, needle)}: evaluation.results[0].{expected} {hint}"]


def test_a_subgroup_cannot_hold_more_cases_than_the_whole(project: Path) -> None:
    data = _source()
    data["factors"]["relevant"] = [{"id": "sex", "name": "Sex", "levels": ["female", "male"]}]
    base = {"metric": "accuracy", "value": 0.5, "dataset": "train"}
    data["evaluation"]["results"] += [
        {**base, "n": 60, "slice": {"sex": "female"}},
        {**base, "n": 70, "slice": {"sex": "male"}},
    ]
    text = _write(project, data)
    assert _errors(project) == [
        f"{_at(text, '100')}: evaluation.results[0].n: the levels of 'sex' add up to n = 130, more than this "
        "overall n (100) for metric 'accuracy' (hint: each case belongs to one level of a factor: check the n of "
        "every level)"
    ]
    data["evaluation"]["results"][2]["n"] = 140
    text = _write(project, data)
    assert _errors(project) == [
        f"{_at(text, '140')}: evaluation.results[2].n: n 140 is more than the overall n (100, evaluation.results[0]) "
        "(hint: a subgroup's cases are part of the overall cases: check both n)"
    ]
    data["evaluation"]["results"][2]["n"] = 40
    _write(project, data)
    assert _valid(project).models


def test_a_threshold_on_a_proportion_is_a_fraction(project: Path) -> None:
    data = _source()
    data["acceptance"] = {"criteria": [{"id": "floor", "metric": "accuracy", "threshold": 90}]}
    text = _write(project, data)
    assert _errors(project) == [
        f"{_at(text, '90', after='floor')}: acceptance.criteria[0].threshold: threshold 90 is outside [0, 1]: "
        "metric 'accuracy' is a proportion (hint: write the threshold as a fraction (0.9, not 90))"
    ]


# --- datasets -----------------------------------------------------------------------------------------


def _shares(*shares: dict[str, Any], count: int = 1000) -> dict[str, Any]:
    data = minimal_source("m")
    data["datasets"][0]["composition"].update(count=count, subpopulations={"sex": list(shares)})
    return data


def test_a_fraction_lies_in_0_1(project: Path) -> None:
    text = _write(project, _shares({"level": "female", "fraction": 2.1}))
    assert _errors(project) == [
        f"{_at(text, '2.1')}: datasets[0].composition.subpopulations.sex[0].fraction: must lie between 0 and 1, "
        "found 2.1; write a share as a fraction (0.506, not 50.6)"
    ]


def test_the_shares_of_one_characteristic_partition_the_dataset(project: Path) -> None:
    text = _write(project, _shares({"level": "female", "fraction": 0.7}, {"level": "male", "fraction": 0.6}))
    assert _errors(project) == [
        f"{_at(text, '- level: female')}: datasets[0].composition.subpopulations.sex: the fractions of 'sex' add up "
        "to 1.3; the shares of one characteristic add up to at most 1 (hint: each fraction is a share of all "
        "instances (0.506, not 50.6))"
    ]
    _write(project, _shares({"level": "female", "fraction": 0.507}, {"level": "male", "fraction": 0.497}))
    assert _valid(project).models  # rounding: 1.004 is within the slack


def test_counts_of_a_share_stay_within_the_dataset(project: Path) -> None:
    text = _write(project, _shares({"level": "female", "count": 1200}))
    assert _errors(project) == [
        f"{_at(text, '1200')}: datasets[0].composition.subpopulations.sex[0].count: count 1,200 is more than the "
        "dataset's 1,000 instances (composition.count) (hint: a share's count is part of the dataset's count)"
    ]
    text = _write(project, _shares({"level": "female", "count": 600}, {"level": "male", "count": 500}))
    assert _errors(project) == [
        f"{_at(text, '- level: female')}: datasets[0].composition.subpopulations.sex: the counts of 'sex' add up to "
        "1,100, more than the dataset's 1,000 instances (hint: the levels of one characteristic do not overlap: "
        "check each count)"
    ]


def test_a_prevalence_is_a_fraction(project: Path) -> None:
    data = minimal_source("m")
    data["plain"] = {
        "summary": "It flags reviews.",
        "how_it_works": "It learned from reviews.",
        "output_meaning": "A flag means a negative review.",
        "when_not_to_use": ["For tweets."],
        "warnings": ["It misses sarcasm."],
        "per_1000": {"prevalence": 3, "population": "adults"},
    }
    text = _write(project, data)
    assert _errors(project) == [
        f"{_at(text, '3', after='prevalence')}: plain.per_1000.prevalence: must lie between 0 and 1, found 3; write "
        "a share as a fraction (0.506, not 50.6)"
    ]


# --- dates --------------------------------------------------------------------------------------------


def _dated(**collection: str) -> dict[str, Any]:
    data = minimal_source("m")
    data["model"]["release_date"] = "2025-03-31"
    data["lifecycle"]["versions"][0].update(version=data["model"]["version"], date="2025-03-31")
    data["datasets"][0]["collection"].update(collection)
    return data


def test_training_data_ends_before_the_release(project: Path) -> None:
    text = _write(project, _dated(start="2019-01-01", end="2025-06-30"))
    assert _errors(project) == [
        f"{_date_at(text, '2025-06-30')}: datasets[0].collection.end: training data ends 2025-06-30, after the model's "
        "release date (2025-03-31) (hint: a released model cannot be trained on later data: check collection.end "
        "and model.release_date)"
    ]
    text = _write(project, _dated(start="2024-01-01", end="2023-06-30"))
    assert _errors(project) == [
        f"{_date_at(text, '2023-06-30')}: datasets[0].collection.end: the data ends (2023-06-30) before it starts "
        "(2024-01-01) (hint: swap collection.start and end)"
    ]
    _write(project, _dated(start="2019-01-01", end="2023-06-30"))
    assert _valid(project).warnings == []


def test_a_sign_off_after_the_release_is_a_warning_not_an_error(project: Path) -> None:
    data = _dated()
    data["reviews"] = [
        {
            "section": "intended_use",
            "reviewer": "A. Reviewer",
            "role": "clinician",
            "date": "2025-04-02",
            "sha256": "0" * 64,
        }
    ]
    data["lifecycle"]["versions"][0]["date"] = "2025-03-30"
    text = _write(project, data)
    catalog = _valid(project)
    assert [m.id for m in catalog.models] == ["m"]
    assert [w.format() for w in catalog.warnings] == [
        f"{_date_at(text, '2025-03-30')}: lifecycle.versions[0].date: version {data['model']['version']} is dated "
        "2025-03-30 here, and released on 2025-03-31 in model.release_date (hint: give both the same date)",
        f"{_date_at(text, '2025-04-02')}: reviews[0].date: signed off on 2025-04-02, after the release date (2025-03-31) "
        "(hint: a sign-off approves a section before release; a review after release is fine, and this is a warning)",
    ]
    assert catalog.models[0].warnings == catalog.warnings


# --- one pass, every error ----------------------------------------------------------------------------


def test_one_run_reports_a_schema_error_and_every_reference_error(project: Path) -> None:
    data = minimal_source("m")
    data["factors"]["relevant"] = [{"id": "sex", "name": "Sex", "levels": ["female", "male"]}]
    data["evaluation"]["results"][0].update(metric="auroc", dataset="test", slice={"sex": "femal"}, confidence="high")
    text = _write(project, data)
    assert _errors(project) == [
        f"{_at(text, 'auroc')}: evaluation.results[0].metric: unknown metric 'auroc' (hint: did you mean 'accuracy'?)",
        f"{_at(text, 'test')}: evaluation.results[0].dataset: unknown dataset 'test' (hint: declared: train)",
        f"{_at(text, 'femal', after='slice')}: evaluation.results[0].slice.sex: 'femal' is not a level of factor 'sex' "
        "(hint: did you mean 'female'?)",
        f"{_at(text, 'confidence')}: evaluation.results[0].confidence: unknown key 'confidence' (hint: valid keys "
        "here: ci_high, ci_low, ci_method, dataset, flag, metric, n, operating_point, sd, slice, source, value)",
    ]


def test_values_are_checked_when_the_schema_refuses_another_part(project: Path) -> None:
    data = _source(value=1.64)
    data["model"]["ownr"] = data["model"].pop("owner")
    text = _write(project, data)
    errors = _errors(project)
    assert (
        f"{_at(text, '1.64')}: evaluation.results[0].value: value 1.64 is outside [0, 1]: metric 'accuracy' is a "
        f"proportion {PROPORTION_HINT}" in errors
    )
    assert any("unknown key 'ownr'" in e for e in errors)


def test_ids_whose_declarations_the_schema_refused_are_not_reported_unknown(project: Path) -> None:
    data = minimal_source("m")
    data["evaluation"]["metrics"][0]["idd"] = data["evaluation"]["metrics"][0].pop("id")
    text = _write(project, data)
    errors = _errors(project)
    assert [e.split(": ", 2)[1] for e in errors] == ["evaluation.metrics[0].idd"]  # no cascade of 'unknown metric'
    assert errors[0].startswith(_at(text, "idd"))


# --- resolved facts pass the same rules ---------------------------------------------------------------

FACT = "file://evidence/eval.json#/sensitivity"


def test_a_resolved_fact_outside_0_1_is_refused_where_the_reference_is_written(project: Path) -> None:
    data = _source(value=FACT, ci_low=None, ci_high=None)
    write_tree(project, {FILE: data, "content/m/evidence/eval.json": json.dumps({"sensitivity": 1.64})})
    with pytest.raises(EvidenceError) as caught:  # resolve refuses it, and writes no lock
        resolve_project(project)
    assert not (project / "content/m/facts.lock.json").exists()
    assert caught.value.format() == (
        f"{position(project, FACT)}: evaluation.results[0].value: after resolving facts: value 1.64 is outside "
        f"[0, 1]: metric 'accuracy' is a proportion (from {FACT}) {PROPORTION_HINT}"
    )
    (project / "content/m/evidence/eval.json").write_text(json.dumps({"sensitivity": 0.64}), encoding="utf-8")
    resolve_project(project)
    assert resolved_source(valid_model(project)).evaluation.results[0].value == 0.64
