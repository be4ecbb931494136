"""Export stage: one validated source written in another tool's format (JSON, Hugging Face, CycloneDX, CHAI).

Each format is a module with `write(source, collector) -> str`, the file name it uses, and `MAPPING`, the
source fields it carries (with where they go). Whatever the source holds outside `MAPPING` is reported as
a loss, so a reader of the export knows what it does not say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from compiler.errors import UsageError
from compiler.interop.losses import Collector, Loss, sort_losses, uncarried
from compiler.schema import Source

FORMATS: tuple[str, ...] = ("json", "hf", "cyclonedx", "chai")

# format -> (module, human name of the target)
_MODULES: dict[str, tuple[str, str]] = {
    "json": ("json_export", "the canonical JSON"),
    "hf": ("hf", "a Hugging Face model card"),
    "cyclonedx": ("cyclonedx", "a CycloneDX 1.6 ML-BOM"),
    "chai": ("chai", "a CHAI applied model card v0.2"),
}


@dataclass
class Export:
    """The exported text, the file name it is written under, and what it leaves out."""

    format: str
    text: str
    filename: str
    losses: list[Loss] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {"format": self.format, "filename": self.filename, "losses": [loss.as_dict() for loss in self.losses]}


def applicable(source: Source) -> tuple[str, ...]:
    """Formats that apply to this model: CHAI cards are for health models only."""
    return tuple(f for f in FORMATS if f != "chai" or source.model.domain == "health")


def export(source: Source, fmt: str) -> Export:
    """Write the source in FORMAT; pure: nothing is read or written."""
    if fmt not in _MODULES:
        raise UsageError(f"unknown export format '{fmt}'; formats: {', '.join(FORMATS)}")
    if fmt not in applicable(source):
        raise UsageError.at(
            source.model.id,
            f"the CHAI applied model card is for health models; this model's domain is '{source.model.domain}'",
            field="model.domain",
            hint=f"export one of {', '.join(applicable(source))}",
        )
    module_name, target = _MODULES[fmt]
    module = import_module(f"{__name__}.{module_name}")
    collector = Collector(target)
    writer: Callable[[Source, Collector], str] = module.write
    text = writer(source, collector)
    carried = [source_field for source_field, _ in module.MAPPING]
    losses = sort_losses([*collector.losses, *uncarried(source, carried, target)])
    return Export(fmt, text, module.filename(source), losses)


def mapping(fmt: str) -> tuple[tuple[str, str], ...]:
    """(source field, target field) rows of a format, for the reference documentation."""
    module = import_module(f"{__name__}.{_MODULES[fmt][0]}")
    rows: tuple[tuple[str, str], ...] = module.MAPPING
    return rows


__all__ = ["FORMATS", "Export", "Loss", "applicable", "export", "mapping"]
