"""Publish stage, PDF dispatch: which documents get a PDF, their assets, and the files an archival PDF carries.

The PDFs themselves are laid out and written by `compiler.publish.pdf`.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from compiler._util.safe_open import read_bytes
from compiler.cache import Cache
from compiler.errors import UsageError
from compiler.render.document import Document
from compiler.render.engine import RenderInput
from compiler.render.incremental import Progress
from compiler.schema import Source


def publish_pdfs(
    documents: list[Document],
    models: list[RenderInput],
    pdf_dir: Path,
    *,
    jobs: int,
    profile: str | None,
    content: Path,
    progress: Progress | None = None,
    cache: Cache | None = None,
) -> list[dict[str, Any]]:
    """The PDFs of every document whose audience asks for one, as `<pdf_dir>/<model-id>/<audience>.pdf`.

    One manifest entry per PDF, with its `audience_slug` (`<model-id>/<audience>`) for the site's links.
    Images may come from the content folder as well as from the audience's own folders.
    """
    try:
        from compiler.publish.pdf import write_pdfs
    except ModuleNotFoundError as exc:
        if exc.name != "compiler.publish.pdf":
            raise
        raise UsageError("this installation cannot write PDFs (hint: build the site alone with --no-pdf)") from None
    wanted = [d for d in documents if "pdf" in d.audience.config.outputs]
    attachments = {m.source.model.id: archival_files(m) for m in models}
    authors = {m.source.model.id: author for m in models if (author := responsible_organisation(m.source))}
    with tempfile.TemporaryDirectory(prefix="docs-compile-assets-") as tmp:
        asset_root = Path(tmp)
        _write_assets(wanted, asset_root)
        entries: list[dict[str, Any]] = write_pdfs(
            wanted,
            pdf_dir,
            jobs=jobs,
            profile=profile,
            asset_root=asset_root,
            progress=(lambda doc: progress("pdf", doc)) if progress else None,
            attachments=attachments,
            allowed_roots=[content],
            cache=cache,
            authors=authors,
        )
    return [{**e, "audience_slug": f"{e['model']}/{e['audience']}"} for e in entries]


_RESPONSIBLE = (re.compile(r"\bmanufacturer\b", re.I), re.compile(r"\bdeveloper\b", re.I))


def responsible_organisation(source: Source) -> str:
    """Who a PDF names as its Author: the organisation responsible for the model, not everyone who took part.

    The manufacturer the regulatory details name (`model.regulatory.manufacturer`); else the first developer
    whose role names them the manufacturer, else the first whose role names them a developer (not a validator,
    a data partner, or the vendor of a component), else the first one listed; empty when the source lists none.
    """
    regulatory = source.model.regulatory
    if regulatory and regulatory.manufacturer:
        return str(regulatory.manufacturer.name)
    developers = source.model.developers or []
    for role in _RESPONSIBLE:
        for developer in developers:
            if role.search(developer.role or ""):
                return str(developer.name)
    return str(developers[0].name) if developers else ""


def _write_assets(documents: list[Document], asset_root: Path) -> None:
    """Each document's figures as files under `<asset_root>/<model-id>/<audience>/`, where its PDF finds them."""
    for doc in documents:
        for rel, body in doc.assets.items():
            target = asset_root / doc.slug / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)


def archival_files(model: RenderInput) -> dict[str, bytes]:
    """What an archival PDF carries: the model's source files and a manifest of them with the facts' provenance.

    The build's own manifest.json lists the PDFs' hashes, so a PDF cannot embed it; this one is written first.
    Each file is read again here, confined to the model's folder: a link put in a file's place since it was
    hashed is refused, not followed out of the project.
    """
    folder = model.loaded.folder
    files = {name: read_bytes(folder / name, [folder]) for name in sorted(model.file_hashes)}
    manifest = {
        "model": model.source.model.id,
        "version": str(model.source.model.version),
        "source_sha256": model.source_sha256,
        "sources": [{"path": name, "sha256": sha} for name, sha in sorted(model.file_hashes.items())],
        "provenance": model.provenance,
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return files
