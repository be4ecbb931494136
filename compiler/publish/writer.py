"""Publish stage: everything a build writes — PDFs, site, exports, manifest.json — staged, then swapped in whole.

PDFs come first because the site links them; the manifest comes last because it lists every other file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from compiler._util.paths import display_path
from compiler.cache import Cache
from compiler.config.audiences import Audience
from compiler.errors import CompilerError
from compiler.publish.exports import write_exports
from compiler.publish.manifest import manifest_header, write_manifest
from compiler.publish.output import staged_output
from compiler.publish.pdf import UNRELEASED_DAY
from compiler.publish.pdfs import publish_pdfs
from compiler.publish.site import SiteInput, write_site
from compiler.publish.site_config import SiteConfiguration
from compiler.render.document import Document
from compiler.render.engine import RenderInput
from compiler.render.incremental import Progress


@dataclass(frozen=True)
class PublishInput:
    """What the publish stage writes: the rendered documents, the models they describe, and how."""

    documents: list[Document]
    models: list[RenderInput]
    audiences: list[Audience]
    """The audiences built (the site's navigation lists these)."""
    content: Path
    """The content folder: source paths in the manifest are relative to it, PDFs may show its images."""
    site_config: SiteConfiguration
    pdf: bool = True
    pdf_profile: str | None = None
    jobs: int = 1


@dataclass(frozen=True)
class Published:
    """What the publish stage wrote: the PDFs' manifest entries, manifest.json as written, MkDocs' warnings."""

    pdfs: list[dict[str, Any]]
    manifest: dict[str, Any]
    warnings: list[str]


def publish(what: PublishInput, out: Path, progress: Progress | None = None, cache: Cache | None = None) -> Published:
    """Write every output into a folder beside `out` that replaces it only when all of them were written.

    A write that fails (a full disk, a read-only folder) leaves the previous output as it was and is
    reported as an input error naming `out`, not a traceback.
    """
    try:
        return _publish(what, out, progress, cache)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CompilerError.at(
            display_path(Path(out)),
            f"cannot write the output: {reason}; the previous output is kept",
            hint="free disk space (or choose another --out) and build again",
        ) from None


def _publish(what: PublishInput, out: Path, progress: Progress | None, cache: Cache | None) -> Published:
    tell = progress or (lambda stage, doc: None)
    with source_date_epoch(what.models), staged_output(out) as stage:
        if what.pdf:
            tell("pdf", None)
        pdfs = (
            publish_pdfs(
                what.documents,
                what.models,
                stage / "pdf",
                jobs=what.jobs,
                profile=what.pdf_profile,
                content=what.content,
                progress=progress,
                cache=cache,
            )
            if what.pdf
            else []
        )
        site = SiteInput(
            documents=[d for d in what.documents if "site" in d.audience.config.outputs],
            models=what.models,
            audiences=what.audiences,
            pdfs={e["audience_slug"]: stage / e["path"] for e in pdfs},
        )
        tell("site", None)
        warnings = write_site(site, stage / "site", what.site_config, cache)
        tell("exports", None)
        write_exports([m.source for m in what.models], stage / "exports", cache)
        header = manifest_header(what.models, what.documents, pdfs, what.content, what.pdf_profile)
        manifest = write_manifest(stage, header)
    return Published(pdfs, manifest, warnings)


@contextmanager
def source_date_epoch(models: list[RenderInput]) -> Iterator[None]:
    """Dates MkDocs writes (sitemap, gzip header) come from the newest release date, not the clock; from a fixed
    day when no model is released yet."""
    dates = [m.source.model.release_date for m in models if m.source.model.release_date is not None]
    newest = max(dates) if dates else UNRELEASED_DAY if models else None
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if newest is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime.combine(newest, time(), UTC).timestamp()))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
