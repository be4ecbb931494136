"""Publish stage input: PDF profiles (page size, margins, PDF variant, fonts) as YAML files, validated."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationError, model_validator

from compiler._util.paths import display_path
from compiler._util.text import closest
from compiler.errors import ConfigError, Location, Problem
from compiler.load.reader import load_yaml
from compiler.schema.base import Node, Text

PROFILES_DIR = Path(__file__).parent
PAGE_SIZES = {"letter": (8.5, 11.0), "a4": (210 / 25.4, 297 / 25.4)}
"""Page width and height in inches."""

MIN_TEXT_PT = 6.0
"""No profile may print text smaller than this (the FDA's own floor, 9 pt, is what its profile asks)."""
RUNNING_GAP = "0.15in"
"""Space between the running header (footer) and the body text."""
RUNNING_LINE_HEIGHT = 1.35
"""Line height of the running header and footer, in multiples of their size."""

_LENGTH = r"^\d+(\.\d+)?(in|mm|cm|pt)$"
_PER_INCH = {"in": 1.0, "mm": 25.4, "cm": 2.54, "pt": 72.0}

Length = Annotated[str, StringConstraints(pattern=_LENGTH), Field(description="A CSS length: 0.75in, 20mm, 2cm, 54pt.")]


def inches(length: str) -> float:
    """A profile length in inches."""
    match = re.match(r"^(\d+(?:\.\d+)?)(in|mm|cm|pt)$", length)
    if match is None:
        raise ValueError(f"not a length: {length!r}")
    return float(match.group(1)) / _PER_INCH[match.group(2)]


class Margins(Node):
    top: Length
    right: Length
    bottom: Length
    left: Length


class PdfProfile(Node):
    """How a PDF is laid out and which PDF flavour it is written as."""

    name: str = ""
    """Set from the file name."""
    title: Text
    """Human name of the profile."""
    page_size: Literal["letter", "a4"]
    """Paper: US Letter or ISO A4."""
    margins: Margins
    """Page margins (the running header and footer sit inside the top and bottom margins, against the text)."""
    pdf_version: Literal["1.7", "2.0"] = "1.7"
    variant: Literal["pdf/a-2b", "pdf/a-3b", "pdf/ua-1"] | None = None
    """A PDF/A or PDF/UA conformance level, or none (plain PDF)."""
    full_fonts: bool = False
    """Embed whole fonts rather than subsets (the FDA asks for full embedding)."""
    tagged: bool = False
    """Write a structure tree (tagged PDF); implied by pdf/ua-1."""
    open_bookmarks: bool = True
    """The document opens with the bookmarks panel (/PageMode /UseOutlines)."""
    attachments: Literal["none", "sources"] = "none"
    """'sources': embed the source YAML files and manifest.json as associated files (PDF/A-3)."""
    body_font_size: Length = "10pt"
    """Narrative text size; 9–12 pt keeps to the FDA's readable range (it recommends 10–12 pt)."""
    table_font_size: Length = "9pt"
    """Table text size, header rows and code in cells included (the FDA recommends 9–10 pt)."""
    min_font_size: Length = "9pt"
    """The smallest text anywhere: running header and footer, captions, code, diagram labels."""
    min_margins: Margins | None = None
    """How close anything printed, running header and footer included, may come to each edge (e.g. the FDA's
    3/8 in, and 3/4 in on the binding side). Checked when the profile is loaded, and measured by the tests."""
    linearize: bool = False
    """Write a linearized PDF ("Fast Web View"): a viewer shows the first page before the whole file arrives."""

    @model_validator(mode="after")
    def _consistent(self) -> PdfProfile:
        if self.attachments == "sources" and self.variant not in (None, "pdf/a-3b"):
            raise ValueError("attachments: sources needs variant pdf/a-3b or none (PDF/A-2 forbids embedded files)")
        size = inches(self.body_font_size) * 72
        if not 9 <= size <= 12:
            raise ValueError(f"body_font_size must be between 9pt and 12pt, got {self.body_font_size}")
        smallest, table = inches(self.min_font_size) * 72, inches(self.table_font_size) * 72
        if not MIN_TEXT_PT <= smallest <= table <= size:
            raise ValueError(
                f"font sizes must keep {MIN_TEXT_PT:g}pt <= min_font_size <= table_font_size <= body_font_size, "
                f"got {self.min_font_size}, {self.table_font_size}, {self.body_font_size}"
            )
        for side in ("top", "right", "bottom", "left"):
            floor = getattr(self.min_margins, side, None)
            if floor and inches(getattr(self.margins, side)) < inches(floor):
                raise ValueError(f"margins.{side} {getattr(self.margins, side)} is below min_margins.{side} {floor}")
            if floor and side in ("top", "bottom") and self.running_band_room(side) < inches(floor):
                band = "header" if side == "top" else "footer"
                raise ValueError(
                    f"margins.{side} {getattr(self.margins, side)} leaves no room for the running {band} outside "
                    f"min_margins.{side} {floor} (the {band} takes {self.running_band:.2f}in of it)"
                )
        return self

    @property
    def running_band(self) -> float:
        """Inches the running header (or footer) takes in its margin: a line of min_font_size text and the gap
        between it and the body."""
        return inches(self.min_font_size) * RUNNING_LINE_HEIGHT + inches(RUNNING_GAP)

    def running_band_room(self, side: str) -> float:
        """Inches left between the page edge and the running header (top) or footer (bottom)."""
        return inches(getattr(self.margins, side)) - self.running_band

    @property
    def page_inches(self) -> tuple[float, float]:
        return PAGE_SIZES[self.page_size]

    @property
    def is_tagged(self) -> bool:
        return self.tagged or self.variant == "pdf/ua-1"


def profile_names(folder: Path = PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.yaml"))


@lru_cache(maxsize=32)
def load_profile(name: str, folder: Path = PROFILES_DIR) -> PdfProfile:
    """The named profile from the profiles folder, validated; ConfigError naming the file otherwise."""
    path = folder / f"{name}.yaml"
    if not path.is_file():
        names = profile_names(folder)
        raise ConfigError.at(
            display_path(path),
            f"no PDF profile '{name}'",
            hint=closest(name, names) or f"profiles: {', '.join(names)}",
        )
    problems: list[Problem] = []
    loaded = load_yaml(path, folder, problems)
    if loaded is None:
        raise ConfigError(problems)
    try:
        return PdfProfile.model_validate({**loaded.data, "name": name})
    except ValidationError as exc:
        from compiler.validate.problems import schema_problems

        found = schema_problems(loaded, exc, PdfProfile)
        raise ConfigError(found or [Problem(Location(display_path(path)), str(exc))]) from None
