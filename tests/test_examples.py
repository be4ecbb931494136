"""The example models in content/: valid, schema-conformant, internally consistent, and placed errors."""

from __future__ import annotations

import math
import operator
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from compiler.load.reader import load_project
from compiler.render.svg import sanitize_svg
from compiler.resolve.apply import resolved_source
from compiler.schema import Result, Source, json_schema
from compiler.validate.project import validate_project

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
EXPECTED = ["chest-xray-triage", "item-recommender", "review-sentiment", "support-rag-assistant"]
CXR = CONTENT / "chest-xray-triage"


@pytest.fixture(scope="module")
def catalog() -> Any:
    return validate_project(load_project(CONTENT))


def _source(catalog: Any, model_id: str) -> Source:
    """The model's source as the documents see it: fact references and computed results from the lock."""
    model = catalog.get(model_id)
    assert model is not None, f"{model_id} did not validate"
    return resolved_source(model)


def test_every_example_validates(catalog: Any) -> None:
    assert [m.id for m in catalog.models] == EXPECTED
    for model in catalog.models:
        assert model.source.model.illustrative is True
        assert model.source.model.data_notice
        first = model.loaded.source_file.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/model.schema.json"


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
        elif len(r.slice) == 1 and "size" not in r.slice:  # a pneumothorax size exists only for positives
            ((factor, level),) = r.slice.items()
            by_factor[(*key, factor)][level] = int(r.n)  # type: ignore[arg-type]
    checked = 0
    for (*head, factor), counts in by_factor.items():
        complete = set(counts) == levels[factor]
        if tuple(head) in overall and complete:
            assert sum(counts.values()) == overall[tuple(head)], (head, factor, counts)
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
    for dataset in ("internal-test", "external-test"):
        rows = [r for r in source.evaluation.results if r.dataset == dataset]
        cells = {tuple(sorted(r.slice.items())) for r in rows if len(r.slice) >= 2}
        assert len(cells) == 6, dataset  # every sex x age-band cell
        overall = {(r.metric, r.operating_point) for r in rows if not r.slice}
        per_point = {(m, op) for m in ("sensitivity", "specificity", "ppv", "npv") for op in POINTS}
        assert overall == {("auroc", None)} | per_point, dataset
        for factor in ("sex", "age_band", "view"):
            metrics = {r.metric for r in rows if list(r.slice) == [factor]}
            assert metrics == {"auroc", "sensitivity", "specificity", "ppv", "npv"}, (dataset, factor)


POINTS = ("high-sensitivity", "high-specificity")

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
    from compiler.check.coverage import assess, summarise
    from compiler.config.frameworks import framework_ids

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
    schema_line, _, rest = text.partition("\n")
    assert schema_line.startswith("# yaml-language-server: $schema=") and not rest.startswith("#")


# --- the chest X-ray results are computed from its seeded predictions ----------------------------


def _frame(dataset: str) -> Any:
    import pandas as pd

    path = CXR / "evidence" / f"{dataset}-predictions.csv"
    return pd.read_csv(path, dtype={"label": int, "score": float}, keep_default_na=False, comment="#")


def _one(source: Source, metric: str, dataset: str, slice_: dict[str, str], op: str | None = None) -> Result:
    found = [
        r
        for r in source.evaluation.results
        if (r.metric, r.dataset, r.slice, r.operating_point) == (metric, dataset, slice_, op)
    ]
    assert len(found) == 1, (metric, dataset, slice_, op, len(found))
    return found[0]


# A few cells of every kind: overall, one factor, an intersection, a level seen only externally,
# both operating points, a small cell.
CELLS = [
    ("internal-test", {}, "high-sensitivity"),
    ("internal-test", {}, "high-specificity"),
    ("internal-test", {"sex": "female"}, "high-sensitivity"),
    ("internal-test", {"sex": "female", "age_band": "65+"}, "high-sensitivity"),
    ("internal-test", {"view": "AP"}, "high-sensitivity"),
    ("external-test", {}, "high-specificity"),
    ("external-test", {"manufacturer": "Fujifilm"}, "high-sensitivity"),
    ("external-test", {"sex": "male", "age_band": "18-39"}, "high-sensitivity"),
]


