"""Resolve stage: rows with an empty group value are an explicit level "(missing)", never dropped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from helpers.evidence import resolve_project
from helpers.project import minimal_source, write_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.resolve.readers.predictions import MISSING, with_missing


def _source() -> dict[str, Any]:
    data = minimal_source("m")
    data["factors"] = {
        "relevant": [
            {"id": "sex", "name": "Sex", "levels": ["female", "male"]},
            {"id": "site", "name": "Site", "levels": ["a", "b"]},
        ],
        "evaluation": ["sex", "site"],
    }
    data["datasets"][0]["id"] = "test"
    data["evaluation"]["results"] = []
    data["evaluation"]["metrics"] = [{"id": m, "name": m, "rationale": "why"} for m in ("auroc", "sensitivity")]
    data["evaluation"]["computed"] = [
        {
            "source": "preds",
            "dataset": "test",
            "metrics": ["auroc", "sensitivity"],
            "groups": ["sex", "site"],
            "intersections": [["sex", "site"]],
        }
    ]
    data["evidence"] = {
        "sources": [
            {
                "id": "preds",
                "kind": "predictions",
                "path": "evidence/preds.csv",
                "label": "label",
                "score": "score",
                "groups": ["sex", "site"],
                "resamples": 100,
                "synthetic": True,
            }
        ]
    }
    return data


def _csv(sex: list[str], site: list[str], seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    y = np.arange(len(sex)) % 3 == 0
    score = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1).round(3)
    rows = [f"{int(a)},{b},{c},{d}" for a, b, c, d in zip(y, score, sex, site, strict=True)]
    return "label,score,sex,site\n" + "\n".join(rows) + "\n"


def _computed(project: Path, sex: list[str], site: list[str]) -> dict[str, Any]:
    write_tree(project, {"content/m/model.yaml": _source(), "content/m/evidence/preds.csv": _csv(sex, site)})
    resolve_project(project)
    entry: dict[str, Any] = json.loads((project / "content/m/facts.lock.json").read_text())["computed"][0]
    return entry


def _auroc_n(entry: dict[str, Any], factors: list[str]) -> dict[tuple[str, ...], int]:
    return {
        tuple(r["slice"][f] for f in factors): r["n"]
        for r in entry["results"]
        if r["metric"] == "auroc" and sorted(r["slice"]) == factors
    } | {
        tuple(o["slice"][f] for f in factors): o["n"]
        for o in entry["omitted"]
        if o.get("metric", "auroc") == "auroc" and sorted(o["slice"]) == factors
    }


def test_blank_group_values_become_a_missing_level_and_levels_sum_to_n(project: Path) -> None:
    # 100 of 300 rows have no sex (blank, or only spaces); the case: levels summed to 200 of 300.
    sex = ["female", "male", ""] * 99 + ["  ", "female", "male"]
    site = ["a", "b"] * 150
    entry = _computed(project, sex, site)
    overall = next(r for r in entry["results"] if r["metric"] == "auroc" and r["slice"] == {})
    by_sex = _auroc_n(entry, ["sex"])
    assert by_sex == {("female",): 100, ("male",): 100, (MISSING,): 100}
    assert sum(by_sex.values()) == overall["n"] == 300
    assert sum(_auroc_n(entry, ["sex", "site"]).values()) == 300
    assert entry["missing"] == {"sex": 100}
    missing = [r for r in entry["results"] if r["slice"] == {"sex": MISSING}]
    assert {r["metric"] for r in missing} == {"auroc", "sensitivity"}
    assert entry["threshold_rule"] == "a case is positive when its score >= the operating point's threshold"


def test_no_missing_level_when_every_row_has_a_value(project: Path) -> None:
    entry = _computed(project, ["female", "male"] * 60, ["a", "a", "b"] * 40)
    assert "missing" not in entry
    assert all(MISSING not in r["slice"].values() for r in entry["results"] + entry["omitted"])


def test_a_declared_missing_level_is_not_added_twice() -> None:
    assert with_missing(["a", MISSING], ["a", MISSING]) == ["a", MISSING]
    assert with_missing(["a", "b"], ["a", MISSING]) == ["a", "b", MISSING]
    assert with_missing(["a", "b"], ["a", "b"]) == ["a", "b"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["female", "male", "", " "]), min_size=40, max_size=80))
def test_levels_of_a_factor_always_sum_to_the_overall_n(project: Path, sex: list[str]) -> None:
    entry = _computed(project, sex, ["a", "b"] * (len(sex) // 2) + ["a"] * (len(sex) % 2))
    assert sum(_auroc_n(entry, ["sex"]).values()) == len(sex)
    assert sum(_auroc_n(entry, ["sex", "site"]).values()) == len(sex)
