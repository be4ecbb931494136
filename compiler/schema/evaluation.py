"""Source schema: evaluation — metrics, study design, results with n and 95% CI, fairness, validation."""

from __future__ import annotations

from pydantic import Field, model_validator

from compiler.schema.base import Count, Identifier, Markdown, Node, Number, Text, Url


class Metric(Node):
    id: Identifier
    """Identifier used by results, e.g. auroc, sensitivity, f1, ndcg_at_10."""
    name: Text
    """Display name, e.g. 'Area under the ROC curve'."""
    rationale: Text
    """Why this metric was chosen (Mitchell §4, Annex IV item 4)."""
    higher_is_better: bool = True
    """Direction of improvement; used for gaps and diffs."""
    unit: Text | None = None
    """Unit, e.g. 'ms'; empty for proportions."""
    kind: str = Field(default="proportion", pattern=r"^(proportion|score|count|time|ratio|other)$")
    """proportion (shown as 0.912), score, count, time, ratio or other."""


class Result(Node):
    metric: Identifier
    """Id of a declared metric."""
    value: Number
    """Point estimate."""
    ci_low: Number | None = None
    """Lower bound of the 95% confidence interval."""
    ci_high: Number | None = None
    """Upper bound of the 95% confidence interval."""
    n: Count | None = None
    """Number of cases the estimate is computed on."""
    slice: dict[Identifier, Text] = Field(default_factory=dict)
    """Subgroup as factor id → level; empty for overall, two or more keys for an intersection."""
    dataset: Identifier | None = None
    """Id of the dataset the result was computed on."""
    operating_point: Identifier | None = None
    """Id of the operating point, for threshold-dependent metrics."""
    ci_method: Text | None = None
    """How the interval was computed, e.g. 'Wilson', 'percentile bootstrap, 1000 resamples'."""
    source: str | None = None
    """Where the numbers come from (filled in by resolve; a fact reference or evidence id)."""
    flag: Text | None = None
    """Warning attached to the estimate, e.g. 'small cell (n < 30)'."""

    @model_validator(mode="after")
    def _ordered(self) -> Result:
        low, value, high = (v if isinstance(v, float) else None for v in (self.ci_low, self.value, self.ci_high))
        if low is not None and high is not None and low > high:
            raise ValueError(f"ci_low ({low}) is greater than ci_high ({high})")
        if low is not None and value is not None and value < low:
            raise ValueError(f"value ({value}) lies below ci_low ({low})")
        if high is not None and value is not None and value > high:
            raise ValueError(f"value ({value}) lies above ci_high ({high})")
        return self


class Computed(Node):
    source: Identifier
    """Id of a predictions source under evidence.sources."""
    dataset: Identifier | None = None
    """Id of the dataset the predictions belong to."""
    metrics: list[Identifier] = Field(min_length=1)
    """Metric ids to compute (auroc, sensitivity, specificity, ppv, npv, accuracy, precision, recall, f1)."""
    groups: list[Identifier] = Field(default_factory=list)
    """Factor ids (columns) to compute results per level of."""
    intersections: list[list[Identifier]] = Field(default_factory=list)
    """Combinations of factors to compute intersectional results for."""
    operating_points: list[Identifier] = Field(default_factory=list)
    """Operating points for threshold-dependent metrics; default: every declared point."""
    ci: str = Field(default="auto", pattern=r"^(auto|bootstrap|wilson)$")
    """95% intervals: auto (Wilson for proportions, stratified percentile bootstrap for AUROC and F1), bootstrap or wilson."""


class Study(Node):
    design: Markdown
    """Study design (retrospective, prospective, reader study…)."""
    endpoints: list[Text] = Field(default_factory=list)
    """Primary and secondary endpoints."""
    acceptance_criteria: Text | None = None
    """Pre-specified success criteria."""
    statistical_plan: Text | None = None
    """Statistical analysis plan: power, multiplicity, subgroup plan (FDA X)."""
    blinding: Text | None = None
    """Blinding of the test data from developers (test sequestration)."""
    tested_vs_released: Text | None = None
    """Differences between the tested and the released model (FDA X)."""
    test_logs: Text | None = None
    """Where the dated and signed test logs are kept (Annex IV 2(g))."""


class ExternalValidation(Node):
    party: Text
    """Who performed it (HTI-1 attribute 18)."""
    setting: Text
    """Data source and setting (HTI-1 attribute 17)."""
    demographics: Text | None = None
    """Demographics of the external data (HTI-1 attribute 19)."""
    process: Text
    """How it was done (HTI-1 attribute 20)."""
    dataset: Identifier | None = None
    """Id of the external dataset, when it has a datasheet."""


class Fairness(Node):
    approach: Markdown
    """How fairness was assessed (HTI-1 attribute 15)."""
    mitigations: list[Text] = Field(default_factory=list)
    """Bias mitigations (HTI-1 attribute 16)."""
    findings: Markdown | None = None
    """What the assessment found."""


class Evidence(Node):
    kind: str = Field(pattern=r"^(trial|doi|pmid|report|publication|url)$")
    """trial, doi, pmid, report, publication or url."""
    id: Text
    """Identifier, e.g. NCT01234567, 10.1000/xyz."""
    title: Text | None = None
    """Title."""
    url: Url | None = None
    """Link."""


class Evaluation(Node):
    metrics: list[Metric] = Field(min_length=1)
    """Performance measures and why they were chosen (Mitchell §4)."""
    study: Study | None = None
    """Study design (FDA X, Annex IV 2(g))."""
    variation: Text | None = None
    """How variation is estimated, e.g. '95% CI by stratified bootstrap' (Mitchell §4)."""
    results: list[Result] = Field(default_factory=list)
    """Results: overall (empty slice), per subgroup (one factor) and intersectional (several)."""
    computed: list[Computed] = Field(default_factory=list)
    """Results computed by resolve from a predictions file, added to results."""
    external: list[ExternalValidation] = Field(default_factory=list)
    """External validation (HTI-1 attributes 17–20, 23–24)."""
    fairness: Fairness | None = None
    """Fairness approach and mitigations."""
    repeatability: Markdown | None = None
    """Repeatability and reproducibility (FDA X, Appendix E precision)."""
    robustness: Markdown | None = None
    """Robustness testing (Annex IV 2(g), Art 15)."""
    human_ai: Markdown | None = None
    """Standalone versus human-AI team performance (FDA X)."""
    evidence: list[Evidence] = Field(default_factory=list)
    """Outcome-evaluation references: trials, DOIs, reports (HTI-1 attribute 25)."""
