from __future__ import annotations

from pathlib import Path

from compiler.load.reader import load_project
from compiler.validate.project import validate_project


def test_init_writes_a_valid_source(project: Path, cli) -> None:
    result = cli("init", "sepsis-risk")
    assert result.exit_code == 0, result.output
    text = (project / "content/sepsis-risk/model.yaml").read_text()
    assert "id: sepsis-risk" in text
    catalog = validate_project(load_project(project / "content"))
    assert [m.id for m in catalog.models] == ["sepsis-risk"]


def test_init_refuses_to_overwrite(project: Path, cli) -> None:
    assert cli("init", "m1").exit_code == 0
    before = (project / "content/m1/model.yaml").read_bytes()
    result = cli("init", "m1")
    assert result.exit_code == 2
    assert "content/m1/model.yaml: already exists; init never overwrites" in result.stderr
    assert (project / "content/m1/model.yaml").read_bytes() == before


def test_init_rejects_bad_id(project: Path, cli) -> None:
    result = cli("init", "Bad Id")
    assert result.exit_code == 2
    assert "not a valid model id" in result.stderr
    assert not (project / "content").exists()
