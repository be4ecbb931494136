"""Source schema: datasets, one datasheet each (Gebru et al.), with their role in development."""

from __future__ import annotations

from pydantic import Field

from compiler.schema.base import Count, Date, Fraction, Identifier, License, Markdown, Node, Text


class Motivation(Node):
    purpose: Markdown = Field(
        examples=["Train and tune a pneumothorax triage model on the manufacturer's development archive."]
    )
    """For what purpose was the dataset created?"""
    creators: Text = Field(examples=["Harbourview clinical data team with the three partner hospitals"])
    """Who created it, on behalf of whom?"""
    funding: Text | None = Field(
        default=None, examples=["Harbourview Medical Imaging, Inc.", "Northwind Market (internal)"]
    )
    """Who funded its creation?"""


class Share(Node):
    level: Text = Field(examples=["female", "65+", "Siemens"])
    """Level of the characteristic, e.g. 'female', '65+', 'Siemens'."""
    count: Count | None = Field(default=None, examples=[4980])
    """Number of instances."""
    fraction: Fraction | None = Field(default=None, examples=[0.506])
    """Share of instances, between 0 and 1; the levels of one characteristic add up to at most 1."""


class Composition(Node):
    instances: Markdown = Field(examples=["One frontal chest radiograph of one adult patient, with a presence label."])
    """What do the instances represent?"""
    count: Count | None = Field(default=None, examples=[9846, "file://evaluation.json#/n_test"])
    """How many instances are there? (Left out only while not known: audiences and frameworks that need it report it
    missing.)"""
    sampling: Text | None = Field(
        default=None, examples=["Random sample of 2,500 positive and 2,500 negative reviews (seed 42)."]
    )
    """Is it a sample of a larger set? How was it sampled?"""
    labels: Text | None = Field(
        default=None, examples=["Pneumothorax present or absent, from the reference standard.", "None."]
    )
    """Is there a label or target for each instance?"""
    missing: Text | None = Field(
        default=None, examples=["Patient age is missing for 0.4 % of studies.", "None by construction."]
    )
    """Is any information missing from instances?"""
    splits: Text | None = Field(
        default=None, examples=["Patient-level split: 80 % train, 10 % tune, 10 % test.", "Test only."]
    )
    """Recommended splits (train, tune, test) and how they were made."""
    noise: Text | None = Field(default=None, examples=["14 studies needed a third reader; 4 were resolved with CT."])
    """Errors, noise or redundancies."""
    sensitive: Text | None = Field(
        default=None, examples=["De-identified health data (radiographs) under a data-use agreement."]
    )
    """Does it contain confidential or sensitive data?"""
    subpopulations: dict[str, list[Share]] = Field(default_factory=dict)
    """Distribution per characteristic (demographics, equipment, site), keyed by factor id."""
    inclusion_exclusion: Text | None = Field(
        default=None, examples=["Adults aged 18 or older; lateral views and follow-up studies excluded."]
    )
    """Inclusion and exclusion criteria (HTI-1 attribute 11)."""
    disease_spectrum: Text | None = Field(
        default=None, examples=["56 % small and 44 % large pneumothoraces; 21 % of positives with a chest drain."]
    )
    """Spectrum of disease severity, for clinical data."""


class Collection(Node):
    method: Markdown = Field(
        examples=["Export of every frontal chest radiograph from the PACS archives of three hospitals."]
    )
    """How was the data acquired?"""
    sources: list[Text] = Field(
        default_factory=list,
        examples=[["PACS and RIS archives of site-1 to site-3", "IMDb user reviews (www.imdb.com)"]],
    )
    """Sources (institutions, systems, public datasets)."""
    sites: list[Text] = Field(
        default_factory=list, examples=[["site-1 — academic medical centre, 950 beds (United States)"]]
    )
    """Collection sites (FDA VIII: external sites)."""
    timeframe: Text | None = Field(default=None, examples=["2019-01 to 2023-06", "Snapshot of 2025-10-19"])
    """Over what timeframe?"""
    start: Date | None = Field(default=None, examples=["2019-01-01"])
    """First date the data covers."""
    end: Date | None = Field(default=None, examples=["2023-06-30"])
    """Last date the data covers; training and tuning data must end before the model's release date."""
    collectors: Text | None = Field(
        default=None, examples=["Hospital IT staff under a data-sharing agreement; no payment per record."]
    )
    """Who collected it and how were they paid?"""
    ethics_review: Text | None = Field(
        default=None, examples=["Approved by the institutional review board (IRB-2023-114), waiver of consent."]
    )
    """Ethical review process."""
    consent: Text | None = Field(
        default=None, examples=["Waived by the IRB for retrospective de-identified data.", "Not stated (public posts)."]
    )
    """Were people notified, did they consent, can they revoke it?"""
    synthetic: bool = Field(default=False, examples=[True])
    """Whether any part is synthetic (FDA VIII)."""


