"""`docs-compile check`: completeness, framework coverage, acceptance, subgroups, sign-offs, readability,
configuration, and the text, JSON and SARIF reports."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from helpers.project import EXAMPLES, OWN_AUDIENCES_ONLY, minimal_source, write_tree

Cli = Callable[..., Result]


def complete_source(model_id: str = "demo") -> dict[str, Any]:
    """The scaffold with every TODO written out, and two evaluated factors with results."""

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        if isinstance(node, str) and node.startswith("TODO"):
            return "Written " + node[4:].strip(" .") + "."
        return node

    data: dict[str, Any] = fill(minimal_source(model_id))
    data["factors"] = {
        "relevant": [{"id": "sex", "name": "Sex", "kind": "demographic", "levels": ["female", "male"]}],
        "evaluation": ["sex"],
    }
    data["evaluation"]["results"] += [
        {"metric": "accuracy", "value": 0.52, "ci_low": 0.41, "ci_high": 0.61, "n": 50, "slice": {"sex": "female"}},
        {"metric": "accuracy", "value": 0.48, "ci_low": 0.38, "ci_high": 0.59, "n": 50, "slice": {"sex": "male"}},
    ]
    return data


AUDIENCE: dict[str, Any] = {
    "title": "Technical model card",
    "description": "For engineers.",
    "sections": ["overview"],
    "requires": ["model.version", "model.funding", "intended_use.purpose", "datasets[].composition.count"],
}


def make_project(root: Path, source: dict[str, Any], audience: dict[str, Any] | None = None, **files: Any) -> Path:
    tree: dict[str, Any] = {
        f"content/{source['model']['id']}/model.yaml": source,
        "audiences/technical/audience.yaml": audience or AUDIENCE,
        **OWN_AUDIENCES_ONLY,
    }
    tree.update(files)
    return write_tree(root, tree)


def funded(source: dict[str, Any]) -> dict[str, Any]:
    source["model"]["funding"] = "Internal research budget."
    return source


def test_a_complete_source_passes(project: Path, cli: Cli) -> None:
    make_project(project, funded(complete_source()))
    result = cli("check")
    assert result.exit_code == 0, result.output
    assert "demo 0.1.0: passed (0 errors, 0 warnings)" in result.output
    assert result.output.rstrip().endswith("check passed: 1 model(s), 0 errors, 0 warnings")


def test_a_missing_required_field_fails_with_its_place(project: Path, cli: Cli) -> None:
    make_project(project, complete_source())
    result = cli("check")
    assert result.exit_code == 1
    assert (
        "    error   [completeness] content/demo/model.yaml:2:3: model.funding: "
        "required by the technical audience (Technical model card) but is missing"
    ) in result.output
    assert "error: check failed: 1 error(s) in 1 model(s)" in result.stderr


def test_tbd_counts_as_missing(project: Path, cli: Cli) -> None:
    source = complete_source()
    source["model"]["funding"] = "TBD"
    source["intended_use"]["purpose"] = "[More Information Needed]"
    make_project(project, source)
    result = cli("check")
    assert result.exit_code == 1
    assert 'model.funding: required by the technical audience (Technical model card) but is a placeholder ("TBD")' in (
        result.output
    )
    assert (
        'intended_use.purpose: required by the technical audience (Technical model card) but is a placeholder ("[More Information Needed]")'
        in result.output
    )
    # The placeholder's own line is named.
    assert re.search(r"content/demo/model\.yaml:\d+:\d+: model\.funding", result.output)


def test_a_missing_framework_item_is_named(project: Path, cli: Cli) -> None:
    source = funded(complete_source())
    make_project(project, source, {**AUDIENCE, "frameworks": ["mitchell"]})
    result = cli("check", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    findings = report["models"][0]["findings"]
    missing = [f for f in findings if f["rule"] == "framework-missing"]
    messages = [f["message"] for f in missing]
    assert (
        "mitchell MC-8 (§8 Ethical considerations): not documented: Sensitive data, human life, mitigations, "
        "risks and harms, fraught use cases. [reported to: technical]"
    ) in messages
    assert all(f["severity"] == "error" and f["group"] == "frameworks" for f in missing)
    (summary,) = report["models"][0]["coverage"]
    assert summary["framework"] == "mitchell"
    assert summary["covered"] + summary["partial"] + summary["missing"] == 20


def test_acceptance_thresholds(project: Path, cli: Cli) -> None:
    source = funded(complete_source())
    source["datasets"].append({**source["datasets"][0], "id": "tune", "role": "tune"})
    source["acceptance"] = {
        "criteria": [
            {"id": "acc-ci", "metric": "accuracy", "statistic": "ci_low", "op": ">=", "threshold": 0.45},
            {"id": "acc", "metric": "accuracy", "statistic": "value", "op": ">=", "threshold": 0.45},
            {"id": "acc-tune", "metric": "accuracy", "threshold": 0.45, "dataset": "tune"},
            {
                "id": "sex-gap",
                "metric": "accuracy",
                "statistic": "max_gap",
                "op": "<=",
                "threshold": 0.03,
                "factor": "sex",
            },
        ]
    }
    make_project(project, source)
    result = cli("check", "--json")
    assert result.exit_code == 1
    model = json.loads(result.output)["models"][0]
    assert [(c["id"], c["status"]) for c in model["acceptance"]] == [
        ("acc-ci", "fail"),
        ("acc", "pass"),
        ("acc-tune", "cannot-check"),
        ("sex-gap", "fail"),
    ]
    messages = sorted(f["message"] for f in model["findings"] if f["rule"] == "acceptance")
    assert messages == [
        "criterion 'acc-ci' (accuracy ci_low >= 0.45): fails on dataset train overall: ci_low is 0.4",
        "criterion 'acc-tune' (accuracy value >= 0.45): cannot check: no result for accuracy overall",
        "criterion 'sex-gap' (accuracy max_gap of sex <= 0.03): fails on gap 0.04 between sex=female (0.52) and sex=male (0.48)",
    ]


def test_an_unresolved_fact_reference_cannot_be_checked(project: Path, cli: Cli) -> None:
    source = funded(complete_source())
    source["evaluation"]["results"][0]["value"] = "mlflow://0123abcd/metrics/accuracy"
    del source["evaluation"]["results"][0]["ci_low"], source["evaluation"]["results"][0]["ci_high"]
    source["acceptance"] = {"criteria": [{"id": "acc", "metric": "accuracy", "threshold": 0.45}]}
    make_project(project, source)
    result = cli("check", "--json")
    assert result.exit_code == 1
    model = json.loads(result.output)["models"][0]
    assert model["acceptance"][0]["status"] == "cannot-check"
    (finding,) = [f for f in model["findings"] if f["rule"] == "acceptance"]
    assert finding["message"] == (
        "criterion 'acc' (accuracy value >= 0.45): cannot check: dataset train overall value is an unresolved "
        "fact reference (mlflow://0123abcd/metrics/accuracy)"
    )
    assert finding["hint"] == "run `docs-compile resolve` first"


def test_subgroup_cells_without_results_are_listed(project: Path, cli: Cli) -> None:
    source = funded(complete_source())
    source["factors"]["relevant"].append(
        {
            "id": "age_band",
            "name": "Age band",
            "levels": ["18-64", "65+", "under-18"],
            "justification": {"under-18": "Not in the intended population."},
        }
    )
    source["factors"]["evaluation"].append("age_band")
    source["evaluation"]["results"].append({"metric": "accuracy", "value": 0.5, "slice": {"age_band": "18-64"}})
    source["evaluation"]["results"] = [r for r in source["evaluation"]["results"] if r.get("slice") != {"sex": "male"}]
    make_project(project, source)
    result = cli("check", "--json")
    assert result.exit_code == 1
    findings = json.loads(result.output)["models"][0]["findings"]
    cells = sorted((f["message"], f["field"]) for f in findings if f["rule"] == "subgroup-coverage")
    assert cells == [
        ("no results for age_band=65+: accuracy", "factors.relevant[1].levels[1]"),
        ("no results for sex=male: accuracy", "factors.relevant[0].levels[1]"),
    ]


def test_readability_warns_and_severity_is_configurable(project: Path, cli: Cli) -> None:
    source = funded(complete_source())
    source["plain"] = {
        "summary": "The tool reads the scan. It marks scans that may need a fast look.",
        "how_it_works": (
            "The retrospective multicentre evaluation demonstrated statistically significant improvements in "
            "diagnostic sensitivity across heterogeneous institutional populations."
        ),
        "output_meaning": "A flag means a doctor should look soon.",
        "when_not_to_use": ["Do not use it on children."],
        "warnings": ["A doctor still reads every scan."],
    }
    audience = {**AUDIENCE, "readability": {"max_grade": 8, "fields": ["plain"]}}
    make_project(project, source, audience)
    result = cli("check", "--json")
    assert result.exit_code == 0
    (finding,) = json.loads(result.output)["models"][0]["findings"]
    assert finding["rule"] == "readability" and finding["severity"] == "warning"
    assert finding["field"] == "plain.how_it_works"
    assert finding["message"].startswith("Flesch-Kincaid grade ")
    assert 'hardest: "The retrospective multicentre evaluation' in finding["message"]
    write_tree(project, {"docs-compile.yaml": "packaged_audiences: false\nrules:\n  readability: error\n"})
    assert cli("check").exit_code == 1
    write_tree(project, {"docs-compile.yaml": "packaged_audiences: false\nrules:\n  readability: off\n"})
    assert json.loads(cli("check", "--json").output)["models"][0]["findings"] == []


def test_a_bad_configuration_is_an_input_error(project: Path, cli: Cli) -> None:
    make_project(
        project, funded(complete_source()), **{"docs-compile.yaml": "rules:\n  acceptance: fatal\nrelesed: v1\n"}
    )
    result = cli("check")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: docs-compile.yaml:2:15: rules.acceptance: expected one of error, warning, off, found 'fatal'",
        "error: docs-compile.yaml:3:1: relesed: unknown key 'relesed' (hint: did you mean 'released'?)",
        "2 errors",
    ]


def test_an_invalid_source_is_an_input_error(project: Path, cli: Cli) -> None:
    source = complete_source()
    source["model"]["risk_class"] = "extreme"
    make_project(project, source)
    assert cli("check").exit_code == 2


def test_an_unknown_framework_in_an_audience_is_named(project: Path, cli: Cli) -> None:
    make_project(project, funded(complete_source()), {**AUDIENCE, "frameworks": ["mitchel"]})
    result = cli("check")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: audiences/technical/audience.yaml: frameworks: audience 'technical' lists unknown framework "
        "'mitchel' (hint: did you mean 'mitchell'?)"
    )


def test_sarif_report(project: Path, cli: Cli) -> None:
    make_project(project, complete_source())
    result = cli("check", "--sarif", "out/check.sarif", "--quiet")
    assert result.exit_code == 1
    log = json.loads((project / "out/check.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "completeness" in rules and "signoff-stale" in rules
    (res,) = run["results"]
    assert res["ruleId"] == "completeness" and res["level"] == "error"
    assert rules[res["ruleIndex"]] == "completeness"
    location = res["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "content/demo/model.yaml"},
        "region": {"startLine": 2, "startColumn": 3},
    }
    # Deterministic: a second run writes the same bytes.
    first = (project / "out/check.sarif").read_bytes()
    cli("check", "--sarif", "out/check.sarif", "--quiet")
    assert (project / "out/check.sarif").read_bytes() == first


@pytest.mark.skipif("chest-xray-triage" not in EXAMPLES, reason="example not present")
def test_the_complete_example_passes_once_signed(copy_examples: Callable[..., Path], cli: Cli) -> None:
    project = copy_examples("chest-xray-triage")
    audiences = {
        a: yaml.safe_load((project / "audiences" / a / "audience.yaml").read_text(encoding="utf-8"))
        for a in ("technical", "regulatory", "clinician", "leadership")
        if (project / "audiences" / a / "audience.yaml").is_file()
    }
    for audience in audiences.values():
        for need in audience.get("signoffs", []):
            for section in need["sections"]:
                signed = cli(
                    "sign",
                    "chest-xray-triage",
                    "--section",
                    section,
                    "--reviewer",
                    "A. Reviewer",
                    "--role",
                    need["role"],
                    "--date",
                    "2025-04-01",
                )
                assert signed.exit_code == 0, signed.output
    result = cli("check", "chest-xray-triage")
    assert result.exit_code == 0, result.output + result.stderr
    # Removing a documented field fails with the framework item named.
    model_yaml = project / "content/chest-xray-triage/model.yaml"
    text = model_yaml.read_text(encoding="utf-8")
    without = re.sub(r"(?m)^  human_ai: .*(\n    .*)*\n", "", text, count=1)
    assert without != text
    model_yaml.write_text(without, encoding="utf-8")
    result = cli("check", "chest-xray-triage")
    assert result.exit_code == 1
    assert (
        "fda-ai-dsf-2025 X.4 (Section X): not documented: Standalone performance versus the human-AI team."
        in result.output
    )
