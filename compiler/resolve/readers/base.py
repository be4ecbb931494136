"""Resolve stage: the reader interface — one implementation per kind of evidence source.

A reader turns references of its scheme into facts (a value plus its provenance). To add a kind
(e.g. Weights & Biases), subclass `Reader`, set `scheme` and `kinds`, and register it in `registry.py`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from compiler.resolve.refs import FactError, Reference
from compiler.resolve.trackers import CallLimits
from compiler.schema import Source
from compiler.schema.governance import (
    FileSource,
    MlflowSource,
    NeptuneSource,
    PredictionsSource,
    SagemakerSource,
    TimeseriesSource,
    WandbSource,
)

EvidenceSource = (
    MlflowSource | WandbSource | SagemakerSource | NeptuneSource | FileSource | PredictionsSource | TimeseriesSource
)


@dataclass(frozen=True)
class Fact:
    """A resolved value and where it came from (JSON-ready, sorted when written)."""

    value: Any
    provenance: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, **self.provenance}


@dataclass
class ModelContext:
    """What a reader may use: the model's folder, its typed source and its declared evidence sources.

    `trackers` are the servers the trusted configuration lets receive the environment's credentials;
    `limits` bound every call to a server (deadline and retries).
    """

    model_id: str
    folder: Path
    source: Source
    resolved: dict[str, Fact] = field(default_factory=dict)
    trackers: tuple[str, ...] = ()
    limits: CallLimits = field(default_factory=CallLimits)

    @property
    def sources(self) -> dict[str, EvidenceSource]:
        return {s.id: s for s in self.source.evidence.sources}

    def pick(self, ref: Reference, kind: str) -> EvidenceSource:
        """The declared source a reference uses: named by '<id>@', or the only source of its kind."""
        sources = self.sources
        if ref.source is not None:
            chosen = sources.get(ref.source)
            if chosen is None:
                raise FactError(f"no evidence source '{ref.source}'", _declared(sources, kind))
            if chosen.kind != kind:
                raise FactError(
                    f"evidence source '{ref.source}' is a {chosen.kind} source, not {kind}", _declared(sources, kind)
                )
            return chosen
        of_kind = [s for s in sources.values() if s.kind == kind]
        if len(of_kind) == 1:
            return of_kind[0]
        if not of_kind:
            raise FactError(f"no {kind} source is declared", f"add one under evidence.sources with `kind: {kind}`")
        names = ", ".join(s.id for s in of_kind)
        raise FactError(
            f"{len(of_kind)} {kind} sources are declared ({names}); the reference must name one",
            f"write {ref.scheme}://{of_kind[0].id}@{ref.body}",
        )


def _declared(sources: dict[str, EvidenceSource], kind: str) -> str:
    ids = [s.id for s in sources.values() if s.kind == kind]
    return (
        f"{kind} sources declared: {', '.join(ids)}"
        if ids
        else f"declare one under evidence.sources with `kind: {kind}`"
    )


class Reader(ABC):
    """Resolves the references of one scheme for one model."""

    scheme: ClassVar[str]

    def __init__(self, context: ModelContext) -> None:
        self.context = context

    @abstractmethod
    def resolve(self, ref: Reference) -> Fact:
        """The fact a reference names; raise FactError with a hint when it cannot be resolved."""

    def audit(self, facts: dict[str, dict[str, Any]]) -> list[str]:
        """Staleness findings for locked facts of this scheme (sources changed since the lock)."""
        return []

    def reader_version(self) -> str:
        """Version string recorded in the lock (the reader's and its library's)."""
        from compiler import __version__

        return f"docs-compile {__version__}"

    def close(self) -> None:  # noqa: B027 - optional hook, most readers hold nothing to release
        """Release clients and temporary files."""
