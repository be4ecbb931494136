"""Issue 14, item 5: the build cache is untrusted input; only entries this machine wrote are served."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from helpers.project import AUDIENCES, REPO, minimal_source, write_tree

from compiler.cache import CACHE_DIR_NAME, KEY_ENV_VAR, Cache, key_file
from compiler.errors import ConfigError

KEY = "k" * 64


@pytest.fixture(autouse=True)
def _own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This machine's key file lives in a configuration folder of the test's own."""
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def _entry_file(root: Path, kind: str, key: str) -> Path:
    return root / "entries" / kind / key[:2] / f"{key}.json"


def _forge(root: Path, kind: str, key: str, name: str, body: bytes) -> None:
    """What an attacker with write access to a committed cache does: a new object, the entry pointed at it."""
    sha = hashlib.sha256(body).hexdigest()
    (root / "objects" / sha[:2]).mkdir(parents=True, exist_ok=True)
    (root / "objects" / sha[:2] / sha).write_bytes(body)
    path = _entry_file(root, kind, key)
    record = json.loads(path.read_text())
    record["files"][name] = sha
    path.write_text(json.dumps(record))


def test_item5_a_forged_object_with_its_updated_sha256_is_not_served(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    cache.put("render", KEY, {"document.md": b"AUROC 0.91"}, {"pages": 3})
    _forge(tmp_path / "cache", "render", KEY, "document.md", b"AUROC 0.99")
    assert cache.get("render", KEY) is None
    assert cache.count("render", "rejected") == 1
    # A miss: the document is rendered again and the entry overwritten, then served.
    cache.put("render", KEY, {"document.md": b"AUROC 0.91"}, {"pages": 3})
    entry = Cache(tmp_path / "cache").get("render", KEY)
    assert entry is not None and entry.files == {"document.md": b"AUROC 0.91"}


def test_item5_forged_meta_data_is_not_served(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    cache.put("pdf", KEY, {"document.pdf": b"%PDF"}, {"pages": 3})
    path = _entry_file(tmp_path / "cache", "pdf", KEY)
    path.write_text(path.read_text().replace('"pages": 3', '"pages": 1'))
    assert cache.get("pdf", KEY) is None


def test_item5_a_cache_made_on_another_machine_is_not_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, "another machine's key, 32 characters or more")
    Cache(tmp_path / "cache").put("render", KEY, {"document.md": b"# Theirs"}, {})
    monkeypatch.setenv(KEY_ENV_VAR, "this machine's key, also 32 characters or more")
    assert Cache(tmp_path / "cache").get("render", KEY) is None


def test_item5_a_forged_entry_cannot_name_a_file_outside_the_cache(tmp_path: Path) -> None:
    """Before the MAC, a forged object name was a path: reading it failed its hash check and deleted it."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    cache = Cache(tmp_path / "cache")
    cache.put("render", KEY, {"document.md": b"# Ours"}, {})
    path = _entry_file(tmp_path / "cache", "render", KEY)
    record = json.loads(path.read_text())
    record["files"]["document.md"] = "../victim.txt"  # objects/.. then ../victim.txt
    path.write_text(json.dumps(record))
    assert cache.get("render", KEY) is None
    assert victim.read_text() == "keep me"


def test_item5_the_key_is_made_once_outside_the_repository_readable_by_its_owner_only(
    tmp_path: Path, _own_key: Path
) -> None:
    Cache(tmp_path / "cache").put("render", KEY, {"document.md": b"# Ours"}, {})
    assert key_file() == _own_key / "docs-compile" / "cache.key"
    key = key_file().read_text()
    assert len(key.strip()) == 64
    assert stat.S_IMODE(key_file().stat().st_mode) == 0o600
    assert Cache(tmp_path / "cache").get("render", KEY) is not None
    assert key_file().read_text() == key
    assert [p.name for p in key_file().parent.iterdir()] == ["cache.key"]


def test_item5_a_short_key_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, "short")
    with pytest.raises(ConfigError) as raised:
        Cache(tmp_path / "cache")
    assert raised.value.format() == (
        "DOCS_COMPILE_CACHE_KEY holds 5 characters; a cache key needs at least 32 "
        "(hint: use e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
    )


def test_item5_an_unwritable_configuration_folder_still_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "file"))  # a file: no folder can be made in it
    cache = Cache(tmp_path / "cache")
    cache.put("render", KEY, {"document.md": b"# Ours"}, {})
    assert cache.get("render", KEY) is not None


def test_item5_a_committed_cache_with_forged_documents_is_not_served(project: Path, cli: Any) -> None:
    write_tree(project, {"content/alpha/model.yaml": minimal_source("alpha")})
    shutil.copytree(AUDIENCES, project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    assert cli("build", "--no-pdf", "--out", "first").exit_code == 0
    cache = project / CACHE_DIR_NAME
    forged = 0
    for path in (cache / "entries" / "render").rglob("*.json"):
        record = json.loads(path.read_text())
        sha = record["files"]["document.md"]
        body = (cache / "objects" / sha[:2] / sha).read_bytes()
        _forge(cache, "render", record["key"], "document.md", body.replace(b"\n## ", b"\nFORGED AUROC 0.999\n\n## ", 1))
        forged += 1
    assert forged
    result = cli("build", "--no-pdf", "--out", "second")
    assert result.exit_code == 0, result.output
    pages = [p for p in (project / "second").rglob("*.html") if b"FORGED" in p.read_bytes()]
    assert pages == []
