"""Issue 14, item 7: a revision given to `docs-compile diff` (or `released:`) is never read by git as an option."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers.git import GIT_ENV
from helpers.project import minimal_source, write_tree

from compiler.check.diff import released_spec
from compiler.errors import UsageError


@pytest.fixture
def repo(project: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    write_tree(project, {"content/demo/model.yaml": yaml.safe_dump(minimal_source("demo"), sort_keys=False)})
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "one"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, env=GIT_ENV)
    return project


def _diff(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compiler", "diff", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**GIT_ENV, "HOME": str(repo)},
    )


def test_item7_git_argument_injection_in_diff(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    target = tmp_path_factory.mktemp("elsewhere") / "written-by-git"
    result = _diff(repo, "--", f"--output={target}:content/demo", "content/demo")
    assert not target.exists()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr == (
        f"error: --output={target}:content/demo: the revision '--output={target}' begins with '-' "
        "(hint: name a commit, tag or branch, e.g. HEAD~1:content/<id>)\n"
    )


def test_item7_a_revision_that_is_not_a_commit_is_refused_before_archive(repo: Path) -> None:
    result = _diff(repo, "no-such-tag:content/demo", "content/demo")
    assert result.returncode == 2
    assert result.stderr == (
        "error: no-such-tag:content/demo: 'no-such-tag' is not a commit of this repository "
        "(hint: check the revision: a commit, tag or branch)\n"
    )


def test_item7_a_released_revision_beginning_with_a_dash_is_refused(repo: Path) -> None:
    with pytest.raises(UsageError) as caught:
        released_spec("--output=/tmp/x", repo / "content", "demo")
    assert caught.value.format() == (
        "--output=/tmp/x: the revision '--output=/tmp/x' begins with '-' "
        "(hint: name a commit, tag or branch, e.g. HEAD~1:content/<id>)"
    )


def test_item7_a_valid_revision_still_diffs(repo: Path) -> None:
    result = _diff(repo, "HEAD:content/demo", "content/demo")
    assert result.returncode == 0, result.stderr
