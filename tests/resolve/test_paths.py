"""Resolve stage containment: an evidence path names a file inside the model's folder, however it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.resolve.paths import existing_file, inside
from compiler.resolve.refs import FactError


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A model folder with evidence/eval.json, beside a secret file and a folder outside it."""
    model = tmp_path / "content" / "m"
    (model / "evidence").mkdir(parents=True)
    (model / "evidence" / "eval.json").write_text("{}", encoding="utf-8")
    (tmp_path / "secret.json").write_text("{}", encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "data.csv").write_text("a\n", encoding="utf-8")
    return model


def _refusal(folder: Path, relative: str, what: str = "file") -> tuple[str, str]:
    with pytest.raises(FactError) as caught:
        inside(folder, relative, what)
    return caught.value.message, caught.value.hint


@pytest.mark.parametrize(
    "relative", ["~/eval.json", "~root/x", "C:/data/eval.json", "c:eval.json", "\\\\server\\share"]
)
def test_home_drive_and_network_paths_count_as_absolute(folder: Path, relative: str) -> None:
    assert _refusal(folder, relative, "predictions file") == (
        f"predictions file path '{relative}' is absolute",
        "evidence must live inside the model's folder; write the path relative to it",
    )


@pytest.mark.parametrize("relative", ["evidence/../../secret.json", "evidence\\..\\..\\secret.json", "evidence/.."])
def test_dot_dot_is_refused_wherever_it_stands_even_when_it_would_stay_inside(folder: Path, relative: str) -> None:
    assert _refusal(folder, relative) == (
        f"file path '{relative}' leaves the model's folder ('..')",
        "move the file into the model's folder",
    )


def test_a_symlinked_folder_that_leads_out_is_refused(folder: Path) -> None:
    (folder / "linked").symlink_to(folder.parent.parent / "outside", target_is_directory=True)
    assert _refusal(folder, "linked/data.csv", "time series") == (
        "time series path 'linked/data.csv' leads outside the model's folder (through a symbolic link)",
        "copy the file into the model's folder instead of linking it",
    )


def test_paths_inside_are_resolved_including_links_that_stay_inside(folder: Path) -> None:
    (folder / "latest.json").symlink_to(folder / "evidence" / "eval.json")
    real = (folder / "evidence" / "eval.json").resolve()
    assert inside(folder, "latest.json") == real
    assert inside(folder, "evidence\\eval.json") == real  # Windows separators are read as folders
    assert inside(folder, "./evidence/eval.json") == real
    assert inside(folder, "evidence/not-yet.json") == folder.resolve() / "evidence" / "not-yet.json"


def test_existing_file_needs_a_regular_file(folder: Path) -> None:
    assert existing_file(folder, "evidence/eval.json") == (folder / "evidence" / "eval.json").resolve()
    for relative in ("evidence/missing.json", "evidence"):
        with pytest.raises(FactError) as caught:
            existing_file(folder, relative, "evaluation file")
        assert (caught.value.message, caught.value.hint) == (
            f"evaluation file '{relative}' not found in the model's folder",
            "check the path; it is relative to the model's folder",
        )
    with pytest.raises(FactError, match="is absolute"):
        existing_file(folder, str(folder / "evidence" / "eval.json"))  # refused before it is looked for
