"""Semantic diff: exactly the changed paths, metric CI overlap, significant changes, git-revision sides, and
the review policy that check applies against the last released version."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from helpers.evidence import position
from helpers.git import git
from helpers.project import EXAMPLES, OWN_AUDIENCES_ONLY, minimal_source, write_tree

from compiler.check.diff import diff_specs

Cli = Callable[..., Result]


def source() -> dict[str, Any]:
    data = minimal_source()
    data["model"]["funding"] = "Internal."
    data["intended_use"]["contraindications"] = ["Do not use on minors."]
    data["evaluation"]["metrics"].append({"id": "f1", "name": "F1", "rationale": "Balances precision and recall."})
    data["evaluation"]["results"].append(
        {"metric": "f1", "value": 0.7, "ci_low": 0.6, "ci_high": 0.8, "dataset": "train"}
    )
    return data


def test_only_the_changed_paths_are_reported(project: Path) -> None:
    old, new = source(), source()
    new["model"]["version"] = "0.2.0"
    new["intended_use"]["contraindications"].append("Do not use on scanned documents.")
    new["evaluation"]["results"][0].update(value=0.55, ci_low=0.45, ci_high=0.65)  # accuracy: CIs overlap
    new["evaluation"]["results"][1].update(value=0.9, ci_low=0.85, ci_high=0.95)  # f1: they do not
    new["evaluation"]["results"].reverse()  # order is not a change
    new["lifecycle"]["versions"].append({"version": "0.2.0", "date": "2025-03-01", "changes": "Retrained."})
    del new["model"]["funding"]
    write_tree(project, {"old/demo/model.yaml": old, "new/demo/model.yaml": new})
    report = diff_specs("old/demo", "new/demo")
    assert [(c.path, c.kind) for c in report.changes] == [
        ("evaluation.results[metric=accuracy,dataset=train].ci_high", "changed"),
        ("evaluation.results[metric=accuracy,dataset=train].ci_low", "changed"),
        ("evaluation.results[metric=accuracy,dataset=train].value", "changed"),
        ("evaluation.results[metric=f1,dataset=train].ci_high", "changed"),
        ("evaluation.results[metric=f1,dataset=train].ci_low", "changed"),
        ("evaluation.results[metric=f1,dataset=train].value", "changed"),
        ("intended_use.contraindications", "changed"),
        ("lifecycle.versions[version=0.2.0]", "added"),
        ("model.funding", "removed"),
        ("model.version", "changed"),
    ]
    assert [c.path for c in report.significant] == ["intended_use.contraindications"]
    assert not report.major_version_change
    overlap = {m.metric: (m.overlap, m.outside_old_ci, m.delta) for m in report.metrics}
    assert overlap == {"accuracy": (True, False, 0.05), "f1": (False, True, 0.2)}


def test_formatting_and_comments_are_not_changes(project: Path) -> None:
    text = yaml.safe_dump(source(), sort_keys=False)
    reordered = yaml.safe_dump(dict(reversed(list(source().items()))), sort_keys=True, default_flow_style=True)
    write_tree(project, {"a/demo/model.yaml": text, "b/demo/model.yaml": "# a comment\n" + reordered})
    assert diff_specs("a/demo", "b/demo").changes == []


def test_major_version_is_significant_and_outputs(project: Path, cli: Cli) -> None:
    old, new = source(), source()
    new["model"]["version"] = "1.0.0"
    write_tree(project, {"old/demo/model.yaml": old, "new/demo/model.yaml": new})
    text = cli("diff", "old/demo", "new/demo")
    assert text.exit_code == 0
    assert text.output.splitlines() == [
        "demo: old/demo (0.1.0) -> new/demo (1.0.0)",
        "significant changes (need a new review or a regulatory change assessment):",
        "  ! model.version: major version",
        "changes (1):",
        '  ~ model.version: "0.1.0" -> "1.0.0"',
    ]
    payload = json.loads(cli("diff", "old/demo", "new/demo", "--json").output)
    assert payload["major_version_change"] is True
    assert payload["significant"] == ["model.version"]
    markdown = cli("diff", "old/demo", "new/demo", "--markdown").output
    assert '| `model.version` | changed | "0.1.0" | "1.0.0" |' in markdown
    assert markdown.startswith("## Changes to demo: 0.1.0 → 1.0.0\n")


def test_a_missing_side_is_an_input_error(project: Path, cli: Cli) -> None:
    result = cli("diff", "nowhere/demo", "also/demo")
    assert result.exit_code == 2
    assert "nowhere/demo: no model.yaml here" in result.stderr


@pytest.fixture
def repo(project: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    write_tree(project, {"content/demo/model.yaml": source()})
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "release 0.1.0")
    git(project, "tag", "v0.1.0")
    return project


def test_a_git_revision_side(repo: Path, cli: Cli) -> None:
    data = source()
    data["plain"] = {
        "summary": "Sorts tickets.",
        "how_it_works": "It reads the text.",
        "output_meaning": "A topic label.",
        "when_not_to_use": ["Never for people decisions."],
        "warnings": ["Check the label before acting."],
    }
    write_tree(repo, {"content/demo/model.yaml": data})
    result = cli("diff", "HEAD:content/demo", "content/demo", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["old"]["source"] == "HEAD:content/demo"
    assert [c["path"] for c in payload["changes"]] == ["plain"]
    bad = cli("diff", "no-such-rev:content/demo", "content/demo")
    assert bad.exit_code == 2
    missing = cli("diff", "HEAD:content/other", "content/demo")
    assert missing.exit_code == 2


def test_review_policy_against_the_last_release(repo: Path, cli: Cli) -> None:
    write_tree(
        repo,
        {"audiences/a/audience.yaml": {"title": "A", "description": "A.", "sections": ["x"]}, **OWN_AUDIENCES_ONLY},
    )
    # A metric refresh inside its released interval needs no new review.
    data = source()
    data["evaluation"]["results"][1].update(value=0.72, ci_low=0.62, ci_high=0.81)
    write_tree(repo, {"content/demo/model.yaml": data})
    assert cli("check", "--against", "v0.1.0").exit_code == 0
    # A new contraindication always does.
    data["intended_use"]["contraindications"].append("Do not use on scanned documents.")
    write_tree(repo, {"content/demo/model.yaml": data})
    result = cli("check", "--against", "v0.1.0", "--json")
    assert result.exit_code == 1
    (finding,) = json.loads(result.output)["models"][0]["findings"]
    assert finding["rule"] == "review-policy"
    assert finding["message"] == (
        "'intended_use.contraindications' changed since the released version 0.1.0; "
        "the review policy always needs a new sign-off for it"
    )
    signed = cli(
        "sign", "demo", "--section", "intended_use", "--reviewer", "R", "--role", "product", "--date", "2025-03-01"
    )
    assert signed.exit_code == 0
    assert cli("check", "--against", "v0.1.0").exit_code == 0
    # A metric that leaves its released interval needs a review of the evaluation, unless configured otherwise.
    data = yaml.safe_load((repo / "content/demo/model.yaml").read_text(encoding="utf-8"))
    data["evaluation"]["results"][1].update(value=0.95, ci_low=0.9, ci_high=0.97)
    write_tree(repo, {"content/demo/model.yaml": data})
    result = cli("check", "--against", "v0.1.0", "--json")
    messages = [f["message"] for f in json.loads(result.output)["models"][0]["findings"]]
    assert messages == [
        "'evaluation.results[metric=f1,dataset=train]' changed since the released version 0.1.0; it moved outside "
        "its released 95% CI or an acceptance criterion fails, so the review policy needs a new sign-off"
    ]
    write_tree(
        repo,
        {
            "docs-compile.yaml": "packaged_audiences: false\nreleased: v0.1.0\nreview_policy:\n  sections:\n    evaluation.results: never\n"
        },
    )
    assert cli("check").exit_code == 0


def test_a_model_new_in_this_release_has_no_policy_findings(repo: Path, cli: Cli) -> None:
    write_tree(
        repo,
        {"audiences/a/audience.yaml": {"title": "A", "description": "A.", "sections": ["x"]}, **OWN_AUDIENCES_ONLY},
    )
    write_tree(repo, {"content/fresh/model.yaml": minimal_source("fresh")})
    assert cli("check", "fresh", "--against", "v0.1.0").exit_code == 0
    bad = cli("check", "--against", "v9.9.9")
    assert bad.exit_code == 2


@pytest.mark.skipif("chest-xray-triage" not in EXAMPLES, reason="example not present")
def test_two_versions_of_an_example(copy_examples: Callable[..., Path], cli: Cli) -> None:
    project = copy_examples("chest-xray-triage", audiences=False)
    shutil.copytree(project / "content/chest-xray-triage", project / "old/chest-xray-triage")
    model_yaml = project / "content/chest-xray-triage/model.yaml"
    text = model_yaml.read_text(encoding="utf-8")
    marker = "  contraindications:\n"
    assert marker in text
    model_yaml.write_text(
        text.replace(marker, marker + "    - Do not use on patients under 18.\n", 1), encoding="utf-8"
    )
    report = diff_specs("old/chest-xray-triage", "content/chest-xray-triage")
    assert [(c.path, c.significant) for c in report.changes] == [
        ("intended_use.contraindications", "contraindications")
    ]


# --- sides whose facts come from a lock ------------------------------------------------------------

REF = "file://evidence/eval.json#/accuracy"


def _side(facts: dict[str, Any] | None) -> dict[str, Any]:
    """A model folder whose accuracy is the fact REF, with a lock holding `facts` (no lock when None)."""
    data = source()
    data["evaluation"]["results"][0]["value"] = REF
    tree: dict[str, Any] = {"model.yaml": data}
    if facts is not None:
        lock = {"lock_version": 1, "model": "demo", "resolved_at": "", "readers": {}, "facts": facts, "computed": []}
        tree["facts.lock.json"] = json.dumps(lock)
    return tree


def _in(folder: str, tree: dict[str, Any]) -> dict[str, Any]:
    return {f"{folder}/{name}": body for name, body in tree.items()}


def test_sides_are_compared_with_their_locked_facts(project: Path) -> None:
    write_tree(
        project, {**_in("old/demo", _side({REF: {"value": 0.5}})), **_in("new/demo", _side({REF: {"value": 0.55}}))}
    )
    report = diff_specs("old/demo", "new/demo")
    assert [(c.path, c.old, c.new) for c in report.changes] == [
        ("evaluation.results[metric=accuracy,dataset=train].value", 0.5, 0.55)
    ]


def test_a_side_never_resolved_is_compared_as_written(project: Path) -> None:
    write_tree(project, {**_in("old/demo", _side(None)), **_in("new/demo", _side({REF: {"value": 0.5}}))})
    changes = {c.path: (c.old, c.new) for c in diff_specs("old/demo", "new/demo").changes}
    assert changes == {
        "evaluation.results[metric=accuracy,dataset=train].source": (None, REF),
        "evaluation.results[metric=accuracy,dataset=train].value": (REF, 0.5),
    }


def test_a_lock_that_does_not_fit_its_side_is_an_input_error(project: Path, cli: Cli) -> None:
    write_tree(project, {**_in("old/demo", _side({})), **_in("new/demo", _side({REF: {"value": 0.5}}))})
    result = cli("diff", "old/demo", "new/demo")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {position(project, REF, 'old/demo/model.yaml')}: "
        f"evaluation.results[0].value: demo 0.1.0: {REF} is not in the lock (hint: run `docs-compile resolve`)\n"
    )


def test_a_stale_lock_at_a_git_revision_is_named_by_revision(repo: Path, cli: Cli) -> None:
    write_tree(repo, _in("content/demo", _side({"file://evidence/eval.json#/other": {"value": 0.5}})))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a fact the lock does not hold")
    write_tree(repo, _in("content/demo", _side({REF: {"value": 0.5}})))
    result = cli("diff", "HEAD:content/demo", "content/demo")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: HEAD:{position(repo, REF, 'content/demo/model.yaml')}: "
        f"evaluation.results[0].value: demo 0.1.0: {REF} is not in the lock (hint: run `docs-compile resolve`)\n"
    )
    # check applies the review policy against the same side, and says the same.
    write_tree(
        repo,
        {"audiences/a/audience.yaml": {"title": "A", "description": "A.", "sections": ["x"]}, **OWN_AUDIENCES_ONLY},
    )
    checked = cli("check", "--against", "HEAD")
    assert checked.exit_code == 2
    assert checked.stderr == result.stderr
