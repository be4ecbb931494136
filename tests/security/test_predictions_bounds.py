"""Issue 14, item 9 (predictions): the bootstrap work of one computed entry is bounded before it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from helpers.project import minimal_source, write_tree

LEVELS = [f"g{i:04d}" for i in range(1000)]


def _source(resamples: int, levels: list[str]) -> dict[str, Any]:
    data = minimal_source("m")
    data["factors"] = {"relevant": [{"id": "grp", "name": "Group", "levels": levels}], "evaluation": ["grp"]}
    data["datasets"][0]["id"] = "test"
    data["evaluation"]["results"] = []
    data["evaluation"]["metrics"] = [{"id": "auroc", "name": "AUROC", "rationale": "why"}]
    data["evaluation"]["computed"] = [{"source": "preds", "dataset": "test", "metrics": ["auroc"], "groups": ["grp"]}]
    predictions = {"id": "preds", "kind": "predictions", "path": "preds.csv", "label": "label", "score": "score"}
    predictions |= {"groups": ["grp"], "resamples": resamples, "synthetic": True}
    data["evidence"] = {"sources": [predictions]}
    return data


def _write(project: Path, resamples: int, levels: list[str]) -> None:
    # Every level holds both classes, so each one is bootstrapped.
    n = len(levels)
    rows = [f"{(i // n) % 2},{(i % 97) / 97:.4f},{levels[i % n]}" for i in range(10 * n)]
    write_tree(
        project,
        {
            "content/m/model.yaml": yaml.safe_dump(_source(resamples, levels), sort_keys=False),
            "content/m/preds.csv": "label,score,grp\n" + "\n".join(rows) + "\n",
        },
    )


def _resolve(project: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compiler", "resolve"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(project), **(env or {})},
    )


def _computed_line(project: Path) -> str:
    lines = (project / "content/m/model.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines) if text.strip() == "computed:") + 1
    return f"content/m/model.yaml:{line + 1}:{lines[line].index('-') + 3}"


def test_item9_a_predictions_file_with_1000_levels_and_100000_resamples(project: Path) -> None:
    _write(project, 100_000, LEVELS)
    result = _resolve(project)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {_computed_line(project)}: evaluation.computed[0]: 1,001 slices x 100,000 resamples is "
        "100,100,000 bootstrap draws, more than the limit of 10,000,000 (hint: lower `resamples` of predictions "
        "source 'preds', compute fewer groups or intersections, or raise DOCS_COMPILE_LIMIT_BOOTSTRAP_DRAWS)\n"
    )


def test_item9_the_bootstrap_bound_is_configurable(project: Path) -> None:
    _write(project, 100, LEVELS[:3])
    assert _resolve(project).returncode == 0
    refused = _resolve(project, {"DOCS_COMPILE_LIMIT_BOOTSTRAP_DRAWS": "399"})
    assert refused.returncode == 2
    assert "4 slices x 100 resamples is 400 bootstrap draws, more than the limit of 399" in refused.stderr
