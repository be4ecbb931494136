"""Check stage: sign-off gates — approvals an audience requires, approvals that went stale, and the review
policy applied to what changed since the last released version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from compiler._util.fieldpath import FieldPath
from compiler.check.diff import _result_key, diff_sources, resolved
from compiler.check.findings import MODEL_GROUP, Raw, section_path
from compiler.check.signoff import SignoffRow, canonical_sha256, signoff_rows
from compiler.config.audiences import Audience
from compiler.config.project import ProjectConfig
from compiler.load.reader import LoadedModel
from compiler.schema import Source
from compiler.schema.paths import PathSyntaxError, select
from compiler.validate.project import ValidModel


def missing_signoffs(model: ValidModel, audience: Audience) -> list[Raw]:
    """Approvals the audience requires that have not been recorded."""
    return [
        Raw(
            audience.name,
            f"the {audience.name} audience requires a sign-off of '{r.section}' by role '{r.role}'",
            section_path(r.section),
            f"docs-compile sign {model.id} --section {r.section} --reviewer NAME --role {r.role}",
        )
        for r in signoff_rows(model.loaded, model.source, audience)
        if r.status == "missing"
    ]


def stale_signoffs(rows: list[SignoffRow], exempt: set[str]) -> list[Raw]:
    """Sign-offs whose section changed since signing, unless the review policy says the change needs none."""
    return [
        Raw(
            MODEL_GROUP,
            f"sign-off of '{r.section}' by {r.reviewer} ({r.role}, {r.date}) is stale: the section changed since",
            section_path(r.section),
            f"ask for a new review, then `docs-compile sign MODEL --section {r.section} --reviewer NAME --role {r.role}`",
        )
        for r in rows
        if r.status == "stale" and r.section not in exempt
    ]


_RECORD = re.compile(r"^(?P<record>evaluation\.results\[(?P<key>[^\]]*)\])")

_WHY = {
    "always": "the review policy always needs a new sign-off for it",
    "major": "the major version changed, so the review policy needs a new sign-off",
    "outside-acceptance": (
        "it moved outside its released 95% CI or an acceptance criterion fails, so the review policy needs a new sign-off"
    ),
}


@dataclass(frozen=True)
class Review:
    """The review policy applied to one model: the changes that need a fresh sign-off and lack one, and the
    sections whose stale sign-off the policy excuses."""

    found: list[Raw]
    exempt: set[str]


def apply_review_policy(
    model: ValidModel, source: Source, released: ValidModel | None, config: ProjectConfig, *, acceptance_failed: bool
) -> Review:
    """Apply the review policy to the semantic diff against the last released version.

    A stale sign-off is excused when every change to its section since the release needs no review, and the
    sign-off held at release.
    """
    if released is None:
        return Review([], set())
    old = resolved(released)[0]
    report = diff_sources(old, source, "released", "current")
    outside = {m.path for m in report.metrics if m.outside_old_ci}
    needing: dict[str, tuple[FieldPath, str]] = {}
    for change in report.changes:
        need = config.review_policy.need(change.path)
        record = _RECORD.match(change.path)
        # A result is one record: its value and interval changing together is one change to review.
        path = record["record"] if record else change.path
        requires = (
            need == "always"
            or (need == "major" and report.major_version_change)
            or (need == "outside-acceptance" and (acceptance_failed or path in outside))
        )
        if requires:
            concrete = _concrete(model.loaded.data, path) or section_path(path.split("[", 1)[0])
            needing.setdefault(path, (concrete, need))
    found: list[Raw] = []
    for path, (concrete, reason) in needing.items():
        covering = [rv for rv in source.reviews if _covers(section_path(rv.section), concrete)]
        if any(_fresh(model.loaded, rv.section, rv.sha256) for rv in covering):
            continue
        found.append(
            Raw(
                MODEL_GROUP,
                f"'{path}' changed since the released version {report.old_version}; {_WHY[reason]}",
                concrete,
                f"docs-compile sign {model.id} --section {'.'.join(str(p) for p in concrete[:1])} --reviewer NAME --role ROLE",
            )
        )
    exempt = set()
    for rv in source.reviews:
        section = section_path(rv.section)
        touched = [c for c, _ in needing.values() if _covers(section, c)]
        if not touched and _fresh(released.loaded, rv.section, rv.sha256):
            exempt.add(rv.section)
    return Review(found, exempt)


def _concrete(data: dict[str, Any], path: str) -> FieldPath | None:
    """The raw-data path of a diff path (results are matched by their identity key), or None."""
    record = _RECORD.match(path)
    if record:
        results = (data.get("evaluation") or {}).get("results") or []
        hits = [i for i, r in enumerate(results) if isinstance(r, dict) and _result_key(r) == record["key"]]
        return ("evaluation", "results", hits[0]) if len(hits) == 1 else None
    try:
        found = select(data, path)
    except PathSyntaxError:
        return None
    return found[0][0] if len(found) == 1 else None


def _covers(section: FieldPath, change: FieldPath) -> bool:
    """A sign-off of `section` covers a change at `change` when one contains the other."""
    n = min(len(section), len(change))
    return section[:n] == change[:n]


def _fresh(loaded: LoadedModel, section: str, sha256: str) -> bool:
    try:
        return canonical_sha256(loaded.data, section) == sha256
    except KeyError:
        return False
