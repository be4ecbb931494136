"""Source schema: risk, lifecycle, plain language, acceptance thresholds, sign-offs and evidence sources."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from compiler.schema.base import Date, Fraction, Identifier, Markdown, Node, Number, Sha256, Text, Version


class Hazard(Node):
    id: Identifier = Field(examples=["h-01"])
    """Identifier, e.g. h-01."""
    hazard: Text = Field(examples=["A pneumothorax is not flagged (false negative)"])
    """The hazard (ISO 14971)."""
    situation: Text | None = Field(
        default=None, examples=["The flag is absent and the study waits in the normal queue."]
    )
    """Sequence of events leading to a hazardous situation."""
    harm: Text = Field(examples=["Delayed treatment of a tension pneumothorax."])
    """Harm that can result from the hazardous situation."""
    severity: str = Field(
        pattern=r"^(negligible|minor|serious|critical|catastrophic)$", examples=["serious", "critical"]
    )
    """negligible, minor, serious, critical or catastrophic."""
    probability: str = Field(
        pattern=r"^(improbable|remote|occasional|probable|frequent)$", examples=["remote", "occasional"]
    )
    """improbable, remote, occasional, probable or frequent."""
    mitigations: list[Text] = Field(
        min_length=1, examples=[["Every study is still read by a radiologist", "Labelling states the sensitivity"]]
    )
    """Risk control measures."""
    residual: str = Field(
        pattern=r"^(acceptable|acceptable-with-benefit|unacceptable)$",
        examples=["acceptable", "acceptable-with-benefit"],
    )
    """Residual risk after the controls: acceptable, acceptable-with-benefit or unacceptable."""


class Ethics(Node):
    sensitive_data: Text | None = Field(
        default=None, examples=["Yes — de-identified health data (radiographs).", "No."]
    )
    """Does the model use sensitive data?"""
    human_life: Text | None = Field(
        default=None, examples=["Yes — it affects how quickly a life-threatening condition is seen.", "No."]
    )
    """Is it intended to inform decisions about human life or flourishing?"""
    mitigations: list[Text] = Field(
        default_factory=list, examples=[["Labels are shown only in aggregate", "A one-click route to a person"]]
    )
    """Mitigations of ethical risks."""
    harms: list[Text] = Field(
        default_factory=list, examples=[["Nudging shoppers toward spending more than they intended"]]
    )
    """Risks and harms."""
    fraught_uses: list[Text] = Field(
        default_factory=list, examples=[["Profiling reviewers by the sentiment of their reviews"]]
    )
    """Use cases that are ethically fraught."""


class Cybersecurity(Node):
    threats: list[Text] = Field(
        default_factory=list,
        examples=[["Prompt injection through retrieved passages", "Data poisoning by fake accounts"]],
    )
    """AI-specific threats considered (data poisoning, model evasion, prompt injection…)."""
    controls: list[Text] = Field(
        default_factory=list,
        examples=[["Signed containers, model hash verified at start-up", "TLS 1.3 on every interface"]],
    )
    """Controls in place."""
    testing: Text | None = Field(
        default=None, examples=["Yearly penetration test; red-team exercise before each minor release."]
    )
    """Penetration and fuzz testing done (FDA XII)."""


class Oversight(Node):
    measures: list[Text] = Field(
        min_length=1, examples=[["Every study is read by a radiologist", "Monthly PPV audit by the site"]]
    )
    """Human oversight measures (Art 14, Art 13(3)(d))."""
    interpretation_aids: Text | None = Field(
        default=None, examples=["Sensitivity, specificity and PPV at the site's prevalence in the labelling."]
    )
    """Technical measures that help users interpret the output."""
    override: Text | None = Field(
        default=None, examples=["A radiologist can dismiss a flag; the site administrator can pause the device."]
    )
    """How a user overrides or stops the system."""


class Risk(Node):
    process: Markdown | None = Field(
        default=None, examples=["Risk management to ISO 14971:2019; the risk file is reviewed at every release."]
    )
    """Risk management process (Art 9, ISO 14971)."""
    clinical_risk_level: Text | None = Field(
        default=None, examples=["Moderate: a missed flag delays the read, but every study is still read."]
    )
    """Clinical risk level (CHAI warnings), for health models."""
    hazards: list[Hazard] = Field(default_factory=list)
    """Hazards and their controls."""
    limitations: list[Text] = Field(
        min_length=1, examples=[["Untested on patients under 18", "Sarcasm and irony are often misread"]]
    )
    """Known limitations (Mitchell §9, HTI-1 attribute 10)."""
    failure_modes: list[Text] = Field(default_factory=list, examples=[["Skin folds mistaken for a pneumothorax edge"]])
    """Known failure modes."""
    biases: list[Text] = Field(default_factory=list, examples=[["Popularity bias toward best-sellers"]])
    """Known biases of the model or its data."""
    input_misalignment: list[Text] = Field(
        default_factory=list, examples=[["Lateral views are not scored and are logged"]]
    )
    """What happens with inputs outside the specification (FDA Appendix E)."""
    ethics: Ethics | None = None
    """Ethical considerations (Mitchell §8)."""
    cybersecurity: Cybersecurity | None = None
    """Cybersecurity (Annex IV 2(h), FDA XII)."""
    oversight: Oversight | None = None
    """Human oversight (Annex IV 2(e))."""


class VersionEntry(Node):
    version: Version = Field(examples=["2.1.0"])
    """Model version this entry describes."""
    date: Date = Field(examples=["2025-03-31"])
    """Release date of that version."""
    changes: Markdown = Field(examples=["Added German and French, and a re-ranker."])
    """What changed and why."""
    tested_vs_released: Text | None = Field(default=None, examples=["None; the released container is the tested one."])
    """Differences between the tested and released model (FDA X)."""


class ChangeProtocol(Node):
    data: Text = Field(examples=["New data under the same inclusion criteria; test sets sequestered before training."])
    """Data management for retraining."""
    retraining: Text = Field(
        examples=["Same architecture and loss; hyperparameter search limited to the learning rate."]
    )
    """Retraining practices: what may change between versions and what stays fixed."""
    evaluation: Text = Field(examples=["Every acceptance criterion must pass on the sealed test set before release."])
    """Performance evaluation before an update ships."""
    update_communication: Text = Field(examples=["Release notes to every site two weeks before the update."])
    """How updates are communicated to users."""


class ChangeControl(Node):
    modifications: list[Text] = Field(
        min_length=1, examples=[["Retraining on new data from the same sites", "Threshold changes within 0.25–0.50"]]
    )
    """Planned modifications (PCCP description of modifications)."""
    protocol: ChangeProtocol
    """Modification protocol: how data, retraining, evaluation and user communication are handled."""
    impact: Markdown = Field(
        examples=[
            "Retraining can move every score at once; the new and the current version run side by side for a week."
        ]
    )
    """Assessment of the impact of the planned modifications on safety and performance."""


class PostMarket(Node):
    plan: Markdown = Field(
        examples=["Daily automated signals, a monthly PPV audit per site and a yearly report to the notified body."]
    )
    """Post-market monitoring plan (Art 72, FDA XI)."""
    metrics: list[Text] = Field(default_factory=list, examples=[["Flag rate per site", "PPV from the monthly audit"]])
    """Performance measures tracked."""
    frequency_validity: Text | None = Field(
        default=None, examples=["Monthly per site", "Daily (automated), quarterly review"]
    )
    """How often validity is monitored (HTI-1 attribute 26)."""
    frequency_fairness: Text | None = Field(default=None, examples=["Quarterly, by sex and age band"])
    """How often fairness is monitored (HTI-1 attribute 28)."""
    local_validation: Text | None = Field(
        default=None, examples=["Required before go-live: 200 consecutive studies in silent mode."]
    )
    """Local validity and fairness checks by deployers (HTI-1 attributes 27, 29)."""
    incident_reporting: Text | None = Field(
        default=None,
        examples=["Sites report through the service desk; serious incidents go to the authorities within 15 days."],
    )
    """How incidents are reported."""
    user_communication: Text | None = Field(
        default=None, examples=["Field safety notices and release notes", "Status page"]
    )
    """How users are told about issues."""


class Updates(Node):
    process: Text = Field(
        examples=["Retrained and evaluated by the data science team; released after product-owner review."]
    )
    """Update process (HTI-1 attribute 30)."""
    frequency: Text = Field(examples=["About twice a year", "Daily retraining; a new minor version every quarter"])
    """How often the model is updated."""
    correction_frequency: Text | None = Field(
        default=None, examples=["Safety-relevant defects corrected within 30 days of confirmation"]
    )
    """How often errors are corrected (HTI-1 attribute 31)."""


class Lifecycle(Node):
    versions: list[VersionEntry] = Field(default_factory=list)
    """Version history, newest last or first (sorted when shown); empty until a version is released (audiences
    that require it report it missing)."""
    change_control: ChangeControl | None = None
    """Predetermined change control plan (Annex IV 2(f), FDA PCCP)."""
    post_market: PostMarket | None = None
    """Post-market monitoring (Annex IV item 9)."""
    updates: Updates | None = None
    """Update process and frequency."""
    expected_lifetime: Text | None = Field(
        default=None, examples=["Five years from release, reviewed yearly", "Until replaced"]
    )
    """Expected lifetime (Art 13(3)(e))."""
    maintenance: Text | None = Field(default=None, examples=["Monthly spot check; dependency updates quarterly"])
    """Maintenance and its frequency (Art 13(3)(e))."""
    decommissioning: Text | None = Field(
        default=None, examples=["Turn off the job and hide the bar; labels deleted after 90 days."]
    )
    """How the model is retired."""


class Per1000(Node):
    prevalence: Fraction = Field(examples=[0.03])
    """Prevalence of the condition in the intended population, between 0 and 1."""
    operating_point: Identifier | None = Field(default=None, examples=["high-sensitivity"])
    """Operating point whose sensitivity and specificity are used; default: the default point."""
    population: Text = Field(examples=["adults having a chest X-ray in the emergency department"])
    """Who the 1,000 people are, e.g. 'adults having a chest X-ray in the emergency department'."""


class GlossaryEntry(Node):
    term: Text = Field(examples=["Triage", "False alarm"])
    """The term as it appears in the plain-language text."""
    definition: Text = Field(examples=["Deciding which patients or tests to look at first."])
    """Definition of the term in plain language."""


class Plain(Node):
    summary: Text = Field(
        examples=["This tool reads film reviews in English. It guesses if each review is positive or negative."]
    )
    """What the model does, in plain words."""
    how_it_works: Text = Field(examples=["It learned from 20,000 film reviews with known star ratings."])
    """How it works, in plain words."""
    output_meaning: Text = Field(
        examples=["A flag means the X-ray may show a collapsed lung. A doctor still reads every X-ray."]
    )
    """What the output means and what to do with it."""
    when_not_to_use: list[Text] = Field(
        min_length=1, examples=[["For children under 18.", "For side views of the chest."]]
    )
    """When not to use it."""
    warnings: list[Text] = Field(
        min_length=1,
        examples=[["The software misses some collapsed lungs.", "It makes more mistakes on short reviews."]],
    )
    """Warnings for the reader, in plain words."""
    per_1000: Per1000 | None = None
    """A 'per 1,000 people' example, computed from the results."""
    glossary: list[GlossaryEntry] = Field(default_factory=list)
    """Terms a lay reader may not know."""


Comparison = Literal[">=", ">", "<=", "<"]


class Criterion(Node):
    id: Identifier = Field(examples=["auroc-floor", "sex-gap"])
    """Identifier of the criterion."""
    metric: Identifier = Field(examples=["auroc", "f1"])
    """Id of the declared metric the criterion applies to."""
    statistic: str = Field(default="value", pattern=r"^(value|ci_low|ci_high|max_gap)$", examples=["ci_low", "max_gap"])
    """value, ci_low, ci_high, or max_gap (largest difference between levels of a factor)."""
    op: Comparison = Field(default=">=", examples=[">=", "<="])
    """How the statistic is compared with the threshold: >=, >, <= or <."""
    threshold: Number = Field(examples=[0.9, 0.05])
    """Value the statistic is compared with."""
    slice: dict[Identifier, Text] = Field(default_factory=dict, examples=[{}, {"language": "fr"}])
    """Which result: empty for overall."""
    factor: Identifier | None = Field(default=None, examples=["sex"])
    """For max_gap: the factor whose levels are compared."""
    operating_point: Identifier | None = Field(default=None, examples=["default"])
    """Operating point of the result."""
    dataset: Identifier | None = Field(default=None, examples=["internal-test"])
    """Dataset of the result, when results are reported on several datasets."""


class Acceptance(Node):
    criteria: list[Criterion] = Field(min_length=1)
    """Declared acceptance thresholds, checked by `docs-compile check`."""


class Review(Node):
    section: str = Field(pattern=r"^[a-z_][a-z0-9_.\[\]]*$", examples=["intended_use", "plain"])
    """Path of the approved section, e.g. 'intended_use' or 'plain'."""
    reviewer: Text = Field(examples=["Dr. Priya Raman"])
    """Name of the reviewer."""
    role: Text = Field(examples=["clinician", "regulatory-affairs", "ml-lead"])
    """Role, e.g. 'clinician', 'regulatory-affairs', 'ml-lead'."""
    date: Date = Field(examples=["2025-03-28"])
    """Date of approval."""
    sha256: Sha256 = Field(examples=["248d601d12b9bffa079e2db8ad08432a41892aa49326d0944497d007c35c6552"])
    """sha256 of the canonical form of the section when it was approved."""


class MlflowSource(Node):
    id: Identifier = Field(examples=["tracking"])
    """Identifier used by fact references."""
    kind: Literal["mlflow"] = Field(examples=["mlflow"])
    """An MLflow tracking store."""
    tracking_uri: str = Field(min_length=1, examples=["sqlite:///mlflow/mlflow.db", "https://mlflow.example.org"])
    """Tracking URI: sqlite:///relative/path.db (inside the content folder) or an http(s) server."""
    artifact_root: str | None = Field(default=None, examples=["mlflow/artifacts"])
    """Remap of absolute artifact locations to a folder inside the content folder."""
    registered_model: Text | None = Field(default=None, examples=["diabetes-progression"])
    """Registered model whose version the documents describe."""


