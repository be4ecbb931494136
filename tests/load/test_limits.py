"""Load stage resource bounds: the environment knobs, Markdown nesting, bounds on a loaded source, image sizes."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import fields
from pathlib import Path

import pytest
from helpers.project import write_tree
from PIL import Image

from compiler.errors import ConfigError
from compiler.load.limits import Limits, current, image_refusal, markdown_nesting, source_problems
from compiler.load.reader import load_project


@pytest.fixture
def no_knobs(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment with no DOCS_COMPILE_LIMIT_* variable set."""
    for f in fields(Limits):
        monkeypatch.delenv(f"DOCS_COMPILE_LIMIT_{f.name.upper()}", raising=False)
    return monkeypatch


def test_environment_variables_override_single_bounds(no_knobs: pytest.MonkeyPatch) -> None:
    assert current() == Limits()
    no_knobs.setenv("DOCS_COMPILE_LIMIT_LIST_ITEMS", "5_000")
    no_knobs.setenv("DOCS_COMPILE_LIMIT_DEPTH", "  ")  # blank means unset
    assert current() == Limits(list_items=5000)


@pytest.mark.parametrize("raw", ["0", "-3", "lots", "1.5"])
def test_a_bound_that_is_not_a_positive_whole_number_is_refused(no_knobs: pytest.MonkeyPatch, raw: str) -> None:
    no_knobs.setenv("DOCS_COMPILE_LIMIT_IMAGE_PIXELS", raw)
    with pytest.raises(ConfigError) as caught:
        current()
    assert caught.value.format() == f"DOCS_COMPILE_LIMIT_IMAGE_PIXELS={raw!r}: expected a whole number of 1 or more"


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("plain text", 0),
        ("[a](b) and (c)", 1),
        ("[[(x", 3),  # brackets never closed still count
        ("]])) [x]", 1),  # closers without openers do not go below zero
        ("> quoted\n>> > deeper\ntext > not a quote", 3),
        ("  > > indented quote", 2),
    ],
)
def test_markdown_nesting_counts_brackets_and_quote_markers(text: str, depth: int) -> None:
    assert markdown_nesting(text) == depth


def test_source_problems_are_placed_and_name_their_knob(project: Path) -> None:
    write_tree(
        project,
        {
            "content/m/model.yaml": (
                "model:\n"
                "  name: Nested\n"
                "  summary: '((((x))))'\n"
                "risk:\n"
                "  limitations:\n"
                "    - one\n"
                "    - two\n"
                "    - three\n"
            )
        },
    )
    (loaded,) = load_project(project / "content").models
    found = source_problems(loaded, Limits(list_items=2, markdown_nesting=3, text_chars=10))
    assert [p.format() for p in found] == [
        "content/m/model.yaml:3:12: model.summary: text nests brackets or quotes 4 deep; the limit is 3 "
        "(hint: close the brackets or write the text plainly, or raise the limit with DOCS_COMPILE_LIMIT_MARKDOWN_NESTING)",
        "content/m/model.yaml:6:5: risk.limitations: list has 3 items; the limit is 2 "
        "(hint: summarise it or move it into an evidence file, or raise the limit with DOCS_COMPILE_LIMIT_LIST_ITEMS)",
        "content/m/model.yaml:1:1: the source holds 26 characters of text; the limit is 10 "
        "(hint: move long material into separate documents and link them, or raise the limit with DOCS_COMPILE_LIMIT_TEXT_CHARS)",
    ]
    assert source_problems(loaded, Limits(list_items=3, markdown_nesting=4, text_chars=26)) == []


def _png(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but which holds no pixel data at all."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_images_are_refused_by_bytes_and_by_the_pixels_their_header_declares(no_knobs: pytest.MonkeyPatch) -> None:
    limits = Limits(image_bytes=1000, image_pixels=50_000)
    assert image_refusal(b"x" * 1001, "image/png", limits) == (
        "1,001 bytes; the limit is 1,000 (or raise the limit with DOCS_COMPILE_LIMIT_IMAGE_BYTES)"
    )
    # 64 million pixels declared in 45 bytes: refused from the header, never decoded.
    assert image_refusal(_png(8000, 8000), "image/png") == (
        "8,000 x 8,000 pixels; the limit is 50,000,000 (or raise the limit with DOCS_COMPILE_LIMIT_IMAGE_PIXELS)"
    )
    small = io.BytesIO()
    Image.new("RGB", (250, 200)).save(small, "PNG")
    assert image_refusal(small.getvalue(), "image/png", limits) == ""
    assert image_refusal(small.getvalue(), "image/png", Limits(image_pixels=49_999)).startswith("250 x 200 pixels")


def test_svg_other_files_and_unreadable_images_have_only_the_byte_bound() -> None:
    limits = Limits(image_bytes=100, image_pixels=1)
    assert image_refusal(b"<svg width='99999' height='99999'/>", "image/svg+xml", limits) == ""
    assert image_refusal(b"%PDF-1.7", "application/pdf", limits) == ""
    assert image_refusal(b"not a png", "image/png", limits) == ""