@pytest.mark.parametrize(("dataset", "slice_", "op"), CELLS)
def test_chest_xray_computed_results_match_scikit_learn(
    catalog: Any, dataset: str, slice_: dict[str, str], op: str
) -> None:
    from scipy.stats import binomtest
    from sklearn.metrics import confusion_matrix, precision_score, recall_score, roc_auc_score

    source = _source(catalog, "chest-xray-triage")
    thresholds = {p.id: float(p.threshold) for out in source.system.outputs for p in out.operating_points}
    frame = _frame(dataset)
    for factor, level in slice_.items():
        frame = frame[frame[factor] == level]
    y, flagged = frame["label"].to_numpy(), (frame["score"] >= thresholds[op]).to_numpy().astype(int)
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, flagged, labels=[0, 1]).ravel())
    expected = {
        "sensitivity": (recall_score(y, flagged), tp, tp + fn, "positives"),
        "specificity": (recall_score(y, flagged, pos_label=0), tn, tn + fp, "negatives"),
        "ppv": (precision_score(y, flagged), tp, tp + fp, "predicted positives"),
        "npv": (precision_score(y, flagged, pos_label=0), tn, tn + fn, "predicted negatives"),
    }
    for metric, (value, successes, total, denominator) in expected.items():
        found = _one(source, metric, dataset, slice_, op)
        wilson = binomtest(successes, total).proportion_ci(method="wilson")
        assert found.n == total, metric  # n is the denominator of the proportion
        assert math.isclose(float(found.value), value, abs_tol=1e-6), metric
        assert math.isclose(float(found.ci_low), wilson.low, abs_tol=1e-6), metric  # type: ignore[arg-type]
        assert math.isclose(float(found.ci_high), wilson.high, abs_tol=1e-6), metric  # type: ignore[arg-type]
        assert found.ci_method == f"Wilson score interval, 95%, on {total} {denominator}", metric
        assert (found.flag is not None) == (total < 30), (metric, total, found.flag)
    if op == "high-sensitivity":  # AUROC is threshold-free and reported once per cell
        auroc = _one(source, "auroc", dataset, slice_)
        assert math.isclose(float(auroc.value), roc_auc_score(y, frame["score"]), abs_tol=1e-6)
        positives, negatives = tp + fn, tn + fp
        assert auroc.ci_method == (
            f"score interval with Hanley-McNeil variance (Newcombe), 95%, on {positives} positives and {negatives} negatives"
        )


@pytest.mark.parametrize(
    ("dataset", "slice_"), [("internal-test", {}), ("internal-test", {"sex": "female", "age_band": "65+"})]
)
def test_chest_xray_auroc_interval_agrees_with_an_independent_score_interval(
    catalog: Any, dataset: str, slice_: dict[str, str]
) -> None:
    """Newcombe's score interval for an AUROC, written out from Hanley & McNeil's variance with Q1 = A/(2 - A) and
    Q2 = 2A^2/(1 + A), both class sizes replaced by N* = (m + n)/2, and solved with scipy's root finder."""
    from scipy.optimize import brentq
    from scipy.stats import norm
    from sklearn.metrics import roc_auc_score

    frame = _frame(dataset)
    for factor, level in slice_.items():
        frame = frame[frame[factor] == level]
    y, s = frame["label"].to_numpy().astype(bool), frame["score"].to_numpy()
    m, n = int(y.sum()), int((~y).sum())
    star, z, value = (m + n) / 2, norm.ppf(0.975), roc_auc_score(y, s)

    def gap(theta: float) -> float:
        q1, q2 = theta / (2 - theta), 2 * theta**2 / (1 + theta)
        variance = (theta * (1 - theta) + (star - 1) * (q1 - theta**2) + (star - 1) * (q2 - theta**2)) / (m * n)
        return float((value - theta) ** 2 - z**2 * variance)

    low, high = brentq(gap, 1e-9, value), brentq(gap, value, 1 - 1e-12)
    found = _one(_source(catalog, "chest-xray-triage"), "auroc", dataset, slice_)
    assert math.isclose(float(found.ci_low), low, abs_tol=2e-6), (found.ci_low, low)  # type: ignore[arg-type]
    assert math.isclose(float(found.ci_high), high, abs_tol=2e-6), (found.ci_high, high)  # type: ignore[arg-type]


def test_chest_xray_results_are_never_typed_by_hand() -> None:
    """Every number of every hand-listed result is a fact reference into the predictions."""
    import yaml

    entries = yaml.safe_load((CXR / "evaluation" / "results.yaml").read_text(encoding="utf-8"))
    assert entries, "results.yaml lists the size results"
    for entry in entries:
        for key in ("value", "ci_low", "ci_high", "n"):
            assert str(entry[key]).startswith("computed://"), (entry["slice"], key)
    model = yaml.safe_load((CXR / "model.yaml").read_text(encoding="utf-8"))
    sources = {s["id"]: s for s in model["evidence"]["sources"]}
    assert {c["source"] for c in model["evaluation"]["computed"]} == set(sources)
    assert all(s["kind"] == "predictions" and s["synthetic"] is True for s in sources.values())


