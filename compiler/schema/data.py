"""Source schema: datasets, one datasheet each (Gebru et al.), with their role in development."""

from __future__ import annotations

from pydantic import Field

from compiler.schema.base import Count, Identifier, License, Markdown, Node, Number, Text


class Motivation(Node):
    purpose: Markdown
    """For what purpose was the dataset created?"""
    creators: Text
    """Who created it, on behalf of whom?"""
    funding: Text | None = None
    """Who funded its creation?"""


class Share(Node):
    level: Text
    """Level of the characteristic, e.g. 'female', '65+', 'Siemens'."""
    count: Count | None = None
    """Number of instances."""
    fraction: Number | None = None
    """Share of instances, between 0 and 1."""


class Composition(Node):
    instances: Markdown
    """What do the instances represent?"""
    count: Count
    """How many instances are there?"""
    sampling: Text | None = None
    """Is it a sample of a larger set? How was it sampled?"""
    labels: Text | None = None
    """Is there a label or target for each instance?"""
    missing: Text | None = None
    """Is any information missing from instances?"""
    splits: Text | None = None
    """Recommended splits."""
    noise: Text | None = None
    """Errors, noise or redundancies."""
    sensitive: Text | None = None
    """Does it contain confidential or sensitive data?"""
    subpopulations: dict[str, list[Share]] = Field(default_factory=dict)
    """Distribution per characteristic (demographics, equipment, site), keyed by factor id."""
    inclusion_exclusion: Text | None = None
    """Inclusion and exclusion criteria (HTI-1 attribute 11)."""
    disease_spectrum: Text | None = None
    """Spectrum of disease severity, for clinical data."""


class Collection(Node):
    method: Markdown
    """How was the data acquired?"""
    sources: list[Text] = Field(default_factory=list)
    """Sources (institutions, systems, public datasets)."""
    sites: list[Text] = Field(default_factory=list)
    """Collection sites (FDA VIII: external sites)."""
    timeframe: Text | None = None
    """Over what timeframe?"""
    collectors: Text | None = None
    """Who collected it and how were they paid?"""
    ethics_review: Text | None = None
    """Ethical review process."""
    consent: Text | None = None
    """Were people notified, did they consent, can they revoke it?"""
    synthetic: bool = False
    """Whether any part is synthetic (FDA VIII)."""


class ReferenceStandard(Node):
    method: Text
    """How ground truth was established."""
    readers: Text | None = None
    """Number and qualification of readers."""
    adjudication: Text | None = None
    """How disagreements were resolved."""
    blinding: Text | None = None
    """Blinding of readers."""
    variability: Text | None = None
    """Inter-reader variability or label uncertainty."""


class Preprocessing(Node):
    steps: Markdown
    """Cleaning, labelling and preprocessing steps."""
    raw_kept: bool | None = None
    """Is the raw data kept?"""
    software: Text | None = None
    """Software used for preprocessing."""
    annotation: Text | None = None
    """Annotation process: experts, instructions, quality assurance."""


class Uses(Node):
    prior: Text | None = None
    """Has it been used already?"""
    other: Text | None = None
    """What else could it be used for?"""
    risks: Text | None = None
    """Does its composition or collection affect future uses?"""
    avoid: Text | None = None
    """Tasks it should not be used for."""


class Distribution(Node):
    how: Text
    """How is it distributed (or not)?"""
    license: License | None = None
    """Licence, as an SPDX expression."""
    restrictions: Text | None = None
    """IP, export or other restrictions."""


class Maintenance(Node):
    owner: Text
    """Who maintains it."""
    contact: Text | None = None
    """How to contact the maintainer."""
    updates: Text | None = None
    """Will it be updated, how often, by whom?"""
    retention: Text | None = None
    """Retention limits."""
    versioning: Text | None = None
    """How versions are kept."""
    errata: Text | None = None
    """Known errata."""


class Dataset(Node):
    id: Identifier
    """Identifier used by results and cross-references."""
    name: Text
    """Display name."""
    role: str = Field(pattern=r"^(train|tune|test|external|monitoring|corpus)$")
    """Role: train, tune, test, external, monitoring, or corpus (knowledge base a retriever searches)."""
    version: Text | None = None
    """Dataset version or snapshot id."""
    motivation: Motivation
    """Gebru: motivation."""
    composition: Composition
    """Gebru: composition."""
    collection: Collection
    """Gebru: collection process."""
    preprocessing: Preprocessing
    """Gebru: preprocessing, cleaning and labelling."""
    uses: Uses | None = None
    """Gebru: uses."""
    distribution: Distribution
    """Gebru: distribution."""
    maintenance: Maintenance
    """Gebru: maintenance."""
    reference_standard: ReferenceStandard | None = None
    """Ground truth (FDA VIII, Appendix E); required for test data of medical devices."""
    independence: Text | None = None
    """How independence from the training data is ensured (FDA XIII)."""
    relevance: Text | None = None
    """Relevance to the deployed setting (HTI-1 attribute 14)."""
    gaps: list[Text] = Field(default_factory=list)
    """Known gaps in data characterisation (FDA Appendix E)."""
