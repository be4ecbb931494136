"""Publish stage support: a content-addressed cache of build outputs, so unchanged work is not done again.

An entry is found by a key, the sha256 of everything the output depends on (sources, templates, CSS,
profile, fonts, package and library versions, options). Its bytes are stored once under their own
sha256 (`objects/`), and every read checks them against that hash: a corrupted, truncated or foreign
entry is reported as a miss, removed and rebuilt — never served. The folder is safe to delete.

Layout: `<root>/entries/<kind>/<key[:2]>/<key>.json` (the key again, meta data, file name → sha256)
and `<root>/objects/<sha[:2]>/<sha>`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from compiler import __version__

CACHE_DIR_NAME = ".docs-compile-cache"
FORMAT = 1
"""Bump when the layout or the meaning of an entry changes: older entries then count as foreign."""
ENV_VAR = "DOCS_COMPILE_CACHE"
_PACKAGE = Path(__file__).parent
_LIBRARIES = ("jinja2", "markdown", "pymdown-extensions", "matplotlib", "mkdocs", "mkdocs-material", "pydantic")
_PDF_LIBRARIES = ("weasyprint", "pikepdf", "pydyf", "tinycss2", "mermaidx", "lxml")
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# docs-compile build cache; safe to delete.\n"


def cache_root(project: Path, given: Path | None = None) -> Path:
    """Where the cache lives: --cache-dir, else $DOCS_COMPILE_CACHE, else .docs-compile-cache/ in the project."""
    if given is not None:
        return Path(given)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return Path(project) / CACHE_DIR_NAME


def digest(*parts: Any) -> str:
    """sha256 of JSON-ready parts (sorted keys), the form every key is made of."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_digest(files: Iterable[Path], root: Path) -> str:
    """sha256 over files by path relative to root and content; order does not matter."""
    rows = sorted(f"{p.relative_to(root).as_posix()}\0{sha256_bytes(p.read_bytes())}" for p in files)
    return digest(rows)


def tree_files(folder: Path, suffixes: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[Path]:
    """Files under folder (hidden files and caches left out), optionally only or never those ending so."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.rglob("*"):
        parts = path.relative_to(folder).parts
        if any(part.startswith((".", "__pycache__")) for part in parts) or not path.is_file():
            continue
        if suffixes and not path.name.endswith(suffixes):
            continue
        if exclude and path.name.endswith(exclude):
            continue
        found.append(path)
    return sorted(found)


def tree_digest(folder: Path, suffixes: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> str:
    return files_digest(tree_files(folder, suffixes, exclude), folder)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The compiler's own code and data (without PDF profiles, print templates and fonts) and library versions."""
    files = [
        p
        for p in tree_files(_PACKAGE)
        if p.suffix in (".py", ".yaml", ".j2", ".json", ".css")
        and not p.is_relative_to(_PACKAGE / "config" / "profiles")
        and not p.is_relative_to(_PACKAGE / "publish" / "print")
    ]
    return digest(__version__, sys.version_info[:2], _versions(_LIBRARIES), files_digest(files, _PACKAGE))


@lru_cache(maxsize=1)
def print_fingerprint() -> str:
    """What every PDF depends on besides its document: the print templates, fonts and PDF libraries."""
    files = tree_files(_PACKAGE / "publish" / "print") + tree_files(_PACKAGE / "fonts")
    return digest(_versions(_PDF_LIBRARIES), files_digest(files, _PACKAGE))


def _versions(names: tuple[str, ...]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = ""
    return found


@dataclass(frozen=True)
class Entry:
    """What a cache entry holds: files by name and a JSON-ready meta data dict."""

    files: dict[str, bytes]
    meta: dict[str, Any]


@dataclass
class Cache:
    """The cache under root; counts hits, misses and rejected (corrupted or foreign) entries per kind."""

    root: Path
    stats: Counter[str] = field(default_factory=Counter)

    def get(self, kind: str, key: str) -> Entry | None:
        """The entry for key, verified; None when absent, unreadable, foreign or corrupted."""
        path = self._entry_path(kind, key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.stats[f"{kind}:miss"] += 1
            return None
        except (OSError, ValueError):
            self._reject(kind, path)
            return None
        if not isinstance(record, dict) or (record.get("format"), record.get("kind"), record.get("key")) != (
            FORMAT,
            kind,
            key,
        ):
            self._reject(kind, path)
            return None
        files: dict[str, bytes] = {}
        names = record.get("files")
        if not isinstance(names, dict) or not isinstance(record.get("meta"), dict):
            self._reject(kind, path)
            return None
        for name, sha in names.items():
            body = self._read_object(str(sha))
            if body is None:
                self._reject(kind, path)
                return None
            files[name] = body
        self.stats[f"{kind}:hit"] += 1
        return Entry(files, record["meta"])

    def put(self, kind: str, key: str, files: Mapping[str, bytes], meta: Mapping[str, Any]) -> None:
        """Store an entry (objects first, then the entry, each written atomically)."""
        names = {}
        for name, body in files.items():
            sha = sha256_bytes(body)
            target = self.root / "objects" / sha[:2] / sha
            if not target.is_file():
                _write_atomic(target, body)
            names[name] = sha
        record = {"format": FORMAT, "kind": kind, "key": key, "meta": dict(meta), "files": names}
        self._tag()
        _write_atomic(self._entry_path(kind, key), json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
        self.stats[f"{kind}:stored"] += 1

    def count(self, kind: str, outcome: str) -> int:
        return self.stats[f"{kind}:{outcome}"]

    def _entry_path(self, kind: str, key: str) -> Path:
        return self.root / "entries" / kind / key[:2] / f"{key}.json"

    def _read_object(self, sha: str) -> bytes | None:
        path = self.root / "objects" / sha[:2] / sha
        try:
            body = path.read_bytes()
        except OSError:
            return None
        if sha256_bytes(body) != sha:
            path.unlink(missing_ok=True)  # a damaged object would poison every entry that shares it
            return None
        return body

    def _reject(self, kind: str, path: Path) -> None:
        self.stats[f"{kind}:rejected"] += 1
        self.stats[f"{kind}:miss"] += 1
        path.unlink(missing_ok=True)

    def _tag(self) -> None:
        tag = self.root / "CACHEDIR.TAG"
        if not tag.is_file():
            _write_atomic(tag, _TAG.encode())


def _write_atomic(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(body)
    tmp.replace(path)
