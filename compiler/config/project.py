"""Project configuration: the tool's folders, rule severities, review policy, last released version, trackers.

Read from `docs-compile.yaml` at the project root when it exists; every key is optional. Errors are
placed (file:line:column) like source errors and exit with code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from compiler._util.node import Node
from compiler._util.paths import PROJECT_CONFIG, display_path
from compiler.errors import ConfigError, Problem
from compiler.load.reader import load_yaml

CONFIG_FILE = PROJECT_CONFIG

Severity = Literal["error", "warning", "off"]
RuleName = Literal[
    "completeness",
    "framework-missing",
    "framework-partial",
    "acceptance",
    "subgroup-coverage",
    "missing-levels",
    "signoff-missing",
    "signoff-stale",
    "readability",
    "review-policy",
    "plausibility",
    "lock-drift",
]
Need = Literal["always", "major", "outside-acceptance", "never"]

# Every rule check knows, with its default severity and what it checks (shown in SARIF rule metadata).
RULES: dict[RuleName, tuple[Severity, str]] = {
    "completeness": ("error", "A field the audience requires is missing, empty or a placeholder."),
    "framework-missing": ("error", "A framework requirement that applies has none of its fields documented."),
    "framework-partial": ("warning", "A framework requirement that applies is documented only in part."),
    "acceptance": ("error", "A declared acceptance criterion fails, or cannot be checked."),
    "subgroup-coverage": ("error", "A level of an evaluation factor has no results and no written justification."),
    "missing-levels": ("warning", 'Computed results include rows with no value for a factor (the level "(missing)").'),
    "signoff-missing": ("error", "An approval the audience requires has not been recorded."),
    "signoff-stale": ("error", "A section changed after it was signed off."),
    "readability": ("warning", "Plain-language text is above the audience's reading-grade target."),
    "review-policy": ("error", "A change since the last release needs a new sign-off under the review policy."),
    "plausibility": ("warning", "A value is possible but doubtful, e.g. a sign-off dated after the release."),
    "lock-drift": ("error", "The facts lock file no longer matches the evidence."),
}

# Which changes since the last release need a new sign-off: the longest matching path prefix decides.
# always: any change; major: a change of the major version; outside-acceptance: only when a declared
# acceptance criterion fails or a metric moves outside its previous confidence interval; never: no review.
DEFAULT_POLICY: dict[str, Need] = {
    "intended_use": "always",
    "plain.warnings": "always",
    "plain.when_not_to_use": "always",
    "risk": "always",
    "acceptance": "always",
    "evaluation.metrics": "always",
    "evaluation.results": "outside-acceptance",
    "model.version": "major",
    "model.risk_class": "always",
    "model.medical_device": "always",
}


class ReviewPolicy(Node):
    default: Need = "never"
    """What a change of a path that no entry of `sections` covers needs."""
    sections: dict[str, Need] = Field(default_factory=dict)
    """Per source path (prefix): always, major, outside-acceptance or never; merged over the defaults."""

    def need(self, path: str) -> Need:
        """What a change at this dotted path needs (longest configured prefix wins)."""
        merged = {**DEFAULT_POLICY, **self.sections}
        best, need = -1, self.default
        for prefix, value in merged.items():
            if (path == prefix or path.startswith((prefix + ".", prefix + "["))) and len(prefix) > best:
                best, need = len(prefix), value
        return need


class Trackers(Node):
    allow: list[str] = Field(default_factory=list)
    """Tracking servers (`host:port`, or `host` for the scheme's default port) that may receive the
    MLflow credentials of the environment (MLFLOW_TRACKING_TOKEN, _USERNAME, _PASSWORD). A model source
    naming any other http(s) server is refused: sources are untrusted, this file is the owner's."""
    deadline: float = Field(default=30, gt=0, le=600)
    """Seconds one call to a tracking server (MLflow or W&B) may take, retries included; then `resolve` stops
    with exit code 2 naming the source and the URI. DOCS_COMPILE_TRACKER_DEADLINE overrides it."""
    retries: int = Field(default=2, ge=0, le=10)
    """Further attempts after a transient failure (connection refused or reset, no answer, HTTP 429 or 5xx),
    within the deadline. DOCS_COMPILE_TRACKER_RETRIES overrides it."""


class ProjectConfig(Node):
    content: str = "content"
    """The folder of the model sources (one folder per model), relative to the working directory."""
    out: str = "build"
    """Where `docs-compile build` writes the site, the PDFs, the exports and manifest.json (replaced whole)."""
    audiences: str | None = None
    """The repository's own audiences folder, layered over the packaged audiences (default: `audiences`
    when it exists). A folder there adds an audience or overrides a packaged one file by file."""
    mkdocs: str | Literal[False] | None = None
    """The repository's site configuration, merged over the packaged base (default: `mkdocs.yml` when it
    exists); false: the packaged base alone, e.g. when `mkdocs.yml` is the repository's own package documentation."""
    packaged_audiences: bool = True
    """Build the packaged audiences (technical, regulatory, clinician, leadership) under the repository's own;
    false: only the repository's audiences folder."""
    rules: dict[RuleName, Severity] = Field(default_factory=dict)
    """Severity per rule (error, warning or off), over the defaults."""
    review_policy: ReviewPolicy = Field(default_factory=ReviewPolicy)
    """Which changes since the last release need a new sign-off."""
    released: str | None = None
    """Last released version: a git revision (tag, branch, commit) or a folder holding released model folders."""
    trackers: Trackers = Field(default_factory=Trackers)
    """Tracking servers the environment's credentials may be sent to, and how long a call to one may take."""

    @field_validator("rules", mode="before")
    @classmethod
    def _off(cls, value: object) -> object:
        # YAML 1.1 reads a bare `off` as false; it means the rule is switched off.
        if isinstance(value, dict):
            return {k: "off" if v is False else v for k, v in value.items()}
        return value

    def severity(self, rule: RuleName) -> Severity:
        return self.rules.get(rule, RULES[rule][0])


def load_config(path: Path | None = None) -> ProjectConfig:
    """The project configuration: the given file, else docs-compile.yaml in the working directory, else defaults."""
    if path is None:
        path = Path(CONFIG_FILE)
        if not path.is_file():
            return ProjectConfig()
    elif not path.is_file():
        raise ConfigError.at(display_path(path), "configuration file not found", hint="check the --config path")
    if _only_comments(path):  # every key is optional: a file of comments (as `init` writes it) means the defaults
        return ProjectConfig()
    problems: list[Problem] = []
    loaded = load_yaml(path, path.resolve().parent, problems)
    if loaded is None:
        raise ConfigError(problems)
    try:
        return ProjectConfig.model_validate(loaded.data)
    except ValidationError as exc:
        from compiler.validate.problems import schema_problems

        raise ConfigError(schema_problems(loaded, exc, ProjectConfig)) from None


def _only_comments(path: Path) -> bool:
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader) is None
    except (yaml.YAMLError, UnicodeDecodeError, OSError):
        return False  # the loader reports it, placed
