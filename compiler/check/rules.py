"""Check stage: the rule registry — every gate `docs-compile check` runs, one decorated function each.

A rule takes the `RuleContext` of one model and returns what it found (`Raw`); `check_model` runs every
registered rule, names each finding after its rule and gives it the rule's configured severity. To add a
rule: give its name, default severity and description in `compiler/config/project.py` (`RuleName`, `RULES`:
what users configure and SARIF describes), then write one function here decorated with `@rule(name)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from compiler.check.completeness import framework_gaps, unfilled_requirements
from compiler.check.coverage import MISSING, PARTIAL, Assessment, assess
from compiler.check.diff import resolved
from compiler.check.findings import MODEL_GROUP, Raw, section_path
from compiler.check.policy import Review, apply_review_policy, missing_signoffs, stale_signoffs
from compiler.check.readability import above_target
from compiler.check.results import Acceptance, check_acceptance, missing_levels, subgroup_gaps
from compiler.check.signoff import SignoffRow, signoff_rows
from compiler.config.audiences import Audience
from compiler.config.project import ProjectConfig, RuleName
from compiler.errors import Location
from compiler.schema import Source
from compiler.validate.project import ValidModel


@dataclass
class RuleContext:
    """What a rule may read about one model. Values that several rules (and the report) share are computed
    once, on first use."""

    model: ValidModel
    source: Source
    """The source with its fact references replaced by their locked values, when it was resolved."""
    resolved: bool
    audiences: list[Audience]
    """The audiences that apply to this model."""
    config: ProjectConfig
    released: ValidModel | None
    """The last released version of the model, for the review policy."""
    drift: list[tuple[str, Location]]
    """(message, location) of every fact whose evidence no longer matches the lock file."""

    @classmethod
    def of(
        cls,
        model: ValidModel,
        audiences: list[Audience],
        config: ProjectConfig,
        released: ValidModel | None,
        drift: list[tuple[str, Location]],
    ) -> RuleContext:
        source, is_resolved = resolved(model)
        mine = [a for a in audiences if a.applies(source.model.domain)]
        return cls(model, source, is_resolved, mine, config, released, drift)

    @cached_property
    def data(self) -> dict[str, Any]:
        """The (resolved) source as plain data, for field paths."""
        return self.source.model_dump(mode="json")

    @cached_property
    def assessments(self) -> list[Assessment]:
        """Coverage of every framework an applicable audience reports against."""
        return assess(self.source, sorted({f for a in self.audiences for f in a.config.frameworks}))

    @cached_property
    def acceptance(self) -> Acceptance:
        return check_acceptance(self.source)

    @cached_property
    def signoffs(self) -> list[SignoffRow]:
        """Every recorded sign-off with its status."""
        return signoff_rows(self.model.loaded, self.model.source)

    @cached_property
    def review(self) -> Review:
        acceptance_failed = bool(self.acceptance.found)
        return apply_review_policy(
            self.model, self.source, self.released, self.config, acceptance_failed=acceptance_failed
        )


Rule = Callable[[RuleContext], list[Raw]]

REGISTRY: dict[RuleName, Rule] = {}
"""Every rule by name, in the order they run."""


def rule(name: RuleName) -> Callable[[Rule], Rule]:
    """Register the decorated function as the rule `name` (one function per rule name)."""

    def register(check: Rule) -> Rule:
        if name in REGISTRY:
            raise ValueError(f"check rule '{name}' is registered twice")
        REGISTRY[name] = check
        return check

    return register


@rule("completeness")
def completeness(ctx: RuleContext) -> list[Raw]:
    """A field an audience requires is missing, empty or a placeholder."""
    return [r for a in ctx.audiences for r in unfilled_requirements(a, ctx.data)]


@rule("readability")
def readability(ctx: RuleContext) -> list[Raw]:
    """An audience's plain-language text is above its reading-grade target."""
    return [r for a in ctx.audiences for r in above_target(a, ctx.data)]


@rule("framework-missing")
def framework_missing(ctx: RuleContext) -> list[Raw]:
    """A framework requirement that applies has none of its fields documented."""
    return framework_gaps(ctx.assessments, ctx.audiences, MISSING)


@rule("framework-partial")
def framework_partial(ctx: RuleContext) -> list[Raw]:
    """A framework requirement that applies is documented only in part."""
    return framework_gaps(ctx.assessments, ctx.audiences, PARTIAL)


@rule("acceptance")
def acceptance(ctx: RuleContext) -> list[Raw]:
    """A declared acceptance criterion fails, or cannot be checked."""
    return ctx.acceptance.found


@rule("subgroup-coverage")
def subgroup_coverage(ctx: RuleContext) -> list[Raw]:
    """A level of an evaluation factor has no results and no written justification."""
    return subgroup_gaps(ctx.source, ctx.resolved)


@rule("missing-levels")
def missing_level(ctx: RuleContext) -> list[Raw]:
    """Computed results include rows with no value for a factor (the level "(missing)")."""
    return missing_levels(ctx.source) if ctx.resolved else []


@rule("review-policy")
def review_policy(ctx: RuleContext) -> list[Raw]:
    """A change since the last release needs a new sign-off under the review policy."""
    return ctx.review.found


@rule("signoff-stale")
def signoff_stale(ctx: RuleContext) -> list[Raw]:
    """A section changed after it was signed off (and the review policy does not excuse the change)."""
    return stale_signoffs(ctx.signoffs, ctx.review.exempt)


@rule("signoff-missing")
def signoff_missing(ctx: RuleContext) -> list[Raw]:
    """An approval an audience requires has not been recorded."""
    return [r for a in ctx.audiences for r in missing_signoffs(ctx.model, a)]


@rule("plausibility")
def plausibility(ctx: RuleContext) -> list[Raw]:
    """A value that is possible but doubtful, such as a sign-off dated after the release (the validate stage's
    warnings, placed where it found them)."""
    return [Raw(MODEL_GROUP, w.message, section_path(w.field), w.hint, w.location) for w in ctx.model.warnings]


@rule("lock-drift")
def lock_drift(ctx: RuleContext) -> list[Raw]:
    """The facts lock file no longer matches the evidence (reported by the resolve stage)."""
    return [Raw(MODEL_GROUP, message, location=location) for message, location in ctx.drift]
