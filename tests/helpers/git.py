"""Test helper: git in a test's own repository, with a fixed identity and no user configuration."""

from __future__ import annotations

import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "PATH": "/usr/bin:/bin",
}


def git(root: Path, *args: str) -> None:
    """Run git in `root`; a failure fails the test."""
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=GIT_ENV)
