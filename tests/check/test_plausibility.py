"""Warnings for values that are possible but doubtful (rule `plausibility`): shown by `validate`, `check` and
`build`, placed at the value, never a failure unless the project's rules make them one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result


def _sign_late(project: Path) -> tuple[Path, int]:
    source = project / "content" / "review-sentiment" / "model.yaml"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("reviews:\n")
    at = next(i for i in range(start, len(lines)) if lines[i].startswith("    date: "))
    lines[at] = "    date: 2026-06-01\n"
    source.write_text("".join(lines), encoding="utf-8")
    return source, at + 1


def test_a_signoff_after_the_release_is_a_placed_warning_in_validate_and_check(
    copy_examples: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    project = copy_examples("review-sentiment")
    _, line = _sign_late(project)
    validated = cli("validate")
    assert validated.exit_code == 0, validated.stderr
    assert f"warning: content/review-sentiment/model.yaml:{line}:" in validated.stderr
    assert "after the release date (2026-01-19)" in validated.stderr
    as_json = json.loads(cli("validate", "--json").stdout)
    assert [(w["file"], w["line"], w["field"]) for w in as_json["warnings"]] == [
        ("content/review-sentiment/model.yaml", line, "reviews[0].date")
    ]
    checked = cli("check", "--json")
    assert checked.exit_code == 0, checked.stderr
    (model,) = json.loads(checked.stdout)["models"]
    found = [f for f in model["findings"] if f["rule"] == "plausibility"]
    assert len(found) == 1 and found[0]["severity"] == "warning"


def test_the_project_may_make_doubtful_values_an_error(
    copy_examples: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    project = copy_examples("review-sentiment")
    _sign_late(project)
    (project / "docs-compile.yaml").write_text("rules:\n  plausibility: error\n", encoding="utf-8")
    checked = cli("check")
    assert checked.exit_code != 0
    assert "after the release date" in checked.stdout + checked.stderr