class ReferenceStandard(Node):
    method: Text = Field(examples=["Consensus of expert radiologists; chest CT within 24 hours overrode the reading."])
    """How ground truth was established."""
    readers: Text | None = Field(
        default=None, examples=["Three board-certified radiologists with 8 to 22 years of experience"]
    )
    """Number and qualification of readers."""
    adjudication: Text | None = Field(
        default=None, examples=["Two independent reads; a third reader settled the 14 disagreements."]
    )
    """How disagreements were resolved."""
    blinding: Text | None = Field(
        default=None, examples=["Readers were blind to the model output and the original report."]
    )
    """Blinding of readers."""
    variability: Text | None = Field(
        default=None, examples=["Cohen's kappa 0.84 (95 % CI 0.78–0.90) between the primary readers."]
    )
    """Inter-reader variability or label uncertainty."""


class Preprocessing(Node):
    steps: Markdown = Field(
        examples=["De-identification, conversion to 8-bit PNG at 512 × 512, exclusion of lateral views."]
    )
    """Cleaning, labelling and preprocessing steps."""
    raw_kept: bool | None = Field(default=None, examples=[True])
    """Is the raw data kept?"""
    software: Text | None = Field(default=None, examples=["Label Studio 1.13", "Spark 3.5, dbt 1.8"])
    """Software used for preprocessing."""
    annotation: Text | None = Field(
        default=None,
        examples=["Two radiologists labelled each study with written instructions; a third settled disagreements."],
    )
    """Annotation process: experts, instructions, quality assurance."""


class Uses(Node):
    prior: Text | None = Field(
        default=None, examples=["Evaluation of versions 1.1.0 and 1.2.0.", "Standard benchmark since 2011."]
    )
    """Has it been used already?"""
    other: Text | None = Field(default=None, examples=["Language-model fine-tuning and domain-adaptation research."])
    """What else could it be used for?"""
    risks: Text | None = Field(
        default=None, examples=["Negatives were down-sampled, so the set does not show the true prevalence."]
    )
    """Does its composition or collection affect future uses?"""
    avoid: Text | None = Field(default=None, examples=["Tuning or model selection.", "Reporting performance."])
    """Tasks it should not be used for."""


class Distribution(Node):
    how: Text = Field(
        examples=["Not distributed; held by the core laboratory.", "Public download from the authors' site."]
    )
    """How is it distributed (or not)?"""
    license: License | None = Field(default=None, examples=["CC-BY-4.0", "LicenseRef-Proprietary"])
    """Licence, as an SPDX expression."""
    restrictions: Text | None = Field(
        default=None, examples=["Health data: internal use under the data-sharing agreement only."]
    )
    """IP, export or other restrictions."""


class Maintenance(Node):
    owner: Text = Field(examples=["Reelview data science team"])
    """Who maintains it."""
    contact: Text | None = Field(default=None, examples=["ds-team@reelview.example.org"])
    """How to contact the maintainer."""
    updates: Text | None = Field(
        default=None, examples=["Refreshed quarterly by the data platform team.", "None planned."]
    )
    """Will it be updated, how often, by whom?"""
    retention: Text | None = Field(default=None, examples=["Deleted 3 years after creation.", "90 days."])
    """How long the data is kept, and any limits on keeping it."""
    versioning: Text | None = Field(default=None, examples=["Dated snapshots in the data lake.", "Experiment id."])
    """How versions are kept."""
    errata: Text | None = Field(
        default=None, examples=["None published by the authors.", "12 mislabelled studies corrected in 2023.3."]
    )
    """Known errata and where they are published."""


class Dataset(Node):
    id: Identifier = Field(examples=["internal-test", "imdb-train"])
    """Identifier used by results and cross-references."""
    name: Text = Field(examples=["Development archive, training partition"])
    """Name of the dataset shown in the documents."""
    role: str = Field(pattern=r"^(train|tune|test|external|monitoring|corpus)$", examples=["train", "test", "external"])
    """Role: train, tune, test, external, monitoring, or corpus (knowledge base a retriever searches)."""
    version: Text | None = Field(default=None, examples=["cxr-dev-2023.2", "aclImdb_v1 (2011), test split"])
    """Dataset version or snapshot id."""
    motivation: Motivation
    """Why the dataset was created, by whom, and who paid for it (Gebru: motivation)."""
    composition: Composition
    """What the dataset holds: instances, counts, labels, subpopulations (Gebru: composition)."""
    collection: Collection
    """Gebru: collection process."""
    preprocessing: Preprocessing
    """Gebru: preprocessing, cleaning and labelling."""
    uses: Uses | None = None
    """What the dataset has been and may be used for, and what to avoid (Gebru: uses)."""
    distribution: Distribution
    """How the dataset is distributed and under which licence (Gebru: distribution)."""
    maintenance: Maintenance
    """Who maintains the dataset and how it is updated (Gebru: maintenance)."""
    reference_standard: ReferenceStandard | None = None
    """Ground truth (FDA VIII, Appendix E); required for test data of medical devices."""
    independence: Text | None = Field(
        default=None, examples=["Different hospitals and a later period than every training study."]
    )
    """How independence from the training data is ensured (FDA XIII)."""
    relevance: Text | None = Field(
        default=None, examples=["Same scanners and patient mix as the sites the device is sold to."]
    )
    """Relevance to the deployed setting (HTI-1 attribute 14)."""
    gaps: list[Text] = Field(
        default_factory=list, examples=[["Few patients under 25.", "One week only; holiday periods are not covered."]]
    )
    """Known gaps in data characterisation (FDA Appendix E)."""
