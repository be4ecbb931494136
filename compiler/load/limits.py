"""Validate stage (resource bounds): how large and how deep a source may be before a stage could run away.

Each bound has a default and can be changed with an environment variable `DOCS_COMPILE_LIMIT_<NAME>`
(e.g. `DOCS_COMPILE_LIMIT_LIST_ITEMS=5000`). The loader applies the byte, value and depth bounds
while it reads; `source_problems` checks the loaded data before the schema does; the PDF renderer's
URL fetcher applies the image bounds; the template sandbox (`compiler.render.sandbox`) applies the
template bounds. Every refusal is a placed problem with a hint naming the knob.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

from compiler.errors import Problem

ENV_PREFIX = "DOCS_COMPILE_LIMIT_"


@dataclass(frozen=True)
class Limits:
    """The resource bounds of one build."""

    file_bytes: int = 4 * 1024 * 1024
    """Largest single YAML file."""
    source_bytes: int = 16 * 1024 * 1024
    """All YAML files of one model together (its includes can otherwise add up without end)."""
    values: int = 200_000
    """Values one model expands to (aliases that repeat aliases multiply)."""
    depth: int = 64
    """Nesting of mappings and lists."""
    list_items: int = 1_000
    """Items of any one list: each becomes a table row or a paragraph in every document."""
    text_chars: int = 2_000_000
    """Characters of text of one model, all fields together."""
    markdown_nesting: int = 32
    """Nesting of brackets and block quotes inside one text (Markdown parsing time grows with its square)."""
    image_bytes: int = 32 * 1024 * 1024
    """Largest image or other file the PDF renderer reads."""
    image_pixels: int = 50_000_000
    """Largest raster image (width x height) the PDF renderer decodes."""
    template_output_chars: int = 32 * 1024 * 1024
    """Characters one render of an audience template may produce, and the longest text it may build."""
    template_seconds: int = 60
    """Seconds one render of an audience template may take."""


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def current() -> Limits:
    """The defaults, overridden by any `DOCS_COMPILE_LIMIT_<NAME>` environment variables that are set."""
    from compiler.errors import ConfigError

    changes: dict[str, int] = {}
    for f in fields(Limits):
        raw = os.environ.get(env_name(f.name))
        if raw is None or not raw.strip():
            continue
        try:
            value = int(raw.replace("_", ""))
        except ValueError:
            value = 0
        if value < 1:
            raise ConfigError(f"{env_name(f.name)}={raw!r}: expected a whole number of 1 or more")
        changes[f.name] = value
    return replace(Limits(), **changes)


def hint(name: str) -> str:
    return f"or raise the limit with {env_name(name)}"


# --- the loaded source ---------------------------------------------------------------------------

_OPEN, _CLOSE = "[(", "])"
_QUOTES = re.compile(r"^[ \t]*((?:>[ \t]*)+)", re.MULTILINE)


def markdown_nesting(text: str) -> int:
    """Deepest nesting of brackets (unclosed ones count) or block-quote markers in a text."""
    depth = deepest = 0
    for char in text:
        if char in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSE and depth:
            depth -= 1
    quotes = max((m.group(1).count(">") for m in _QUOTES.finditer(text)), default=0)
    return max(deepest, quotes)


def _walk(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, (*path, i))


def _may_nest(text: str, limit: int) -> bool:
    """Whether a text could nest deeper than limit: never when it holds no more brackets or '>' than that."""
    return len(text) > limit and (text.count("[") + text.count("(") > limit or text.count(">") > limit)


def _sizes(value: Any, limits: Limits) -> tuple[int, bool]:
    """Characters of text in value, and whether any list or text in it may break a bound (to be looked at)."""
    if isinstance(value, str):
        return len(value), _may_nest(value, limits.markdown_nesting)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    total, suspect = 0, isinstance(value, list) and len(value) > limits.list_items
    for item in items:
        chars, found = _sizes(item, limits)
        total += chars
        suspect = suspect or found
    return total, suspect


def source_problems(loaded: Any, limits: Limits | None = None) -> list[Problem]:
    """Bounds on a loaded model (`LoadedModel`): list lengths, Markdown nesting, total text; placed problems."""
    from compiler._util.fieldpath import dotted

    limits = limits or current()
    problems: list[Problem] = []
    total, suspect = _sizes(loaded.data, limits)  # a quick pass; only a suspect source is walked with paths
    for path, value in _walk(loaded.data, ()) if suspect else ():
        if isinstance(value, list) and len(value) > limits.list_items:
            problems.append(
                Problem(
                    loaded.locate(path),
                    f"list has {len(value):,} items; the limit is {limits.list_items:,}",
                    dotted(path),
                    f"summarise it or move it into an evidence file, {hint('list_items')}",
                )
            )
        elif isinstance(value, str) and _may_nest(value, limits.markdown_nesting):
            deepest = markdown_nesting(value)
            if deepest > limits.markdown_nesting:
                problems.append(
                    Problem(
                        loaded.locate(path),
                        f"text nests brackets or quotes {deepest} deep; the limit is {limits.markdown_nesting}",
                        dotted(path),
                        f"close the brackets or write the text plainly, {hint('markdown_nesting')}",
                    )
                )
    if total > limits.text_chars:
        problems.append(
            Problem(
                loaded.locate(()),
                f"the source holds {total:,} characters of text; the limit is {limits.text_chars:,}",
                "",
                f"move long material into separate documents and link them, {hint('text_chars')}",
            )
        )
    return problems


# --- images the PDF renderer reads ---------------------------------------------------------------


def image_refusal(body: bytes, mime: str, limits: Limits | None = None) -> str:
    """Why the renderer must not decode this file (too many bytes or pixels), or '' when it may."""
    limits = limits or current()
    if len(body) > limits.image_bytes:
        return f"{len(body):,} bytes; the limit is {limits.image_bytes:,} ({hint('image_bytes')})"
    if not mime.startswith("image/") or mime == "image/svg+xml":
        return ""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(body)) as image:  # reads the header only; pixels are not decoded
            width, height = image.size
    except Exception:  # an unreadable image is WeasyPrint's to report, not a size problem
        return ""
    if width * height > limits.image_pixels:
        return f"{width:,} x {height:,} pixels; the limit is {limits.image_pixels:,} ({hint('image_pixels')})"
    return ""
