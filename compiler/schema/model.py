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
from compiler.schema.submission import Authorisation, Manufacturer, Signatory, Submission


class Contact(Node):
    name: Text = Field(examples=["Regulatory affairs", "Recommendations team"])
    """Person or team to contact."""
    email: Email | None = Field(default=None, examples=["support@harbourview.example.org"])
    """Contact e-mail address."""
    url: Url | None = Field(default=None, examples=["https://harbourview.example.org/support"])
    """Contact or support page."""
    address: Text | None = Field(default=None, examples=["400 Harbour Street, Boston, MA 02110, United States"])
    """Postal address (EU AI Act Art 13(3)(a): provider identity and contact)."""


class Developer(Node):
    name: Text = Field(examples=["Harbourview Medical Imaging, Inc."])
    """Organisation or person that developed the model."""
    role: Text | None = Field(default=None, examples=["manufacturer and provider", "data partner"])
    """Role in development, e.g. manufacturer, provider, data partner."""
    contact: Contact | None = None
    """How to reach them."""


class Regulatory(Node):
    status: Text = Field(examples=["FDA 510(k) cleared; CE marked under the EU MDR", "not a medical device"])
    """Authorisation status, e.g. 'FDA 510(k) cleared', 'CE marked (MDR class IIa)', 'not a medical device'."""
    file_number: Text | None = Field(default=None, examples=["K241234"])
    """Submission or file number, e.g. K241234."""
    device_class: Text | None = Field(default=None, examples=["Class II", "MDR class IIa"])
    """Device classification, e.g. 'Class II', 'MDR IIa'."""
    udi: Text | None = Field(default=None, examples=["(01)00850012345678(10)2.1.0"])
    """Unique device identifier, when one is assigned."""
    authorised_representative: Text | None = Field(default=None, examples=["Lindqvist MedReg GmbH, Hamburg, Germany"])
    """EU authorised representative (EU AI Act Art 22), when the provider is outside the EU."""
    conformity_declaration: Text | None = Field(
        default=None, examples=["EU declaration of conformity HMI-DoC-PTX-2025-02"]
    )
    """Reference to the EU declaration of conformity (Annex IV item 8, Art 47)."""
    manufacturer: Manufacturer | None = None
    """The manufacturer as the cover and the PDFs' Author name it; else the first developer whose role says
    'manufacturer'."""
    submission: Submission | None = None
    """The submission this documentation accompanies (cover of the regulatory view)."""
    authorisations: list[Authorisation] = Field(default_factory=list)
    """Status in each jurisdiction, with its own identifier (cover, clinician summary)."""
    signatories: list[Signatory] = Field(default_factory=list)
    """Who signs the regulatory view (its signature block)."""


class Standard(Node):
    id: Text = Field(examples=["ISO 14971:2019", "IEC 62304:2006+A1:2015"])
    """Standard identifier, e.g. 'ISO 14971:2019'."""
    title: Text | None = Field(
        default=None, examples=["Medical devices — Application of risk management to medical devices"]
    )
    """Title of the standard."""
    scope: Text | None = Field(default=None, examples=["Software development and maintenance; software safety class B"])
    """What part of the system the standard was applied to, or the alternative solution used (Annex IV item 7)."""


