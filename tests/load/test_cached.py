"""Load and validate stages (cache): a model read before is taken from the build cache while the files it read
are unchanged, gives exactly what reading it gives, and is read again whenever anything it depends on changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from helpers.project import CONTENT, EXAMPLES, minimal_source, write_tree

from compiler.cache import Cache
from compiler.errors import SourceError
from compiler.load.cached import LOAD_KIND, load_project
from compiler.load.reader import load_project as read_project
from compiler.validate.cached import VALIDATE_KIND
from compiler.validate.project import validate_project


def _cache(root: Path) -> Cache:
    return Cache(root / "cache")


def _with_include(project: Path, included: str = "name: Training set\n") -> Path:
    data = minimal_source()
    data["model"]["description"] = "A model."
    body = yaml.safe_dump(data, sort_keys=False).replace("description: A model.", "$include: extra.yaml")
    write_tree(project, {"content/demo/model.yaml": body, "content/demo/extra.yaml": "description: From a file.\n"})
    return project / "content"


def test_the_examples_from_the_cache_equal_a_fresh_read(project: Path) -> None:
    shutil.copytree(CONTENT, project / "content")
    cache = _cache(project)
    first = validate_project(load_project(Path("content"), None, cache), cache)
    again = load_project(Path("content"), None, cache)
    assert cache.count(LOAD_KIND, "hit") == len(EXAMPLES)
    assert again.models == read_project(Path("content")).models
    kept = validate_project(again, cache)
    assert cache.count(VALIDATE_KIND, "hit") == len(EXAMPLES)
    assert [m.source for m in kept.models] == [m.source for m in first.models]
    assert kept.warnings == first.warnings


def test_an_edited_included_file_is_read_again(project: Path) -> None:
    content = _with_include(project)
    cache = _cache(project)
    assert load_project(content, None, cache).models[0].data["model"]["description"] == "From a file."
    (content / "demo/extra.yaml").write_text("description: Edited.\n")
    model = load_project(content, None, cache).models[0]
    assert model.data["model"]["description"] == "Edited."
    assert cache.count(LOAD_KIND, "stale") == 1
    assert load_project(content, None, cache).models[0] == model
    assert cache.count(LOAD_KIND, "stale") == 1 and cache.count(LOAD_KIND, "hit") == 2


def test_a_link_led_elsewhere_is_read_again(project: Path) -> None:
    content = _with_include(project)
    (content / "demo/a.yaml").write_text("description: A.\n")
    (content / "demo/b.yaml").write_text("description: B.\n")
    extra = content / "demo/extra.yaml"
    extra.unlink()
    extra.symlink_to("a.yaml")
    cache = _cache(project)
    assert load_project(content, None, cache).models[0].data["model"]["description"] == "A."
    extra.unlink()
    extra.symlink_to("b.yaml")  # the including file is unchanged; where its include leads is not
    assert load_project(content, None, cache).models[0].data["model"]["description"] == "B."
    assert cache.count(LOAD_KIND, "stale") == 1


def test_a_file_turned_into_a_link_out_of_the_content_is_refused_not_served(project: Path) -> None:
    content = _with_include(project)
    cache = _cache(project)
    load_project(content, None, cache)
    outside = project / "outside.yaml"
    outside.write_text((content / "demo/extra.yaml").read_text())  # the very same bytes
    (content / "demo/extra.yaml").unlink()
    (content / "demo/extra.yaml").symlink_to(outside)
    loaded = load_project(content, None, cache)
    assert cache.count(LOAD_KIND, "stale") == 1
    assert not loaded.models
    assert loaded.problems == read_project(content).problems
    assert "outside" in loaded.problems[0].format()


def test_other_limits_read_the_model_again(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = _with_include(project)
    cache = _cache(project)
    load_project(content, None, cache)
    monkeypatch.setenv("DOCS_COMPILE_LIMIT_VALUES", "10")
    loaded = load_project(content, None, cache)
    assert cache.count(LOAD_KIND, "hit") == 0
    assert not loaded.models and "values" in loaded.problems[0].message


def test_values_json_cannot_hold_are_not_kept(project: Path) -> None:
    data = yaml.safe_dump(minimal_source(), sort_keys=False) + "extra_blob: !!binary aGk=\n"
    write_tree(project, {"content/demo/model.yaml": data})
    cache = _cache(project)
    first = load_project(project / "content", None, cache)
    assert first.models[0].data["extra_blob"] == b"hi"
    assert cache.count(LOAD_KIND, "stored") == 0
    assert load_project(project / "content", None, cache).models == first.models


def test_a_model_with_errors_keeps_its_errors_and_the_catalog_is_checked_again(project: Path) -> None:
    bad = minimal_source("demo")
    bad["model"]["release_date"] = "not a date"
    other = minimal_source("other")
    write_tree(project, {"content/demo/model.yaml": bad, "content/other/model.yaml": other})
    cache = _cache(project)
    with pytest.raises(SourceError) as first:
        validate_project(load_project(Path("content"), None, cache), cache)
    with pytest.raises(SourceError) as again:
        validate_project(load_project(Path("content"), None, cache), cache)
    assert cache.count(VALIDATE_KIND, "hit") == 2
    assert [p.format() for p in again.value.problems] == [p.format() for p in first.value.problems]
    assert any("release_date" in p.format() for p in again.value.problems)


def test_a_loaded_model_without_reads_is_validated_as_before(project: Path) -> None:
    write_tree(project, {"content/demo/model.yaml": minimal_source()})
    loaded = read_project(Path("content"))
    loaded.models[0].reads.clear()  # as a model built in memory (an import) has none
    cache = _cache(project)
    validate_project(loaded, cache)
    validate_project(loaded, cache)
    assert cache.count(VALIDATE_KIND, "hit") == 0 and cache.count(VALIDATE_KIND, "stored") == 0


def test_reads_name_every_file_with_its_digest(project: Path) -> None:
    content = _with_include(project)
    model = read_project(content).models[0]
    import hashlib

    assert [(os.path.basename(opened), sha) for opened, _, sha in model.reads] == [
        (name, hashlib.sha256((content / "demo" / name).read_bytes()).hexdigest())
        for name in ("model.yaml", "extra.yaml")
    ]


def test_text_json_escapes_comes_back_the_same(project: Path) -> None:
    """A lone surrogate (YAML's "\\ud800") and text outside the BMP survive the cache."""
    data = yaml.safe_dump(minimal_source(), sort_keys=False) + 'odd: "\\ud800 😀 é"\n'
    write_tree(project, {"content/demo/model.yaml": data})
    cache = _cache(project)
    first = load_project(Path("content"), None, cache)
    again = load_project(Path("content"), None, cache)
    assert cache.count(LOAD_KIND, "hit") == 1
    assert again.models == first.models and again.models[0].data["odd"] == "\ud800 😀 é"


def test_a_folder_name_that_is_not_text_is_read_not_kept(project: Path) -> None:
    folder = os.fsdecode(b"content/demo\xff")
    write_tree(project, {f"{folder}/model.yaml": minimal_source()})
    cache = _cache(project)
    first = load_project(Path("content"), None, cache)
    assert first.models and first.models == read_project(Path("content")).models
    assert cache.count(LOAD_KIND, "stored") == 0
