"""Source schema: the system — inputs, outputs, architecture as a graph, training, deployment, monitoring."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from compiler.schema.base import Identifier, Markdown, Node, Number, Text


class Input(Node):
    name: Text
    """Input name, e.g. 'frontal chest radiograph'."""
    type: Text
    """Data type, e.g. 'DICOM image', 'text', 'event stream'."""
    source: Text | None = None
    """Where the input comes from (CHAI input data source)."""
    devices: list[Text] = Field(default_factory=list)
    """Compatible acquisition devices (FDA V)."""
    protocol: Text | None = None
    """Acquisition protocol or specification (Annex IV 3: input-data specification)."""
    quality_control: Text | None = None
    """How input quality is checked; what happens to inputs that fail."""


class OperatingPoint(Node):
    id: Identifier
    """Identifier used by results."""
    threshold: Number
    """Score threshold."""
    rationale: Text
    """Why this operating point."""
    default: bool = False
    """Whether this is the point shipped by default."""


class Output(Node):
    name: Text
    """Output name."""
    type: Text
    """Output type, e.g. 'probability', 'binary flag', 'ranked list' (HTI-1 attribute 4)."""
    meaning: Markdown
    """What the output means and how to interpret it (Art 13(3)(b)(vii), HTI-1 attribute 3)."""
    operating_points: list[OperatingPoint] = Field(default_factory=list)
    """Decision thresholds (Mitchell §4, FDA V configurable elements)."""


class Component(Node):
    id: Identifier
    """Identifier used by flows."""
    name: Text
    """Display name."""
    kind: str = Field(
        pattern=r"^(model|service|datastore|queue|feature-store|index|llm|guardrail|ui|external|job|other)$"
    )
    """model, service, datastore, queue, feature-store, index, llm, guardrail, ui, external, job or other."""
    level: str = Field(default="container", pattern=r"^(context|container|component)$")
    """C4 level the element belongs to: context, container or component."""
    description: Text
    """What it does."""
    technology: Text | None = None
    """Technology, e.g. 'PyTorch 2.3 / TorchServe', 'PostgreSQL 16'."""
    model_ref: Identifier | None = None
    """Id of another model in the catalog that this component is (cross-reference checked)."""
    parent: Identifier | None = None
    """Id of the container this component belongs to (C4 component level)."""
    pretrained: Text | None = None
    """Pre-trained or third-party model this component uses (Annex IV 2(a))."""


class Flow(Node):
    source: Identifier
    """Component id data flows from."""
    target: Identifier
    """Component id data flows to."""
    label: Text
    """What flows, e.g. 'DICOM study', 'top-k passages'."""
    protocol: Text | None = None
    """Transport, e.g. 'HTTPS/JSON', 'Kafka'."""


class Diagram(Node):
    id: Identifier
    """Identifier (also the figure's anchor)."""
    title: Text
    """Figure caption."""
    level: str = Field(default="container", pattern=r"^(context|container|component|sequence|other)$")
    """C4 level or kind of the diagram."""
    mermaid: str = Field(min_length=1, max_length=20_000)
    """Mermaid source text."""
    alt: Text
    """Text alternative for readers who cannot see the diagram."""

    @field_validator("mermaid")
    @classmethod
    def _inert(cls, text: str) -> str:
        # The site runs Mermaid in the reader's browser: an HTML label there fetches its images even
        # at securityLevel strict, and init directives and click lines change what a diagram may do.
        for pattern, what in _MERMAID_REFUSED:
            found = pattern.search(text)
            if found:
                raise ValueError(f"Mermaid {what} are not allowed (found {found.group(0).strip()!r})")
        return text


_MERMAID_REFUSED = [
    (re.compile(r"(?<!<)<(?!<|br\s*/?>)\s*/?\s*[a-zA-Z!?]", re.IGNORECASE), "HTML tags other than <br>"),
    (re.compile(r"%%\s*\{"), "init directives (%%{ … }%%)"),
    (re.compile(r"^\s*click\s", re.MULTILINE), "click interactions"),
    (re.compile(r"\b(?:javascript|vbscript|data)\s*:", re.IGNORECASE), "script or data URLs"),
]


class Architecture(Node):
    summary: Markdown
    """Architecture in words: design logic, key choices and assumptions (Annex IV 2(b))."""
    components: list[Component] = Field(default_factory=list)
    """Elements of the system; ensembles, RAG pipelines and agents are graphs of components."""
    flows: list[Flow] = Field(default_factory=list)
    """Data flows between components."""
    diagrams: list[Diagram] = Field(default_factory=list)
    """Hand-written Mermaid diagrams; a container diagram is generated from components and flows when absent."""


class PretrainedComponent(Node):
    name: Text
    """Name and version of the pre-trained model."""
    source: Text
    """Where it came from (vendor, hub, paper)."""
    data: Text | None = None
    """What it was trained on, as far as known."""
    license: Text | None = None
    """Its licence."""


class Training(Node):
    algorithm: Text
    """Training algorithm (Mitchell §1)."""
    objective: Text | None = None
    """Loss or optimisation target (Annex IV 2(b), FDA IX)."""
    hyperparameters: dict[str, str | float | int | bool] = Field(default_factory=dict)
    """Key hyperparameters (values or fact references as strings)."""
    procedure: Markdown | None = None
    """Training procedure, data splits, early stopping, augmentation."""
    fairness_constraints: Text | None = None
    """Fairness constraints applied during training (Mitchell §1)."""
    calibration: Text | None = None
    """How scores are calibrated (FDA IX)."""
    features: list[Text] = Field(default_factory=list)
    """Input features the model uses (FDA IX, HTI-1 attribute 12)."""
    parameters: Text | None = None
    """Parameter count or model size."""


class Compute(Node):
    training: Text | None = None
    """Compute used to develop, train, test and validate (Annex IV 2(c))."""
    inference: Text | None = None
    """Hardware needed at inference (Art 13(3)(e))."""


class Performance(Node):
    latency_p50_ms: Number | None = None
    """Required median latency, in milliseconds."""
    latency_p99_ms: Number | None = None
    """Required 99th-percentile latency, in milliseconds."""
    throughput_rps: Number | None = None
    """Required throughput, in requests per second."""
    availability: Text | None = None
    """Availability target, e.g. '99.9 % monthly'."""


class Signal(Node):
    id: Identifier
    """Identifier of the monitored signal."""
    name: Text
    """What is monitored, e.g. 'click-through rate', 'population stability index of age'."""
    kind: str = Field(default="performance", pattern=r"^(performance|drift|data-quality|fairness|operational|safety)$")
    """performance, drift, data-quality, fairness, operational or safety."""
    threshold: Number
    """Alert threshold."""
    direction: str = Field(default="below", pattern=r"^(above|below)$")
    """Alert when the value goes 'above' or 'below' the threshold."""
    frequency: Text
    """How often it is computed, e.g. 'daily'."""
    action: Text
    """What happens when the alert fires."""
    history: str | None = None
    """Evidence reference to the signal's history (a CSV time series or tracker metric history)."""


class Monitoring(Node):
    summary: Markdown | None = None
    """How the system is monitored in production."""
    signals: list[Signal] = Field(default_factory=list)
    """Monitored signals with alert thresholds."""
    dashboards: list[Text] = Field(default_factory=list)
    """Where the dashboards live (names, not links to private hosts)."""


class System(Node):
    ai_statement: Markdown
    """How AI is used in the system (FDA V AI statement)."""
    inputs: list[Input] = Field(min_length=1)
    """Inputs (FDA V, Art 13(3)(b)(vi))."""
    outputs: list[Output] = Field(min_length=1)
    """Outputs (HTI-1 attributes 3–4)."""
    architecture: Architecture
    """System architecture (Annex IV 2(c))."""
    model_class: Text | None = None
    """Model class for the public summary (FDA XIII), e.g. 'deep learning (CNN)'."""
    training: Training
    """Training procedure (Mitchell §1, FDA IX)."""
    pretrained: list[PretrainedComponent] = Field(default_factory=list)
    """Pre-trained and third-party components (Annex IV 2(a), CHAI foundation models)."""
    preprocessing: Markdown | None = None
    """Pre-processing of inputs (FDA IX)."""
    postprocessing: Markdown | None = None
    """Post-processing of outputs (FDA IX)."""
    compute: Compute | None = None
    """Compute resources."""
    deployment_forms: list[Text] = Field(default_factory=list)
    """Forms of placing on the market or deployment: embedded, download, API (Annex IV 1(d))."""
    hardware: Text | None = None
    """Target hardware (Annex IV 1(e))."""
    software_versions: dict[str, str] = Field(default_factory=dict)
    """Relevant software and firmware versions (Annex IV 1(c))."""
    interactions: Markdown | None = None
    """Interaction with other hardware, software and AI systems (Annex IV 1(b))."""
    user_interface: Markdown | None = None
    """User interface given to the deployer (Annex IV 1(g))."""
    data_flow: Markdown | None = None
    """Data flow in words: what data goes where, retention, personal data."""
    feature_store: Markdown | None = None
    """Feature store: which features, freshness, point-in-time correctness."""
    performance: Performance | None = None
    """Latency, throughput and availability requirements."""
    monitoring: Monitoring | None = None
    """Production monitoring setup."""
    explainability: Markdown | None = None
    """Explainability capabilities (Art 13(3)(b)(iv))."""
    logging: Markdown | None = None
    """Log collection (Art 12, Art 13(3)(f))."""
    installation: Markdown | None = None
    """Installation, maintenance and calibration (FDA V)."""
    configurable: list[Text] = Field(default_factory=list)
    """Elements a site can configure (FDA V)."""
    compatibility: Text | None = None
    """EHR or platform compatibility (CHAI release info)."""
