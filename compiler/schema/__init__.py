"""Source schema (validate stage): the pydantic model of one model's single source of truth."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from compiler.schema.base import FACT_REF_PATTERN, Node, is_fact_ref
from compiler.schema.data import Dataset
from compiler.schema.evaluation import Evaluation, Metric, Result
from compiler.schema.governance import Acceptance, EvidenceDecl, Lifecycle, Plain, Review, Risk
from compiler.schema.model import Factors, IntendedUse, ModelInfo
from compiler.schema.system import System

SCHEMA_ID = "https://docs-compile.dev/schema/source-1.json"


class Source(Node):
    """One model's single source of truth."""

    model: ModelInfo = Field(title="Model details")
    """Identity, ownership, licence and regulatory status of the model (Mitchell §1)."""
    intended_use: IntendedUse = Field(title="Intended use")
    """What the model is for, and for whom (Mitchell §2, FDA V, Art 13(3)(b)(i))."""
    factors: Factors = Field(default_factory=Factors, title="Relevant factors")
    """Factors relevant to performance and those evaluated (Mitchell §3)."""
    system: System = Field(title="System")
    """The system around the model: inputs, outputs, architecture, training, deployment, monitoring."""
    datasets: list[Dataset] = Field(min_length=1, title="Datasets")
    """A datasheet for every dataset used in development and evaluation (Gebru et al.)."""
    evaluation: Evaluation = Field(title="Evaluation")
    """Metrics, study design and results (Mitchell §4–7, FDA X)."""
    risk: Risk = Field(title="Risk management")
    """Risk management, limitations and ethics (Mitchell §8–9, ISO 14971, Annex IV 3 and 5)."""
    lifecycle: Lifecycle = Field(title="Lifecycle and change control")
    """Versions, change control and post-market monitoring (Annex IV 6 and 9)."""
    plain: Plain | None = Field(default=None, title="Plain-language summary")
    """Plain-language content for lay and clinical readers (Model Facts, FDA Appendix E)."""
    acceptance: Acceptance | None = Field(default=None, title="Acceptance criteria")
    """Declared acceptance thresholds."""
    reviews: list[Review] = Field(default_factory=list)
    """Section sign-offs, each with the sha256 of the section it approved."""
    evidence: EvidenceDecl = Field(default_factory=EvidenceDecl)
    """Where facts come from: trackers, evaluation files, predictions."""


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the source, for editors and other tools."""
    schema = Source.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "docs-compile model source",
        **schema,
    }


__all__ = [
    "FACT_REF_PATTERN",
    "SCHEMA_ID",
    "Dataset",
    "Metric",
    "Result",
    "Source",
    "is_fact_ref",
    "json_schema",
]
