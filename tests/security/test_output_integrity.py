"""Issue 14, item 10 (part): the no-op check notices a built file altered without changing its size."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from helpers.project import AUDIENCES, REPO, minimal_source, write_tree


@pytest.fixture
def sources(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(project / "config"))  # the cache key of this test alone
    write_tree(project, {"content/demo/model.yaml": yaml.safe_dump(minimal_source("demo"), sort_keys=False)})
    shutil.copytree(AUDIENCES, project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    return project


def _build(cli: Callable[..., Result]) -> dict[str, Any]:
    result = cli("build", "--no-pdf", "--json", "--out", "build")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_item10_a_built_file_altered_without_changing_its_size_is_rebuilt(
    sources: Path, cli: Callable[..., Result]
) -> None:
    _build(cli)
    page = next(p for p in sorted((sources / "build/site").rglob("index.html")) if b"demo" in p.read_bytes())
    original = page.read_bytes()
    forged = original.replace(b"demo", b"DEMO", 1)
    assert len(forged) == len(original) and forged != original
    page.write_bytes(forged)
    again = _build(cli)
    assert not again["unchanged"]
    assert page.read_bytes() == original


def test_item10_an_untouched_output_is_still_kept(sources: Path, cli: Callable[..., Result]) -> None:
    _build(cli)
    assert _build(cli)["unchanged"]
