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
from compiler.config.profiles import RUNNING_GAP, RUNNING_LINE_HEIGHT, PdfProfile, inches
from compiler.errors import CompilerError, Location, Problem, RenderError
from compiler.publish.mermaid_svg import Diagram, render_diagram
from compiler.publish.print_figures import size_file_diagrams
from compiler.render.document import Document
from compiler.render.formats import format_date
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


def prepare_body(document: Document, asset_dir: Path, cache_dir: Path, profile: PdfProfile) -> PrintBody:
    """Body HTML for print: diagrams rendered to files under asset_dir and sized for the profile's page, images
    turned into figures, and the marks pagination needs (see `_paginate`)."""
    import lxml.html

    root = lxml.html.fragment_fromstring(to_html(document.markdown) or "<p></p>", create_parent="div")
    area = PrintArea.of(profile)
    _diagrams(root, document, asset_dir, cache_dir, area)
    size_file_diagrams(root, document, area)
    _figures(root)
    _paginate(root)
    headings = tuple(
        Heading(int(h.tag[1]), h.get("id", ""), " ".join(h.text_content().split()))
        for h in root.iter("h1", "h2", "h3", "h4")
    )
    html = "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return PrintBody((root.text or "") + html, headings)


CAPTION_SHARE = 0.2
"""Share of the type area's height kept for a figure's caption."""
LABEL_PT = 9.0
"""Size Mermaid's labels print at when a diagram is not scaled (16 px text at 0.75)."""


@dataclass(frozen=True)
class PrintArea:
    """Room a figure has on a portrait and on a landscape page (width, height in CSS px), and the smallest scale
    that keeps its labels at the profile's smallest text size."""

    portrait: tuple[float, float]
    landscape: tuple[float, float]
    min_scale: float
    label_pt: float = LABEL_PT

    @classmethod
    def of(cls, profile: PdfProfile) -> PrintArea:
        width, height = profile.page_inches
        m = profile.margins
        across = width - inches(m.left) - inches(m.right)
        down = height - inches(m.top) - inches(m.bottom)
        wide_across = height - inches(m.left) - inches(m.right)
        wide_down = width - landscape_top(profile) - inches(m.bottom)
        keep = 1 - CAPTION_SHARE
        return cls(
            portrait=(across * 96, down * keep * 96),
            landscape=(wide_across * 96, wide_down * keep * 96),
            min_scale=inches(profile.min_font_size) * 72 / LABEL_PT,
        )


_LEFT_RIGHT = re.compile(r"^(\s*(?:flowchart|graph))\s+(LR|RL)\b")
CAPTION_CLASS = "diagram-caption"


def _diagrams(root: Any, document: Document, asset_dir: Path, cache_dir: Path, area: PrintArea) -> None:
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
        diagram, landscape = _printable(element.text_content(), cache_dir, where, area)
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
                "style": _image_size(diagram, area.landscape if landscape else area.portrait),
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


def _printable(source: str, cache_dir: Path, where: str, area: PrintArea) -> tuple[Diagram, bool]:
    """The diagram as printed, and whether it needs a landscape page.

    A left-to-right flowchart is laid out top to bottom as well, and the layout whose labels print
    larger on a portrait page wins: a wide chain of boxes shrinks to unreadable labels across a page.
    A diagram whose labels would print below the profile's smallest text size gets a landscape page
    when its labels print larger there.
    """
    diagram = render_diagram(source, cache_dir, where=where)
    if _LEFT_RIGHT.match(source):
        upright = render_diagram(_LEFT_RIGHT.sub(r"\1 TB", source, count=1), cache_dir, where=where)
        if _scale(upright, area.portrait) > _scale(diagram, area.portrait) * 1.15:
            diagram = upright
    portrait = _scale(diagram, area.portrait)
    landscape = portrait < area.min_scale and _scale(diagram, area.landscape) > portrait * 1.1
    return diagram, landscape


def _scale(diagram: Diagram, area: tuple[float, float]) -> float:
    width, height = diagram.width_px * 0.75, diagram.height_px * 0.75
    return min(1.0, area[0] / width if width else 1.0, area[1] / height if height else 1.0)


