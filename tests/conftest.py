"""Shared fixtures: an empty project folder, the repository's examples copied into it, and the CLI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers.project import AUDIENCES, CONTENT, EXAMPLES, REPO


@pytest.fixture(autouse=True, scope="session")
def private_configuration(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The build cache's key (and any other per-user file) lives in a folder of the test run, never in ~/.config."""
    saved = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config-home"))
    yield
    if saved is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = saved


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
