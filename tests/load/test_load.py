"""Load stage: safe YAML, positions, includes confined to the content root, hostile files refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from helpers.project import minimal_source, write_tree

from compiler.load.reader import load_project
from compiler.validate.project import validate_project


def _dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def _problems(project: Path) -> list[str]:
    return [p.format() for p in load_project(project / "content").problems]


def test_positions_point_at_each_value(project: Path) -> None:
    write_tree(project, {"content/demo/model.yaml": minimal_source()})
    model = load_project(project / "content").models[0]
    text = (project / "content/demo/model.yaml").read_text().splitlines()
    loc = model.locate(("intended_use", "purpose"))
    assert loc.file == "content/demo/model.yaml"
    assert text[loc.line - 1][loc.column - 1 :].startswith("TODO what the model is for.")
    key = model.locate(("model", "name"), key=True)
    assert text[key.line - 1][key.column - 1 :].startswith("name:")


def test_dates_stay_text_for_the_schema(project: Path) -> None:
    write_tree(project, {"content/demo/model.yaml": minimal_source()})
    model = load_project(project / "content").models[0]
    assert isinstance(model.data["model"]["release_date"], str)


def test_include_splits_a_source(project: Path) -> None:
    data = minimal_source()
    datasets = data.pop("datasets")
    body = _dump(data) + "datasets:\n  - $include: datasets/train.yaml\n"
    write_tree(project, {"content/demo/model.yaml": body, "content/demo/datasets/train.yaml": datasets[0]})
    catalog = validate_project(load_project(project / "content"))
    model = catalog.models[0]
    assert model.source.datasets[0].id == "train"
    loc = model.loaded.locate(("datasets", 0, "name"))
    assert loc.file == "content/demo/datasets/train.yaml" and loc.line == 2
    assert sorted(p.name for p in model.loaded.files) == ["model.yaml", "train.yaml"]


def test_include_list_merges_top_level_files(project: Path) -> None:
    data = minimal_source()
    risk, lifecycle = data.pop("risk"), data.pop("lifecycle")
    body = "$include: [risk.yaml, lifecycle.yaml]\n" + _dump(data)
    write_tree(
        project,
        {
            "content/demo/model.yaml": body,
            "content/demo/risk.yaml": {"risk": risk},
            "content/demo/lifecycle.yaml": {"lifecycle": lifecycle},
        },
    )
    catalog = validate_project(load_project(project / "content"))
    assert catalog.models[0].source.lifecycle.versions[0].version == "0.1.0"


def test_key_defined_twice_through_include(project: Path) -> None:
    data = minimal_source()
    body = "$include: risk.yaml\n" + _dump(data)
    write_tree(project, {"content/demo/model.yaml": body, "content/demo/risk.yaml": {"risk": data["risk"]}})
    problems = _problems(project)
    assert any("key 'risk' is defined both here and in an included file" in p for p in problems)


def test_include_cycle(project: Path) -> None:
    write_tree(
        project,
        {
            "content/demo/model.yaml": "model:\n  $include: a.yaml\n",
            "content/demo/a.yaml": "$include: b.yaml\n",
            "content/demo/b.yaml": "$include: a.yaml\n",
        },
    )
    problems = _problems(project)
    assert len(problems) == 1
    assert problems[0].startswith("content/demo/b.yaml:1:1: include cycle: ")
    assert problems[0].endswith(
        "include cycle: content/demo/model.yaml -> content/demo/a.yaml -> content/demo/b.yaml -> content/demo/a.yaml"
        " (hint: remove one of the includes)"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../secret.yaml", "leaves the content folder"),
        ("/etc/passwd", "is an absolute path"),
        ("~/x.yaml", "is an absolute path"),
        ("http://127.0.0.1:9/x.yaml", "is a URL"),
        ("missing.yaml", "included file 'missing.yaml' not found"),
        ("notes.txt", "is not a .yaml file"),
    ],
)
def test_include_refused(project: Path, name: str, expected: str) -> None:
    write_tree(
        project,
        {
            "secret.yaml": "a: 1\n",
            "content/demo/notes.txt": "x",
            "content/demo/model.yaml": f"model:\n  $include: {name!r}\n",
        },
    )
    problems = _problems(project)
    assert len(problems) == 1
    assert problems[0].startswith("content/demo/model.yaml:2:3: ")
    assert expected in problems[0]


def test_include_through_symlink_out_of_root_refused(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "x.yaml").write_text("a: 1\n")
    write_tree(project, {"content/demo/model.yaml": "model:\n  $include: link.yaml\n"})
    os.symlink(outside / "x.yaml", project / "content/demo/link.yaml")
    problems = _problems(project)
    assert len(problems) == 1 and "leaves the content folder" in problems[0]


def test_windows_line_endings_and_bom_are_read(project: Path) -> None:
    text = _dump(minimal_source()).replace("\n", "\r\n")
    write_tree(project, {"content/demo/model.yaml": b"\xef\xbb\xbf" + text.encode()})
    catalog = validate_project(load_project(project / "content"))
    assert catalog.models[0].source.model.id == "demo"


def test_models_are_discovered_sorted_and_selected(project: Path) -> None:
    write_tree(
        project,
        {
            "content/zeta/model.yaml": minimal_source("zeta"),
            "content/alpha/model.yaml": minimal_source("alpha"),
            "content/notes/readme.md": "not a model",
            "content/.hidden/model.yaml": "broken: [",
        },
    )
    assert [m.id for m in load_project(project / "content").models] == ["alpha", "zeta"]
    chosen = load_project(project / "content", ["zeta"])
    assert [m.id for m in chosen.models] == ["zeta"]
    missing = load_project(project / "content", ["alpah"])
    assert missing.problems[0].format() == (
        "content/alpah/model.yaml: no model 'alpah' under content (hint: did you mean 'alpha'?)"
    )
