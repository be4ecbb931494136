"""Shared fixtures: small project trees built from dicts, the CLI, and the repository's examples."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
AUDIENCES = REPO / "audiences"
EXAMPLES = sorted(p.name for p in CONTENT.iterdir() if (p / "model.yaml").is_file()) if CONTENT.is_dir() else []


def write_tree(root: Path, tree: dict[str, Any]) -> Path:
    """Create files from {relative path: text | bytes | dict (dumped as YAML)}."""
    for rel, body in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        elif isinstance(body, str):
            path.write_text(body, encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project folder that is the working directory (content/ and audiences/ relative to it)."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def copy_examples(project: Path) -> Callable[..., Path]:
    """Copy the repository's example models (all, or the named ones) and audiences into the project."""

    def copy(*names: str, audiences: bool = True) -> Path:
        for name in names or EXAMPLES:
            shutil.copytree(CONTENT / name, project / "content" / name)
        if audiences and AUDIENCES.is_dir():
            shutil.copytree(AUDIENCES, project / "audiences", dirs_exist_ok=True)
        if (REPO / "mkdocs.yml").is_file():
            shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
        return project

    return copy


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run docs-compile in-process; returns click's Result (exit_code, stdout, stderr)."""
    from compiler.cli import cli as group

    def run(*args: str | os.PathLike[str]) -> Result:
        return CliRunner().invoke(group, [str(a) for a in args], catch_exceptions=False)

    return run


def minimal_source(model_id: str = "demo") -> dict[str, Any]:
    """The smallest valid source: what `docs-compile init` writes."""
    from compiler.commands.init import scaffold

    data: dict[str, Any] = yaml.safe_load(scaffold(model_id))
    return data
