from __future__ import annotations

import json
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


def _schema_target(source: Path) -> Path:
    """The file the first line of SOURCE points editors at, as yaml-language-server resolves it."""
    first = source.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), first
    return (source.parent / first.removeprefix("# yaml-language-server: $schema=")).resolve()


def test_init_writes_the_schemas_its_line_points_at(project: Path, cli) -> None:
    result = cli("init", "demo")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "created content/demo/model.yaml; fill in the TODOs, then run `docs-compile validate`",
        "created schemas/model.schema.json, schemas/dataset.schema.json, schemas/results.schema.json: "
        "the schemas its first line points editors at",
    ]
    assert _schema_target(project / "content/demo/model.yaml") == project / "schemas/model.schema.json"
    schemas = {p: p.read_bytes() for p in (project / "schemas").iterdir()}
    assert cli("init", "second").stdout.splitlines()[1:] == []  # nothing missing: nothing written, nothing said
    assert {p: p.read_bytes() for p in (project / "schemas").iterdir()} == schemas


def test_init_points_a_model_under_another_content_folder_at_the_repository_schemas(project: Path, cli) -> None:
    (project / "docs-compile.yaml").write_text("content: docs/models\n")
    (project / "schemas").mkdir()
    (project / "schemas/model.schema.json").write_text("{}\n")  # the repository's own: kept
    result = cli("init", "m1", "--json")
    assert result.exit_code == 0, result.output
    source = project / "docs/models/m1/model.yaml"
    assert source.read_text().startswith("# yaml-language-server: $schema=../../../schemas/model.schema.json\n")
    assert _schema_target(source) == project / "schemas/model.schema.json"
    assert (project / "schemas/model.schema.json").read_text() == "{}\n"
    assert json.loads(result.stdout) == {
        "ok": True,
        "model": "docs/models/m1/model.yaml",
        "created": ["docs/models/m1/model.yaml", "schemas/dataset.schema.json", "schemas/results.schema.json"],
    }


def test_init_refuses_a_content_folder_outside_the_repository(project: Path, cli, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = cli("init", "m1", "--content", elsewhere / "content")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {elsewhere / 'content'}: the content folder is outside the repository (the working directory), "
        "where schemas/ goes (hint: run docs-compile in the repository's root folder with a content folder inside "
        "it)\n"
    )
    assert list(project.iterdir()) == [] and list(elsewhere.iterdir()) == []
