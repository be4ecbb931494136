"""Issue 14, item 10 (part): `build --out` never names a folder the build would delete sources with."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from helpers.project import AUDIENCES, REPO, minimal_source, write_tree


@pytest.fixture
def sources(project: Path) -> Path:
    write_tree(project, {"content/demo/model.yaml": yaml.safe_dump(minimal_source("demo"), sort_keys=False)})
    shutil.copytree(AUDIENCES, project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    return project


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for folder in ("content", "audiences")
        for p in sorted((root / folder).rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    ("out", "shown", "relation", "folder"),
    [
        ("content", "content", "is", "content"),
        ("content/demo/site", "content/demo/site", "is inside", "content"),
        ("audiences", "audiences", "is", "audiences"),
        ("audiences/../audiences/x", "audiences/x", "is inside", "audiences"),
        (".", ".", "contains", "content"),
    ],
)
def test_item10_build_out_content_deletes_the_sources(
    sources: Path, cli: Callable[..., Result], out: str, shown: str, relation: str, folder: str
) -> None:
    before = _snapshot(sources)
    result = cli("build", "--no-pdf", "--out", out)
    assert result.exit_code == 2, result.output
    assert _snapshot(sources) == before
    assert result.stderr == (
        f"error: {shown}: --out {relation} the {folder} folder ({folder}): a build replaces --out whole "
        "(hint: build into a folder of its own, e.g. --out build)\n"
    )


def test_item10_build_out_a_repository_root_is_refused(sources: Path, cli: Callable[..., Result]) -> None:
    write_tree(sources, {"site-repo/.git/HEAD": "ref: refs/heads/main\n", "site-repo/index.md": "kept\n"})
    result = cli("build", "--no-pdf", "--out", "site-repo")
    assert result.exit_code == 2
    assert (sources / "site-repo/index.md").read_text() == "kept\n"
    assert result.stderr == (
        "error: site-repo: --out is the root of a git repository: a build replaces --out whole "
        "(hint: build into a folder of its own, e.g. --out build)\n"
    )


def test_item10_build_out_beside_the_sources_is_built(sources: Path, cli: Callable[..., Result]) -> None:
    result = cli("build", "--no-pdf", "--out", "build")
    assert result.exit_code == 0, result.output
    assert (sources / "build/manifest.json").is_file()
