"""Source schema: risk, lifecycle, plain language, acceptance thresholds, sign-offs and evidence sources."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from compiler.schema.base import Date, Identifier, Markdown, Node, Number, Sha256, Text, Version


class Hazard(Node):
    id: Identifier
    """Identifier, e.g. h-01."""
    hazard: Text
    """The hazard (ISO 14971)."""
    situation: Text | None = None
    """Sequence of events leading to a hazardous situation."""
    harm: Text
    """Resulting harm."""
    severity: str = Field(pattern=r"^(negligible|minor|serious|critical|catastrophic)$")
    """negligible, minor, serious, critical or catastrophic."""
    probability: str = Field(pattern=r"^(improbable|remote|occasional|probable|frequent)$")
    """improbable, remote, occasional, probable or frequent."""
    mitigations: list[Text] = Field(min_length=1)
    """Risk control measures."""
    residual: str = Field(pattern=r"^(acceptable|acceptable-with-benefit|unacceptable)$")
    """Residual-risk evaluation."""


class Ethics(Node):
    sensitive_data: Text | None = None
    """Does the model use sensitive data?"""
    human_life: Text | None = None
    """Is it intended to inform decisions about human life or flourishing?"""
    mitigations: list[Text] = Field(default_factory=list)
    """Mitigations of ethical risks."""
    harms: list[Text] = Field(default_factory=list)
    """Risks and harms."""
    fraught_uses: list[Text] = Field(default_factory=list)
    """Use cases that are ethically fraught."""


class Cybersecurity(Node):
    threats: list[Text] = Field(default_factory=list)
    """AI-specific threats considered (data poisoning, model evasion, prompt injection…)."""
    controls: list[Text] = Field(default_factory=list)
    """Controls in place."""
    testing: Text | None = None
    """Penetration and fuzz testing done (FDA XII)."""


class Oversight(Node):
    measures: list[Text] = Field(min_length=1)
    """Human oversight measures (Art 14, Art 13(3)(d))."""
    interpretation_aids: Text | None = None
    """Technical measures that help users interpret the output."""
    override: Text | None = None
    """How a user overrides or stops the system."""


class Risk(Node):
    process: Markdown | None = None
    """Risk management process (Art 9, ISO 14971)."""
    clinical_risk_level: Text | None = None
    """Clinical risk level (CHAI warnings), for health models."""
    hazards: list[Hazard] = Field(default_factory=list)
    """Hazards and their controls."""
    limitations: list[Text] = Field(min_length=1)
    """Known limitations (Mitchell §9, HTI-1 attribute 10)."""
    failure_modes: list[Text] = Field(default_factory=list)
    """Known failure modes."""
    biases: list[Text] = Field(default_factory=list)
    """Known biases."""
    input_misalignment: list[Text] = Field(default_factory=list)
    """What happens with inputs outside the specification (FDA Appendix E)."""
    ethics: Ethics | None = None
    """Ethical considerations (Mitchell §8)."""
    cybersecurity: Cybersecurity | None = None
    """Cybersecurity (Annex IV 2(h), FDA XII)."""
    oversight: Oversight | None = None
    """Human oversight (Annex IV 2(e))."""


class VersionEntry(Node):
    version: Version
    """Model version."""
    date: Date
    """Release date."""
    changes: Markdown
    """What changed and why."""
    tested_vs_released: Text | None = None
    """Differences between the tested and released model (FDA X)."""


class ChangeProtocol(Node):
    data: Text
    """Data management for retraining."""
    retraining: Text
    """Retraining practices."""
    evaluation: Text
    """Performance evaluation before an update ships."""
    update_communication: Text
    """How updates are communicated to users."""


class ChangeControl(Node):
    modifications: list[Text] = Field(min_length=1)
    """Planned modifications (PCCP description of modifications)."""
    protocol: ChangeProtocol
    """Modification protocol."""
    impact: Markdown
    """Impact assessment."""


class PostMarket(Node):
    plan: Markdown
    """Post-market monitoring plan (Art 72, FDA XI)."""
    metrics: list[Text] = Field(default_factory=list)
    """Performance measures tracked."""
    frequency_validity: Text | None = None
    """How often validity is monitored (HTI-1 attribute 26)."""
    frequency_fairness: Text | None = None
    """How often fairness is monitored (HTI-1 attribute 28)."""
    local_validation: Text | None = None
    """Local validity and fairness checks by deployers (HTI-1 attributes 27, 29)."""
    incident_reporting: Text | None = None
    """How incidents are reported."""
    user_communication: Text | None = None
    """How users are told about issues."""


class Updates(Node):
    process: Text
    """Update process (HTI-1 attribute 30)."""
    frequency: Text
    """How often the model is updated."""
    correction_frequency: Text | None = None
    """How often errors are corrected (HTI-1 attribute 31)."""


class Lifecycle(Node):
    versions: list[VersionEntry] = Field(min_length=1)
    """Version history, newest last or first (sorted when shown)."""
    change_control: ChangeControl | None = None
    """Predetermined change control plan (Annex IV 2(f), FDA PCCP)."""
    post_market: PostMarket | None = None
    """Post-market monitoring (Annex IV item 9)."""
    updates: Updates | None = None
    """Update process and frequency."""
    expected_lifetime: Text | None = None
    """Expected lifetime (Art 13(3)(e))."""
    maintenance: Text | None = None
    """Maintenance and its frequency (Art 13(3)(e))."""
    decommissioning: Text | None = None
    """How the model is retired."""


class Per1000(Node):
    prevalence: Number
    """Prevalence of the condition in the intended population, between 0 and 1."""
    operating_point: Identifier | None = None
    """Operating point whose sensitivity and specificity are used; default: the default point."""
    population: Text
    """Who the 1,000 people are, e.g. 'adults having a chest X-ray in the emergency department'."""


class GlossaryEntry(Node):
    term: Text
    """Term."""
    definition: Text
    """Plain-language definition."""


class Plain(Node):
    summary: Text
    """What the model does, in plain words."""
    how_it_works: Text
    """How it works, in plain words."""
    output_meaning: Text
    """What the output means and what to do with it."""
    when_not_to_use: list[Text] = Field(min_length=1)
    """When not to use it."""
    warnings: list[Text] = Field(min_length=1)
    """Warnings."""
    per_1000: Per1000 | None = None
    """A 'per 1,000 people' example, computed from the results."""
    glossary: list[GlossaryEntry] = Field(default_factory=list)
    """Terms a lay reader may not know."""


Comparison = Literal[">=", ">", "<=", "<"]


class Criterion(Node):
    id: Identifier
    """Identifier of the criterion."""
    metric: Identifier
    """Metric id."""
    statistic: str = Field(default="value", pattern=r"^(value|ci_low|ci_high|max_gap)$")
    """value, ci_low, ci_high, or max_gap (largest difference between levels of a factor)."""
    op: Comparison = ">="
    """Comparison."""
    threshold: Number
    """Threshold."""
    slice: dict[Identifier, Text] = Field(default_factory=dict)
    """Which result: empty for overall."""
    factor: Identifier | None = None
    """For max_gap: the factor whose levels are compared."""
    operating_point: Identifier | None = None
    """Operating point of the result."""
    dataset: Identifier | None = None
    """Dataset of the result, when results are reported on several datasets."""


class Acceptance(Node):
    criteria: list[Criterion] = Field(min_length=1)
    """Declared acceptance thresholds, checked by `docs-compile check`."""


class Review(Node):
    section: str = Field(pattern=r"^[a-z_][a-z0-9_.\[\]]*$")
    """Path of the approved section, e.g. 'intended_use' or 'plain'."""
    reviewer: Text
    """Name of the reviewer."""
    role: Text
    """Role, e.g. 'clinician', 'regulatory-affairs', 'ml-lead'."""
    date: Date
    """Date of approval."""
    sha256: Sha256
    """sha256 of the canonical form of the section when it was approved."""


class MlflowSource(Node):
    id: Identifier
    """Identifier used by fact references."""
    kind: Literal["mlflow"]
    """An MLflow tracking store."""
    tracking_uri: str = Field(min_length=1)
    """Tracking URI: sqlite:///relative/path.db (inside the content folder) or an http(s) server."""
    artifact_root: str | None = None
    """Remap of absolute artifact locations to a folder inside the content folder."""
    registered_model: Text | None = None
    """Registered model whose version the documents describe."""