def _image_size(diagram: Diagram, area: tuple[float, float]) -> str:
    # Mermaid lays out at 16 px text; 0.75 prints labels at 9 pt, never wider or taller than the page.
    return f"width: {diagram.width_px * 0.75 * _scale(diagram, area):.1f}px; max-width: 100%"


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
    """The profile's part of the style sheet: paper, margins, where the running header and footer sit, text
    sizes (as the variables --body-size, --table-size and --small-size the print style sheets use), fonts.

    The running header and footer sit against the body text, a gap away from it, so that they stay as far
    from the page's edge as the profile's margins allow. A landscape page (a wide figure) is bound on its
    top edge: it gets the left margin there, plus the room of the running header.

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
    small, gap = profile.min_font_size, RUNNING_GAP
    running = f"font-size: {small}; line-height: {RUNNING_LINE_HEIGHT};"
    return (
        f"{faces}\n{mono}\n"
        f"@page {{ size: {size}; margin: {m.top} {m.right} {m.bottom} {m.left};\n"
        f"  @top-left {{ {running} vertical-align: bottom; padding-bottom: {gap}; }}\n"
        f"  @top-right {{ {running} vertical-align: bottom; padding-bottom: {gap}; }}\n"
        f"  @bottom-left {{ {running} vertical-align: top; padding-top: {gap}; }}\n"
        f"  @bottom-right {{ {running} vertical-align: top; padding-top: {gap}; }}\n}}\n"
        f"@page landscape {{ size: {size} landscape; margin-top: {landscape_top(profile):.3f}in; }}\n"
        f":root {{ --body-size: {profile.body_font_size}; --table-size: {profile.table_font_size}; "
        f"--small-size: {small}; }}\n"
        f"body {{ font-size: {profile.body_font_size}; }}\n"
    )


def landscape_top(profile: PdfProfile) -> float:
    """Top margin of a landscape page, in inches: its binding edge, so the left margin and the running header."""
    m = profile.margins
    return max(inches(m.top), inches(m.left) + profile.running_band)


SMALL_TABLE_ROWS = 8
"""A table with no more body rows than this (and not much text) is kept on one page."""
SMALL_TABLE_CHARS = 1200
LEAD_IN_CHARS = 300
"""A paragraph this short right before a table or figure introduces it, and is kept with it."""


def _define_at_first_use(root: Any) -> None:
    """A term the source defines (`*[term]: definition`, an `<abbr title>` the site shows on hover) is defined in
    print where it first appears outside headings and tables: that one gets the class `defined` (the style sheet
    prints its definition after it), and later uses keep only the word."""
    seen: set[str] = set()
    for abbr in list(root.iter("abbr")):
        term = " ".join(abbr.text_content().split()).lower()
        if not abbr.get("title"):
            continue
        if term in seen or _inside(abbr, ("h1", "h2", "h3", "h4", "h5", "h6", "table")):
            abbr.attrib.pop("title")
            continue
        seen.add(term)
        _add_class(abbr, "defined")


def _inside(element: Any, tags: tuple[str, ...]) -> bool:
    return any(parent.tag in tags for parent in element.iterancestors())


def _open_details(root: Any) -> None:
    """A collapsible block (`??? note`, which the site shows closed) is printed open: paper has no click, so its
    summary becomes the block's title and its content follows."""
    for details in list(root.iter("details")):
        details.tag = "div"
        _add_class(details, "details")
        for summary in details.findall("summary"):
            summary.tag = "p"
            _add_class(summary, "details-title")


def _paginate(root: Any) -> None:
    """Classes the print style sheet keeps things together by (`keep-whole`, `lead-in`), table cells labelled by
    their column (`data-label`, for layouts that print a row as a block), and the lines of a cell joined with
    `<br>` (a list of items in one cell) as a list."""
    _long_tokens(root)
    _open_details(root)
    _define_at_first_use(root)
    for table in root.iter("table"):
        _label_cells(table)
        for cell in table.iter("td"):
            _cell_list(cell)
        rows = table.findall("tbody/tr") or table.findall("tr")
        if len(rows) <= SMALL_TABLE_ROWS and len(table.text_content()) <= SMALL_TABLE_CHARS:
            _add_class(table, "keep-whole")
    for paragraph in list(root.iter("p")):
        following = paragraph.getnext()
        text = " ".join(paragraph.text_content().split())
        if following is None or not text or len(text) > LEAD_IN_CHARS:
            continue
        label_only = len(paragraph) == 1 and paragraph[0].tag in ("strong", "b") and not (paragraph.text or "").strip()
        introduces = _holds_table_or_figure(following) or (following.tag in ("ul", "ol") and text.endswith(":"))
        if introduces or label_only:
            _add_class(paragraph, "lead-in")


