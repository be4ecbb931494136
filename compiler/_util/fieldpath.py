"""Shared helper: field paths — where a value sits in a source, as keys and list indexes."""

from __future__ import annotations

FieldPath = tuple[str | int, ...]


def dotted(path: FieldPath) -> str:
    """A field path as users write it: `evaluation.results[0].value`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