class ModelInfo(Node):
    id: Identifier = Field(examples=["chest-xray-triage", "review-sentiment"])
    """Identifier of the model in the catalog; must match the folder name under content/."""
    name: Text = Field(examples=["PneumoTriage CXR", "Reelview review sentiment classifier"])
    """Human-readable name of the model, shown in titles."""
    version: Version = Field(examples=["2.1.0", "3.0.0-rc.1", "mlflow://models/diabetes-progression/@champion"])
    """Released version of the model (may reference the model registry)."""
    release_date: Date | None = Field(default=None, examples=["2025-03-31"])
    """Date of this release; also fixes the documents' dates so rebuilds are reproducible. Absent while the model
    is not released (status draft or in-review): documents print "not released"."""
    status: str = Field(
        default="released", pattern=r"^(draft|in-review|released|retired)$", examples=["released", "draft"]
    )
    """Lifecycle status of this documentation: draft, in-review, released or retired."""
    type: Text = Field(examples=["convolutional neural network", "logistic regression", "retrieval-augmented LLM"])
    """Model type, e.g. 'convolutional neural network', 'logistic regression', 'retrieval-augmented LLM'."""
    summary: Markdown = Field(examples=["Classifies English film reviews as **positive** or **negative**."])
    """One-paragraph technical summary of what the model does."""
    domain: Domain = Field(examples=["health", "consumer"])
    """Application domain; 'health' switches on the medical-device requirements."""
    risk_class: RiskClass = Field(examples=["high", "minimal"])
    """Risk class in the EU AI Act sense: minimal, limited, high or unacceptable."""
    medical_device: bool = Field(default=False, examples=[True])
    """Whether the model is (part of) a medical device (FDA, MDR): decides which requirements apply."""
    developers: list[Developer] = Field(min_length=1)
    """Who developed the model (Mitchell §1, HTI-1 attribute 1)."""
    owner: Text = Field(examples=["Clinical AI product team"])
    """Team accountable for the model in production."""
    contact: Contact
    """Where questions and incident reports go."""
    license: License = Field(examples=["LicenseRef-Proprietary", "Apache-2.0"])
    """Licence of the model, as an SPDX expression."""
    reimbursement: Text | None = Field(
        default=None, examples=["No specific reimbursement code; billed under existing radiology CPT codes."]
    )
    """Reimbursement status, e.g. a billing code or its absence (CHAI ReimbursementStatus)."""
    funding: Markdown | None = Field(default=None, examples=["Internal product budget of Marquee Media Ltd."])
    """Funding sources (HTI-1 attribute 2, Gebru motivation, CHAI transparency)."""
    third_parties: list[Text] = Field(
        default_factory=list, examples=[["Google Cloud (hosting)", "Anthropic (LLM) through Amazon Bedrock"]]
    )
    """Third parties involved in development or operation (CHAI transparency)."""
    stakeholders_consulted: list[Text] = Field(
        default_factory=list, examples=[["Radiologists at the three development sites", "Patient advisory panel"]]
    )
    """Stakeholders consulted during design (CHAI transparency)."""
    citation: Text | None = Field(
        default=None, examples=["Harbourview Medical Imaging. PneumoTriage CXR 2.1.0: model card. 2025."]
    )
    """How to cite the model (BibTeX or plain text)."""
    papers: list[Url] = Field(default_factory=list, examples=[["https://aclanthology.org/P11-1015/"]])
    """Papers or reports describing the model."""
    keywords: list[Text] = Field(default_factory=list, examples=[["pneumothorax", "chest radiograph", "triage"]])
    """Keywords for search and the CHAI model summary."""
    languages: list[str] = Field(default_factory=list, examples=[["en"], ["en", "de", "fr"]])
    """Languages the model handles, as BCP 47 tags (e.g. en, en-GB)."""
    regulatory: Regulatory | None = None
    """Regulatory status; required for medical devices."""
    standards: list[Standard] = Field(default_factory=list)
    """Standards and common specifications applied (Annex IV item 7)."""
    illustrative: bool = Field(default=False, examples=[True])
    """True when the numbers in this source are illustrative and not measured; every view says so."""
    data_notice: Text | None = Field(
        default=None, examples=["Demonstration example: every number in it comes from synthetic data."]
    )
    """A notice shown at the top of every view about where the numbers come from (e.g. synthetic data)."""


class User(Node):
    role: Text = Field(examples=["radiologist", "support agent"])
    """Who uses the output, e.g. 'radiologist', 'support agent'."""
    qualification: Text | None = Field(
        default=None, examples=["Board-certified radiologist", "None; business users of the product"]
    )
    """Qualification expected of the user."""
    training: Text | None = Field(default=None, examples=["One-hour onboarding on the flag and its limits."])
    """Training the user needs before use."""


