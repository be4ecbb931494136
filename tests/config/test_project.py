"""Project configuration (docs-compile.yaml): the review policy's longest-prefix rule, defaults and a missing file."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.project import write_tree

from compiler.config.project import ProjectConfig, ReviewPolicy, load_config
from compiler.errors import ConfigError


@pytest.mark.parametrize(
    ("path", "need"),
    [
        ("risk", "always"),
        ("risk.hazards[2].mitigation", "always"),
        ("risk_notes", "never"),  # a prefix matches whole keys only
        ("evaluation.results[3].value", "outside-acceptance"),
        ("evaluation.resultset", "never"),
        ("evaluation.metrics[0]", "always"),
        ("model.version", "major"),
        ("model.name", "never"),
    ],
)
def test_the_default_policy(path: str, need: str) -> None:
    assert ReviewPolicy().need(path) == need


def test_configured_sections_merge_over_the_defaults_and_the_longest_prefix_wins() -> None:
    policy = ReviewPolicy(default="major", sections={"model": "always", "risk.biases": "never"})
    assert policy.need("model.name") == "always"
    assert policy.need("model.version") == "major"  # the default entry model.version is longer than model
    assert policy.need("risk.biases[0]") == "never"
    assert policy.need("risk.hazards") == "always"
    assert policy.need("system.training") == "major"


def test_without_a_file_every_rule_has_its_default_severity(project: Path) -> None:
    config = load_config()
    assert config == ProjectConfig()
    assert (config.severity("framework-partial"), config.severity("lock-drift"), config.released) == (
        "warning",
        "error",
        None,
    )


def test_the_file_is_read_from_the_working_directory_and_bare_off_means_off(project: Path) -> None:
    write_tree(project, {"docs-compile.yaml": "rules:\n  acceptance: off\n  readability: error\nreleased: v1.2.0\n"})
    config = load_config()
    assert (config.severity("acceptance"), config.severity("readability"), config.released) == (
        "off",
        "error",
        "v1.2.0",
    )


def test_a_named_file_that_does_not_exist_is_an_error(project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(project / "ci" / "docs-compile.yaml")
    assert caught.value.format() == "ci/docs-compile.yaml: configuration file not found (hint: check the --config path)"