def test_chest_xray_lock_is_current(copy_examples: Callable[..., Path], cli: Callable[..., Any]) -> None:
    copy_examples("chest-xray-triage", audiences=False)
    result = cli("resolve", "--check", "--model", "chest-xray-triage")
    assert result.exit_code == 0, result.output + result.stderr
    assert "facts.lock.json current" in result.output


def test_chest_xray_predictions_are_rewritten_byte_for_byte(tmp_path: Path) -> None:
    """The seeded generator the documents cite reproduces the committed predictions files exactly."""
    script = tmp_path / "generate_predictions.py"
    shutil.copy(CXR / "evidence" / "generate_predictions.py", script)
    subprocess.run([sys.executable, str(script)], check=True, cwd=tmp_path)
    for name in ("internal-test-predictions.csv", "external-test-predictions.csv"):
        written = (tmp_path / name).read_bytes()
        assert written.startswith(b"# SYNTHETIC demonstration data"), name
        assert written == (CXR / "evidence" / name).read_bytes(), name


def test_chest_xray_views_label_the_numbers_synthetic(catalog: Any) -> None:
    """The appendix of the technical and regulatory views and the clinician footnote say the predictions are synthetic."""
    from compiler.build import render_input
    from compiler.config.audiences import load_audiences
    from compiler.render.engine import render_document

    model = render_input(catalog.get("chest-xray-triage"))
    every = load_audiences(REPO / "audiences")
    docs = {a.name: render_document(model, a, every).markdown for a in every}
    files = "<code>evidence/internal-test-predictions.csv</code>, <code>evidence/external-test-predictions.csv</code>"
    for name in ("technical", "regulatory"):
        appendix = docs[name].split("## Evidence appendix", 1)[1]
        assert f"**Synthetic demonstration data.** {files} are synthetic" in appendix, name
        assert appendix.count("(synthetic), sha256 <code>") == 4, name  # one row per evaluation.computed entry
    assert f"computed from **synthetic demonstration data** ({files}), not from real patients" in docs["clinician"]
    for name, markdown in docs.items():
        assert "computed from synthetic predictions written by a seeded generator" in markdown, name  # data_notice


# Numbers quoted in prose (limitations, fairness findings, hazards) must be the computed ones.
QUOTED = [
    ("risk.limitations", "(0.862)", "sensitivity", {"size": "small"}),
    ("risk.limitations", "(0.875)", "sensitivity", {"view": "AP"}),
    ("risk.limitations", "(0.992)", "sensitivity", {"size": "large"}),
    ("risk.limitations", "(0.946)", "sensitivity", {"view": "PA"}),
    ("evaluation.fairness", "female 0.929", "sensitivity", {"sex": "female"}),
    ("evaluation.fairness", "male 0.912", "sensitivity", {"sex": "male"}),
    ("evaluation.fairness", "65+ (0.796)", "specificity", {"age_band": "65+"}),
    ("risk.hazards", "(0.918 on internal-test)", "sensitivity", {}),
    ("risk.hazards", "(0.421 at test prevalence", "ppv", {}),
]


@pytest.mark.parametrize(("where", "quoted", "metric", "slice_"), QUOTED)
def test_chest_xray_prose_quotes_the_computed_numbers(
    catalog: Any, where: str, quoted: str, metric: str, slice_: dict[str, str]
) -> None:
    import re

    source = _source(catalog, "chest-xray-triage")
    section: Any = source
    for part in where.split("."):
        section = getattr(section, part)
    text = section.model_dump_json() if hasattr(section, "model_dump_json") else str(section)
    assert quoted in text, where
    found = _one(source, metric, "internal-test", slice_, "high-sensitivity")
    (number,) = re.findall(r"\d\.\d{3}", quoted)
    assert f"{float(found.value):.3f}" == number, (metric, slice_)


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
        if diagram.file is not None:  # an exported drawing: rebuilt from the allow-list with its labels kept
            image = sanitize_svg((CONTENT / model_id / diagram.file).read_bytes(), max_bytes=1 << 20)
            assert b"<text" in image.data, diagram.id
        else:
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
