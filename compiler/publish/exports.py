"""Publish stage, exports: each model's resolved source as `exports/<model-id>/model.json`.

The file is the canonical JSON export, byte for byte what `docs-compile export MODEL_ID --format json`
writes: one function (`compiler.interop.export`) produces both.
"""

from __future__ import annotations

from pathlib import Path

from compiler.interop import export
from compiler.schema import Source

EXPORT_FILE = "model.json"


def write_exports(sources: list[Source], folder: Path) -> None:
    """`<folder>/<model-id>/model.json` for every (resolved) source."""
    for source in sources:
        target = folder / source.model.id
        target.mkdir(parents=True, exist_ok=True)
        (target / EXPORT_FILE).write_text(export(source, "json").text, encoding="utf-8")
