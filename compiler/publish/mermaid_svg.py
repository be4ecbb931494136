"""Publish stage (PDF): Mermaid diagrams to static SVG files (no JavaScript in a PDF), cached by source hash.

mermaid.js runs inside mermaidx's embedded JS engine. Labels are SVG `<text>` (htmlLabels off),
because WeasyPrint does not draw `<foreignObject>`; the font is DejaVu Sans, the font mermaidx
measures with and the one the PDFs embed, so boxes fit their labels.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from compiler.errors import Location, Problem, RenderError

FONT_FAMILY = "DejaVu Sans"
MERMAID_CONFIG: dict[str, object] = {
    "htmlLabels": False,
    "flowchart": {"htmlLabels": False, "useMaxWidth": False, "curve": "monotoneX"},
    "sequence": {"useMaxWidth": False},
    "fontFamily": FONT_FAMILY,
    "themeVariables": {"fontFamily": FONT_FAMILY},
    "securityLevel": "strict",
    # Mermaid draws some shapes (cylinders, …) with rough.js, whose curves are random unless seeded:
    # without a seed the same diagram gave different SVG, and so different PDF bytes, in every process.
    "handDrawnSeed": 1,
}
THEME = "neutral"
CACHE_KIND = "mermaid"
_PREPARE_VERSION = 1
"""Bump when _protect_comparisons changes, so cached diagrams are rendered again."""
_VIEWBOX = re.compile(r'viewBox="\s*[-\d.]+\s+[-\d.]+\s+([\d.]+)\s+([\d.]+)\s*"')
_COMPARISON = re.compile(r"(?<=\s)>=?(?=\s)")
_ACC = re.compile(r"\s*(accTitle|accDescr)\s*:(.*)")
"""Matched one line at a time: as a MULTILINE search, `^\\s*` ran from every line start over every blank line
after it, and `(.+?)\\s*$` over every space of a line, each quadratic (19,000 blank lines took 5.6 s)."""


@dataclass(frozen=True)
class Diagram:
    """A rendered diagram: its SVG, file name (by hash), and the texts for alt and caption."""

    svg: bytes
    file_name: str
    alt: str
    caption: str
    width_px: float
    height_px: float


def default_cache_dir() -> Path:
    """The build cache diagrams are kept in between builds: $DOCS_COMPILE_CACHE, else the project's."""
    from compiler.cache import cache_root

    return cache_root(Path.cwd())


def source_hash(source: str) -> str:
    """Key of a diagram: its source, the renderer's version and its settings."""
    import mermaidx

    key = json.dumps([source.strip(), mermaidx.__version__, THEME, MERMAID_CONFIG, _PREPARE_VERSION], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def render_diagram(source: str, cache_dir: Path, *, where: str) -> Diagram:
    """SVG of one Mermaid diagram, from the build cache under cache_dir when rendered before; RenderError if invalid."""
    from compiler.cache import Cache

    digest = source_hash(source)
    cache = Cache(cache_dir)
    entry = cache.get(CACHE_KIND, digest)  # verified against its hash: a damaged file is rendered again
    if entry is not None and "diagram.svg" in entry.files:
        svg = entry.files["diagram.svg"]
    else:
        svg = _render(source, where).encode()
        cache.put(CACHE_KIND, digest, {"diagram.svg": svg}, {})
    width, height = _size(svg)
    title, description = _accessibility_texts(source)
    alt = description or title or _describe(source, svg)
    return Diagram(svg, f"{digest}.svg", alt, title or "", width, height)


def _protect_comparisons(source: str) -> str:
    """Flowchart labels with SVG text drop a bare '>' ('score >= 0.42' shows as 'score = 0.42'): spell it."""
    if not re.match(r"\s*(flowchart|graph)\b", source):
        return source
    return _COMPARISON.sub(lambda m: "≥" if m.group(0) == ">=" else "#gt;", source)


def _render(source: str, where: str) -> str:
    import mermaidx

    try:
        svg: str = mermaidx.render(_protect_comparisons(source), theme=THEME, config=MERMAID_CONFIG).svg()
    except Exception as exc:  # mermaidx wraps every parse error in RuntimeError; keep its message
        first = next((line.strip() for line in source.splitlines() if line.strip()), "")
        message = str(exc).removeprefix("Mermaid rendering failed: ").strip()
        raise RenderError(
            [
                Problem(
                    Location(where),
                    f"invalid Mermaid diagram ('{first[:60]}'): {message}",
                    hint="check the diagram at https://mermaid.live or see the Mermaid syntax reference",
                )
            ]
        ) from None
    return _fix_size(svg)


def _fix_size(svg: str) -> str:
    """Give the root an intrinsic size from its viewBox, so an <img> scales it instead of stretching it."""
    match = _VIEWBOX.search(svg)
    if match is None:
        return svg
    width, height = match.group(1), match.group(2)
    head, rest = svg.split(">", 1)
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    head = re.sub(r'\sstyle="[^"]*"', "", head)
    return f'{head} width="{width}" height="{height}">{rest}'


def _size(svg: bytes) -> tuple[float, float]:
    match = _VIEWBOX.search(svg[:2000].decode("utf-8", "replace"))
    return (float(match.group(1)), float(match.group(2))) if match else (600.0, 400.0)


def _accessibility_texts(source: str) -> tuple[str, str]:
    found = {}
    for line in source.splitlines():
        match = _ACC.match(line)
        if match and match.group(2).strip():
            found[match.group(1)] = match.group(2).strip()
    return found.get("accTitle", ""), found.get("accDescr", "")


def _describe(source: str, svg: bytes) -> str:
    """Alt text when the diagram declares none: its kind and the labels it shows, in order."""
    kind = source.strip().split(None, 1)[0] if source.strip() else "diagram"
    kind = {"graph": "flowchart", "flowchart": "flowchart"}.get(kind, kind)
    labels: list[str] = []
    for block in re.findall(r"<text\b[^>]*>(.*?)</text>", svg.decode("utf-8", "replace"), re.DOTALL):
        label = " ".join(re.sub(r"<[^>]+>", " ", block).split())
        if label and label not in labels:
            labels.append(label)
    from html import unescape

    shown = ", ".join(unescape(label) for label in labels[:40])
    return f"{kind.capitalize()} diagram" + (f" showing: {shown}" if shown else "")
