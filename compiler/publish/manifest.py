"""Publish stage, manifest.json: what a build wrote and from what.

The header names each model with its source sha256 and its facts' provenance, every source file with its
sha256, and the PDFs; the list of every output file with its sha256 and size follows.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from compiler import __version__
from compiler._util.hashing import sha256_file
from compiler.render.document import Document
from compiler.render.engine import RenderInput

MANIFEST = "manifest.json"


def manifest_header(
    models: list[RenderInput],
    documents: list[Document],
    pdfs: list[dict[str, Any]],
    content: Path,
    pdf_profile: str | None,
) -> dict[str, Any]:
    """Models, source files (as `<content folder name>/...`) and PDFs of a build, for manifest.json."""
    sources = [
        {"path": f"{content.name}/{(m.loaded.folder / name).relative_to(content).as_posix()}", "sha256": sha}
        for m in models
        for name, sha in sorted(m.file_hashes.items())
    ]
    return {
        "compiler_version": __version__,
        "models": [
            {
                "id": m.source.model.id,
                "version": str(m.source.model.version),
                "release_date": _iso(m.source.model.release_date),
                "source_sha256": m.source_sha256,
                "provenance": m.provenance,
                "documents": sorted(d.audience.name for d in documents if d.model_id == m.source.model.id),
            }
            for m in models
        ],
        "sources": sources,
        "pdfs": [{k: v for k, v in e.items() if k != "audience_slug"} for e in pdfs],
        "pdf_profile": pdf_profile,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None  # null: the model is not released yet


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
