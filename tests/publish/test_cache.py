"""The build cache: entries verified on read, exact invalidation, cached builds equal clean builds byte for byte."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.project import cache_entries, file_digests, minimal_source, write_tree
from helpers.project import two_models as project_with_two_models

from compiler.cache import CACHE_DIR_NAME, Cache, cache_root

CACHE = CACHE_DIR_NAME


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCS_COMPILE_CACHE", raising=False)


@pytest.fixture
def two_models(project: Path) -> Path:
    return project_with_two_models(project)


_tree, _entries = file_digests, cache_entries


def _new_entries(project: Path, kind: str, before: set[str]) -> int:
    return len(_entries(project, kind) - before)


def _build(cli: Callable[..., Result], *args: str) -> dict[str, Any]:
    result = cli("build", "--json", *args)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


# --- the store ---------------------------------------------------------------------------------------


def test_an_entry_comes_back_as_stored(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("pdf", "k" * 64, {"document.pdf": b"%PDF-1.7 body"}, {"pages": 2})
    entry = Cache(tmp_path).get("pdf", "k" * 64)
    assert entry is not None
    assert entry.files == {"document.pdf": b"%PDF-1.7 body"} and entry.meta == {"pages": 2}
    assert (tmp_path / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_a_corrupted_object_is_detected_and_never_served(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("pdf", "a" * 64, {"document.pdf": b"original bytes"}, {})
    (obj,) = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    obj.write_bytes(b"original bytez")  # same size, one byte changed
    assert cache.get("pdf", "a" * 64) is None
    assert cache.count("pdf", "rejected") == 1
    assert not obj.exists()  # the damaged object is removed, so the next build stores a good one
    assert cache.get("pdf", "a" * 64) is None and cache.count("pdf", "rejected") == 1


def test_a_foreign_entry_is_detected_and_never_served(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("render", "b" * 64, {"document.md": b"# Beta"}, {})
    mine = tmp_path / "entries" / "render" / "cc" / f"{'c' * 64}.json"
    mine.parent.mkdir(parents=True)
    # An entry copied under another key (or from another kind, or an older format) is not trusted.
    shutil.copy(tmp_path / "entries" / "render" / "bb" / f"{'b' * 64}.json", mine)
    assert cache.get("render", "c" * 64) is None
    record = json.loads((tmp_path / "entries" / "render" / "bb" / f"{'b' * 64}.json").read_text())
    other = tmp_path / "entries" / "pdf" / "bb" / f"{'b' * 64}.json"
    other.parent.mkdir(parents=True)
    other.write_text(json.dumps(record))
    assert cache.get("pdf", "b" * 64) is None
    (tmp_path / "entries" / "render" / "bb" / f"{'b' * 64}.json").write_text("{not json")
    assert cache.get("render", "b" * 64) is None
    assert cache.count("render", "rejected") == 2 and cache.count("pdf", "rejected") == 1


def test_cache_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache_root(tmp_path) == tmp_path / ".docs-compile-cache"
    monkeypatch.setenv("DOCS_COMPILE_CACHE", str(tmp_path / "env"))
    assert cache_root(tmp_path) == tmp_path / "env"
    assert cache_root(tmp_path, tmp_path / "given") == tmp_path / "given"


# --- builds ------------------------------------------------------------------------------------------


def test_a_cached_build_equals_a_clean_build_byte_for_byte(two_models: Path, cli: Any) -> None:
    _build(cli, "--no-pdf", "--out", "first")
    source = two_models / "content" / "alpha" / "model.yaml"
    source.write_text(source.read_text().replace("name: ", "name: Revised ", 1))
    warm = _build(cli, "--no-pdf", "--out", "warm")
    assert not warm["unchanged"]
    _build(cli, "--no-pdf", "--out", "clean", "--cache-dir", "elsewhere")
    assert _tree(two_models / "warm") == _tree(two_models / "clean")
    assert _tree(two_models / "warm") != _tree(two_models / "first")


def test_a_no_op_rebuild_keeps_the_output_and_an_edit_rebuilds_it(two_models: Path, cli: Any) -> None:
    first = _build(cli, "--no-pdf")
    before = _tree(two_models / "build")
    again = _build(cli, "--no-pdf")
    assert again["unchanged"] and again["documents"] == first["documents"]
    assert _tree(two_models / "build") == before
    (two_models / "build" / "site" / "index.html").write_text("tampered")  # the output changed: build again
    assert not _build(cli, "--no-pdf")["unchanged"]
    assert _tree(two_models / "build") == before
    assert not _build(cli, "--no-pdf", "--audience", "technical")["unchanged"]  # other options, other output


def test_a_source_edit_re_renders_only_that_models_documents(two_models: Path, cli: Any) -> None:
    _build(cli, "--no-pdf")
    before = _entries(two_models, "render")
    assert len(before) == 6  # 2 models x (leadership, regulatory, technical); clinician is for health models
    source = two_models / "content" / "beta" / "model.yaml"
    source.write_text(source.read_text().replace("name: ", "name: Revised ", 1))
    _build(cli, "--no-pdf")
    assert _new_entries(two_models, "render", before) == 3


def test_a_template_edit_re_renders_only_that_audiences_documents(two_models: Path, cli: Any) -> None:
    _build(cli, "--no-pdf")
    before = _entries(two_models, "render")
    template = two_models / "audiences" / "technical" / "sections" / "caveats.md.j2"
    template.write_text(template.read_text() + "\nReviewed.\n")
    _build(cli, "--no-pdf")
    assert _new_entries(two_models, "render", before) == 2  # technical, for each model
    assert "Reviewed." in (two_models / "build" / "site" / "alpha" / "technical" / "index.html").read_text()


def test_a_facts_lock_edit_re_renders_only_that_model(copy_examples: Callable[..., Path], cli: Any) -> None:
    project = copy_examples("item-recommender")
    write_tree(project, {"content/demo/model.yaml": minimal_source("demo")})
    _build(cli, "--no-pdf", "--audience", "technical", "--audience", "leadership")
    before = _entries(project, "render")
    lock = project / "content" / "item-recommender" / "facts.lock.json"
    data = json.loads(lock.read_text())
    history = next(iter(data["histories"].values()))
    history["values"][-1] = round(history["values"][-1] + 0.01, 4)
    lock.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    _build(cli, "--no-pdf", "--audience", "technical", "--audience", "leadership")
    assert _new_entries(project, "render", before) == 2  # item-recommender's two documents, not demo's


@pytest.mark.slow
def test_print_css_and_profile_invalidate_only_the_pdf(two_models: Path, cli: Any) -> None:
    args = ("--model", "alpha", "--audience", "leadership", "--out", "out")
    _build(cli, *args)
    renders, pdfs = _entries(two_models, "render"), _entries(two_models, "pdf")
    assert (len(renders), len(pdfs)) == (1, 1)
    css = two_models / "audiences" / "leadership" / "print.css"
    css.write_text(css.read_text() + "\nh1 { letter-spacing: 0.01em; }\n")
    _build(cli, *args)
    assert (_new_entries(two_models, "render", renders), _new_entries(two_models, "pdf", pdfs)) == (0, 1)
    pdfs = _entries(two_models, "pdf")
    _build(cli, *args, "--pdf-profile", "eu-archival")
    assert (_new_entries(two_models, "render", renders), _new_entries(two_models, "pdf", pdfs)) == (0, 1)


@pytest.mark.slow
def test_a_corrupted_cache_is_rebuilt_not_served(two_models: Path, cli: Any) -> None:
    args = ("--model", "alpha", "--audience", "leadership")
    _build(cli, *args, "--out", "first")
    for obj in (two_models / CACHE / "objects").rglob("*"):
        if obj.is_file():
            obj.write_bytes(obj.read_bytes()[:-1] + b"\0")
    _build(cli, *args, "--out", "second")
    assert _tree(two_models / "second") == _tree(two_models / "first")
