"""Issue 14, item 10 (rest): what commands print besides errors — summaries, warnings, paths — cannot drive the terminal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.project import AUDIENCES, CONTENT, REPO, minimal_source, write_tree

from compiler.cli import echo

OSC8 = "\x1b]8;;https:evil.example\x1b\\triage\x1b]8;;\x1b\\"
"""A folder name that a terminal shows as a link 'triage' to evil.example (no '/', so it is one folder)."""
SHOWN = "\\x1b]8;;https:evil.example\\x1b\\triage\\x1b]8;;\\x1b\\"


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compiler", *args],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_item10_an_osc8_escape_in_a_folder_name_reaches_the_init_summary_escaped(project: Path) -> None:
    result = _run(project, "--content", OSC8, "init", "demo")
    assert result.returncode == 0, result.stderr
    assert (project / OSC8 / "demo/model.yaml").is_file()
    assert result.stdout == (
        f"created {SHOWN}/demo/model.yaml; fill in the TODOs, then run `docs-compile validate`\n"
        "created schemas/model.schema.json, schemas/dataset.schema.json, schemas/results.schema.json: "
        "the schemas its first line points editors at\n"
    )


def test_item10_an_osc8_escape_in_a_folder_name_reaches_the_export_loss_report_escaped(project: Path) -> None:
    write_tree(project, {"content/demo/model.yaml": minimal_source()})
    (project / OSC8).mkdir()
    result = _run(project, "export", "demo", "--format", "json", "--out", f"{OSC8}/demo.json")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr
    assert result.stderr.startswith(f"exported demo as json to {SHOWN}/demo.json\n")


def test_item10_an_osc8_escape_in_a_source_reaches_the_build_warning_escaped(project: Path) -> None:
    """A crossed monitoring threshold is a build warning that quotes the signal's name, which the source writes."""
    shutil.copytree(CONTENT / "item-recommender", project / "content/item-recommender")
    shutil.copytree(AUDIENCES, project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    source = project / "content/item-recommender/model.yaml"
    name = "PSI of price band of candidate items against the training window"
    source.write_text(source.read_text(encoding="utf-8").replace(name, json.dumps(OSC8), 1), encoding="utf-8")
    result = _run(project, "build", "--no-pdf", "--audience", "technical")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr + result.stdout
    assert f"warning: item-recommender/technical: {SHOWN} went above its alert threshold 0.2" in result.stderr


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (f"created {OSC8}/model.yaml", f"created {SHOWN}/model.yaml"),
        ("a value\nwith a fake second line", "a value\\nwith a fake second line"),
        ("over\rwritten", "over\\rwritten"),
        ("right-to-left \u202eoverride", "right-to-left \\u202eoverride"),
        ("résumé — 95% CI 0.91–0.95, tab\there ✓", "résumé — 95% CI 0.91–0.95, tab\there ✓"),
    ],
)
def test_item10_echo_prints_each_line_with_control_characters_escaped(
    line: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    echo(line, "second", err=True)
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"{shown}\nsecond\n")
