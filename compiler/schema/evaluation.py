"""Source schema: evaluation — metrics, study design, results with n and 95% CI, fairness, validation."""

from __future__ import annotations

from pydantic import Field

from compiler.schema.base import Count, Identifier, Markdown, Node, Number, Text, Url


class Metric(Node):
    id: Identifier = Field(examples=["auroc", "sensitivity", "ndcg_at_10"])
    """Identifier used by results, e.g. auroc, sensitivity, f1, ndcg_at_10."""
    name: Text = Field(examples=["Area under the ROC curve", "Sensitivity"])
    """Display name, e.g. 'Area under the ROC curve'."""
    rationale: Text = Field(
        examples=["A missed pneumothorax is the main hazard, so sensitivity is the primary endpoint."]
    )
    """Why this metric was chosen (Mitchell §4, Annex IV item 4)."""
    higher_is_better: bool = Field(default=True, examples=[False])
    """Direction of improvement; used for gaps and diffs."""
    unit: Text | None = Field(default=None, examples=["ms", "relative change"])
    """Unit, e.g. 'ms'; empty for proportions."""
    kind: str = Field(
        default="proportion", pattern=r"^(proportion|score|count|time|ratio|other)$", examples=["proportion", "time"]
    )
    """proportion (a value between 0 and 1, shown as 0.912), score, count, time, ratio or other."""


MISSING_LEVEL = "(missing)"
"""The level of a factor that rows with an empty group value belong to in computed results."""


class Result(Node):
    metric: Identifier = Field(examples=["auroc", "sensitivity"])
    """Id of a declared metric."""
    value: Number = Field(examples=[0.912, "mlflow://9a1b2c3d4e/metrics/test_auroc"])
    """Point estimate of the metric; between 0 and 1 when the metric's kind is proportion."""
    ci_low: Number | None = Field(default=None, examples=[0.887])
    """Lower bound of the 95% confidence interval; at most the value. For a proportion, between 0 and 1."""
    ci_high: Number | None = Field(default=None, examples=[0.934])
    """Upper bound of the 95% confidence interval; at least the value. For a proportion, between 0 and 1."""
    sd: Number | None = Field(default=None, examples=[0.021])
    """Standard deviation of the metric (e.g. over folds, seeds or bootstrap resamples), in the metric's unit."""
    n: Count | None = Field(default=None, examples=[1200])
    """Number of cases the estimate is computed on."""
    slice: dict[Identifier, Text] = Field(
        default_factory=dict, examples=[{}, {"sex": "female"}, {"sex": "female", "age_band": "65+"}]
    )
    """Subgroup as factor id → level; empty for overall, two or more keys for an intersection."""
    dataset: Identifier | None = Field(default=None, examples=["internal-test"])
    """Id of the dataset the result was computed on."""
    operating_point: Identifier | None = Field(default=None, examples=["default"])
    """Id of the operating point, for threshold-dependent metrics."""
    ci_method: Text | None = Field(default=None, examples=["Wilson", "percentile bootstrap, 1000 resamples"])
    """How the interval was computed, e.g. 'Wilson', 'percentile bootstrap, 1000 resamples'."""
    source: str | None = Field(default=None, examples=["mlflow://9a1b2c3d4e/metrics/test_auroc"])
    """Where the numbers come from (filled in by resolve; a fact reference or evidence id)."""
    flag: Text | None = Field(default=None, examples=["small cell (n < 30)"])
    """Warning attached to the estimate, e.g. 'small cell (n < 30)'."""


class Undefined(Node):
    """A computed metric with no value, and why (filled in by resolve from the lock; not written by hand)."""

    metric: Identifier | None = Field(default=None, examples=["auroc"])
    """Id of the metric; empty when the cell has no rows at all."""
    slice: dict[Identifier, Text] = Field(default_factory=dict, examples=[{"sex": "female"}])
    """Subgroup as factor id → level."""
    operating_point: Identifier | None = Field(default=None, examples=["default"])
    """Id of the operating point, for threshold-dependent metrics."""
    dataset: Identifier | None = Field(default=None, examples=["internal-test"])
    """Id of the dataset."""
    n: Count | None = Field(default=None, examples=[12])
    """Number of cases in the cell (or in the metric's denominator)."""
    reason: Text = Field(examples=["AUROC is undefined: one class in this cell (no negatives)"])
    """Why there is no value, as documents print it."""
    flag: Text | None = Field(default=None, examples=["small cell (n = 12 < 30)"])
    """Warnings attached to the cell."""


class Computed(Node):
    source: Identifier = Field(examples=["internal-test-predictions"])
    """Id of a predictions source under evidence.sources."""
    dataset: Identifier | None = Field(default=None, examples=["internal-test"])
    """Id of the dataset the predictions belong to."""
    metrics: list[Identifier] = Field(min_length=1, examples=[["auroc", "sensitivity", "specificity", "ppv", "npv"]])
    """Metric ids to compute (auroc, sensitivity, specificity, ppv, npv, accuracy, precision, recall, f1)."""
    groups: list[Identifier] = Field(default_factory=list, examples=[["sex", "age_band", "site"]])
    """Factor ids (columns) to compute results per level of."""
    intersections: list[list[Identifier]] = Field(default_factory=list, examples=[[["sex", "age_band"]]])
    """Combinations of factors to compute intersectional results for."""
    operating_points: list[Identifier] = Field(default_factory=list, examples=[["high-sensitivity"]])
    """Operating points for threshold-dependent metrics; default: every declared point."""
    ci: str = Field(default="auto", pattern=r"^(auto|bootstrap|wilson)$", examples=["auto", "wilson"])
    """95% intervals: auto (Wilson for proportions, a score interval for AUROC, BCa bootstrap for F1), bootstrap (BCa
    for every metric but prevalence) or wilson (as auto); docs/statistics.md."""