class Workflow(Node):
    phase: Text = Field(examples=["Worklist prioritisation before the radiologist's first read"])
    """Where in the workflow the model is used, e.g. 'worklist prioritisation before the first read'."""
    decision_role: DecisionRole = Field(examples=["informs", "augments"])
    """Whether the output informs, augments or replaces a human decision (HTI-1 attribute 8)."""
    automation: Text | None = Field(
        default=None, examples=["The worklist order changes automatically; the radiologist still reads every study."]
    )
    """What is automated compared with the standard of care (FDA V)."""
    output_use: Text | None = Field(
        default=None, examples=["A radiologist opens flagged studies first and makes the diagnosis."]
    )
    """How the output is used to make a decision."""


class IntendedUse(Node):
    purpose: Markdown = Field(
        examples=["Flag adult chest radiographs that may show a pneumothorax, so that they are read first."]
    )
    """Intended purpose (Mitchell §2, Annex IV 1(a), HTI-1 attribute 5)."""
    indications: Markdown | None = Field(
        default=None,
        examples=["Prioritisation of frontal chest radiographs of patients aged 18 or older in hospitals."],
    )
    """Indications for use: condition, population and setting (medical devices)."""
    population: Markdown | None = Field(
        default=None, examples=["Adults having a chest radiograph in hospital (emergency room, wards, intensive care)."]
    )
    """Population the model is intended for (HTI-1 attribute 6)."""
    users: list[User] = Field(min_length=1)
    """Intended users (Mitchell §2, FDA V)."""
    environment: Text | None = Field(default=None, examples=["Hospital radiology department", "Web shop front end"])
    """Use environment, e.g. 'hospital radiology department', 'web shop front end'."""
    workflow: Workflow | None = None
    """Role in the clinical or business workflow."""
    instructions: Markdown | None = Field(
        default=None, examples=["1. Route frontal chest radiographs to the gateway.\n2. Read flagged studies first.\n"]
    )
    """Instructions for use, in brief (Annex IV 1(h), FDA Appendix E)."""
    benefits: list[Text] = Field(
        default_factory=list, examples=[["Shorter time to treatment for patients with a pneumothorax"]]
    )
    """Expected benefits for users, patients or customers."""
    out_of_scope: list[Text] = Field(
        min_length=1, examples=[["Diagnosis without a radiologist's read", "Patients under 18"]]
    )
    """Uses that are out of scope (Mitchell §2, HTI-1 attribute 9)."""
    contraindications: list[Text] = Field(
        default_factory=list, examples=[["Do not use as the only means of detecting pneumothorax."]]
    )
    """Situations in which the model must not be used (medical devices)."""
    foreseeable_misuse: list[Text] = Field(
        default_factory=list, examples=[["Delaying the read of studies that are not flagged"]]
    )
    """Reasonably foreseeable misuse (Art 13(3)(b)(iii))."""


class Factor(Node):
    id: Identifier = Field(examples=["sex", "age_band", "site"])
    """Identifier used by results (e.g. sex, age_band, site)."""
    name: Text = Field(examples=["Sex", "Age band"])
    """Name of the factor shown in tables and headings."""
    kind: str = Field(
        default="other",
        pattern=r"^(demographic|equipment|environment|clinical|behavioural|other)$",
        examples=["demographic", "equipment"],
    )
    """demographic, equipment, environment, clinical, behavioural or other."""
    levels: list[Text] = Field(min_length=1, examples=[["female", "male"], ["18-39", "40-64", "65+"]])
    """Levels of the factor that results are reported for."""
    rationale: Text | None = Field(
        default=None, examples=["Body habitus and disease prevalence differ between the sexes."]
    )
    """Why this factor is relevant."""
    used_as_input: bool = Field(default=False, examples=[True])
    """Whether the factor is an input of the model (HTI-1 attribute 12)."""
    justification: dict[str, Text] = Field(
        default_factory=dict,
        examples=[{"non-English": "Out of scope: non-English reviews are filtered out before scoring."}],
    )
    """Per level: why no result is reported for it (check accepts a written justification)."""


class Factors(Node):
    relevant: list[Factor] = Field(default_factory=list)
    """Factors known to influence performance (Mitchell §3)."""
    evaluation: list[Identifier] = Field(default_factory=list, examples=[["sex", "age_band"]])
    """Ids of the factors that results are reported for."""
    notes: Markdown | None = Field(
        default=None, examples=["Ethnicity is not recorded by the sites and could not be evaluated."]
    )
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
