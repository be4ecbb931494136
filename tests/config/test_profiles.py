"""PDF profiles as data: lengths, the rules a profile must keep, and placed errors for a wrong profile file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.project import write_tree

from compiler.config.profiles import PAGE_SIZES, PdfProfile, inches, load_profile
from compiler.errors import ConfigError

MARGINS = {"top": "20mm", "right": "2cm", "bottom": "54pt", "left": "0.75in"}


def _load(project: Path, name: str, body: dict[str, Any] | str) -> PdfProfile:
    if isinstance(body, dict):
        body = {"title": name.title(), "page_size": "a4", "margins": MARGINS, **body}
    write_tree(project, {f"profiles/{name}.yaml": body})
    return load_profile(name, project / "profiles")


def _error(project: Path, body: dict[str, Any] | str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(project, "custom", body)
    return caught.value.format()


def test_lengths_in_every_unit_convert_to_inches() -> None:
    assert [inches(x) for x in ("1.5in", "25.4mm", "2.54cm", "72pt", "0in")] == [1.5, 1.0, 1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="not a length: '1 inch'"):
        inches("1 inch")


def test_a_valid_profile_file_gets_its_name_and_defaults(project: Path) -> None:
    profile = _load(project, "custom", {})
    assert (profile.name, profile.pdf_version, profile.variant, profile.attachments) == ("custom", "1.7", None, "none")
    assert (profile.body_font_size, profile.open_bookmarks, profile.is_tagged) == ("10pt", True, False)
    assert profile.page_inches == PAGE_SIZES["a4"] == pytest.approx((8.2677, 11.6929), abs=1e-4)
    assert _load(project, "ua", {"variant": "pdf/ua-1"}).is_tagged  # PDF/UA implies a tagged PDF
    for size in ("9pt", "12pt"):  # the bounds themselves are allowed (load_profile caches by name: one each)
        assert _load(project, f"body-{size}", {"body_font_size": size}).body_font_size == size


def test_wrong_values_and_unknown_keys_are_placed_in_the_profile_file(project: Path) -> None:
    text = (
        "title: Custom\n"
        "page_size: a5\n"
        "margins: {top: 1in, right: 1in, bottom: 1in, left: 1 inch}\n"
        "body_font_sise: 10pt\n"
    )
    assert _error(project, text).splitlines() == [
        "profiles/custom.yaml:2:12: page_size: expected one of letter, a4, found 'a5'",
        "profiles/custom.yaml:3:52: margins.left: '1 inch' does not have the expected form",
        "profiles/custom.yaml:4:1: body_font_sise: unknown key 'body_font_sise' (hint: did you mean 'body_font_size'?)",
    ]


@pytest.mark.parametrize("size", ["8.9pt", "12.5pt", "4.3mm"])
def test_body_text_outside_9_to_12_points_is_refused(project: Path, size: str) -> None:
    assert _error(project, {"body_font_size": size}) == (
        f"profiles/custom.yaml:1:1: body_font_size must be between 9pt and 12pt, got {size}"
    )


@pytest.mark.parametrize("variant", ["pdf/a-2b", "pdf/ua-1"])
def test_attached_sources_need_pdf_a_3b_or_plain_pdf(project: Path, variant: str) -> None:
    assert _error(project, {"variant": variant, "attachments": "sources"}) == (
        "profiles/custom.yaml:1:1: attachments: sources needs variant pdf/a-3b or none (PDF/A-2 forbids embedded files)"
    )
