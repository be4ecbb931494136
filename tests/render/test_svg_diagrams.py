"""Render stage: diagrams exported from Lucidchart, Miro or draw.io (SVG or PNG) as figures, SVG rebuilt from an
allow-list. The hostile corpus is tests/fixtures/svg/; tests/test_exported_diagrams.py opens the built site in
Chromium and reads the PDF."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers.project import AUDIENCES, minimal_source, write_tree

from compiler.render.svg import ELEMENTS, UnsafeImage, _parse_stdlib, checked_png, sanitize_svg
from compiler.schema.system import Diagram

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "svg"
REFUSED = {"entity-expansion.svg", "external-entity.svg", "parameter-entity.svg"}
HOSTILE = sorted(p.name for p in CORPUS.glob("*.svg") if p.name not in REFUSED | {"drawio-export.svg"})
LIMIT = 32 * 1024 * 1024


def png(width: int, height: int) -> bytes:
    """A real, decodable PNG of one grey colour."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def clean(name: str) -> str:
    return sanitize_svg((CORPUS / name).read_bytes(), max_bytes=LIMIT).data.decode("utf-8")


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_svg_is_rebuilt_without_anything_that_runs_or_fetches(name: str) -> None:
    import xml.etree.ElementTree as ET

    out = clean(name)
    assert "HERE" not in out and "javascript" not in out.lower() and "<?" not in out and "<!" not in out
    root = ET.fromstring(out)
    for element in root.iter():
        tag = element.tag.split("}")[-1]
        assert element.tag.startswith("{http://www.w3.org/2000/svg}") and tag in ELEMENTS, (name, tag)
        for key, value in element.attrib.items():
            assert not key.lower().startswith("on"), (name, key)
            if key.endswith("href"):
                assert value.startswith("#") or value.startswith("data:image/png;base64,"), (name, value)
            for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", value):
                assert target.startswith("#"), (name, key, value)
    for sheet in root.iter("{http://www.w3.org/2000/svg}style"):
        assert "@" not in (sheet.text or "") and all(
            t.startswith("#") for t in re.findall(r"url\(\s*['\"]?([^'\")]*)", sheet.text or "")
        )
    assert "box" in "".join(root.itertext()).lower() or "label" in "".join(root.itertext()).lower()  # labels stay


@pytest.mark.parametrize("name", [*HOSTILE, "drawio-export.svg"])
def test_sanitising_twice_changes_nothing(name: str) -> None:
    once = clean(name).encode()
    assert sanitize_svg(once, max_bytes=LIMIT).data == once


def test_local_references_are_kept() -> None:
    out = clean("css-urls.svg")
    assert "fill: url(#grad)" in out and '<linearGradient id="grad">' in out
    assert 'style="stroke-width: 2"' in out  # the declaration that fetches goes, its neighbours stay
    assert '<use href="#local" x="100" y="50">' in clean("external-references.svg")


def test_an_embedded_png_is_kept_and_an_embedded_svg_is_not() -> None:
    import base64

    data = base64.b64encode(png(2, 2)).decode()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
        f'<image xlink:href="data:image/png;base64,{data}" width="2" height="2"/>'
        '<image href="data:image/png;base64,PHN2Zz4=" width="2" height="2"/></svg>'
    )
    out = sanitize_svg(svg.encode(), max_bytes=LIMIT).data.decode()
    assert f'xlink:href="data:image/png;base64,{data}"' in out and 'xmlns:xlink="http://www.w3.org/1999/xlink"' in out
    assert out.count("data:") == 1  # the second is SVG text under a PNG's name


def test_a_drawio_export_keeps_its_text_labels_and_drops_the_diagram_source() -> None:
    out = clean("drawio-export.svg")
    for label in ("DICOM gateway", "Classifier", "DICOM study"):
        assert f">{label}</text>" in out
    assert "content=" not in out and "mxfile" not in out and "foreignObject" not in out
    assert "Text is not SVG" not in out  # the notice for viewers without foreignObject: not needed any more
    assert out.startswith(
        '<svg xmlns="http://www.w3.org/2000/svg" width="421" height="121" viewBox="-0.5 -0.5 421 121"'
    )


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_entity_declarations_are_refused_by_both_parsers(name: str) -> None:
    data = (CORPUS / name).read_bytes()
    with pytest.raises(UnsafeImage, match="declares entities"):
        sanitize_svg(data, max_bytes=LIMIT)
    with pytest.raises(UnsafeImage, match="declares entities"):
        _parse_stdlib(data)  # the standard library's parser, used where defusedxml is not installed


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (b"<html/>", "is not an SVG document (its root element is 'html')"),
        (b'<svg xmlns="http://www.w3.org/2000/svg">', "is not well-formed XML"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="100%"/>', "has no size"),
        (b'<svg xmlns="http://www.w3.org/2000/svg">&undefined;</svg>', "is not well-formed XML"),
    ],
)
def test_what_is_not_an_svg_picture_is_refused(svg: bytes, message: str) -> None:
    with pytest.raises(UnsafeImage, match=re.escape(message)):
        sanitize_svg(svg, max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("attributes", "size"),
    [
        ('width="2in" height="1in"', (192.0, 96.0, "0 0 192 96")),
        ('viewBox="0 0 400 100"', (400.0, 100.0, "0 0 400 100")),
        ('width="200" viewBox="0 0 400 100"', (200.0, 50.0, "0 0 400 100")),
        ('width="100%" height="100%" viewBox="0,0,40,30"', (40.0, 30.0, "0 0 40 30")),
    ],
)
def test_the_size_keeps_the_aspect_ratio(attributes: str, size: tuple[float, float, str]) -> None:
    image = sanitize_svg(f'<svg xmlns="http://www.w3.org/2000/svg" {attributes}/>'.encode(), max_bytes=LIMIT)
    assert (image.width, image.height) == size[:2]
    assert f'viewBox="{size[2]}"' in image.data.decode()


