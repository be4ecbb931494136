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
    """Page margins (the running header and footer sit inside the top and bottom margins)."""
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
    """Body text size; 9–12 pt keeps to the FDA's readable range."""
    min_margins: Margins | None = None
    """Floors the margins must respect (checked when the profile is loaded), e.g. the FDA's."""

    @model_validator(mode="after")
    def _consistent(self) -> PdfProfile:
        if self.attachments == "sources" and self.variant not in (None, "pdf/a-3b"):
            raise ValueError("attachments: sources needs variant pdf/a-3b or none (PDF/A-2 forbids embedded files)")
        size = inches(self.body_font_size) * 72
        if not 9 <= size <= 12:
            raise ValueError(f"body_font_size must be between 9pt and 12pt, got {self.body_font_size}")
        for side in ("top", "right", "bottom", "left"):
            floor = getattr(self.min_margins, side, None)
            if floor and inches(getattr(self.margins, side)) < inches(floor):
                raise ValueError(f"margins.{side} {getattr(self.margins, side)} is below min_margins.{side} {floor}")
        return self

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