LONG_TOKEN = re.compile(r"\S{24,}")
"""A run this long without a space (a hash, a path, a URL) may break anywhere: it would push a table past the page
edge, or squeeze every other column to let it through."""
_VERBATIM = frozenset({"code", "pre", "script", "style"})


def _long_tokens(root: Any) -> None:
    """Wrap each long run of text outside code in `<span class="long-token">` (print.css lets it break anywhere)."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag in _VERBATIM:
            continue
        if element.text and LONG_TOKEN.search(element.text) and not _in_verbatim(element):
            first, spans = _split_long(element.text)
            element.text = first
            for index, span in enumerate(spans):
                element.insert(index, span)
        parent = element.getparent()
        if element.tail and LONG_TOKEN.search(element.tail) and parent is not None and not _in_verbatim(parent):
            first, spans = _split_long(element.tail)
            element.tail = first
            for offset, span in enumerate(spans, start=1):
                parent.insert(parent.index(element) + offset, span)


def _in_verbatim(element: Any) -> bool:
    return any(e.tag in _VERBATIM for e in element.iterancestors()) or element.tag in _VERBATIM


def _split_long(text: str) -> tuple[str, list[Any]]:
    """The text up to its first long run, and a span for each long run carrying the text after it as its tail."""
    from lxml.html import Element

    pieces = LONG_TOKEN.split(text)
    spans = []
    for token, after in zip(LONG_TOKEN.findall(text), pieces[1:], strict=True):
        span = Element("span", {"class": "long-token"})
        span.text, span.tail = token, after
        spans.append(span)
    return pieces[0], spans


def _holds_table_or_figure(element: Any) -> bool:
    if element.tag in ("table", "figure"):
        return True
    first = next(iter(element), None) if element.tag == "div" and not (element.text or "").strip() else None
    return first is not None and first.tag in ("table", "figure")


def _label_cells(table: Any) -> None:
    headers = [" ".join(th.text_content().split()) for th in table.findall("thead/tr/th")]
    if not headers:
        return
    for row in table.findall("tbody/tr"):
        cells = row.findall("td")
        if len(cells) == len(headers):
            for cell, label in zip(cells, headers, strict=True):
                cell.set("data-label", label)


def _cell_list(cell: Any) -> None:
    """`one<br>two<br>three` in a cell becomes a list of three items; a line under a value (`<br><span>`) stays."""
    from lxml.html import Element

    children = list(cell)
    if not any(c.tag == "br" for c in children) or any(c.tag not in _INLINE for c in children):
        return
    segments: list[list[Any]] = [[cell.text or ""]]
    for child in children:
        if child.tag == "br":
            segments.append([child.tail or ""])
        else:
            segments[-1].append(child)
    if any(not "".join(_text(part) for part in segment).strip() for segment in segments):
        return  # an empty line is spacing, not an item
    listing = Element("ul", {"class": "cell-list"})
    for text, *elements in segments:
        item = Element("li")
        item.text = text
        item.extend(elements)  # an element moves with its tail
        listing.append(item)
    for child in children:
        if child.tag == "br":
            cell.remove(child)
    cell.text = None
    cell.append(listing)


def _text(part: Any) -> str:
    return part if isinstance(part, str) else part.text_content() + (part.tail or "")


_INLINE = frozenset({"br", "code", "em", "strong", "a", "i", "b", "abbr"})


def _add_class(element: Any, name: str) -> None:
    classes = (element.get("class") or "").split()
    if name not in classes:
        element.set("class", " ".join([*classes, name]))


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


def build_html(
    document: Document, profile: PdfProfile, body: PrintBody, *, toc: bool, dates: str, author: str = ""
) -> str:
    """The whole print HTML of one document; a failing print layout is a RenderError at its file and line.

    `author`, when given, is the document's one author (the organisation responsible for it): what the PDF's
    Author field says, in place of every developer the source lists.
    """
    from dataclasses import replace

    from markupsafe import Markup

    settings = document.audience.config.pdf
    meta = replace(document.meta, authors=(author,)) if author else document.meta
    css = page_css(profile)
    try:
        css += _stylesheets(document)
        template = _template_env(document).get_template(TEMPLATE)
        return str(
            template.render(
                meta=meta,
                audience=document.audience.config,
                profile=profile,
                body=Markup(body.html),
                toc=[h for h in body.headings if h.level <= TOC_DEPTH and h.anchor] if toc else [],
                compact=settings.compact_header,
                css=Markup(css),
                date=dates,
                release_date=format_date(document.meta.release_date),
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