class WandbSource(Node):
    id: Identifier = Field(examples=["wandb-run"])
    """Identifier used by fact references."""
    kind: Literal["wandb"] = Field(examples=["wandb"])
    """A Weights & Biases run directory (offline) or server."""
    path: str = Field(min_length=1, examples=["wandb/run-20250101_120000-abc123", "my-team/my-project"])
    """Run directory (offline) inside the content folder, or entity/project for a server."""


class FileSource(Node):
    id: Identifier = Field(examples=["offline-eval"])
    """Identifier used by fact references."""
    kind: Literal["file"] = Field(examples=["file"])
    """An evaluation file (JSON or CSV)."""
    path: str = Field(min_length=1, examples=["evidence/offline_metrics.json"])
    """Path inside the model's folder."""


class PredictionsSource(Node):
    id: Identifier = Field(examples=["internal-test-predictions"])
    """Identifier used by computed results."""
    kind: Literal["predictions"] = Field(examples=["predictions"])
    """A predictions file from which metrics are computed."""
    path: str = Field(min_length=1, examples=["evidence/internal-test-predictions.csv"])
    """CSV or Parquet file inside the model's folder."""
    label: str = Field(min_length=1, examples=["label"])
    """Column with the true label (0/1)."""
    score: str = Field(min_length=1, examples=["score"])
    """Column with the model's score."""
    groups: list[str] = Field(default_factory=list, examples=[["sex", "age_band", "site"]])
    """Columns that hold factor levels."""
    resamples: int = Field(default=1000, ge=100, le=100_000, examples=[1000, 2000])
    """Number of bootstrap resamples for the confidence intervals."""
    seed: int = Field(default=20240601, examples=[20250331])
    """Random seed of the bootstrap, so that intervals are reproducible."""
    synthetic: bool = Field(default=False, examples=[True])
    """True when the predictions are synthetic demonstration data."""


