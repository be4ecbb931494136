"""Render stage helper: a Mermaid container diagram generated from declared components and flows."""

from __future__ import annotations

import re
from typing import Any

from compiler.schema.system import Architecture

# Mermaid node shapes per component kind: (open, close).
_SHAPES = {
    "datastore": ("[(", ")]"),
    "feature-store": ("[(", ")]"),
    "index": ("[(", ")]"),
    "queue": ("[/", "/]"),
    "external": ("([", "])"),
    "ui": ("([", "])"),
    "model": ("[[", "]]"),
    "llm": ("[[", "]]"),
    "guardrail": ("{{", "}}"),
}


def _text(value: str) -> str:
    """Label text Mermaid shows literally: quotes, angle brackets and the like become entity codes."""
    value = " ".join(value.split())
    return re.sub(r'["<>#&;`|{}\[\]()]', lambda m: f"#{ord(m.group(0))};", value)


def _node(value: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", value)


def container_diagram(arch: Architecture) -> dict[str, Any] | None:
    """The container-level diagram as Mermaid text with its title and text alternative, or None."""
    components = [c for c in arch.components if c.level in ("context", "container")]
    if not components:
        return None
    lines = ["flowchart LR"]
    for c in components:
        start, end = _SHAPES.get(c.kind, ("[", "]"))
        # C4 notation: the technology in brackets on its own line (no HTML: diagrams draw labels as text)
        tech = f"<br/>[{_text(c.technology)}]" if c.technology else ""
        lines.append(f'    {_node(c.id)}{start}"{_text(c.name)}{tech}"{end}')
    shown = {c.id for c in components}
    described = []
    for f in arch.flows:
        if f.source in shown and f.target in shown:
            lines.append(f'    {_node(f.source)} -->|"{_text(f.label)}"| {_node(f.target)}')
            described.append(f"{_name(arch, f.source)} sends {f.label} to {_name(arch, f.target)}")
    alt = "Containers: " + ", ".join(c.name for c in components) + "."
    if described:
        alt += " Flows: " + "; ".join(described) + "."
    return {
        "id": "generated-container",
        "title": "Containers and data flows (generated from the declared components and flows)",
        "alt": alt,
        "mermaid": "\n".join(lines),
    }


def _name(arch: Architecture, component_id: str) -> str:
    return next((c.name for c in arch.components if c.id == component_id), component_id)
