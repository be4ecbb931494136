"""Publish stage (PDF): a rendered document body becomes the print HTML of its audience.

The body goes through the same Markdown dialect as the site (`compiler.markup.to_html`), then gets
what print needs and a screen does not: Mermaid as static SVG images, figures with captions, a
cover or compact header with document control, and a table of contents. The result is wrapped in
the audience's `print.html.j2` (falling back on the package's) with the audience's `print.css`: a
template the audience supplies, so it runs in the same sandbox as its sections (`compiler.render.sandbox`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateNotFound, UndefinedError
from jinja2.sandbox import SecurityError

from compiler._util.paths import display_path
from compiler._util.safe_open import read_text
from compiler.config.profiles import PdfProfile, inches
from compiler.errors import CompilerError, Location, Problem, RenderError
from compiler.publish.mermaid_svg import Diagram, render_diagram
from compiler.render.document import Document
from compiler.render.markup import to_html
from compiler.render.sandbox import TEMPLATE_ERRORS, error_location, sandboxed_environment

PRINT_DIR = Path(__file__).parent / "print"
FONTS_DIR = Path(__file__).parent.parent / "fonts"
TEMPLATE = "print.html.j2"
STYLESHEET = "print.css"
BOOKMARK_DEPTH = 4
TOC_DEPTH = 3


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class PrintBody:
    """The body as print HTML, and the headings it holds (for the TOC and the bookmarks)."""

    html: str
    headings: tuple[Heading, ...]


def prepare_body(document: Document, asset_dir: Path, cache_dir: Path) -> PrintBody:
    """Body HTML for print: diagrams rendered to files under asset_dir, images turned into figures."""
    import lxml.html

    root = lxml.html.fragment_fromstring(to_html(document.markdown) or "<p></p>", create_parent="div")
    _diagrams(root, document, asset_dir, cache_dir)
    _figures(root)
    headings = tuple(
        Heading(int(h.tag[1]), h.get("id", ""), " ".join(h.text_content().split()))
        for h in root.iter("h1", "h2", "h3", "h4")
    )
    html = "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return PrintBody((root.text or "") + html, headings)


PRINT_AREA_PX = (600.0, 660.0)
"""Width and height a portrait page leaves a figure and its caption, in CSS px (Letter and A4, the profiles' margins)."""
LANDSCAPE_AREA_PX = (850.0, 560.0)
MIN_LABEL_SCALE = 0.75
"""Below this scale (labels under about 7 pt) a wide figure gets a landscape page of its own."""
_LEFT_RIGHT = re.compile(r"^(\s*(?:flowchart|graph))\s+(LR|RL)\b")
CAPTION_CLASS = "diagram-caption"


def _diagrams(root: Any, document: Document, asset_dir: Path, cache_dir: Path) -> None:
    from lxml.html import Element

    section, heading = "the beginning of the document", ""
    count = 0
    for element in list(root.iter()):
        if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            heading = " ".join(element.text_content().split())
            section = f"section '{heading}'"
            continue
        if element.tag != "pre" or "mermaid" not in (element.get("class") or "").split():
            continue
        count += 1
        where = f"{document.model_id}: {document.audience.name} document, diagram {count} in {section}"
        diagram, landscape = _printable(element.text_content(), cache_dir, where)
        target = asset_dir / "diagrams" / diagram.file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != diagram.svg:
            target.write_bytes(diagram.svg)
        figure = Element("figure", {"class": "diagram landscape" if landscape else "diagram"})
        written = _written_caption(element)
        alt = diagram.alt
        if written is not None and not diagram.caption:
            # The document's own caption (title and text description) is the figure's caption and alt text.
            alt = " ".join(written.text_content().split())
        image = Element(
            "img",
            {
                "src": f"diagrams/{diagram.file_name}",
                "alt": alt,
                "style": _image_size(diagram, LANDSCAPE_AREA_PX if landscape else PRINT_AREA_PX),
            },
        )
        figure.append(image)
        if written is not None:
            written.tag, written.attrib["class"] = "figcaption", CAPTION_CLASS
            written.getparent().remove(written)
            written.tail = None
            figure.append(written)
        else:
            caption = Element("figcaption")
            caption.text = diagram.caption or (f"Diagram: {heading}" if heading else "Diagram")
            figure.append(caption)
        element.getparent().replace(element, figure)


def _written_caption(element: Any) -> Any:
    """The paragraph right after a diagram that the document marks as its caption, if any."""
    following = element.getnext()
    if following is not None and following.tag == "p" and CAPTION_CLASS in (following.get("class") or "").split():
        return following
    return None


def _printable(source: str, cache_dir: Path, where: str) -> tuple[Diagram, bool]:
    """The diagram as printed, and whether it needs a landscape page.

    A left-to-right flowchart is laid out top to bottom as well, and the layout whose labels print
    larger on a portrait page wins: a wide chain of boxes shrinks to unreadable labels across a page.
    """
    diagram = render_diagram(source, cache_dir, where=where)
    if _LEFT_RIGHT.match(source):
        upright = render_diagram(_LEFT_RIGHT.sub(r"\1 TB", source, count=1), cache_dir, where=where)
        if _scale(upright, PRINT_AREA_PX) > _scale(diagram, PRINT_AREA_PX) * 1.15:
            diagram = upright
    portrait = _scale(diagram, PRINT_AREA_PX)
    landscape = portrait < MIN_LABEL_SCALE and _scale(diagram, LANDSCAPE_AREA_PX) > portrait * 1.2
    return diagram, landscape


def _scale(diagram: Diagram, area: tuple[float, float]) -> float:
    width, height = diagram.width_px * 0.75, diagram.height_px * 0.75
    return min(1.0, area[0] / width if width else 1.0, area[1] / height if height else 1.0)


def _image_size(diagram: Diagram, area: tuple[float, float]) -> str:
    # Mermaid lays out at 16 px text; 0.75 keeps labels at about body size, never wider or taller than the page.
    height = diagram.height_px * 0.75
    fit = min(1.0, area[1] / height) if height else 1.0
    return f"width: {diagram.width_px * 0.75 * fit:.1f}px; max-width: 100%"


def _figures(root: Any) -> None:
    """A paragraph that holds only an image becomes a figure; its title (or alt text) is the caption."""
    from lxml.html import Element

    for paragraph in list(root.iter("p")):
        children = list(paragraph)
        if len(children) != 1 or children[0].tag != "img":
            continue
        if (paragraph.text or "").strip() or (children[0].tail or "").strip():
            continue
        image = children[0]
        image.tail = None
        caption_text = image.get("title") or image.get("alt") or ""
        if not image.get("alt"):
            image.set("alt", caption_text or f"Image {Path(image.get('src', '')).name}")
        figure = Element("figure")
        figure.append(image)
        if caption_text:
            caption = Element("figcaption")
            caption.text = caption_text
            figure.append(caption)
        paragraph.getparent().replace(paragraph, figure)
    for image in root.iter("img"):
        if image.get("alt") is None:
            image.set("alt", f"Image {Path(image.get('src', '')).name}")


def page_css(profile: PdfProfile) -> str:
    """The profile's part of the style sheet: paper, margins, body size, fonts shipped in the package.

    The family is called "DejaVu Sans" because diagram SVGs ask for that name: they then use the same
    shipped file (one embedded font, not two) instead of whatever the machine has installed.
    """
    m = profile.margins
    size = "letter" if profile.page_size == "letter" else "A4"
    faces = "\n".join(
        f'@font-face {{ font-family: "DejaVu Sans"; src: url("{(FONTS_DIR / file).as_uri()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for file, weight, style in (
            ("DejaVuSans.ttf", "normal", "normal"),
            ("DejaVuSans-Bold.ttf", "bold", "normal"),
            ("DejaVuSans-Oblique.ttf", "normal", "italic"),
            ("DejaVuSans-BoldOblique.ttf", "bold", "italic"),
        )
    )
    mono = (
        f'@font-face {{ font-family: "DejaVu Sans Mono"; src: url("{(FONTS_DIR / "DejaVuSansMono.ttf").as_uri()}"); }}'
    )
    return (
        f"{faces}\n{mono}\n"
        f"@page {{ size: {size}; margin: {m.top} {m.right} {m.bottom} {m.left}; }}\n"
        f"@page landscape {{ size: {size} landscape; }}\n"
        f":root {{ --body-size: {profile.body_font_size}; --left-margin-in: {inches(m.left):.3f}; }}\n"
        f"body {{ font-size: {profile.body_font_size}; }}\n"
    )


