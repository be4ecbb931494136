"""Render stage helper: the requirements cross-reference — which section of a document shows which field.

The template API records the source fields each section reads (`view.Tracker`); these functions turn
those reads into the "where" column of the coverage tables.
"""

from __future__ import annotations

import re
from typing import Any

from compiler.check.coverage import CoverageRow
from compiler.config.audiences import Audience
from compiler.schema import Source


def requirement_rows(source: Source, audience: Audience, reads: dict[str, set[str]]) -> list[CoverageRow]:
    """One row per field the audience requires: covered or missing, and the section that shows it."""
    data = source.model_dump(mode="json", exclude_none=True)
    rows = []
    for i, path in enumerate(audience.config.requires):
        covered = _present_at(data, path.replace("[]", ".[]").split("."))
        section = next(
            (
                name
                for name in audience.config.sections
                if any(p == path or p.startswith((path + ".", path + "[")) for p in reads.get(name, ()))
            ),
            "",
        )
        rows.append(
            CoverageRow(
                framework=f"audience:{audience.name}",
                requirement_id=f"{audience.name}-{i + 1:02d}",
                text=path,
                citation=f"audiences/{audience.name}/audience.yaml",
                fields=(path,),
                status="covered" if covered else "missing",
                section=section if covered else "",
            )
        )
    return rows


def section_showing(audience: Audience, reads: dict[str, set[str]], fields: tuple[str, ...]) -> str:
    """The section that read the fields most specifically (document order breaks ties), or ''."""
    wanted = [re.sub(r"\[[^\]]*\]", "[]", f) for f in fields]
    best, chosen = 0, ""
    for name in audience.config.sections:
        score = max(
            (len(w) if _within(read, w) else len(read) for read in reads.get(name, ()) for w in wanted
             if _within(read, w) or _within(w, read)),
            default=0,
        )  # fmt: skip
        if score > best:
            best, chosen = score, name
    return chosen


def _within(path: str, prefix: str) -> bool:
    """Whether path is prefix or lies below it (`a.b` is within `a`, `a[]` and `a.b[].c` within `a.b`)."""
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _present_at(node: Any, parts: list[str]) -> bool:
    parts = [p for p in parts if p]
    if not parts:
        return node not in (None, "", [], {})
    head, rest = parts[0], parts[1:]
    if head == "[]":
        return isinstance(node, list) and bool(node) and all(_present_at(item, rest) for item in node)
    return isinstance(node, dict) and head in node and _present_at(node[head], rest)
