"""Render stage output: one rendered document per (model, audience), shared by every publisher."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from compiler.config.audiences import Audience


@dataclass(frozen=True)
class DocumentMeta:
    """Document control: what the cover page and the manifest say about a document."""

    doc_id: str
    """Stable id, e.g. DC-CHEST-XRAY-TRIAGE-REGULATORY-2.1.0."""
    title: str
    """Document title, e.g. 'Regulatory submission — Chest X-ray triage'."""
    audience_title: str
    model_id: str
    model_name: str
    model_version: str
    release_date: date | None
    """None while the model is not released (a draft or one in review)."""
    status: str
    source_sha256: str
    """sha256 over the model's source files (sorted by path), as listed in the manifest."""
    compiler_version: str
    authors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    language: str = "en"


@dataclass(frozen=True)
class Document:
    """A rendered document: the Markdown body (site page and PDF share it) plus its files."""

    model_id: str
    audience: Audience
    meta: DocumentMeta
    markdown: str
    """The body as Markdown, in the dialect of compiler.markup (Mermaid as ```mermaid fences)."""
    assets: dict[str, bytes] = field(default_factory=dict)
    """Files the body refers to by relative path (plots as SVG…), keyed by that path."""
    warnings: tuple[str, ...] = ()
    """Things the reader or the release manager should know (e.g. a threshold crossed)."""

    @property
    def slug(self) -> str:
        return f"{self.model_id}/{self.audience.name}"
