"""Issue 14, item 11 (part): a full disk while the build writes its staged output is exit 2, the output kept."""

from __future__ import annotations

import errno
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from helpers.project import AUDIENCES, REPO, minimal_source, without_progress, write_tree

import compiler.cache
import compiler.publish.writer


@pytest.fixture
def sources(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(project / "config"))
    write_tree(project, {"content/demo/model.yaml": yaml.safe_dump(minimal_source("demo"), sort_keys=False)})
    shutil.copytree(AUDIENCES, project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    return project


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_item11_a_full_disk_during_the_build(
    sources: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("build", "--no-pdf", "--out", "build").exit_code == 0
    before = _tree(sources / "build")
    data = minimal_source("demo")
    data["model"]["summary"] = "A changed summary, so the build does not keep the previous output."
    write_tree(sources, {"content/demo/model.yaml": yaml.safe_dump(data, sort_keys=False)})

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(compiler.publish.writer, "write_exports", full)
    from compiler.cli import cli as group

    result = CliRunner().invoke(group, ["build", "--no-pdf", "--out", "build"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert without_progress(result.stderr) == (
        "error: build: cannot write the output: No space left on device; the previous output is kept "
        "(hint: free disk space (or choose another --out) and build again)\n"
    )
    assert _tree(sources / "build") == before
    assert sorted(p.name for p in sources.iterdir() if p.name.startswith(".build")) == []


def test_a_full_disk_while_writing_the_cache_does_not_fail_the_build(
    sources: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache only saves work: when it cannot be written, the build still writes its output."""

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(compiler.cache, "atomic_write", full)
    from compiler.cli import cli as group

    result = CliRunner().invoke(group, ["build", "--no-pdf", "--out", "build"])
    assert result.exit_code == 0, result.output
    assert (sources / "build" / "site" / "index.html").is_file()
    assert (sources / "build" / "manifest.json").is_file()