def _template_env(document: Document) -> Any:
    # A print layout is a template the audience supplies, like its sections: the same sandbox and budget.
    folders = [*document.audience.search_path, PRINT_DIR]
    return sandboxed_environment(folders, _roots(document), keep_trailing_newline=True)


def _roots(document: Document) -> tuple[Path, ...]:
    """Where an audience's print files may lie once links are resolved: its audiences folder, and the package's."""
    return (*document.audience.roots, PRINT_DIR)


def _stylesheets(document: Document) -> str:
    """The package's base sheet, then each audience's print.css from the most general to the own one."""
    sheets = [(PRINT_DIR / "base.css").read_text(encoding="utf-8")]
    for folder in reversed(document.audience.search_path):
        if (folder / STYLESHEET).is_file():
            sheets.append(read_text(folder / STYLESHEET, _roots(document)))
    return "\n".join(sheets)


def build_html(document: Document, profile: PdfProfile, body: PrintBody, *, toc: bool, dates: str) -> str:
    """The whole print HTML of one document; a failing print layout is a RenderError at its file and line."""
    from markupsafe import Markup

    settings = document.audience.config.pdf
    css = page_css(profile)
    try:
        css += _stylesheets(document)
        template = _template_env(document).get_template(TEMPLATE)
        return str(
            template.render(
                meta=document.meta,
                audience=document.audience.config,
                profile=profile,
                body=Markup(body.html),
                toc=[h for h in body.headings if h.level <= TOC_DEPTH and h.anchor] if toc else [],
                compact=settings.compact_header,
                css=Markup(css),
                date=dates,
                release_date=document.meta.release_date.isoformat(),
            )
        )
    except CompilerError as exc:  # a print file that links outside the audiences folder
        raise RenderError([_named(document, p.location, p.message, p.hint) for p in exc.problems]) from None
    except TEMPLATE_ERRORS as exc:
        message = f"template '{exc.name}' not found" if isinstance(exc, TemplateNotFound) else str(exc)
        where = error_location(exc, display_path(document.audience.folder / TEMPLATE))
        hint = _HINT if isinstance(exc, SecurityError | UndefinedError) else ""
        raise RenderError([_named(document, where, f"print layout: {message}", hint)]) from None


_HINT = (
    "a print layout can use only the values it is given: "
    "meta, audience, profile, body, toc, compact, css, date, release_date"
)


def _named(document: Document, where: Location, message: str, hint: str) -> Problem:
    # The model and audience in the message keep the PDF stage from replacing the place with the PDF's path.
    return Problem(where, f"model '{document.model_id}', audience '{document.audience.name}': {message}", hint=hint)
