"""Publish stage: the output folder, written beside `<out>` and swapped in whole, plus manifest.json."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """A fresh folder beside out; swapped in for out only if the block succeeds, removed otherwise."""
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield stage
        stage.chmod(0o755)
        _swap(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _swap(stage: Path, out: Path) -> None:
    """Replace out by stage with two renames; the old output is deleted only after the new one is in place."""
    old: Path | None = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        old.rmdir()
        out.rename(old)
    try:
        stage.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_files(folder: Path) -> list[Path]:
    """Every file of a model's folder (YAML, evidence, schemas…), sorted; hidden files and caches left out."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith((".", "__pycache__")) for part in p.relative_to(folder).parts)
    )


def write_manifest(root: Path, header: dict[str, Any]) -> dict[str, Any]:
    """manifest.json: the header (models, sources, PDFs) plus every output file with its sha256 and size."""
    outputs = [
        {"path": p.relative_to(root).as_posix(), "sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    ]
    manifest = {**header, "outputs": outputs}
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return manifest
