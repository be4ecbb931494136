"""Render stage helper: an exported diagram (SVG or PNG from Lucidchart, Miro or draw.io) made safe to publish.

An SVG is a program as much as a picture: it can hold script, event handlers, links that run script,
HTML inside `foreignObject`, and references (`href`, CSS `url()`, `@import`) that fetch from anywhere.
Rather than look for what is dangerous, `sanitize_svg` parses the file with entity declarations refused
and builds a new document from an allow-list: SVG elements and presentation attributes only, references
only to `#fragments` of the same file (and embedded PNG or JPEG images), style sheets rebuilt from their
tokens with at-rules and outside references dropped. What is not on the list is left out, not escaped.

draw.io exports draw HTML labels in a `foreignObject` inside a `switch` whose next child is the same label
as SVG text: the `foreignObject` goes, the text stays, so the labels are still shown.
"""

from __future__ import annotations

import base64
import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "switch", "title", "desc", "style",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "image",
        "text", "tspan", "textPath",
        "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
        "filter", "feGaussianBlur", "feOffset", "feFlood", "feComposite", "feMerge", "feMergeNode",
        "feBlend", "feColorMatrix", "feDropShadow",
    }
)  # fmt: skip
"""Elements kept. Everything else is left out with its content: script, foreignObject, animation (which can
set an `href` to script), feImage and font-face-uri (which fetch), metadata."""

UNWRAPPED = frozenset({"a"})
"""Elements left out while their content is kept: a link's text stays, the link does not."""

ATTRIBUTES = frozenset(
    {
        "id", "class", "style", "transform", "viewBox", "preserveAspectRatio", "width", "height",
        "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "d", "points",
        "dx", "dy", "rotate", "textLength", "lengthAdjust", "startOffset", "pathLength",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray",
        "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "opacity", "color",
        "font-family", "font-size", "font-weight", "font-style", "font-variant", "font-stretch",
        "text-anchor", "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing",
        "word-spacing", "text-decoration", "writing-mode", "direction", "white-space", "paint-order",
        "visibility", "display", "overflow", "pointer-events", "vector-effect", "shape-rendering",
        "text-rendering", "image-rendering", "clip-path", "clip-rule", "mask", "filter",
        "marker-start", "marker-mid", "marker-end", "markerWidth", "markerHeight", "markerUnits",
        "refX", "refY", "orient", "offset", "stop-color", "stop-opacity", "gradientUnits",
        "gradientTransform", "spreadMethod", "patternUnits", "patternContentUnits", "patternTransform",
        "clipPathUnits", "maskUnits", "maskContentUnits", "filterUnits", "primitiveUnits",
        "in", "in2", "result", "stdDeviation", "flood-color", "flood-opacity", "mode", "operator",
        "k1", "k2", "k3", "k4", "values", "type",
    }
)  # fmt: skip
"""Attributes kept (besides `href`, checked on its own). No event handler (`on…`) is on the list."""

STYLE_PROPERTIES_REFUSED = frozenset({"behavior", "-moz-binding", "src"})
_FETCHING_FUNCTIONS = frozenset({"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade", "element"})
_PROPERTY = re.compile(r"-?[a-z][a-z0-9-]*")
_IMAGE_DATA = re.compile(r"^data:image/(png|jpeg);base64,([A-Za-z0-9+/=\s]+)$")
_MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff"}
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in)?\s*$")
_PX_PER = {None: 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}


class UnsafeImage(ValueError):
    """A file that cannot be made safe or is not the image it claims to be; the message says why."""


@dataclass(frozen=True)
class SafeImage:
    """An image ready to publish: its bytes, file suffix and natural size in CSS pixels."""

    data: bytes
    suffix: str
    width: float
    height: float


def sanitize_svg(data: bytes, *, max_bytes: int) -> SafeImage:
    """The SVG rebuilt from the allow-list, with a viewBox and a width and height in pixels; UnsafeImage when
    the file is too large, is not well-formed XML, declares entities or is not an SVG document."""
    if len(data) > max_bytes:
        raise UnsafeImage(f"is {len(data):,} bytes, more than the {max_bytes:,} an image may have")
    root = _parse(data)
    if root.tag != f"{{{SVG_NS}}}svg":
        raise UnsafeImage(f"is not an SVG document (its root element is {_local(root.tag)!r})")
    width, height, view_box = _size(root)
    out: list[str] = []
    attributes = {"xmlns": SVG_NS, "width": _number(width), "height": _number(height), "viewBox": view_box}
    attributes.update({k: v for k, v in _attributes(root) if k not in ("width", "height", "viewBox")})
    out.append("<svg" + "".join(f" {k}={quoteattr(v)}" for k, v in attributes.items()) + ">")
    _children(root, out)
    out.append("</svg>\n")
    return SafeImage(_declare_xlink("".join(out)).encode("utf-8"), "svg", width, height)


