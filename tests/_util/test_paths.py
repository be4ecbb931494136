"""Shared helper display_path: paths in messages are relative to the working directory when inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler._util.paths import display_path


def test_inside_the_working_directory_the_path_is_relative(project: Path) -> None:
    assert display_path(project / "content" / "m" / "model.yaml") == "content/m/model.yaml"
    assert display_path(Path("content/m/../m/model.yaml")) == "content/m/model.yaml"
    assert display_path(project) == "."


def test_outside_the_working_directory_the_path_is_shown_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert display_path(tmp_path / "elsewhere" / "a.yaml") == str(tmp_path / "elsewhere" / "a.yaml")
    assert display_path(Path("../elsewhere/a.yaml")) == "../elsewhere/a.yaml"


def test_a_symlinked_working_directory_still_gives_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real" / "content").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path / "link")
    assert display_path(tmp_path / "link" / "content" / "x.yaml") == "content/x.yaml"
    assert display_path(tmp_path / "real" / "content" / "x.yaml") == "content/x.yaml"
