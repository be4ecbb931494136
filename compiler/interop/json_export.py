"""Export stage, JSON: the canonical, fully resolved source with the id of the JSON Schema it follows."""

from __future__ import annotations

import json

from compiler.interop.losses import UNRESOLVED, Collector, Loss, fact_refs
from compiler.schema import SCHEMA_ID, Source

FORMAT_ID = "docs-compile-source"

# Every section of the source is carried whole.
MAPPING: tuple[tuple[str, str], ...] = tuple((name, f"source.{name}") for name in Source.model_fields)


def filename(source: Source) -> str:
    return f"{source.model.id}.source.json"


def write(source: Source, collector: Collector) -> str:
    """Sorted keys, two-space indent, no nulls: the same source always gives the same bytes."""
    for path, ref in fact_refs(source):
        collector.losses.append(
            Loss(path, UNRESOLVED, f"still the fact reference {ref}; run `docs-compile resolve` to substitute it")
        )
    document = {
        "format": FORMAT_ID,
        "schema": SCHEMA_ID,
        "model": source.model.id,
        "source": source.model_dump(mode="json", exclude_none=True),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
