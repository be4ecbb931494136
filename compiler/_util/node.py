"""Shared helper: the pydantic base of every mapping docs-compile reads (sources, docs-compile.yaml, audiences).

Kept apart from compiler/schema so that reading docs-compile.yaml (which every command does, `--help`
included) does not import the whole source schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Node(BaseModel):
    """Base of every source section: unknown keys are errors, attribute docstrings are descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        populate_by_name=False,
        str_strip_whitespace=True,
    )