def checked_png(data: bytes, *, max_bytes: int, max_pixels: int) -> SafeImage:
    """The PNG as it is when its signature and header hold and it is within the byte and pixel bounds."""
    if len(data) > max_bytes:
        raise UnsafeImage(f"is {len(data):,} bytes, more than the {max_bytes:,} an image may have")
    if not data.startswith(_MAGIC["png"]) or data[12:16] != b"IHDR" or len(data) < 33:
        raise UnsafeImage("is not a PNG image (its first bytes are not a PNG signature and header)")
    width, height = struct.unpack(">II", data[16:24])
    if not width or not height or width * height > max_pixels:
        raise UnsafeImage(f"is {width} x {height} pixels; an image may have at most {max_pixels:,} pixels")
    return SafeImage(data, "png", float(width), float(height))


# --- parsing ----------------------------------------------------------------------------------------


def _parse(data: bytes) -> ET.Element:
    try:
        import defusedxml.ElementTree as safe_et
    except ImportError:  # the standard library's parser, with every entity declaration refused
        return _parse_stdlib(data)
    from defusedxml import DefusedXmlException

    try:
        root: ET.Element = safe_et.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UnsafeImage("declares entities (<!ENTITY …>), which an image may not") from None
    except ET.ParseError as exc:
        raise UnsafeImage(f"is not well-formed XML ({exc})") from None
    return root


def _parse_stdlib(data: bytes) -> ET.Element:
    from xml.parsers import expat

    def refuse(*_: Any) -> int:
        raise UnsafeImage("declares entities (<!ENTITY …>), which an image may not")

    def name(expanded: str) -> str:  # expat writes 'uri}local', ElementTree '{uri}local'
        return "{" + expanded if "}" in expanded else expanded

    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = lambda tag, attrs: builder.start(name(tag), {name(k): v for k, v in attrs.items()})
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise UnsafeImage(f"is not well-formed XML ({exc})") from None
    return builder.close()


# --- rebuilding -------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, out: list[str]) -> None:
    if element.text:
        out.append(escape(element.text))
    for child in element:
        _element(child, out)
        if child.tail:
            out.append(escape(child.tail))


def _element(element: ET.Element, out: list[str]) -> None:
    if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{SVG_NS}}}"):
        return  # another namespace (XHTML in a foreignObject, an editor's own), a comment or an instruction
    name = _local(element.tag)
    if name in UNWRAPPED:
        _children(element, out)
        return
    if name not in ELEMENTS:
        return
    if name == "style":
        sheet = _safe_stylesheet("".join(element.itertext()))
        if sheet:
            out.append(f"<style>{escape(sheet)}</style>")
        return
    out.append(f"<{name}" + "".join(f" {k}={quoteattr(v)}" for k, v in _attributes(element)) + ">")
    if name in ("title", "desc"):
        out.append(escape("".join(element.itertext())))
    elif name == "switch":
        out.extend(_first_drawn(element))
    else:
        _children(element, out)
    out.append(f"</{name}>")


def _first_drawn(switch: ET.Element) -> list[str]:
    """A switch draws its first child whose conditions hold. The conditions are gone (not on the list) and so is a
    foreignObject: the first child left is what every renderer draws, whether it knows `switch` or not. In a draw.io
    export that is a label's SVG text, and the empty group before the 'Text is not SVG' notice."""
    for child in switch:
        drawn: list[str] = []
        _element(child, drawn)
        if drawn:
            return drawn
    return []


def _attributes(element: ET.Element) -> list[tuple[str, str]]:
    kept = []
    image = _local(element.tag) == "image"
    for key, value in element.attrib.items():
        if key in ("href", f"{{{XLINK_NS}}}href"):
            target = _safe_href(value, image=image)
            if target is not None:
                kept.append(("xlink:href" if key.startswith("{") else "href", target))
        elif key == f"{{{XML_NS}}}space":
            kept.append(("xml:space", "preserve" if value == "preserve" else "default"))
        elif key == "style":
            declarations = _safe_declarations(value)
            if declarations:
                kept.append(("style", declarations))
        elif key in ATTRIBUTES and _inert_value(value):
            kept.append((key, value))
    return kept


def _safe_href(value: str, *, image: bool) -> str | None:
    """A reference kept: a fragment of this file, or (on an image) an embedded PNG or JPEG; else None."""
    value = value.strip()
    if re.fullmatch(r"#[A-Za-z_][\w.:-]*", value):
        return value
    found = _IMAGE_DATA.match(value) if image else None
    if found is None:
        return None
    try:
        decoded = base64.b64decode("".join(found.group(2).split()), validate=True)
    except ValueError:
        return None
    return value if decoded.startswith(_MAGIC[found.group(1)]) else None


