"""Resolve stage: which reader handles which reference scheme.

Readers are imported only when a reference of their scheme is resolved, so that a build (which
reads only the lock) never imports MLflow or NumPy-heavy code it does not need.
"""

from __future__ import annotations

import importlib

from compiler.resolve.readers.base import ModelContext, Reader
from compiler.resolve.refs import FactError

# scheme -> (module under compiler.resolve.readers, class name)
READERS: dict[str, tuple[str, str]] = {
    "mlflow": ("mlflow", "MlflowReader"),
    "file": ("files", "FileReader"),
    "computed": ("predictions", "PredictionsReader"),
    "wandb": ("wandb", "WandbReader"),
    "sagemaker": ("sagemaker", "SagemakerReader"),
    "neptune": ("neptune", "NeptuneReader"),
}


class Readers:
    """One reader per scheme for one model, created on first use and closed together."""

    def __init__(self, context: ModelContext) -> None:
        self.context = context
        self.open: dict[str, Reader] = {}

    def get(self, scheme: str) -> Reader:
        if scheme not in self.open:
            if scheme not in READERS:
                raise FactError(
                    f"no reader for {scheme}:// references in this version of docs-compile",
                    f"supported: {', '.join(f'{s}://' for s in READERS)}; export the values to a JSON file and use file://",
                )
            module_name, class_name = READERS[scheme]
            module = importlib.import_module(f"{__package__}.{module_name}")
            self.open[scheme] = getattr(module, class_name)(self.context)
        return self.open[scheme]

    def close(self) -> None:
        for reader in self.open.values():
            reader.close()
