"""Issue 14, item 4 (rest): no file outside the content folder is read, listed or embedded through a link."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.evidence import valid_model
from helpers.project import AUDIENCES, REPO, minimal_source, write_tree

from compiler.build import render_input
from compiler.errors import ConfigError
from compiler.load.reader import load_project
from compiler.publish.fetcher import RefusedURL, make_url_fetcher
from compiler.publish.pdfs import archival_files

SECRET = "api_token: s3cr3t-outside-the-project\n"


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the project holding a model source and a secret beside it."""
    folder = tmp_path_factory.mktemp("outside")
    write_tree(folder, {"model.yaml": yaml.safe_dump(minimal_source("demo"), sort_keys=False), "secret.txt": SECRET})
    return folder


def _problems(project: Path) -> list[str]:
    return [p.format() for p in load_project(project / "content").problems]


def test_item4_a_model_folder_linked_outside_the_content_folder_is_refused(
    project: Path, outside: Path, cli: Any
) -> None:
    (project / "content").mkdir()
    os.symlink(outside, project / "content/demo")
    write_tree(project, {"content/ok/model.yaml": minimal_source("ok")})
    os.symlink(AUDIENCES, project / "audiences")
    os.symlink(REPO / "mkdocs.yml", project / "mkdocs.yml")
    result = cli("build", "--no-pdf", "-q")
    manifest = project / "build/manifest.json"
    listed = [s["path"] for s in json.loads(manifest.read_text())["sources"]] if manifest.exists() else []
    assert "content/demo/secret.txt" not in listed
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: content/demo: links to {outside}, outside content "
        "(hint: put the model's files in the content folder itself: files are never read through a link that "
        "leads outside it)\n"
    )
    assert not manifest.exists()


def test_item4_a_model_folder_linked_outside_whose_model_yaml_links_back_is_refused(
    project: Path, outside: Path
) -> None:
    """The model file alone being inside is not enough: the folder's other files would be hashed and embedded."""
    write_tree(project, {"content/ok/model.yaml": minimal_source("demo")})
    (outside / "model.yaml").unlink()
    os.symlink(project / "content/ok/model.yaml", outside / "model.yaml")
    os.symlink(outside, project / "content/demo")
    assert _problems(project) == [
        f"content/demo: links to {outside}, outside content "
        "(hint: put the model's files in the content folder itself: files are never read through a link that "
        "leads outside it)"
    ]


def test_item4_a_model_yaml_linked_to_etc_passwd_is_not_printed(project: Path, cli: Any) -> None:
    (project / "content/demo").mkdir(parents=True)
    os.symlink("/etc/passwd", project / "content/demo/model.yaml")
    result = cli("validate")
    assert "root:" not in result.output
    assert result.exit_code == 2
    assert result.stderr == (
        "error: content/demo/model.yaml: links to /etc/passwd, outside content "
        "(hint: put the file itself in the folder: files are never read through a link that leads "
        "outside it)\n"
    )


def test_item4_a_model_yaml_linked_inside_the_content_folder_is_read(project: Path) -> None:
    write_tree(project, {"content/shared/demo.yaml": minimal_source("demo")})
    (project / "content/demo").mkdir()
    os.symlink("../shared/demo.yaml", project / "content/demo/model.yaml")
    assert _problems(project) == []


def test_item4_the_archival_pdf_embeds_no_file_linked_outside_after_it_was_hashed(project: Path, outside: Path) -> None:
    """The files are read again when the PDF is written: a link put in place since must not be followed."""
    write_tree(project, {"content/m/model.yaml": minimal_source("m"), "content/m/notes.txt": "notes\n"})
    model = render_input(valid_model(project))
    (project / "content/m/notes.txt").unlink()
    os.symlink(outside / "secret.txt", project / "content/m/notes.txt")
    with pytest.raises(ConfigError) as raised:
        archival_files(model)
    assert raised.value.exit_code == 2
    assert str(raised.value) == (
        f"content/m/notes.txt: links to {outside / 'secret.txt'}, outside content/m "
        "(hint: put the file itself in the folder: files are never read through a link that leads outside it)"
    )


def test_item4_an_image_linked_outside_the_model_folder_is_refused_by_the_pdf_fetcher(
    project: Path, outside: Path
) -> None:
    write_tree(project, {"content/demo/figures/inside.txt": "inside\n"})
    os.symlink(outside / "secret.txt", project / "content/demo/figures/roc.png")
    fetcher = make_url_fetcher([project / "content"])
    assert fetcher((project / "content/demo/figures/inside.txt").as_uri()).read() == b"inside\n"
    url = (project / "content/demo/figures/roc.png").as_uri()
    with pytest.raises(RefusedURL):
        fetcher(url)
    assert fetcher.refused == [url]
