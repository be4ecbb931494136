"""Publish stage (print): exported diagrams (`system.diagrams[].file`) sized for the page like Mermaid diagrams.

An exported SVG prints at its natural size (1 CSS px = 0.75 pt) when the type area has room, else scaled to fit.
When scaling would print its smallest text under the PDF profile's smallest size (9 pt for FDA eCTD) and a
landscape page gives it more room, it gets a landscape page of its own, as a wide Mermaid diagram does.
"""

from __future__ import annotations

import re
from typing import Any

from compiler.render.document import Document

_FONT_SIZE = re.compile(rb"font-size\s*[:=]\s*[\"']?\s*([0-9]+(?:\.[0-9]+)?)px")
PX_TO_PT = 0.75


def size_file_diagrams(root: Any, document: Document, area: Any) -> None:
    """Give each exported diagram of the body its printed width, and a landscape page where that keeps its text
    at the profile's smallest size or closer to it. `area` is print_layout's PrintArea."""
    smallest_pt = area.min_scale * area.label_pt
    for figure in root.iter("figure"):
        classes = (figure.get("class") or "").split()
        image = next(figure.iter("img"), None)
        if "diagram-file" not in classes or image is None:
            continue
        try:
            width, height = float(image.get("width") or 0), float(image.get("height") or 0)
        except ValueError:
            continue
        if width <= 0 or height <= 0:
            continue
        text_px = smallest_text_px(document.assets.get(image.get("src", ""), b""))
        needed = smallest_pt / (PX_TO_PT * text_px) if text_px else 0.0
        portrait, landscape = _fit(width, height, area.portrait), _fit(width, height, area.landscape)
        scale = portrait
        if portrait < needed and landscape > portrait:
            figure.set("class", " ".join([*classes, "landscape"]))
            scale = landscape
        image.set("style", f"width: {width * scale:.1f}px; max-width: 100%")


def smallest_text_px(svg: bytes) -> float | None:
    """The smallest font size an SVG sets, in px (None for a PNG, or an SVG that sets none)."""
    sizes = [float(m.group(1)) for m in _FONT_SIZE.finditer(svg)]
    sizes = [s for s in sizes if s > 0]  # draw.io sets 0 px on wrappers that hold no text
    return min(sizes) if sizes else None


def _fit(width: float, height: float, area: tuple[float, float]) -> float:
    return min(1.0, area[0] / width, area[1] / height)
