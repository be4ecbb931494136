"""Source schema: the model's identity, its intended use and the factors it is evaluated on."""

from __future__ import annotations

from pydantic import Field

from compiler.schema.base import (
    Date,
    DecisionRole,
    Domain,
    Email,
    Identifier,
    License,
    Markdown,
    Node,
    RiskClass,
    Text,
    Url,
    Version,
)


class Contact(Node):
    name: Text
    """Person or team to contact."""
    email: Email | None = None
    """Contact e-mail address."""
    url: Url | None = None
    """Contact or support page."""
    address: Text | None = None
    """Postal address (EU AI Act Art 13(3)(a): provider identity and contact)."""


class Developer(Node):
    name: Text
    """Organisation or person that developed the model."""
    role: Text | None = None
    """Role in development, e.g. manufacturer, provider, data partner."""
    contact: Contact | None = None
    """How to reach them."""


class Regulatory(Node):
    status: Text
    """Authorisation status, e.g. 'FDA 510(k) cleared', 'CE marked (MDR class IIa)', 'not a medical device'."""
    file_number: Text | None = None
    """Submission or file number, e.g. K241234."""
    device_class: Text | None = None
    """Device classification, e.g. 'Class II', 'MDR IIa'."""
    udi: Text | None = None
    """Unique device identifier, when one is assigned."""
    authorised_representative: Text | None = None
    """EU authorised representative (EU AI Act Art 22), when the provider is outside the EU."""
    conformity_declaration: Text | None = None
    """Reference to the EU declaration of conformity (Annex IV item 8, Art 47)."""


class Standard(Node):
    id: Text
    """Standard identifier, e.g. 'ISO 14971:2019'."""
    title: Text | None = None
    """Title of the standard."""
    scope: Text | None = None
    """What part of the system the standard was applied to, or the alternative solution used (Annex IV item 7)."""


class ModelInfo(Node):
    id: Identifier
    """Identifier of the model in the catalog; must match the folder name under content/."""
    name: Text
    """Human-readable name."""
    version: Version
    """Released version of the model (may reference the model registry)."""
    release_date: Date
    """Date of this release; also fixes the documents' dates so rebuilds are reproducible."""
    status: str = Field(default="released", pattern=r"^(draft|in-review|released|retired)$")
    """Lifecycle status of this documentation: draft, in-review, released or retired."""
    type: Text
    """Model type, e.g. 'convolutional neural network', 'logistic regression', 'retrieval-augmented LLM'."""
    summary: Markdown
    """One-paragraph technical summary of what the model does."""
    domain: Domain
    """Application domain; 'health' switches on the medical-device requirements."""
    risk_class: RiskClass
    """Risk class in the EU AI Act sense: minimal, limited, high or unacceptable."""
    medical_device: bool = False
    """Whether the model is (part of) a medical device (FDA, MDR): decides which requirements apply."""
    developers: list[Developer] = Field(min_length=1)
    """Who developed the model (Mitchell §1, HTI-1 attribute 1)."""
    owner: Text
    """Team accountable for the model in production."""
    contact: Contact
    """Where questions and incident reports go."""
    license: License
    """Licence of the model, as an SPDX expression."""
    funding: Markdown | None = None
    """Funding sources (HTI-1 attribute 2, Gebru motivation, CHAI transparency)."""
    third_parties: list[Text] = Field(default_factory=list)
    """Third parties involved in development or operation (CHAI transparency)."""
    stakeholders_consulted: list[Text] = Field(default_factory=list)
    """Stakeholders consulted during design (CHAI transparency)."""
    citation: Text | None = None
    """How to cite the model (BibTeX or plain text)."""
    papers: list[Url] = Field(default_factory=list)
    """Papers or reports describing the model."""
    keywords: list[Text] = Field(default_factory=list)
    """Keywords for search and the CHAI model summary."""
    languages: list[str] = Field(default_factory=list)
    """Languages the model handles, as BCP 47 tags (e.g. en, en-GB)."""
    regulatory: Regulatory | None = None
    """Regulatory status; required for medical devices."""
    standards: list[Standard] = Field(default_factory=list)
    """Standards and common specifications applied (Annex IV item 7)."""
    illustrative: bool = False
    """True when the numbers in this source are illustrative and not measured; every view says so."""
    data_notice: Text | None = None
    """A notice shown at the top of every view about where the numbers come from (e.g. synthetic data)."""


class User(Node):
    role: Text
    """Who uses the output, e.g. 'radiologist', 'support agent'."""
    qualification: Text | None = None
    """Qualification expected of the user."""
    training: Text | None = None
    """Training the user needs before use."""


class Workflow(Node):
    phase: Text
    """Where in the workflow the model is used, e.g. 'worklist prioritisation before the first read'."""
    decision_role: DecisionRole
    """Whether the output informs, augments or replaces a human decision (HTI-1 attribute 8)."""
    automation: Text | None = None
    """What is automated compared with the standard of care (FDA V)."""
    output_use: Text | None = None
    """How the output is used to make a decision."""


class IntendedUse(Node):
    purpose: Markdown
    """Intended purpose (Mitchell §2, Annex IV 1(a), HTI-1 attribute 5)."""
    indications: Markdown | None = None
    """Indications for use: condition, population and setting (medical devices)."""
    population: Markdown | None = None
    """Population the model is intended for (HTI-1 attribute 6)."""
    users: list[User] = Field(min_length=1)
    """Intended users (Mitchell §2, FDA V)."""
    environment: Text | None = None
    """Use environment, e.g. 'hospital radiology department', 'web shop front end'."""
    workflow: Workflow | None = None
    """Role in the clinical or business workflow."""
    instructions: Markdown | None = None
    """Instructions for use, in brief (Annex IV 1(h), FDA Appendix E)."""
    benefits: list[Text] = Field(default_factory=list)
    """Expected benefits."""
    out_of_scope: list[Text] = Field(min_length=1)
    """Uses that are out of scope (Mitchell §2, HTI-1 attribute 9)."""
    contraindications: list[Text] = Field(default_factory=list)
    """Situations in which the model must not be used (medical devices)."""
    foreseeable_misuse: list[Text] = Field(default_factory=list)
    """Reasonably foreseeable misuse (Art 13(3)(b)(iii))."""


class Factor(Node):
    id: Identifier
    """Identifier used by results (e.g. sex, age_band, site)."""
    name: Text
    """Display name."""
    kind: str = Field(default="other", pattern=r"^(demographic|equipment|environment|clinical|behavioural|other)$")
    """demographic, equipment, environment, clinical, behavioural or other."""
    levels: list[Text] = Field(min_length=1)
    """Levels of the factor that results are reported for."""
    rationale: Text | None = None
    """Why this factor is relevant."""
    used_as_input: bool = False
    """Whether the factor is an input of the model (HTI-1 attribute 12)."""
    justification: dict[str, Text] = Field(default_factory=dict)
    """Per level: why no result is reported for it (check accepts a written justification)."""


class Factors(Node):
    relevant: list[Factor] = Field(default_factory=list)
    """Factors known to influence performance (Mitchell §3)."""
    evaluation: list[Identifier] = Field(default_factory=list)
    """Ids of the factors that results are reported for."""
    notes: Markdown | None = None
    """Why other factors were not evaluated."""


__all__ = [
    "Contact",
    "Developer",
    "Factor",
    "Factors",
    "IntendedUse",
    "ModelInfo",
    "Regulatory",
    "Standard",
    "User",
    "Workflow",
]