def _declare_xlink(svg: str) -> str:
    if " xlink:href=" not in svg:
        return svg
    return svg.replace("<svg ", f'<svg xmlns:xlink="{XLINK_NS}" ', 1)


# --- size -------------------------------------------------------------------------------------------


def _size(root: ET.Element) -> tuple[float, float, str]:
    """Width and height in CSS pixels and the viewBox, each taken from the other when missing, so the image
    keeps its aspect ratio at any width."""
    box = [float(v) for v in re.split(r"[\s,]+", root.get("viewBox", "").strip()) if _is_number(v)]
    width, height = _pixels(root.get("width")), _pixels(root.get("height"))
    if len(box) == 4 and box[2] > 0 and box[3] > 0:
        ratio = box[3] / box[2]
        if width is None:
            width = box[2] if height is None else height / ratio
        if height is None:
            height = width * ratio
        return width, height, " ".join(_number(v) for v in box)
    if width is None or height is None:
        raise UnsafeImage(
            "has no size: it needs a viewBox, or a width and height in absolute units (export it again from the tool)"
        )
    return width, height, f"0 0 {_number(width)} {_number(height)}"


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"-?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?", text))


def _pixels(value: str | None) -> float | None:
    """A length in CSS pixels; None for a missing, relative (`100%`, `em`) or zero length."""
    found = _LENGTH.match(value or "")
    pixels = float(found.group(1)) * _PX_PER[found.group(2)] if found else 0.0
    return pixels if pixels > 0 else None


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


# --- style ------------------------------------------------------------------------------------------


def _inert_value(value: str) -> bool:
    """A presentation attribute may name a paint server, clip path or marker of this file, and nothing else."""
    if "url" not in value.lower() and "\\" not in value and "image" not in value.lower():
        return True
    import tinycss2

    return _inert_tokens(tinycss2.parse_component_value_list(value))


def _inert_tokens(tokens: list[Any]) -> bool:
    from tinycss2 import ast

    for token in tokens:
        if isinstance(token, ast.URLToken) and not token.value.strip().startswith("#"):
            return False
        if isinstance(token, ast.FunctionBlock):
            if token.lower_name in _FETCHING_FUNCTIONS and not _fragment_argument(token):
                return False
            if not _inert_tokens(token.arguments):
                return False
        blocks = (ast.ParenthesesBlock, ast.SquareBracketsBlock, ast.CurlyBracketsBlock)
        if isinstance(token, blocks) and not _inert_tokens(token.content):
            return False
        if isinstance(token, ast.AtKeywordToken):
            return False
    return True


def _fragment_argument(function: Any) -> bool:
    from tinycss2 import ast

    values = [t for t in function.arguments if not isinstance(t, (ast.WhitespaceToken, ast.Comment))]
    return (
        function.lower_name == "url"
        and len(values) == 1
        and isinstance(values[0], ast.StringToken)
        and values[0].value.strip().startswith("#")
    )


def _safe_declarations(text: str) -> str:
    """A `style` attribute's declarations that fetch nothing, serialised again from their tokens."""
    import tinycss2

    return "; ".join(_declaration(d) for d in _kept_declarations(tinycss2.parse_blocks_contents(text)))


def _kept_declarations(items: list[Any]) -> list[Any]:
    from tinycss2 import ast

    return [
        d
        for d in items
        if isinstance(d, ast.Declaration)
        and _PROPERTY.fullmatch(d.lower_name)
        and d.lower_name not in STYLE_PROPERTIES_REFUSED
        and _inert_tokens(d.value)
    ]


def _declaration(declaration: Any) -> str:
    import tinycss2

    important = " !important" if declaration.important else ""
    return f"{declaration.lower_name}: {tinycss2.serialize(declaration.value).strip()}{important}"


def _safe_stylesheet(text: str) -> str:
    """A style sheet's plain rules with only declarations that fetch nothing; every at-rule (`@import`,
    `@font-face`, `@media`, …) left out."""
    import tinycss2
    from tinycss2 import ast

    rules = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if not isinstance(rule, ast.QualifiedRule) or not _inert_tokens(rule.prelude):
            continue
        kept = _kept_declarations(tinycss2.parse_blocks_contents(rule.content))
        if kept:
            prelude = tinycss2.serialize(rule.prelude).strip()
            rules.append(f"{prelude} {{ " + "; ".join(_declaration(d) for d in kept) + "; }")
    return "\n".join(rules)


__all__ = ["SafeImage", "UnsafeImage", "checked_png", "sanitize_svg"]
