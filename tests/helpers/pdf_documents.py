"""Publish stage (PDF) test helpers: realistic documents built from Markdown written here."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from helpers.project import AUDIENCES

from compiler.config.audiences import Audience, AudienceConfig
from compiler.render.document import Document, DocumentMeta

MODEL = "chest-xray-triage"

ROC_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="320" height="220" viewBox="0 0 320 220">'
    b'<rect width="320" height="220" fill="#fff" stroke="#000"/>'
    b'<path d="M30 190 L70 80 L150 40 L300 20" stroke="#036" fill="none" stroke-width="3"/>'
    b'<text x="160" y="212" font-family="DejaVu Sans" font-size="12" text-anchor="middle">False positive rate</text>'
    b"</svg>"
)

DIAGRAM = """```mermaid
flowchart LR
  A[Chest X-ray] --> B{Triage model}
  B -->|score >= 0.42| C[Priority worklist]
  B --> D[Routine worklist]
```"""


def audience(name: str, **pdf: Any) -> Audience:
    config = AudienceConfig.model_validate(
        {
            "title": name.title(),
            "description": "Test audience.",
            "sections": ["body"],
            "outputs": ["site", "pdf"],
            "pdf": pdf,
        }
    )
    folder = AUDIENCES / name
    return Audience(name, folder, config, (folder,))


def meta(name: str, **changes: Any) -> DocumentMeta:
    values: dict[str, Any] = {
        "doc_id": f"DC-CXR-{name.upper()}-2.1.0",
        "title": f"{name.title()} document — Chest X-ray triage",
        "audience_title": name.title(),
        "model_id": MODEL,
        "model_name": "Chest X-ray triage",
        "model_version": "2.1.0",
        "release_date": date(2025, 3, 14),
        "status": "released",
        "source_sha256": "5f" * 32,
        "compiler_version": "0.1.0",
        "authors": ("Radiology AI group",),
        "keywords": ("chest x-ray", "triage"),
    }
    values.update(changes)
    return DocumentMeta(**values)


def regulatory_markdown(sections: int = 6) -> str:
    """A long regulatory body: headings to level 5, a long table, a diagram, a plot, an admonition."""
    rows = "\n".join(
        f"| site-{i:02d} | {1000 + i} | 0.{900 + i % 50} (0.88–0.95) | {'yes' if i % 2 else 'no'} |" for i in range(70)
    )
    parts = ["# Regulatory submission", "", "Overall AUROC 0.93 (95% CI 0.91–0.95) on the external test set.", ""]
    for s in range(1, sections + 1):
        parts += [
            f"## {s}. Annex IV section {s}",
            "",
            "The device informs radiologists' worklist prioritisation. " * 30,
            "",
            f"### {s}.1 Details of section {s}",
            "",
            "Text with **bold**, *italic* and `code`.",
            "",
            f"#### {s}.1.1 Evidence for section {s}",
            "",
            "More text.",
            "",
            f"##### Note {s}",
            "",
            "A fifth-level heading is not bookmarked.",
            "",
        ]
        if s == 1:
            parts += [
                DIAGRAM,
                "",
                '![ROC curve of the internal test set](plots/roc.svg "ROC curve, internal test set")',
                "",
            ]
            parts += ["| Site | n | AUROC (95% CI) | External |", "|---|---:|---|---|", rows, ""]
            parts += ['!!! warning "Not for autonomous use"', "    A radiologist reads every image.", ""]
    return "\n".join(parts)


CLINICIAN_METRICS = ("0.93 (95% CI 0.91–0.95)", "88.1% (95% CI 85.0–90.7%)", "92.4% (95% CI 91.2–93.5%)")


def clinician_markdown() -> str:
    return f"""# Chest X-ray triage: what it does

The tool flags chest X-rays that probably show an urgent finding, so they are read first.
It never replaces the radiologist's read.

## How well it works

| Measure | Value |
|---|---|
| AUROC | {CLINICIAN_METRICS[0]} |
| Sensitivity | {CLINICIAN_METRICS[1]} |
| Specificity | {CLINICIAN_METRICS[2]} |

Per 1,000 patients, about 881 of those with an urgent finding are flagged.

## When not to use it

- Children under 18.
- Portable films taken in intensive care.

## Warnings

!!! warning "Read every image"
    A normal result does not mean the image is normal.
"""


def headings(markdown: str, depth: int = 4) -> list[str]:
    """Headings of a Markdown body in order, down to `depth`, outside fenced code."""
    found = []
    in_fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        match = re.match(r"^(#{1,6}) (.+)$", line)
        if match and not in_fence and len(match.group(1)) <= depth:
            found.append(match.group(2).strip())
    return found


def document(name: str, markdown: str, *, assets: dict[str, bytes] | None = None, **pdf: Any) -> Document:
    return Document(MODEL, audience(name, **pdf), meta(name), markdown, assets or {})