def test_png_bounds() -> None:
    assert checked_png(png(3, 2), max_bytes=LIMIT, max_pixels=6).width == 3
    with pytest.raises(UnsafeImage, match="is 3 x 2 pixels; an image may have at most 5 pixels"):
        checked_png(png(3, 2), max_bytes=LIMIT, max_pixels=5)
    with pytest.raises(UnsafeImage, match="more than the 10 an image may have"):
        checked_png(png(3, 2), max_bytes=10, max_pixels=6)
    with pytest.raises(UnsafeImage, match="is not a PNG image"):
        checked_png(b"GIF89a" + bytes(40), max_bytes=LIMIT, max_pixels=6)
    with pytest.raises(UnsafeImage, match="more than the 10"):
        sanitize_svg(b"<svg " + b" " * 20 + b"/>", max_bytes=10)


# --- the schema -------------------------------------------------------------------------------------------

BASE = {"id": "d", "title": "T", "alt": "A"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "give exactly one of `mermaid`"),
        ({"mermaid": "graph TD\n A --> B", "file": "d.svg"}, "give exactly one of `mermaid`"),
        ({"file": "diagrams/flow.drawio"}, "export it as SVG (File > Export as > SVG)"),
        ({"file": "../outside.svg"}, "is not a path to an .svg or .png file inside the model's folder"),
        ({"file": "/etc/x.svg"}, "is not a path"),
        ({"file": "diagrams/.hidden.svg"}, "is not a path"),
        ({"file": "diagram.gif"}, "is not a path"),
    ],
)
def test_a_diagram_is_exactly_one_of_mermaid_and_an_exported_file(extra: dict[str, str], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=re.escape(message)):
        Diagram.model_validate({**BASE, **extra})


@pytest.mark.parametrize("missing", ["title", "alt"])
def test_caption_and_alt_text_are_required_for_a_file(missing: str) -> None:
    from pydantic import ValidationError

    data = {**BASE, "file": "d.svg"}
    del data[missing]
    with pytest.raises(ValidationError, match=missing):
        Diagram.model_validate(data)


# --- a build -------------------------------------------------------------------------------------------------


def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, diagram: dict[str, str], files: dict[str, bytes]) -> object:
    source = minimal_source("demo")
    source["system"]["architecture"]["diagrams"] = [{"id": "flow", "title": "Flow", "alt": "A to B.", **diagram}]
    write_tree(tmp_path, {"content/demo/model.yaml": yaml.safe_dump(source, sort_keys=False)})
    write_tree(tmp_path / "content" / "demo", files)
    monkeypatch.chdir(tmp_path)
    from compiler.cli import cli

    return CliRunner().invoke(cli, ["build", "--no-pdf", "--audiences", str(AUDIENCES)])


def test_a_png_diagram_is_a_figure_on_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = build(tmp_path, monkeypatch, {"file": "diagrams/flow.png"}, {"diagrams/flow.png": png(30, 20)})
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    page = (tmp_path / "build" / "site" / "demo" / "technical" / "index.html").read_text(encoding="utf-8")
    assert (
        '<figure class="diagram diagram-file" id="diagram-flow"><div class="diagram-scroll"><img '
        'src="assets/diagram-flow.png" alt="A to B." width="30" height="20"></div><figcaption class="diagram-caption">'
        "<strong>Flow.</strong> A to B.</figcaption>"
    ) in page
    assert (tmp_path / "build/site/demo/technical/assets/diagram-flow.png").read_bytes() == png(30, 20)


@pytest.mark.parametrize(
    ("diagram", "files", "message"),
    [
        ({"file": "diagrams/none.svg"}, {}, "no file 'diagrams/none.svg' in the model's folder"),
        ({"file": "flow.svg"}, {"flow.svg": (CORPUS / "external-entity.svg").read_bytes()}, "flow.svg declares"),
        ({"file": "flow.png"}, {"flow.png": b"<svg/>"}, "flow.png is not a PNG image"),
    ],
)
def test_a_missing_or_unsafe_file_is_a_placed_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, diagram: dict[str, str], files: dict[str, bytes], message: str
) -> None:
    result = build(tmp_path, monkeypatch, diagram, files)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    stderr = result.stderr  # type: ignore[attr-defined]
    assert re.search(r"content/demo/model.yaml:\d+:\d+: system.architecture.diagrams\[0\].file: ", stderr), stderr
    assert message in stderr and "Traceback" not in stderr
    assert not (tmp_path / "build").exists()


def test_a_file_linked_outside_the_model_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret.svg"
    secret.write_bytes((CORPUS / "drawio-export.svg").read_bytes())
    (tmp_path / "content" / "demo").mkdir(parents=True)
    (tmp_path / "content" / "demo" / "flow.svg").symlink_to(secret)
    result = build(tmp_path, monkeypatch, {"file": "flow.svg"}, {})
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "outside" in result.stderr and "DICOM" not in result.stderr  # type: ignore[attr-defined]
