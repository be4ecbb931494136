"""Measuring a built PDF as a submissions reviewer does: what is printed where, at what size, how full each page is.

pdfplumber gives every character with its size and position and every drawn line, rectangle, curve and image;
pypdf gives the outline (bookmarks) with the page and height each one points at. Positions are in points from
the top left corner of the page. Tables are found from their ruling lines (the print style sheet draws table
borders in #777, which nothing else uses), so the text of a plot is never mistaken for a table's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber
import pypdf

TABLE_RULE = (0.466667, 0.466667, 0.466667)
"""The colour of table borders in the print style sheet (#777)."""
SMALL_TABLE_ROWS = 8
"""A table this short (body rows) should never be split over two pages."""
_FIGURE_CAPTION = re.compile(r"^Figure \d+\.")


@dataclass(frozen=True)
class Box:
    x0: float
    top: float
    x1: float
    bottom: float

    def holds(self, x: float, y: float, slack: float = 0.5) -> bool:
        return self.x0 - slack <= x <= self.x1 + slack and self.top - slack <= y <= self.bottom + slack


@dataclass(frozen=True)
class Line:
    """One line of text: where it is, its largest character size, whether it is bold, and whether it is in a table."""

    text: str
    top: float
    bottom: float
    x0: float
    size: float
    bold: bool
    in_table: bool


@dataclass(frozen=True)
class Bookmark:
    level: int
    title: str
    page: int
    """1-based page number."""
    top: float
    """Distance of the target from the page's top edge, in points."""


@dataclass(frozen=True)
class Page:
    number: int
    width: float
    height: float
    chars: tuple[dict[str, Any], ...]
    marks: tuple[Box, ...]
    """Every drawn thing: characters, lines, rectangles, curves, images."""
    graphics: tuple[Box, ...]
    """What is drawn and is not text: lines, rectangles, curves, images (a figure, a table's rules)."""
    tables: tuple[tuple[Box, int], ...]
    """Each table on the page with its number of rows (a repeated header row counts)."""
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Measured:
    pages: tuple[Page, ...]
    bookmarks: tuple[Bookmark, ...]
    info: dict[str, str]
    linearized: bool


def measure(path: Path) -> Measured:
    """Everything the checks below read, from one pass over the PDF."""
    with pdfplumber.open(path) as pdf:
        pages = tuple(_page(i + 1, page) for i, page in enumerate(pdf.pages))
    reader = pypdf.PdfReader(path)
    info = {str(k).lstrip("/"): str(v) for k, v in (reader.metadata or {}).items()}
    return Measured(pages, tuple(_bookmarks(reader, reader.outline, 1)), info, is_linearized(path))


def is_linearized(path: Path) -> bool:
    """A linearization dictionary is the first object of the file (what viewers call "Fast Web View")."""
    head = path.read_bytes()[:1024]
    return re.search(rb"<<[^>]*/Linearized\s", head) is not None


def _page(number: int, page: Any) -> Page:
    graphics = [_box(o) for kind in ("line", "rect", "curve", "image") for o in page.objects.get(kind, [])]
    marks = [*(_box(o) for o in page.objects.get("char", [])), *graphics]
    rules = page.filter(
        lambda o: (
            o["object_type"] == "char"
            or (o["object_type"] == "line" and tuple(o.get("stroking_color") or ()) == TABLE_RULE)
        )
    )
    tables = tuple((Box(*t.bbox), len(t.rows)) for t in rules.find_tables())
    boxes = [box for box, _ in tables]
    lines = []
    for found in page.extract_text_lines(return_chars=True, keep_blank_chars=False):
        chars = [c for c in found["chars"] if c["text"].strip()]
        if not chars:
            continue
        middle = (found["top"] + found["bottom"]) / 2
        lines.append(
            Line(
                text=found["text"],
                top=found["top"],
                bottom=found["bottom"],
                x0=found["x0"],
                size=max(c["size"] for c in chars),
                bold=all("Bold" in c["fontname"] for c in chars),
                in_table=any(b.holds(found["x0"] + 1, middle) for b in boxes),
            )
        )
    size = (float(page.width), float(page.height))
    return Page(number, *size, tuple(page.chars), tuple(marks), tuple(graphics), tables, tuple(lines))


def _box(obj: dict[str, Any]) -> Box:
    return Box(float(obj["x0"]), float(obj["top"]), float(obj["x1"]), float(obj["bottom"]))


def _bookmarks(reader: pypdf.PdfReader, items: list[Any], level: int) -> Iterator[Bookmark]:
    for item in items:
        if isinstance(item, list):
            yield from _bookmarks(reader, item, level + 1)
            continue
        number = reader.get_destination_page_number(item)
        height = float(reader.pages[number].mediabox.height)
        top = item.get("/Top")
        yield Bookmark(level, str(item.title), number + 1, height - float(top) if top is not None else 0.0)


# --- The checks: each returns what it found wrong (empty when the PDF keeps the promise). -------------------


def edge_distances(page: Page) -> dict[str, float]:
    """The closest any drawn thing comes to each edge of the page, in points."""
    if not page.marks:
        return {}
    return {
        "top": min(m.top for m in page.marks),
        "bottom": page.height - max(m.bottom for m in page.marks),
        "left": min(m.x0 for m in page.marks),
        "right": page.width - max(m.x1 for m in page.marks),
    }


def char_sizes(page: Page, *, in_table: bool | None = None) -> list[float]:
    """Sizes of the visible characters; only those inside (True) or outside (False) tables when asked."""
    sizes = []
    boxes = [box for box, _ in page.tables]
    for char in page.chars:
        if not char["text"].strip():
            continue
        inside = any(b.holds((char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2) for b in boxes)
        if in_table is None or inside == in_table:
            sizes.append(round(float(char["size"]), 2))
    return sizes


def body_lines(page: Page, margins: dict[str, float]) -> list[Line]:
    """Lines inside the type area: the running header and footer (in the page margins) left out."""
    return [
        ln for ln in page.lines if ln.top >= margins["top"] - 1 and ln.bottom <= page.height - margins["bottom"] + 1
    ]


def fill(page: Page, margins: dict[str, float]) -> float:
    """How far down the type area the page's content reaches: 0 (empty) to 1 (to the bottom margin)."""
    area_top, area_bottom = margins["top"], page.height - margins["bottom"]
    inside = [m for m in page.marks if m.top >= area_top - 1 and m.bottom <= area_bottom + 1]
    if not inside:
        return 0.0
    return max(0.0, min(1.0, (max(m.bottom for m in inside) - area_top) / (area_bottom - area_top)))


def underfilled(measured: Measured, margins: dict[str, float], *, floor: float = 0.4, chapter: int = 2) -> list[str]:
    """Pages filled less than `floor`, except: the front matter (before the first bookmark); a page whose successor
    begins a chapter (a bookmark at level `chapter` or above, at the top of the next page); a page whose successor
    opens with a figure taller than the room this page had left (it could not have fit without shrinking its
    labels); the page before a landscape page; and the last page, if it holds more than a line or two."""
    first_body = min((b.page for b in measured.bookmarks), default=1)
    starts = {b.page for b in measured.bookmarks if b.level <= chapter and b.top <= margins["top"] + 40}
    found = []
    for page in measured.pages:
        share = fill(page, margins)
        if share >= floor or page.number < first_body or page.number + 1 in starts:
            continue
        if page.number == len(measured.pages):
            if len(body_lines(page, margins)) > 3:
                continue
        elif page.width > page.height or _next_is_landscape(measured, page) or _pushed_figure(measured, page, margins):
            continue
        found.append(f"page {page.number}: {share:.0%} filled")
    return found


def _next_is_landscape(measured: Measured, page: Page) -> bool:
    following = measured.pages[page.number] if page.number < len(measured.pages) else None
    return following is not None and following.width > following.height


def _pushed_figure(measured: Measured, page: Page, margins: dict[str, float]) -> bool:
    """Whether the next page opens with a figure (drawn, then its "Figure N." caption) taller than the room left."""
    following = measured.pages[page.number]
    lines = body_lines(following, margins)
    captions = [ln for ln in lines if _FIGURE_CAPTION.match(ln.text)]
    if not captions:
        return False
    if not _figure_opens(following, margins, lines, captions[0]):
        return False
    caption = [captions[0]]
    for line in lines[lines.index(captions[0]) + 1 :]:
        if line.in_table or line.top - caption[-1].bottom > 0.6 * (line.bottom - line.top):
            break
        caption.append(line)
    figure_bottom = caption[-1].bottom
    area = page.height - margins["top"] - margins["bottom"]
    room = area * (1 - fill(page, margins))
    return figure_bottom - margins["top"] > room


def headings_at_page_foot(measured: Measured, margins: dict[str, float], *, min_lines: int = 2) -> list[str]:
    """Bookmarked headings followed on their page by fewer than `min_lines` lines, their section going on overleaf."""
    found = []
    by_page: dict[int, list[Bookmark]] = {}
    for mark in measured.bookmarks:
        by_page.setdefault(mark.page, []).append(mark)
    for mark in measured.bookmarks:
        page = measured.pages[mark.page - 1]
        later = [b.top for b in by_page[mark.page] if b.top > mark.top + 1]
        overleaf = [b.top for b in by_page.get(mark.page + 1, [])]
        if later or (overleaf and min(overleaf) <= margins["top"] + 30):
            continue  # the next heading is on the same page, or opens the next: the whole section is here
        lines = [ln for ln in body_lines(page, margins) if ln.top > mark.top + 1]
        heading = [ln for ln in lines if ln.top < mark.top + 30 and ln.size > _body_size(page, margins) + 0.5]
        after = [ln for ln in lines if ln not in heading]
        if len(after) < min_lines and mark.page < len(measured.pages):
            found.append(f"page {mark.page}: heading '{mark.title}' with {len(after)} line(s) under it")
    return found


def _body_size(page: Page, margins: dict[str, float]) -> float:
    sizes = sorted(round(ln.size, 1) for ln in body_lines(page, margins) if not ln.in_table)
    return sizes[len(sizes) // 2] if sizes else 10.0


def orphaned_lead_ins(measured: Measured, margins: dict[str, float], *, max_lines: int = 2) -> list[str]:
    """A short paragraph (a table's or figure's lead-in) ending a page whose next page opens with the table or
    figure it introduces; and a figure caption opening a page, away from its figure."""
    found = []
    opening = {b.page for b in measured.bookmarks if b.top <= margins["top"] + 30}
    for page, following in zip(measured.pages, measured.pages[1:], strict=False):
        lines = body_lines(page, margins)
        next_lines = body_lines(following, margins) if following.number not in opening else []
        if next_lines and _FIGURE_CAPTION.match(next_lines[0].text):
            found.append(f"page {following.number}: figure caption '{next_lines[0].text[:50]}' opens the page")
        if not lines or not next_lines or lines[-1].in_table:
            continue
        block = _last_block(lines)
        opens_with_table = next_lines[0].in_table or _graphic_first(following, margins, next_lines[0])
        if len(block) <= max_lines and opens_with_table and not _FIGURE_CAPTION.match(block[0].text):
            found.append(f"page {page.number}: '{block[0].text[:50]}' ends the page; what it introduces is overleaf")
    return found


def _last_block(lines: list[Line]) -> list[Line]:
    """The last paragraph of a page: the trailing lines with no larger gap between them than a line's height."""
    block = [lines[-1]]
    for line in reversed(lines[:-1]):
        if line.in_table or block[0].top - line.bottom > 0.6 * (line.bottom - line.top):
            break
        block.insert(0, line)
    return block


def _graphic_first(page: Page, margins: dict[str, float], first_line: Line) -> bool:
    """Whether a figure (drawn, not text) comes before the page's first line of text, or opens the page around
    its own labels (a diagram whose first box holds text)."""
    area_top = margins["top"] - 1
    drawn = [g for g in page.graphics if g.top >= area_top]
    if any(g.bottom < first_line.top - 20 for g in drawn):
        return True
    height = first_line.bottom - first_line.top
    boxes = [
        g for g in drawn if g.top <= first_line.top and g.bottom >= first_line.bottom and g.bottom - g.top > 2 * height
    ]
    return bool(boxes) and not first_line.in_table


def _figure_opens(page: Page, margins: dict[str, float], lines: list[Line], caption: Line) -> bool:
    """Whether a figure opens the page: drawing starts at (or above) the first line and reaches its caption."""
    drawn = [g for g in page.graphics if g.top >= margins["top"] - 1 and g.bottom <= caption.top + 1]
    if not drawn or not lines:
        return False
    return min(g.top for g in drawn) <= lines[0].top + 2 and max(g.bottom for g in drawn) >= caption.top - 40


def split_small_tables(
    measured: Measured, margins: dict[str, float], *, rows: int = SMALL_TABLE_ROWS, share: float = 0.4
) -> list[str]:
    """A table ending one page and going on at the top of the next that would have fit whole: at most `rows` rows
    and, all its parts together, at most `share` of the type area's height."""
    found = []
    for page, following in zip(measured.pages, measured.pages[1:], strict=False):
        if not page.tables or not following.tables:
            continue
        last, last_rows = max(page.tables, key=lambda t: t[0].bottom)
        first, first_rows = min(following.tables, key=lambda t: t[0].top)
        at_foot = last.bottom >= page.height - margins["bottom"] - 60
        at_head = first.top <= margins["top"] + 30
        same_columns = abs(last.x0 - first.x0) < 1 and abs(last.x1 - first.x1) < 1
        continued = at_foot and at_head and same_columns and not _text_between(following, first, margins)
        height = (last.bottom - last.top) + (first.bottom - first.top)
        area = page.height - margins["top"] - margins["bottom"]
        body_rows = last_rows + first_rows - 2  # the header row prints on both pages
        if continued and body_rows <= rows and height <= share * area:
            found.append(f"pages {page.number}–{following.number}: a table of {body_rows} row(s) split")
    return found


def _text_between(page: Page, table: Box, margins: dict[str, float]) -> bool:
    return any(not ln.in_table and ln.bottom <= table.top for ln in body_lines(page, margins))


def margins_pt(margins: Any) -> dict[str, float]:
    """A profile's margins (CSS lengths) in points."""
    from compiler.config.profiles import inches

    return {side: inches(getattr(margins, side)) * 72 for side in ("top", "right", "bottom", "left")}
