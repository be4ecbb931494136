"""The example models in content/: valid, schema-conformant, internally consistent, and placed errors."""

from __future__ import annotations

import csv
import math
import operator
import shutil
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from compiler.load import load_project
from compiler.schema import Source, json_schema
from compiler.validate import validate_project

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
EXPECTED = ["chest-xray-triage", "item-recommender", "review-sentiment", "support-rag-assistant"]
CXR = CONTENT / "chest-xray-triage"


@pytest.fixture(scope="module")
def catalog() -> Any:
    return validate_project(load_project(CONTENT))


def _source(catalog: Any, model_id: str) -> Source:
    model = catalog.get(model_id)
    assert model is not None, f"{model_id} did not validate"
    return model.source  # type: ignore[no-any-return]


def test_every_example_validates(catalog: Any) -> None:
    assert [m.id for m in catalog.models] == EXPECTED
    for model in catalog.models:
        assert model.source.model.illustrative is True
        assert model.source.model.data_notice
        first = model.loaded.source_file.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../build/schema.json"


@pytest.mark.parametrize("model_id", EXPECTED)
def test_raw_data_conforms_to_the_json_schema(model_id: str) -> None:
    project = load_project(CONTENT, [model_id])
    assert not project.problems
    validator = Draft202012Validator(json_schema())
    errors = sorted(validator.iter_errors(project.models[0].data), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


@pytest.mark.parametrize("model_id", EXPECTED)
def test_confidence_intervals_contain_their_values(catalog: Any, model_id: str) -> None:
    for r in _source(catalog, model_id).evaluation.results:
        assert r.ci_low is not None and r.ci_high is not None and r.n is not None, r
        assert r.ci_low <= r.value <= r.ci_high, r  # type: ignore[operator]


@pytest.mark.parametrize("model_id", EXPECTED)
def test_subgroup_counts_add_up_to_the_overall_count(catalog: Any, model_id: str) -> None:
    source = _source(catalog, model_id)
    levels = {f.id: set(f.levels) for f in source.factors.relevant}
    overall: dict[tuple[Any, ...], int] = {}
    by_factor: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for r in source.evaluation.results:
        key = (r.metric, r.dataset, r.operating_point)
        if not r.slice:
            overall[key] = int(r.n)  # type: ignore[arg-type]
        elif len(r.slice) == 1:
            ((factor, level),) = r.slice.items()
            by_factor[(*key, factor)][level] = int(r.n)  # type: ignore[arg-type]
    checked = 0
    for (*key, factor), counts in by_factor.items():
        complete = set(counts) == levels[factor]
        if tuple(key) in overall and complete:
            assert sum(counts.values()) == overall[tuple(key)], (key, factor, counts)
            checked += 1
    assert checked >= 2


def test_chest_xray_reports_every_level_of_every_evaluation_factor(catalog: Any) -> None:
    source = _source(catalog, "chest-xray-triage")
    reported = {(f, level) for r in source.evaluation.results if len(r.slice) == 1 for f, level in r.slice.items()}
    relevant = {f.id: f for f in source.factors.relevant}
    missing = [
        (fid, lv) for fid in source.factors.evaluation for lv in relevant[fid].levels if (fid, lv) not in reported
    ]
    assert source.factors.evaluation == ["sex", "age_band", "manufacturer", "view", "site", "size"]
    assert missing == []
    intersections = [r for r in source.evaluation.results if len(r.slice) >= 2]
    assert len({tuple(sorted(r.slice.items())) for r in intersections}) == 2
    points = {r.operating_point for r in source.evaluation.results if not r.slice and r.dataset == "internal-test"}
    assert points == {None, "high-sensitivity", "high-specificity"}


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


@pytest.mark.parametrize("model_id", EXPECTED)
def test_results_meet_the_declared_acceptance_criteria(catalog: Any, model_id: str) -> None:
    source = _source(catalog, model_id)
    assert source.acceptance is not None
    for c in source.acceptance.criteria:
        matching = [
            r
            for r in source.evaluation.results
            if r.metric == c.metric
            and (c.operating_point is None or r.operating_point == c.operating_point)
            and (c.dataset is None or r.dataset == c.dataset)
        ]
        if c.statistic == "max_gap":
            groups: dict[Any, list[float]] = defaultdict(list)
            for r in matching:
                if list(r.slice) == [c.factor]:
                    groups[r.dataset].append(float(r.value))
            assert groups, c.id
            values = [max(v) - min(v) for v in groups.values()]
        else:
            values = [float(getattr(r, c.statistic)) for r in matching if r.slice == c.slice]
            assert values, c.id
        assert all(_OPS[c.op](v, float(c.threshold)) for v in values), (c.id, values)


@pytest.mark.parametrize("model_id", EXPECTED)
def test_acceptance_criteria_name_a_dataset_when_results_span_several(catalog: Any, model_id: str) -> None:
    source = _source(catalog, model_id)
    assert source.acceptance is not None
    ambiguous = []
    for c in source.acceptance.criteria:
        if c.dataset is not None:
            assert c.dataset in {d.id for d in source.datasets}, c.id
            continue
        datasets = {
            r.dataset
            for r in source.evaluation.results
            if r.metric == c.metric
            and (c.operating_point is None or r.operating_point == c.operating_point)
            and (list(r.slice) == [c.factor] if c.statistic == "max_gap" else r.slice == c.slice)
        }
        if len(datasets) > 1:
            ambiguous.append((c.id, sorted(str(d) for d in datasets)))
    assert ambiguous == []


@pytest.mark.parametrize("model_id", EXPECTED)
def test_intersectional_cells_fit_inside_their_subgroups(catalog: Any, model_id: str) -> None:
    source = _source(catalog, model_id)
    levels = {f.id: set(f.levels) for f in source.factors.relevant}
    single = {
        (r.metric, r.dataset, r.operating_point, *next(iter(r.slice.items()))): int(r.n)  # type: ignore[arg-type]
        for r in source.evaluation.results
        if len(r.slice) == 1
    }
    cells = [r for r in source.evaluation.results if len(r.slice) >= 2]
    assert len({tuple(sorted(r.slice.items())) for r in cells}) >= 2
    for r in cells:
        for factor, level in r.slice.items():
            assert level in levels[factor], (r.slice, factor)
            marginal = single.get((r.metric, r.dataset, r.operating_point, factor, level))
            # A cell holds part of each of its one-factor subgroups, never more.
            assert marginal is None or int(r.n) <= marginal, (r.metric, r.slice, marginal)  # type: ignore[arg-type]


@pytest.mark.parametrize("model_id", EXPECTED)
def test_datasheets_state_risks_and_licence(catalog: Any, model_id: str) -> None:
    for d in _source(catalog, model_id).datasets:
        assert d.uses is not None and d.uses.risks, d.id
        assert d.distribution.license, d.id


@pytest.mark.parametrize("model_id", EXPECTED)
def test_regulatory_essentials_are_written(catalog: Any, model_id: str) -> None:
    source = _source(catalog, model_id)
    assert source.model.standards and all(s.scope for s in source.model.standards)
    assert source.intended_use.instructions
    assert source.risk.hazards and len({h.id for h in source.risk.hazards}) == len(source.risk.hazards)
    assert source.risk.cybersecurity is not None and source.risk.cybersecurity.threats
    assert source.lifecycle.change_control is not None and source.lifecycle.post_market is not None
    points = [op for output in source.system.outputs for op in output.operating_points]
    assert points and all(op.rationale for op in points)
    assert sum(op.default for op in points) == 1


@pytest.mark.parametrize("model_id", EXPECTED)
def test_every_framework_is_fully_covered(catalog: Any, model_id: str) -> None:
    from compiler.coverage import assess, summarise
    from compiler.frameworks import framework_ids

    summaries = summarise(assess(_source(catalog, model_id), framework_ids()))
    assert [(s.framework, s.partial, s.missing) for s in summaries if s.partial or s.missing] == []


def test_made_up_registry_ids_are_marked_fictional(catalog: Any) -> None:
    trials = [e for m in catalog.models for e in m.source.evaluation.evidence if e.kind == "trial"]
    assert trials
    for e in trials:
        assert "fictional" in e.id.lower() and "fictional" in (e.title or "").lower(), e.id


def test_the_knowledge_base_is_a_retrieval_corpus(catalog: Any) -> None:
    source = _source(catalog, "support-rag-assistant")
    roles = {d.id: d.role for d in source.datasets}
    assert roles["knowledge-base"] == "corpus"
    assert "train" in roles.values()  # the fine-tuned guardrail classifier has training data of its own
    text = (CONTENT / "support-rag-assistant" / "datasets" / "knowledge-base.yaml").read_text(encoding="utf-8")
    assert not text.startswith("#")


# --- the chest X-ray results are computed from its seeded predictions ----------------------------


def _rows(name: str) -> list[dict[str, str]]:
    with (CXR / "evidence" / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _auroc(rows: list[dict[str, str]]) -> float:
    scores = sorted((float(r["score"]), int(r["label"])) for r in rows)
    ranks: list[float] = []
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and scores[j + 1][0] == scores[i][0]:
            j += 1
        ranks.extend([(i + j) / 2 + 1] * (j - i + 1))  # average rank for ties
        i = j + 1
    positives = sum(label for _, label in scores)
    negatives = len(scores) - positives
    rank_sum = sum(rank for rank, (_, label) in zip(ranks, scores, strict=True) if label)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _proportion(metric: str, rows: list[dict[str, str]], threshold: float) -> tuple[float, int]:
    flagged = [float(r["score"]) >= threshold for r in rows]
    labels = [r["label"] == "1" for r in rows]
    pairs = list(zip(flagged, labels, strict=True))
    chosen = {
        "sensitivity": [f for f, y in pairs if y],
        "specificity": [not f for f, y in pairs if not y],
        "ppv": [y for f, y in pairs if f],
        "npv": [not y for f, y in pairs if not f],
    }[metric]
    return sum(chosen) / len(chosen), len(chosen)


def test_chest_xray_results_match_the_predictions_file(catalog: Any) -> None:
    source = _source(catalog, "chest-xray-triage")
    rows = {
        "internal-test": _rows("internal-test-predictions.csv"),
        "external-test": _rows("external-test-predictions.csv"),
    }
    thresholds = {op.id: float(op.threshold) for out in source.system.outputs for op in out.operating_points}
    assert len(rows["internal-test"]) == 2400 and len(rows["external-test"]) == 1200
    for r in source.evaluation.results:
        subset = [row for row in rows[str(r.dataset)] if all(row[k] == v for k, v in r.slice.items())]
        if r.metric == "auroc":
            value, n = _auroc(subset), len(subset)
        else:
            value, n = _proportion(r.metric, subset, thresholds[str(r.operating_point)])
        assert (round(value, 3), n) == (r.value, r.n), r


def test_chest_xray_ppv_and_npv_follow_from_prevalence(catalog: Any) -> None:
    source = _source(catalog, "chest-xray-triage")
    for op in ("high-sensitivity", "high-specificity"):
        found = {
            r.metric: float(r.value)
            for r in source.evaluation.results
            if not r.slice and r.dataset == "internal-test" and r.operating_point == op
        }
        prevalence = 280 / 2400
        se, sp = found["sensitivity"], found["specificity"]
        ppv = se * prevalence / (se * prevalence + (1 - sp) * (1 - prevalence))
        npv = sp * (1 - prevalence) / (sp * (1 - prevalence) + (1 - se) * prevalence)
        assert math.isclose(ppv, found["ppv"], abs_tol=0.003) and math.isclose(npv, found["npv"], abs_tol=0.003)


@pytest.mark.parametrize("model_id", EXPECTED)
def test_hand_written_diagrams_render(catalog: Any, model_id: str) -> None:
    import mermaidx

    for diagram in _source(catalog, model_id).system.architecture.diagrams:
        assert "<svg" in mermaidx.render(diagram.mermaid).svg(), diagram.id


# --- a typo in a copy of an example is placed and explained ---------------------------------------


def test_typo_in_an_example_is_reported_with_line_and_suggestion(project: Path, cli: Any) -> None:
    target = project / "content" / "chest-xray-triage"
    shutil.copytree(CXR, target)
    text = (target / "model.yaml").read_text(encoding="utf-8")
    line = text.splitlines().index("intended_use:") + 1
    (target / "model.yaml").write_text(text.replace("\nintended_use:\n", "\nintended_usee:\n"), encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 2
    expected = (
        f"content/chest-xray-triage/model.yaml:{line}:1: intended_usee: unknown key 'intended_usee' "
        "(hint: did you mean 'intended_use'?)"
    )
    assert expected in result.stderr
