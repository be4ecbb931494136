"""The site's page cache (compiler/publish/site_cache.py): pages read and written again only when what they
depend on changed, and a cached site equal to a clean one byte for byte, warnings included."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.project import REPO, cache_entries, file_digests, write_tree
from helpers.project import two_models as project_with_two_models

from compiler.publish.site_cache import KIND_READ, KIND_WRITE

READ, WRITE = KIND_READ, KIND_WRITE


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCS_COMPILE_CACHE", raising=False)


@pytest.fixture
def two_models(project: Path) -> Path:
    return project_with_two_models(project)


_tree, _entries = file_digests, cache_entries


def _build(cli: Callable[..., Result], *args: str) -> dict[str, Any]:
    result = cli("build", "--json", "--no-pdf", *args)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def _pages(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")} - {"404.html"}


def _edit(project: Path, model: str, old: str, new: str) -> None:
    source = project / "content" / model / "model.yaml"
    text = source.read_text()
    assert old in text
    source.write_text(text.replace(old, new, 1))


def test_an_edit_reads_and_writes_again_only_the_pages_it_changed(two_models: Path, cli: Any) -> None:
    _build(cli, "--out", "first")
    reads, writes = _entries(two_models, READ), _entries(two_models, WRITE)
    pages = _pages(two_models / "first" / "site")
    assert len(reads) == len(writes) == len(pages)  # one entry per page of each kind
    _edit(two_models, "beta", "summary: ", "summary: Revised in review. ")
    _build(cli, "--out", "warm")
    changed = {
        page
        for page in pages
        if (two_models / "first" / "site" / page).read_bytes() != (two_models / "warm" / "site" / page).read_bytes()
    }
    assert changed and all(page.startswith(("beta/", "index.html")) for page in changed), changed
    assert len(_entries(two_models, READ) - reads) == len(changed)
    assert len(_entries(two_models, WRITE) - writes) == len(changed)
    _build(cli, "--out", "clean", "--cache-dir", "elsewhere")
    assert _tree(two_models / "warm") == _tree(two_models / "clean")


def test_a_renamed_model_writes_every_page_again_but_reads_only_its_own(two_models: Path, cli: Any) -> None:
    """The navigation lists every model by name: every page shows it, but only the model's own pages say it."""
    _build(cli, "--out", "first")
    reads, writes = _entries(two_models, READ), _entries(two_models, WRITE)
    _edit(two_models, "alpha", "name: ", "name: Renamed ")
    _build(cli, "--out", "warm")
    assert len(_entries(two_models, WRITE) - writes) == len(writes)
    read_again = len(_entries(two_models, READ) - reads)
    assert 0 < read_again < len(reads) // 2 + 2
    _build(cli, "--out", "clean", "--cache-dir", "elsewhere")
    assert _tree(two_models / "warm") == _tree(two_models / "clean")


def test_a_page_is_read_again_when_a_file_it_links_to_appears_or_goes(two_models: Path, cli: Any) -> None:
    """An extra page whose Markdown does not change still links differently (and is warned about) when the
    page it links to is not built: the cached page is used only when every file it looked up is as it was."""
    write_tree(
        two_models,
        {
            "docs/guide.md": "# Guide\n\nSee [alpha's model card](alpha/technical/index.md).\n",
            "mkdocs.yml": (REPO / "mkdocs.yml").read_text().replace("plugins:", "docs_dir: docs\nplugins:", 1),
        },
    )
    full = _build(cli, "--out", "full")
    assert 'href="../alpha/technical/"' in (two_models / "full" / "site" / "guide" / "index.html").read_text()
    only_beta = _build(cli, "--model", "beta", "--out", "beta")
    clean = _build(cli, "--model", "beta", "--out", "beta-clean", "--cache-dir", "elsewhere")
    guide = (two_models / "beta" / "site" / "guide" / "index.html").read_text()
    assert 'href="alpha/technical/index.md"' in guide and 'href="../alpha/technical/"' not in guide
    assert _tree(two_models / "beta") == _tree(two_models / "beta-clean")
    missing = [w for w in only_beta["warnings"] if "guide.md" in w]
    assert missing and missing == [w for w in clean["warnings"] if "guide.md" in w]
    assert not [w for w in full["warnings"] if "guide.md" in w]
    again = _build(cli, "--model", "beta", "--out", "beta-again")  # read from the cache: told again
    assert [w for w in again["warnings"] if "guide.md" in w] == missing


def test_a_plugin_the_cache_does_not_know_turns_it_off(two_models: Path, cli: Any) -> None:
    own = (REPO / "mkdocs.yml").read_text().replace("  - search\n", "  - search\n  - offline\n", 1)
    own += "extra:\n  docs_compile:\n    allow: [plugin:offline]\n"
    write_tree(two_models, {"mkdocs.yml": own})
    _build(cli, "--out", "first")
    assert not _entries(two_models, READ) and not _entries(two_models, WRITE)
    assert (two_models / "first" / "site" / "alpha" / "index.html").is_file()


def test_the_search_index_of_a_cached_site_is_the_same(two_models: Path, cli: Any) -> None:
    _build(cli, "--out", "first")
    shutil.rmtree(two_models / "first")
    _build(cli, "--out", "second")  # every page from the cache
    _build(cli, "--out", "clean", "--cache-dir", "elsewhere")
    index = "site/search/search_index.json"
    assert (two_models / "second" / index).read_bytes() == (two_models / "clean" / index).read_bytes()
    docs = json.loads((two_models / "second" / index).read_text())["docs"]
    assert any(d["location"].startswith("alpha/") for d in docs)
