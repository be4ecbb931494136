"""Render stage helper: a Mermaid container diagram generated from declared components and flows, and a diagram
exported from another tool (an SVG or PNG file of the model's folder) as a figure."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

from compiler._util.fieldpath import dotted
from compiler._util.safe_open import read_bytes
from compiler.errors import ConfigError
from compiler.load import limits
from compiler.load.reader import LoadedModel
from compiler.render.svg import SafeImage, UnsafeImage, checked_png, sanitize_svg
from compiler.schema.system import Architecture, Diagram

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


def file_figure(loaded: LoadedModel, index: int, diagram: Diagram) -> tuple[str, bytes, Markup]:
    """An exported diagram as a figure: its asset path, its bytes (an SVG rebuilt from the allow-list of
    `compiler.render.svg`, a PNG checked) and the HTML figure, with the title and text alternative as its caption
    like a Mermaid diagram's. A missing, unsafe or oversized file is a ConfigError at the diagram's `file`."""
    assert diagram.file is not None
    field = ("system", "architecture", "diagrams", index, "file")
    path = loaded.folder / diagram.file
    if not path.is_file():
        raise ConfigError.placed(
            loaded.locate(field),
            f"no file {diagram.file!r} in the model's folder",
            field=dotted(field),
            hint="the path is relative to the folder of model.yaml",
        )
    bounds = limits.current()
    try:
        data = read_bytes(path, [loaded.folder])
        if diagram.file.lower().endswith(".svg"):
            image = sanitize_svg(data, max_bytes=bounds.image_bytes)
        else:
            image = checked_png(data, max_bytes=bounds.image_bytes, max_pixels=bounds.image_pixels)
    except UnsafeImage as exc:
        raise ConfigError.placed(
            loaded.locate(field),
            f"{diagram.file} {exc}",
            field=dotted(field),
            hint="export the diagram again as SVG or PNG from Lucidchart, Miro or draw.io",
        ) from None
    asset = f"assets/diagram-{_slug(diagram.id)}.{image.suffix}"
    return asset, image.data, _figure(diagram, asset, image)


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", value.lower())


def _figure(diagram: Diagram, asset: str, image: SafeImage) -> Markup:
    # One line: the caption's text must not start a line of the page's Markdown (see plots.figure). The image sits in
    # a box of its own, which scrolls sideways where the site draws it at its natural size (a phone's column).
    title, alt = " ".join(diagram.title.split()).rstrip("."), " ".join(diagram.alt.split())
    size = f'width="{round(image.width)}" height="{round(image.height)}"'
    return Markup(
        f'\n<figure class="diagram diagram-file" id="diagram-{_slug(diagram.id)}"><div class="diagram-scroll">'
        f'<img src="{escape(asset)}" alt="{escape(alt)}" {size}></div>'
        f'<figcaption class="diagram-caption"><strong>{escape(title)}.</strong> {escape(alt)}</figcaption></figure>\n'
    )
