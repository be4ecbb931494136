"""Exported diagrams in print: natural size when the page has room, scaled to fit otherwise, and a landscape
page when scaling would print their text under the PDF profile's smallest size."""

from __future__ import annotations

from types import SimpleNamespace

import lxml.html
import pytest

from compiler.config.profiles import load_profile
from compiler.publish.print_figures import size_file_diagrams, smallest_text_px
from compiler.publish.print_layout import PrintArea


def _figure(width: int, text_px: int) -> tuple[object, SimpleNamespace]:
    html = (
        f'<div><figure class="diagram diagram-file"><div class="diagram-scroll">'
        f'<img src="assets/d.svg" alt="a" width="{width}" height="300"></div></figure></div>'
    )
    svg = f'<svg><text font-size="{text_px}px">a</text><g style="font-size: 0px"/></svg>'.encode()
    return lxml.html.fromstring(html), SimpleNamespace(assets={"assets/d.svg": svg})


@pytest.mark.parametrize(
    ("width", "text_px", "landscape", "printed"),
    [
        (500, 12, False, "500.0px"),  # room on a portrait page: natural size
        (711, 12, True, "711.0px"),  # 12 px text scaled to fit would print under 9 pt: a landscape page
        (711, 20, False, "672.0px"),  # large text: scaled to the portrait width (7 in), still 9 pt or more
        (2000, 12, True, "912.0px"),  # too wide even in landscape (9.5 in): the larger of the two
    ],
)
def test_an_exported_diagram_keeps_its_text_at_the_profiles_smallest_size(
    width: int, text_px: int, landscape: bool, printed: str
) -> None:
    area = PrintArea.of(load_profile("fda-ectd"))
    root, document = _figure(width, text_px)
    size_file_diagrams(root, document, area)
    figure, image = root.find(".//figure"), root.find(".//img")
    assert ("landscape" in figure.get("class").split()) is landscape
    assert image.get("style").startswith(f"width: {printed}")


def test_the_smallest_text_ignores_zero_sizes_and_a_png_has_none() -> None:
    assert smallest_text_px(b'<svg style="font-size: 0px"><text font-size="11.5px">a</text></svg>') == 11.5
    assert smallest_text_px(b"\x89PNG\r\n\x1a\n") is None
