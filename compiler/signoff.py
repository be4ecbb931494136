"""Sign-offs (check stage helper): canonical section hashes and the approval status of each section.

A section's canonical form is its data as loaded, serialised as JSON with sorted keys, so key order,
comments, quoting and number formatting in the YAML do not change the hash; any change of content does.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from .audience import Audience
from .document import SignoffRow
from .load import LoadedModel
from .schema import Source


def section_data(data: dict[str, Any], section: str) -> Any:
    """The raw data at a dotted path such as `plain` or `datasets[0].composition`; KeyError if absent."""
    node: Any = data
    for part in re.findall(r"[^.\[\]]+", section):
        if isinstance(node, list) and part.isdigit():
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(section)
    return node


def canonical_sha256(data: dict[str, Any], section: str) -> str:
    """sha256 of the canonical JSON form of a section."""
    canonical = json.dumps(
        section_data(data, section), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def signoff_rows(loaded: LoadedModel, source: Source, audience: Audience | None = None) -> list[SignoffRow]:
    """Every recorded review with its status, plus a 'missing' row per approval the audience requires."""
    rows: list[SignoffRow] = []
    for review in source.reviews:
        try:
            fresh = canonical_sha256(loaded.data, review.section) == review.sha256
        except KeyError:
            fresh = False
        rows.append(
            SignoffRow(
                review.section, review.role, review.reviewer, review.date.isoformat(), "approved" if fresh else "stale"
            )
        )
    if audience is not None:
        for need in audience.config.signoffs:
            for section in need.sections:
                if not any(r.role == need.role and r.section == section for r in source.reviews):
                    rows.append(SignoffRow(section, need.role, "", "", "missing"))
    return sorted(rows, key=lambda r: (r.section, r.role, r.date, r.reviewer))
