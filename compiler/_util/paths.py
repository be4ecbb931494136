"""Shared helper: file paths as the user should see them."""

from __future__ import annotations

from pathlib import Path

PROJECT_CONFIG = "docs-compile.yaml"
"""The repository's own settings, in the working directory (compiler/config/project.py reads it)."""


def display_path(path: Path) -> str:
    """Path as the user should see it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