class TimeseriesSource(Node):
    id: Identifier = Field(examples=["monitoring"])
    """Identifier used by monitoring signals."""
    kind: Literal["timeseries"] = Field(examples=["timeseries"])
    """A CSV time series (columns: date or step, then one column per signal)."""
    path: str = Field(min_length=1, examples=["evidence/monitoring.csv"])
    """CSV file inside the model's folder."""
    synthetic: bool = Field(default=False, examples=[True])
    """True when the series is synthetic demonstration data."""


class SagemakerSource(Node):
    id: Identifier = Field(examples=["registry"])
    """Identifier used by fact references."""
    kind: Literal["sagemaker"] = Field(examples=["sagemaker"])
    """An Amazon SageMaker Model Registry, and the S3 objects its model packages' reports are in."""
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]$", examples=["eu-west-1"])
    """AWS region of the registry."""
    endpoint_url: str | None = Field(default=None, examples=["http://127.0.0.1:5000"])
    """An endpoint that serves SageMaker and S3 in place of AWS's own (it must be listed under trackers.allow)."""


class NeptuneSource(Node):
    id: Identifier = Field(examples=["neptune-runs"])
    """Identifier used by fact references."""
    kind: Literal["neptune"] = Field(examples=["neptune"])
    """Neptune runs: offline run folders, or a project on a server."""
    path: str = Field(min_length=1, examples=[".neptune", "my-workspace/triage"])
    """A `.neptune` folder (or one offline run folder) inside the model's folder, or workspace/project on a server."""


EvidenceSource = Annotated[
    MlflowSource | WandbSource | SagemakerSource | NeptuneSource | FileSource | PredictionsSource | TimeseriesSource,
    Field(discriminator="kind"),
]


class EvidenceDecl(Node):
    sources: list[EvidenceSource] = Field(default_factory=list)
    """Declared sources of facts."""
