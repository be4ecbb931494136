"""Publish stage, exports: each model's resolved source as `exports/<model-id>/model.json`.

The file is the canonical JSON export, byte for byte what `docs-compile export MODEL_ID --format json`
writes: one function (`compiler.interop.export`) produces both. It is a pure function of the resolved source
and the compiler's code, so the build cache keeps it by the sha256 of both.
"""

from __future__ import annotations

from pathlib import Path

from compiler.cache import Cache, code_fingerprint, digest, sha256_bytes
from compiler.interop import export
from compiler.schema import Source

EXPORT_FILE = "model.json"
EXPORT_KIND = "export"


def write_exports(sources: list[Source], folder: Path, cache: Cache | None = None) -> None:
    """`<folder>/<model-id>/model.json` for every (resolved) source."""
    for source in sources:
        target = folder / source.model.id
        target.mkdir(parents=True, exist_ok=True)
        (target / EXPORT_FILE).write_bytes(_export(source, cache))


def _export(source: Source, cache: Cache | None) -> bytes:
    if cache is None:
        return export(source, "json").text.encode()
    key = digest(EXPORT_KIND, code_fingerprint(), sha256_bytes(source.model_dump_json().encode()))
    entry = cache.get(EXPORT_KIND, key)
    if entry is not None and EXPORT_FILE in entry.files:
        return entry.files[EXPORT_FILE]
    body = export(source, "json").text.encode()
    cache.put(EXPORT_KIND, key, {EXPORT_FILE: body}, {})
    return body