class Study(Node):
    design: Markdown = Field(
        examples=["Retrospective standalone study on a sequestered, enriched test set from three sites."]
    )
    """Study design (retrospective, prospective, reader study…)."""
    endpoints: list[Text] = Field(
        default_factory=list,
        examples=[["Primary: sensitivity and specificity at the default point", "Secondary: AUROC"]],
    )
    """Primary and secondary endpoints."""
    acceptance_criteria: Text | None = Field(
        default=None, examples=["Sensitivity and specificity lower 95 % CI bounds above 0.80."]
    )
    """Pre-specified success criteria."""
    statistical_plan: Text | None = Field(
        default=None, examples=["270 positives give a 95 % CI half-width of about 0.033 at a sensitivity of 0.92."]
    )
    """Statistical analysis plan: power, multiplicity, subgroup plan (FDA X)."""
    blinding: Text | None = Field(
        default=None, examples=["Test sets were sealed by staff outside the development team."]
    )
    """Blinding of the test data from developers (test sequestration)."""
    tested_vs_released: Text | None = Field(
        default=None, examples=["None; the released container is byte-identical to the tested one."]
    )
    """Differences between the tested and the released model (FDA X)."""
    test_logs: Text | None = Field(
        default=None, examples=["Signed test reports TR-PTX-210-01 and TR-PTX-210-02, in the design history file."]
    )
    """Where the dated and signed test logs are kept (Annex IV 2(g))."""


class ExternalValidation(Node):
    party: Text = Field(examples=["Lakeshore University Imaging Core Laboratory (independent of the manufacturer)"])
    """Who performed it (HTI-1 attribute 18)."""
    setting: Text = Field(examples=["Two hospitals not used in development, 2024-01 to 2024-06."])
    """Data source and setting (HTI-1 attribute 17)."""
    demographics: Text | None = Field(
        default=None, examples=["1,200 adults; 50.7 % female; aged 18–39 29.5 %, 40–64 40.4 %, 65+ 30.1 %."]
    )
    """Demographics of the external data (HTI-1 attribute 19)."""
    process: Text = Field(
        examples=["The core laboratory selected and read the cases and ran the locked model in its own network."]
    )
    """How it was done (HTI-1 attribute 20)."""
    dataset: Identifier | None = Field(default=None, examples=["external-test"])
    """Id of the external dataset, when it has a datasheet."""


class Fairness(Node):
    approach: Markdown = Field(
        examples=["Sensitivity and specificity compared across sex, age band, scanner and site."]
    )
    """How fairness was assessed (HTI-1 attribute 15)."""
    mitigations: list[Text] = Field(
        default_factory=list, examples=[["Training data balanced by site", "Per-site validation before go-live"]]
    )
    """Bias mitigations (HTI-1 attribute 16)."""
    findings: Markdown | None = Field(
        default=None, examples=["Sensitivity is lower for small pneumothoraces in AP views (0.84 vs 0.93)."]
    )
    """What the assessment found."""


class Evidence(Node):
    kind: str = Field(pattern=r"^(trial|doi|pmid|report|publication|url)$", examples=["report", "doi", "trial"])
    """trial, doi, pmid, report, publication or url."""
    id: Text = Field(examples=["NCT01234567", "10.1000/xyz123", "TR-PTX-210-01"])
    """Identifier, e.g. NCT01234567, 10.1000/xyz."""
    title: Text | None = Field(default=None, examples=["Learning Word Vectors for Sentiment Analysis"])
    """Title of the trial, paper or report."""
    url: Url | None = Field(default=None, examples=["https://aclanthology.org/P11-1015/"])
    """Link to the trial registration, paper or report."""


class Evaluation(Node):
    metrics: list[Metric] = Field(min_length=1)
    """Performance measures and why they were chosen (Mitchell §4)."""
    study: Study | None = None
    """Study design (FDA X, Annex IV 2(g))."""
    variation: Text | None = Field(
        default=None, examples=["95 % CI — Wilson score for proportions, stratified bootstrap for AUROC."]
    )
    """How variation is estimated, e.g. '95% CI by stratified bootstrap' (Mitchell §4)."""
    results: list[Result] = Field(default_factory=list)
    """Results: overall (empty slice), per subgroup (one factor) and intersectional (several)."""
    computed: list[Computed] = Field(default_factory=list)
    """Results computed by resolve from a predictions file, added to results."""
    undefined: list[Undefined] = Field(default_factory=list)
    """Computed metrics with no value and the reason (added by resolve; documents print the reason)."""
    external: list[ExternalValidation] = Field(default_factory=list)
    """External validation (HTI-1 attributes 17–20, 23–24)."""
    fairness: Fairness | None = None
    """Fairness approach and mitigations."""
    repeatability: Markdown | None = Field(
        default=None, examples=["Inference is deterministic: the same image gives the same score (10,000 repeats)."]
    )
    """Repeatability and reproducibility (FDA X, Appendix E precision)."""
    robustness: Markdown | None = Field(
        default=None,
        examples=["Tested with rotation up to ±10°, lossy compression and added noise; AUROC fell by at most 0.01."],
    )
    """Robustness testing (Annex IV 2(g), Art 15)."""
    human_ai: Markdown | None = Field(
        default=None, examples=["In a reader study, time to read flagged studies fell from 42 to 11 minutes."]
    )
    """Standalone versus human-AI team performance (FDA X)."""
    evidence: list[Evidence] = Field(default_factory=list)
    """Outcome-evaluation references: trials, DOIs, reports (HTI-1 attribute 25)."""
