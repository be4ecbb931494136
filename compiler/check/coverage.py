"""Framework coverage (check stage): requirement -> where the source documents it -> status.

The same rows feed the coverage matrices on the site, the cross-reference appendix of the regulatory PDF
and the framework gate of `docs-compile check`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from compiler._util.fieldpath import FieldPath
from compiler.config.frameworks import Framework, Requirement, load_frameworks
from compiler.schema import Source
from compiler.schema.paths import holds, satisfied, unfilled

COVERED, PARTIAL, MISSING, NOT_APPLICABLE = "covered", "partial", "missing", "not-applicable"


@dataclass(frozen=True)
class Place:
    """A heading of a rendered document: its anchor (for a link) and its text, number included."""

    anchor: str
    text: str


@dataclass(frozen=True)
class CoverageRow:
    """One requirement of a framework (or an audience's required field) and where it is documented."""

    framework: str
    requirement_id: str
    text: str
    citation: str
    fields: tuple[str, ...]
    status: str
    """covered, partial, missing or not-applicable."""
    section: str = ""
    """Anchor of the section of the document that holds it (for links), or ''."""
    places: tuple[Place, ...] = ()
    """The headings of the document that show its fields, in document order (set when a document is rendered)."""
    reason: str = ""
    """Why it does not apply to the model (not-applicable rows only)."""


@dataclass(frozen=True)
class Applicability:
    """Whether a framework applies to a model, and why, in words."""

    framework: str
    title: str
    applies: bool
    reason: str
    """E.g. 'applies to medical devices; this model: not a medical device'."""


@dataclass(frozen=True)
class Assessment:
    """A coverage row plus what check needs to explain it: the concrete places that are not filled."""

    row: CoverageRow
    requirement: Requirement
    gaps: tuple[FieldPath, ...]


@dataclass(frozen=True)
class Summary:
    """Coverage of one framework for one model."""

    framework: str
    title: str
    covered: int
    partial: int
    missing: int
    not_applicable: int

    @property
    def applicable(self) -> int:
        return self.covered + self.partial + self.missing

    @property
    def percent(self) -> float:
        """Share of applicable requirements fully covered, in percent (100 when none applies)."""
        return round(100.0 * self.covered / self.applicable, 1) if self.applicable else 100.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "title": self.title,
            "covered": self.covered,
            "partial": self.partial,
            "missing": self.missing,
            "not_applicable": self.not_applicable,
            "percent": self.percent,
        }


def coverage(source: Source, framework_ids: Sequence[str], audience: str | None = None) -> list[CoverageRow]:
    """Coverage rows of the given frameworks for one source (only the audience's requirements when named)."""
    return [a.row for a in assess(source, framework_ids, audience)]


def assess(source: Source, framework_ids: Sequence[str], audience: str | None = None) -> list[Assessment]:
    """Coverage of every requirement of the given frameworks, in framework then file order."""
    data = source.model_dump(mode="json")
    found: list[Assessment] = []
    for framework in load_frameworks(list(framework_ids)):
        for req in framework.requirements:
            if audience and req.audiences and audience not in req.audiences:
                continue
            found.extend(_assess_requirement(framework, req, data))
    return found


def summarise(assessments: Iterable[Assessment]) -> list[Summary]:
    """Counts per framework, sorted by framework id."""
    counts: dict[str, dict[str, int]] = {}
    for a in assessments:
        per = counts.setdefault(a.row.framework, {COVERED: 0, PARTIAL: 0, MISSING: 0, NOT_APPLICABLE: 0})
        per[a.row.status] += 1
    titles = {f.id: f.title for f in load_frameworks(sorted(counts))}
    return [
        Summary(fid, titles[fid], c[COVERED], c[PARTIAL], c[MISSING], c[NOT_APPLICABLE])
        for fid, c in sorted(counts.items())
    ]


def applicability(source: Source, framework_ids: Sequence[str]) -> list[Applicability]:
    """Whether each framework applies to the source (its `when:` holds), with the reason, in the order given."""
    data = source.model_dump(mode="json")
    return [
        Applicability(f.id, f.title, holds(f.when, data), condition_reason(f.when, f.applies_to, data))
        for f in load_frameworks(list(framework_ids))
    ]


def condition_reason(condition: str | None, applies_to: str | None, data: dict[str, Any]) -> str:
    """A condition and the model's values it reads, in words: why it holds or not.

    `risk_class == high or medical_device` for a minimal-risk model that is not a device gives
    "applies to <applies_to>; this model: risk class minimal, not a medical device".
    """
    if not condition:
        return "applies to every model"
    scope = applies_to or f"models where `{condition}` holds"
    terms = re.split(r"\s+(?:and|or)\s+", condition.strip())
    paths = dict.fromkeys(re.sub(r"^not\s+", "", t.strip()).split("=")[0].rstrip("!").strip() for t in terms)
    return f"applies to {scope}; this model: {', '.join(_fact(path, data) for path in paths)}"


def _fact(name: str, data: dict[str, Any]) -> str:
    """One value a condition reads, in words: 'risk class minimal', 'not a medical device'."""
    node: Any = data
    for key in (name if "." in name else f"model.{name}").split("."):
        node = node.get(key) if isinstance(node, dict) else None
    label = name.rsplit(".", 1)[-1].replace("_", " ")
    if isinstance(node, bool):
        return f"a {label}" if node else f"not a {label}"
    return f"{label} {node}" if node not in (None, "", [], {}) else f"no {label}"


def _scopes(framework: Framework, data: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, prefix) per element the framework applies to; one unlabelled scope for ordinary frameworks."""
    if not framework.each:
        return [("", "")]
    node: Any = data
    for key in framework.each.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    items = node if isinstance(node, list) else []
    scopes = []
    for i, item in enumerate(items):
        ident = item.get("id") if isinstance(item, dict) else None
        scopes.append((str(ident or i), f"{framework.each}[id={ident}]" if ident else f"{framework.each}[{i}]"))
    return scopes


def _assess_requirement(framework: Framework, req: Requirement, data: dict[str, Any]) -> list[Assessment]:
    applies = holds(framework.when, data) and holds(req.when, data)
    reason = ""
    if not applies:
        failing = (
            (framework.when, framework.applies_to) if not holds(framework.when, data) else (req.when, req.applies_to)
        )
        reason = condition_reason(*failing, data)
    found = []
    for label, prefix in _scopes(framework, data):
        paths = [prefix + p[len(f"{framework.each}[]") :] if prefix else p for p in req.fields]
        ok = [applies and satisfied(data, p) for p in paths]
        gaps: tuple[FieldPath, ...] = ()
        if not applies:
            status = NOT_APPLICABLE
        elif all(ok) or (req.match == "any" and any(ok)):
            status = COVERED
        else:
            status = PARTIAL if any(ok) else MISSING
            gaps = tuple(g for p, good in zip(paths, ok, strict=True) if not good for g in unfilled(data, p))
        first = next((p for p, good in zip(paths, ok, strict=True) if good), paths[0])
        row = CoverageRow(
            framework=framework.id,
            requirement_id=f"{req.id} [{label}]" if label else req.id,
            text=req.text,
            citation=req.citation,
            fields=tuple(paths),
            status=status,
            section=first.split(".", 1)[0].split("[", 1)[0],
            reason=reason,
        )
        found.append(Assessment(row, req, gaps))
    return found