class WandbSource(Node):
    id: Identifier
    """Identifier used by fact references."""
    kind: Literal["wandb"]
    """A Weights & Biases run directory (offline) or server."""
    path: str = Field(min_length=1)
    """Run directory (offline) inside the content folder, or entity/project for a server."""


class FileSource(Node):
    id: Identifier
    """Identifier used by fact references."""
    kind: Literal["file"]
    """An evaluation file (JSON or CSV)."""
    path: str = Field(min_length=1)
    """Path inside the model's folder."""


class PredictionsSource(Node):
    id: Identifier
    """Identifier used by computed results."""
    kind: Literal["predictions"]
    """A predictions file from which metrics are computed."""
    path: str = Field(min_length=1)
    """CSV or Parquet file inside the model's folder."""
    label: str = Field(min_length=1)
    """Column with the true label (0/1)."""
    score: str = Field(min_length=1)
    """Column with the model's score."""
    groups: list[str] = Field(default_factory=list)
    """Columns that hold factor levels."""
    resamples: int = Field(default=1000, ge=100, le=100_000)
    """Bootstrap resamples."""
    seed: int = 20240601
    """Bootstrap seed."""
    synthetic: bool = False
    """True when the predictions are synthetic demonstration data."""


class TimeseriesSource(Node):
    id: Identifier
    """Identifier used by monitoring signals."""
    kind: Literal["timeseries"]
    """A CSV time series (columns: date or step, then one column per signal)."""
    path: str = Field(min_length=1)
    """CSV file inside the model's folder."""
    synthetic: bool = False
    """True when the series is synthetic demonstration data."""


EvidenceSource = Annotated[
    MlflowSource | WandbSource | FileSource | PredictionsSource | TimeseriesSource,
    Field(discriminator="kind"),
]


class EvidenceDecl(Node):
    sources: list[EvidenceSource] = Field(default_factory=list)
    """Declared sources of facts."""
