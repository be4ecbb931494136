"""Render stage output: one rendered document per (model, audience), shared by every publisher."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .audience import Audience


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
    release_date: date
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


@dataclass(frozen=True)
class CoverageRow:
    """One requirement of a framework (or an audience's required field) and where it is documented."""

    framework: str
    requirement_id: str
    text: str
    citation: str
    fields: tuple[str, ...]
    status: str
    """covered, partial, missing or not-applicable."""
    section: str = ""
    """Anchor of the section of the document that holds it (for links), or ''."""


@dataclass(frozen=True)
class SignoffRow:
    """One approval a document shows: who approved which section, and whether it still holds."""

    section: str
    role: str
    reviewer: str
    date: str
    status: str
    """approved (the section is unchanged since), stale (changed since) or missing (required, absent)."""
