"""Check stage: completeness gates — fields an audience requires, and framework requirements that are not
(fully) documented."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from compiler._util.fieldpath import FieldPath, dotted
from compiler.check.coverage import MISSING, Assessment
from compiler.check.findings import FRAMEWORK_GROUP, Raw
from compiler.config.audiences import Audience
from compiler.errors import CompilerError
from compiler.schema.paths import PathSyntaxError, is_placeholder, unfilled


def _describe_gap(data: dict[str, Any], gap: FieldPath) -> str:
    value: Any = data
    for key in gap:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            value = None
    if is_placeholder(value):
        return f'is a placeholder ("{value.strip()}")'
    if isinstance(value, list) and any(is_placeholder(v) for v in value):
        return "holds only placeholders"
    return "is empty" if value not in (None, False) else "is missing"


def unfilled_requirements(audience: Audience, data: dict[str, Any]) -> list[Raw]:
    """Every field the audience requires that is missing, empty or a placeholder."""
    found = []
    for path in audience.config.requires:
        try:
            gaps = unfilled(data, path)
        except PathSyntaxError as exc:
            raise CompilerError.at(f"{audience.folder}/audience.yaml", str(exc), field="requires") from None
        for gap in gaps:
            found.append(
                Raw(
                    audience.name,
                    f"required by the {audience.name} audience ({audience.config.title}) but {_describe_gap(data, gap)}",
                    gap,
                    "write the content, or remove the requirement from the audience",
                )
            )
    return found


def framework_gaps(assessments: Iterable[Assessment], audiences: list[Audience], status: str) -> list[Raw]:
    """Requirements that apply and have the given coverage status (missing or partial), named by framework and
    item, with the audiences they are reported to."""
    reporting: dict[str, list[str]] = {}
    for audience in audiences:
        for fid in audience.config.frameworks:
            reporting.setdefault(fid, []).append(audience.name)
    what = "not documented" if status == MISSING else "documented in part"
    found = []
    for a in assessments:
        row = a.row
        if row.status != status:
            continue
        missing = sorted({dotted(g) for g in a.gaps})
        found.append(
            Raw(
                FRAMEWORK_GROUP,
                f"{row.framework} {row.requirement_id} ({row.citation}): {what}: {row.text} "
                f"[reported to: {', '.join(reporting.get(row.framework, []))}]",
                a.gaps[0] if a.gaps else (),
                "fill " + ", ".join(missing),
            )
        )
    return found
