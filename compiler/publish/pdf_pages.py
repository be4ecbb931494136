"""Publish stage (PDF): how many pages a document will print on, estimated from its body before any layout.

An audience that leaves `pdf.toc` unset gets contents when its document prints on TOC_MIN_PAGES pages or more
(without them). Laying a document out only to count its pages doubles the time of every long PDF, so the
count is estimated from the body instead: the height of its text (characters over the line's width, at the
profile's sizes), table rows (their fullest cell), headings and figures, over the page's type area, plus the
cover. `compiler.publish.pdf` lays the document out once with the decision this gives, and again only when
the page count it then has shows the estimate was wrong.

The constants are measured on the example models' documents and their first sections (2 to 65 pages, the
three packaged profiles): near the threshold the estimate is within two pages and decides as the count does
in all but one case in a hundred; long documents come out up to a quarter long, far above the threshold
(tests/publish/test_pdf_pages.py).
"""

from __future__ import annotations

import math
from typing import Any

from compiler.config.profiles import PdfProfile, inches
from compiler.publish.print_layout import PrintBody

TOC_MIN_PAGES = 5
"""Contents for documents of this many pages or more (without them), unless the audience says otherwise."""
CHAR_WIDTH = 0.55
"""Average width of a character, in ems of its font (DejaVu Sans, mixed text)."""
LINE_HEIGHT = 1.35
"""As the print style sheet sets it."""
FILL = 0.9
"""Share of a page's type area that text fills: keep-together rules leave the rest of some pages empty."""
FIGURE_SHARE = 0.3
"""Height of a figure with its caption, as a share of the type area's height."""
ROW_PADDING_PT = 5.0
BLOCK_GAP_EM = 0.9
"""Space around a paragraph or list item."""
HEADING_EMS = {"h1": 4.25, "h2": 3.78, "h3": 2.95, "h4": 2.47}
"""Height of a heading with its margins, in ems of the body text (from the print style sheet's sizes)."""
_TEXT_BLOCKS = ("p", "li", "dd", "figcaption", "pre")


def toc_wanted(wanted: bool | None, body: PrintBody, profile: PdfProfile, compact: bool) -> bool:
    """Whether a document gets contents: as its audience says, else when its estimated pages reach the minimum."""
    if wanted is not None:
        return wanted
    return estimate_pages(body, profile, compact=compact) >= TOC_MIN_PAGES


def estimate_pages(body: PrintBody, profile: PdfProfile, *, compact: bool) -> float:
    """Pages the document is expected to print on without contents (a cover, unless compact, and the body)."""
    import lxml.html

    root = lxml.html.fragment_fromstring(body.html or "<p></p>", create_parent="div")
    width_in, height_in = profile.page_inches
    m = profile.margins
    width = (width_in - inches(m.left) - inches(m.right)) * 72
    height = (height_in - inches(m.top) - inches(m.bottom)) * 72
    text_pt = inches(profile.body_font_size) * 72
    table_pt = inches(profile.table_font_size) * 72
    total = 0.0
    for element in root.iter():
        tag = element.tag
        if tag in HEADING_EMS:
            total += HEADING_EMS[tag] * text_pt
        elif tag == "table":
            total += 1.4 * text_pt
        elif tag == "tr":
            cells = [cell for cell in element if cell.tag in ("td", "th")]
            if cells:
                across = width / len(cells) - 8
                lines = max(_lines(_chars(cell), table_pt, across) for cell in cells)
                total += lines * table_pt * LINE_HEIGHT + ROW_PADDING_PT
        elif tag == "img":
            total += FIGURE_SHARE * height
        elif tag in _TEXT_BLOCKS and not _in_table_or_item(element):
            size = table_pt if tag in ("pre", "figcaption") else text_pt
            lines = _lines(_chars(element), size, width - (18 if tag == "li" else 0))
            total += lines * size * LINE_HEIGHT + BLOCK_GAP_EM * text_pt
    return (0 if compact else 1) + total / (height * FILL)


def _chars(element: Any) -> int:
    return len(" ".join(element.text_content().split()))


def _lines(chars: int, size_pt: float, across_pt: float) -> int:
    return max(1, math.ceil(chars * CHAR_WIDTH * size_pt / max(across_pt, size_pt)))


def _in_table_or_item(element: Any) -> bool:
    """Text inside a table is measured with its row; a paragraph inside a list item, with the item."""
    parent = element.getparent()
    if element.tag == "p" and parent is not None and parent.tag == "li":
        return True
    return any(ancestor.tag in ("table", "td", "th") for ancestor in element.iterancestors())
