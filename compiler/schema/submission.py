"""Source schema: what the cover of a regulatory submission names — the manufacturer, the submission, the
device's authorisation in each jurisdiction, and who signs the document."""

from __future__ import annotations

from pydantic import Field

from compiler.schema.base import Date, Email, Node, Text, Url


class Manufacturer(Node):
    name: Text = Field(examples=["Harbourview Medical Imaging, Inc."])
    """Legal name of the manufacturer (the provider, under the EU AI Act); the PDFs' Author."""
    address: Text = Field(examples=["400 Harbour Street, Suite 1200, Boston, MA 02110, United States"])
    """Registered place of business."""
    email: Email | None = Field(default=None, examples=["regulatory@harbourview.example.org"])
    """Contact e-mail address for the authorities."""
    phone: Text | None = Field(default=None, examples=["+1 617 555 0100"])
    """Contact telephone number."""
    url: Url | None = Field(default=None, examples=["https://harbourview.example.org"])
    """The manufacturer's web site."""
    registrations: dict[Text, Text] = Field(
        default_factory=dict,
        examples=[{"FDA establishment registration": "3012345678", "EU SRN": "US-MF-000012345"}],
    )
    """Registration numbers by register, e.g. FDA establishment registration, EU single registration number."""


class Submission(Node):
    type: Text = Field(examples=["Traditional 510(k)", "EU MDR technical documentation (Annexes II and III)"])
    """Kind of submission, e.g. 'Traditional 510(k)', 'De Novo request', 'EU MDR technical documentation'."""
    to: Text | None = Field(default=None, examples=["FDA CDRH", "Notified body 0123"])
    """Authority or notified body the document is submitted to."""
    identifier: Text | None = Field(default=None, examples=["K250000", "Q-sub Q250123"])
    """Submission or file number, when assigned."""
    date: Date | None = Field(default=None, examples=["2025-01-15"])
    """Date of submission."""


class Authorisation(Node):
    jurisdiction: Text = Field(examples=["United States", "European Union"])
    """Where the authorisation holds."""
    status: Text = Field(examples=["510(k) cleared", "CE marked", "submitted, under review", "not authorised"])
    """Its status there, in words a clinician understands."""
    identifier: Text | None = Field(default=None, examples=["K250000", "CE certificate 0123-MDR-4567"])
    """The authorisation's own number (clearance, certificate, registration)."""
    device_class: Text | None = Field(default=None, examples=["Class II", "Class IIa (Annex VIII, Rule 11)"])
    """Device class there."""
    product_code: Text | None = Field(default=None, examples=["QFM"])
    """Product code (FDA), when there is one."""
    regulation: Text | None = Field(default=None, examples=["21 CFR 892.2080", "Regulation (EU) 2017/745"])
    """The regulation it is classified under."""
    date: Date | None = Field(default=None, examples=["2025-03-14"])
    """Date of the decision."""


class Signatory(Node):
    name: Text = Field(examples=["Morgan Ellis (fictional)"])
    """Person who signs the document."""
    role: Text = Field(examples=["Head of regulatory affairs", "Person responsible for regulatory compliance"])
    """Their role or title."""
    responsibility: Text = Field(default="Approved", examples=["Prepared", "Reviewed", "Approved"])
    """What their signature attests: prepared, reviewed or approved."""
