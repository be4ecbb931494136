"""Publish stage support: a content-addressed cache of build outputs, so unchanged work is not done again.

An entry is found by a key, the sha256 of everything the output depends on (sources, templates, CSS,
profile, fonts, package and library versions, options). Its bytes are stored once under their own
sha256 (`objects/`), and every read checks them against that hash: a corrupted, truncated or foreign
entry is reported as a miss, removed and rebuilt — never served. The folder is safe to delete.

The cache is untrusted input (docs/security.md): it may be committed to the repository or restored
by CI. A hash shows corruption, not forgery, so every entry carries an HMAC-SHA256 keyed by a secret
of this machine kept outside the repository (`machine_key`). An entry without a valid MAC is a miss:
it is rendered again and overwritten. Object files are trusted only through an entry's MAC.

Layout: `<root>/entries/<kind>/<key[:2]>/<key>.json` (the key again, meta data, file name → sha256, MAC)
and `<root>/objects/<sha[:2]>/<sha>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from compiler import __version__
from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.errors import ConfigError

CACHE_DIR_NAME = ".docs-compile-cache"
FORMAT = 2
"""Bump when the layout or the meaning of an entry changes: older entries then count as foreign."""
ENV_VAR = "DOCS_COMPILE_CACHE"
KEY_ENV_VAR = "DOCS_COMPILE_CACHE_KEY"
"""A key given by the environment (CI, or machines that share one cache); else the key file is used."""
KEY_FILE = Path("docs-compile") / "cache.key"
"""Under $XDG_CONFIG_HOME (default ~/.config): created with mode 0600 on first use."""
MIN_KEY_CHARS = 32
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
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


def key_file() -> Path:
    """Where this machine's cache key is kept: outside every repository, in the user's configuration."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / KEY_FILE


_EPHEMERAL = secrets.token_bytes(32)


def machine_key() -> bytes:
    """The secret that authenticates cache entries: $DOCS_COMPILE_CACHE_KEY, else the key file (made if missing).

    Where no key file can be written (a read-only home), a key of this process is used: the cache
    still works within the build, and nothing from an earlier run is trusted.
    """
    given = os.environ.get(KEY_ENV_VAR, "")
    if given:
        if len(given) < MIN_KEY_CHARS:
            raise ConfigError(
                f"{KEY_ENV_VAR} holds {len(given)} characters; a cache key needs at least {MIN_KEY_CHARS} "
                f"(hint: use e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        return given.encode()
    try:
        path = key_file()
        return _read_key(path)
    except FileNotFoundError:
        pass
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return _EPHEMERAL
    try:
        _create_key(path)
        return _read_key(path)
    except OSError:
        return _EPHEMERAL


def _read_key(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if len(key) < MIN_KEY_CHARS:
        raise ConfigError.at(
            display_path(path),
            f"the build cache key is {len(key)} characters long; it needs at least {MIN_KEY_CHARS}",
            hint="delete the file: a new key is made on the next build, and the cache is rebuilt",
        )
    return key


def _create_key(path: Path) -> None:
    """Write a new random key, readable by its owner only; a key another process made first is kept."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cache.key.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        os.link(tmp, path)  # fails if the key exists: never two keys, never half a key
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def _mac(secret: bytes, record: Mapping[str, Any]) -> str:
    body = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Entry:
    """What a cache entry holds: files by name and a JSON-ready meta data dict."""

    files: dict[str, bytes]
    meta: dict[str, Any]


@dataclass
class Cache:
    """The cache under root; counts hits, misses and rejected (corrupted, forged or foreign) entries per kind."""

    root: Path
    stats: Counter[str] = field(default_factory=Counter)
    secret: bytes = field(default_factory=machine_key, repr=False)

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
        if not self._authentic(record, kind, key):
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
        """Store an entry (objects first, then the entry, each written atomically).

        A cache that cannot be written (a full disk, a read-only folder) only costs the next build time:
        the entry is left out and the build goes on.
        """
        try:
            self._put(kind, key, files, meta)
        except OSError:
            self.stats[f"{kind}:unwritable"] += 1

    def _put(self, kind: str, key: str, files: Mapping[str, bytes], meta: Mapping[str, Any]) -> None:
        names = {}
        for name, body in files.items():
            sha = sha256_bytes(body)
            target = self.root / "objects" / sha[:2] / sha
            if not target.is_file():
                atomic_write(target, body)
            names[name] = sha
        record: dict[str, Any] = {"format": FORMAT, "kind": kind, "key": key, "meta": dict(meta), "files": names}
        record["mac"] = _mac(self.secret, record)
        self._tag()
        atomic_write(self._entry_path(kind, key), json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
        self.stats[f"{kind}:stored"] += 1

    def count(self, kind: str, outcome: str) -> int:
        return self.stats[f"{kind}:{outcome}"]

    def _entry_path(self, kind: str, key: str) -> Path:
        return self.root / "entries" / kind / key[:2] / f"{key}.json"

    def _authentic(self, record: Any, kind: str, key: str) -> bool:
        """Whether this machine wrote the record, for this kind and key, in this format."""
        if not isinstance(record, dict) or (record.get("format"), record.get("kind"), record.get("key")) != (
            FORMAT,
            kind,
            key,
        ):
            return False
        mac = record.get("mac")
        unsigned = {name: value for name, value in record.items() if name != "mac"}
        return isinstance(mac, str) and hmac.compare_digest(mac, _mac(self.secret, unsigned))

    def _read_object(self, sha: str) -> bytes | None:
        if not _SHA256.match(sha):  # only ever a file name under objects/, never a path
            return None
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
            atomic_write(tag, _TAG.encode())
