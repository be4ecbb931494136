"""Shared helper: sha256 of files and of a model's set of source files."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_sha256(file_hashes: dict[str, str]) -> str:
    """sha256 over a model's source files, sorted by path: path NUL sha256 newline, per file."""
    digest = hashlib.sha256()
    for rel, sha in sorted(file_hashes.items()):
        digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()
