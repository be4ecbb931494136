"""Source schema: the system — inputs, outputs, architecture as a graph, training, deployment, monitoring."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from compiler.schema.base import Identifier, Markdown, Node, Number, Text


class Input(Node):
    name: Text = Field(examples=["Frontal chest radiograph", "Review text"])
    """Input name, e.g. 'frontal chest radiograph'."""
    type: Text = Field(examples=["DICOM image", "text (UTF-8, English)"])
    """Data type, e.g. 'DICOM image', 'text', 'event stream'."""
    source: Text | None = Field(
        default=None, examples=["Modality or PACS, through DICOM C-STORE", "Storefront page renderer"]
    )
    """Where the input comes from (CHAI input data source)."""
    devices: list[Text] = Field(
        default_factory=list, examples=[["GE HealthCare Definium 656 HD", "Siemens Healthineers Ysio Max"]]
    )
    """Compatible acquisition devices (FDA V)."""
    protocol: Text | None = Field(
        default=None, examples=["Frontal (PA or AP) DX or CR radiograph, at least 1,500 × 1,500 pixels"]
    )
    """Acquisition protocol or specification (Annex IV 3: input-data specification)."""
    quality_control: Text | None = Field(
        default=None, examples=["Images failing the DICOM header check are not scored and are logged."]
    )
    """How input quality is checked; what happens to inputs that fail."""


class OperatingPoint(Node):
    id: Identifier = Field(examples=["default", "high-sensitivity"])
    """Identifier used by results."""
    threshold: Number = Field(examples=[0.5, 0.3])
    """Threshold on the output score (or rank) that defines this operating point."""
    rationale: Text = Field(examples=["Sensitivity of at least 0.90 on the tuning set at the lowest false-alarm rate."])
    """Why this operating point."""
    default: bool = Field(default=False, examples=[True])
    """Whether this is the point shipped by default."""


class Output(Node):
    name: Text = Field(examples=["Pneumothorax flag", "Ranked recommendation list"])
    """Name of the output, e.g. 'pneumothorax flag'."""
    type: Text = Field(examples=["binary flag", "probability (0–1), calibrated", "ranked list"])
    """Output type, e.g. 'probability', 'binary flag', 'ranked list' (HTI-1 attribute 4)."""
    meaning: Markdown = Field(
        examples=["*Suspected pneumothorax*: read this study first. No flag does not mean no pneumothorax."]
    )
    """What the output means and how to interpret it (Art 13(3)(b)(vii), HTI-1 attribute 3)."""
    operating_points: list[OperatingPoint] = Field(default_factory=list)
    """Decision thresholds (Mitchell §4, FDA V configurable elements)."""


class Component(Node):
    id: Identifier = Field(examples=["api", "retriever"])
    """Identifier used by flows."""
    name: Text = Field(examples=["Recommendation API", "Pneumothorax classifier"])
    """Name shown in the documents and diagrams."""
    kind: str = Field(
        pattern=r"^(model|service|datastore|queue|feature-store|index|llm|guardrail|ui|external|job|other)$",
        examples=["service", "model", "llm"],
    )
    """model, service, datastore, queue, feature-store, index, llm, guardrail, ui, external, job or other."""
    level: str = Field(
        default="container", pattern=r"^(context|container|component)$", examples=["container", "component"]
    )
    """C4 level the element belongs to: context, container or component."""
    description: Text = Field(examples=["Scores each eligible study and writes the flag."])
    """What it does."""
    technology: Text | None = Field(default=None, examples=["PyTorch 2.3 / TorchServe", "PostgreSQL 16"])
    """Technology, e.g. 'PyTorch 2.3 / TorchServe', 'PostgreSQL 16'."""
    model_ref: Identifier | None = Field(default=None, examples=["review-sentiment"])
    """Id of another model in the catalog that this component is (cross-reference checked)."""
    parent: Identifier | None = Field(default=None, examples=["api"])
    """Id of the container this component belongs to (C4 component level)."""
    pretrained: Text | None = Field(default=None, examples=["torchvision DenseNet-121, ImageNet-1k weights"])
    """Pre-trained or third-party model this component uses (Annex IV 2(a))."""


class Flow(Node):
    source: Identifier = Field(examples=["gateway"])
    """Component id data flows from."""
    target: Identifier = Field(examples=["classifier"])
    """Component id data flows to."""
    label: Text = Field(examples=["DICOM study", "top-k passages"])
    """What flows, e.g. 'DICOM study', 'top-k passages'."""
    protocol: Text | None = Field(default=None, examples=["HTTPS/JSON", "Kafka", "DICOM C-STORE"])
    """Transport, e.g. 'HTTPS/JSON', 'Kafka'."""


class Diagram(Node):
    id: Identifier = Field(examples=["cxr-container", "recsys-request"])
    """Identifier (also the figure's anchor)."""
    title: Text = Field(examples=["One recommendation request", "PneumoTriage CXR containers and data flow"])
    """Caption shown under the diagram."""
    level: str = Field(
        default="container",
        pattern=r"^(context|container|component|sequence|other)$",
        examples=["container", "sequence"],
    )
    """C4 level or kind of the diagram."""
    mermaid: str | None = Field(
        default=None,
        min_length=1,
        max_length=20_000,
        examples=["flowchart LR\n  pacs[PACS] --> gw[DICOM gateway] --> clf[Classifier]\n"],
    )
    """Mermaid source text (give either `mermaid` or `file`)."""
    file: str | None = Field(default=None, max_length=300, examples=["diagrams/containers.svg", "diagrams/flow.png"])
    """An SVG or PNG exported from Lucidchart, Miro or draw.io, relative to the model's folder (give either `mermaid`
    or `file`). An SVG is rebuilt from an allow-list: no script, links, outside references or `foreignObject`
    (draw.io's text fallback is kept). A `.drawio` file is not read: export it as SVG (File > Export as > SVG)."""
    alt: Text = Field(examples=["Images flow from the PACS to the DICOM gateway, then to the classifier."])
    """Text alternative for readers who cannot see the diagram."""

    @field_validator("mermaid")
    @classmethod
    def _inert(cls, text: str | None) -> str | None:
        # The site runs Mermaid in the reader's browser: an HTML label there fetches its images even
        # at securityLevel strict, and init directives and click lines change what a diagram may do.
        for pattern, what in _MERMAID_REFUSED:
            found = pattern.search(text or "")
            if found:
                raise ValueError(f"Mermaid {what} are not allowed (found {found.group(0).strip()!r})")
        return text

    @field_validator("file")
    @classmethod
    def _exported_image(cls, path: str | None) -> str | None:
        if path is None:
            return None
        if path.lower().endswith(".drawio"):
            raise ValueError(
                "a .drawio file cannot be drawn without draw.io itself: export it as SVG "
                "(File > Export as > SVG) and name the .svg file"
            )
        if not _DIAGRAM_FILE.fullmatch(path):
            raise ValueError(
                f"{path!r} is not a path to an .svg or .png file inside the model's folder "
                "(relative, with '/' between folders, no '..')"
            )
        return path

    @model_validator(mode="after")
    def _one_drawing(self) -> Diagram:
        if (self.mermaid is None) == (self.file is None):
            raise ValueError("give exactly one of `mermaid` (the diagram's text) and `file` (an exported SVG or PNG)")
        return self


_DIAGRAM_FILE = re.compile(r"[\w][\w .@+-]*(?:/[\w][\w .@+-]*)*\.(?:svg|png)", re.IGNORECASE)
"""A relative path, each part starting with a letter, digit or underscore (no hidden files, no '..')."""

_MERMAID_REFUSED = [
    (re.compile(r"(?<!<)<(?!<|br\s*/?>)\s*/?\s*[a-zA-Z!?]", re.IGNORECASE), "HTML tags other than <br>"),
    (re.compile(r"%%\s*\{"), "init directives (%%{ … }%%)"),
    (re.compile(r"^\s*click\s", re.MULTILINE), "click interactions"),
    (re.compile(r"\b(?:javascript|vbscript|data)\s*:", re.IGNORECASE), "script or data URLs"),
]


class Architecture(Node):
    summary: Markdown = Field(
        examples=["A DICOM gateway receives studies, a **classifier** scores them and a notifier flags the worklist."]
    )
    """Architecture in words: design logic, key choices and assumptions (Annex IV 2(b))."""
    components: list[Component] = Field(default_factory=list)
    """Elements of the system; ensembles, RAG pipelines and agents are graphs of components."""
    flows: list[Flow] = Field(default_factory=list)
    """Data flows between components."""
    diagrams: list[Diagram] = Field(default_factory=list)
    """Hand-written Mermaid diagrams and exported images; a container diagram is generated from components and flows
    when none is at container level."""


class PretrainedComponent(Node):
    name: Text = Field(examples=["BAAI/bge-reranker-v2-m3", "torchvision DenseNet-121"])
    """Name and version of the pre-trained model."""
    source: Text = Field(examples=["Hugging Face Hub", "torchvision model zoo (PyTorch)"])
    """Where it came from (vendor, hub, paper)."""
    data: Text | None = Field(
        default=None, examples=["ImageNet-1k", "Multilingual retrieval and ranking data (per its model card)"]
    )
    """What it was trained on, as far as known."""
    license: Text | None = Field(default=None, examples=["Apache-2.0", "MIT"])
    """Licence of the pre-trained model (an SPDX id or its name)."""


class Training(Node):
    algorithm: Text = Field(
        examples=["Supervised fine-tuning of DenseNet-121 with AdamW", "L2-regularised logistic regression"]
    )
    """Training algorithm (Mitchell §1)."""
    objective: Text | None = Field(
        default=None, examples=["Binary cross-entropy with label smoothing (0.05)", "Log loss with L2 penalty"]
    )
    """Loss or optimisation target (Annex IV 2(b), FDA IX)."""
    hyperparameters: dict[str, str | float | int | bool] = Field(
        default_factory=dict, examples=[{"learning_rate": 0.0003, "batch_size": 64, "optimizer": "AdamW"}]
    )
    """Key hyperparameters (values or fact references as strings)."""
    procedure: Markdown | None = Field(
        default=None,
        examples=["- Initialised from ImageNet weights.\n- Early stopping on tuning-set AUROC (patience 5).\n"],
    )
    """Training procedure, data splits, early stopping, augmentation."""
    fairness_constraints: Text | None = Field(
        default=None, examples=["None in the loss; sampling kept the sex and age-band mix of the archive."]
    )
    """Fairness constraints applied during training (Mitchell §1)."""
    calibration: Text | None = Field(
        default=None, examples=["Temperature scaling fitted on the tuning set (T = 1.42)."]
    )
    """How scores are calibrated (FDA IX)."""
    features: list[Text] = Field(
        default_factory=list, examples=[["Pixel values of the frontal chest radiograph (512 × 512)"]]
    )
    """Input features the model uses (FDA IX, HTI-1 attribute 12)."""
    parameters: Text | None = Field(
        default=None, examples=["6.96 million trainable parameters", "200,001 coefficients"]
    )
    """Parameter count or model size."""


class Product(Node):
    name: Text = Field(examples=["PneumoTriage reading station, model RS-2"])
    """The product the AI system is a component of."""
    description: Markdown = Field(
        examples=["A 24-inch medical display on a wheeled cart; the CE mark and UDI label are on its rear panel."]
    )
    """Its external features, marking and internal layout, in words (Annex IV 1(f))."""
    illustrations: Markdown | None = Field(
        default=None, examples=["Photographs: IFU section 2, figures 2-1 to 2-4 (document RS2-IFU-07)."]
    )
    """Where the photographs or illustrations of the product are kept (Annex IV 1(f))."""


class Compute(Node):
    training: Text | None = Field(default=None, examples=["About 40 GPU-hours on one NVIDIA A100 for the final fit."])
    """Compute used to develop, train, test and validate (Annex IV 2(c))."""
    inference: Text | None = Field(
        default=None, examples=["One CPU core, under 1 ms per review", "NVIDIA T4 GPU (optional)"]
    )
    """Hardware needed at inference (Art 13(3)(e))."""


class Performance(Node):
    latency_p50_ms: Number | None = Field(default=None, examples=[35, 2800])
    """Required median latency, in milliseconds."""
    latency_p99_ms: Number | None = Field(default=None, examples=[120, 9000])
    """Required 99th-percentile latency, in milliseconds."""
    throughput_rps: Number | None = Field(default=None, examples=[25, 3000])
    """Required throughput, in requests per second."""
    availability: Text | None = Field(
        default=None, examples=["99.9 % monthly", "99.5 % monthly, excluding announced maintenance"]
    )
    """Availability target, e.g. '99.9 % monthly'."""


class Signal(Node):
    id: Identifier = Field(examples=["flag-rate", "ctr-decay"])
    """Identifier of the monitored signal."""
    name: Text = Field(examples=["click-through rate", "population stability index of age"])
    """What is monitored, e.g. 'click-through rate', 'population stability index of age'."""
    kind: str = Field(
        default="performance",
        pattern=r"^(performance|drift|data-quality|fairness|operational|safety)$",
        examples=["performance", "drift"],
    )
    """performance, drift, data-quality, fairness, operational or safety."""
    threshold: Number = Field(examples=[0.2, 0.9])
    """Value at which the alert fires (see `direction`)."""
    direction: str = Field(default="below", pattern=r"^(above|below)$", examples=["above", "below"])
    """Alert when the value goes 'above' or 'below' the threshold."""
    frequency: Text = Field(examples=["daily", "weekly"])
    """How often it is computed, e.g. 'daily'."""
    action: Text = Field(examples=["Check the language detector and the review service export."])
    """What happens when the alert fires."""
    history: str | None = Field(default=None, examples=["file://monitoring#/ctr_relative"])
    """Evidence reference to the signal's history (a CSV time series or tracker metric history)."""


class Monitoring(Node):
    summary: Markdown | None = Field(
        default=None,
        examples=["A daily job tracks the flag rate and the score distribution per site; PPV is audited monthly."],
    )
    """How the system is monitored in production."""
    signals: list[Signal] = Field(default_factory=list)
    """Monitored signals with alert thresholds."""
    dashboards: list[Text] = Field(default_factory=list, examples=[["Help Assistant quality (Grafana)"]])
    """Where the dashboards live (names, not links to private hosts)."""


class System(Node):
    ai_statement: Markdown = Field(
        examples=["A convolutional neural network scores each chest radiograph for signs of pneumothorax."]
    )
    """How AI is used in the system (FDA V AI statement)."""
    inputs: list[Input] = Field(min_length=1)
    """Inputs (FDA V, Art 13(3)(b)(vi))."""
    outputs: list[Output] = Field(min_length=1)
    """Outputs (HTI-1 attributes 3–4)."""
    architecture: Architecture
    """System architecture (Annex IV 2(c))."""
    model_class: Text | None = Field(
        default=None, examples=["deep learning (CNN)", "linear model (logistic regression)"]
    )
    """Model class for the public summary (FDA XIII), e.g. 'deep learning (CNN)'."""
    training: Training
    """Training procedure (Mitchell §1, FDA IX)."""
    pretrained: list[PretrainedComponent] = Field(default_factory=list)
    """Pre-trained and third-party components (Annex IV 2(a), CHAI foundation models)."""
    preprocessing: Markdown | None = Field(
        default=None, examples=["Strip HTML tags, normalise Unicode (NFKC), lower-case."]
    )
    """Pre-processing of inputs (FDA IX)."""
    postprocessing: Markdown | None = Field(
        default=None, examples=["Temperature-scaled sigmoid, then the operating point's threshold."]
    )
    """Post-processing of outputs (FDA IX)."""
    compute: Compute | None = None
    """Compute resources for training and inference."""
    deployment_forms: list[Text] = Field(
        default_factory=list, examples=[["On-premises virtual appliance", "Internal real-time HTTPS API"]]
    )
    """Forms of placing on the market or deployment: embedded, download, API (Annex IV 1(d))."""
    hardware: Text | None = Field(default=None, examples=["x86-64 server (8 vCPU, 16 GB RAM); optional NVIDIA T4 GPU"])
    """Target hardware (Annex IV 1(e))."""
    product: Product | None = None
    """The product the system is a component of, if any (Annex IV 1(f))."""
    software_versions: dict[str, str] = Field(
        default_factory=dict, examples=[{"python": "3.12.7", "scikit-learn": "1.5.2"}]
    )
    """Relevant software and firmware versions (Annex IV 1(c))."""
    interactions: Markdown | None = Field(
        default=None, examples=["Receives studies from the PACS and sends flags to the worklist over HL7 v2.5.1."]
    )
    """Interaction with other hardware, software and AI systems (Annex IV 1(b))."""
    user_interface: Markdown | None = Field(
        default=None, examples=["A flag icon in the radiologist's worklist and a notification on the reading station."]
    )
    """User interface given to the deployer (Annex IV 1(g))."""
    data_flow: Markdown | None = Field(
        default=None,
        examples=["Images stay inside the hospital network; only the flag and the score are written back."],
    )
    """Data flow in words: what data goes where, retention, personal data."""
    feature_store: Markdown | None = Field(
        default=None, examples=["Feast with a Redis online store; user features refreshed every 15 minutes."]
    )
    """Feature store: which features, freshness, point-in-time correctness."""
    performance: Performance | None = None
    """Latency, throughput and availability requirements."""
    monitoring: Monitoring | None = None
    """Production monitoring setup."""
    explainability: Markdown | None = Field(
        default=None, examples=["A heat map shows the image regions that contributed most to the score."]
    )
    """Explainability capabilities (Art 13(3)(b)(iv))."""
    logging: Markdown | None = Field(
        default=None, examples=["Every scored study is logged with the model version, score and flag (kept 10 years)."]
    )
    """Log collection (Art 12, Art 13(3)(f))."""
    installation: Markdown | None = Field(
        default=None,
        examples=["Installed by field engineers with the site's PACS administrator; yearly calibration check."],
    )
    """Installation, maintenance and calibration (FDA V)."""
    configurable: list[Text] = Field(
        default_factory=list, examples=[["Operating point (default or high-sensitivity)", "Notification routing"]]
    )
    """Elements a site can configure (FDA V)."""
    compatibility: Text | None = Field(default=None, examples=["Any PACS that supports DICOM C-STORE and HL7 v2.5.1"])
    """EHR or platform compatibility (CHAI release info)."""
