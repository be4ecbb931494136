"""End-to-end example of the Neptune reader: train, log an offline Neptune run, document with fact references, resolve.

    python examples/neptune/run.py [--workdir DIR] [--content DIR] [--build [--no-pdf]]

1. trains the logistic regression of examples/mlflow/run.py (scikit-learn's diabetes data, the same split
   and seed);
2. logs it with the `neptune` client in offline mode into the model folder's `.neptune/` (no account, no
   token, no network): the parameters, the cross-validation AUROC of each fold as a float series with
   steps, the summary metrics and counts as single values, and tags;
3. writes a model source folder whose numbers are neptune:// fact references into that run, then runs
   `docs-compile resolve` (and `docs-compile build` with --build).

The model folder goes to WORKDIR/content/diabetes-progression (a new temporary folder by default);
`--content content` adds it to the repository's catalog instead. Nothing else is written.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

MODEL_ID = "diabetes-progression"
PROJECT = "docs-compile/diabetes-progression"
TEMPLATE = Path(__file__).with_name("model.yaml")


def mlflow_example() -> ModuleType:
    """examples/mlflow/run.py as a module: its training and its way of running docs-compile are shared."""
    spec = importlib.util.spec_from_file_location("mlflow_example", Path(__file__).parents[1] / "mlflow" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def log_to_neptune(folder: Path, result: dict[str, Any]) -> dict[str, str]:
    """Log the run offline into `<folder>/.neptune`; its id (the container id the client gave it)."""
    import neptune

    metrics = result["metrics"]
    os.environ["NEPTUNE_MODE"] = "offline"
    with contextlib.chdir(folder):  # the client writes `.neptune/` into the working folder
        run = neptune.init_run(
            project=PROJECT,
            mode="offline",
            name="logreg-baseline",
            tags=["logreg", "baseline"],
            capture_hardware_metrics=False,
            capture_stdout=False,
            capture_stderr=False,
            capture_traceback=False,
            git_ref=False,
            source_files=[],
        )
        run["parameters"] = result["params"]
        for step, value in enumerate(result["cv"]):
            run["cv/fold_auroc"].append(value, step=step)
        run["cv/n_folds"] = len(result["cv"])
        run["cv/auroc"] = metrics["cv/auroc"]
        run["cv/auroc_sd"] = metrics["cv/auroc_sd"]
        for key in ("auroc", "accuracy", "f1"):
            run[f"test/{key}"] = metrics[f"test/{key}"]
        run["data/n_train"] = int(metrics["n_train"])
        run["data/n_test"] = int(metrics["n_test"])
        run["data/description"] = "sklearn.datasets.load_diabetes, target > median"
        run.stop()
    (metadata,) = (folder / ".neptune").glob("offline/run__*/metadata.json")
    return {"RUN_ID": str(json.loads(metadata.read_text(encoding="utf-8"))["containerId"])}


def write_source(folder: Path, values: dict[str, str]) -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"__{key}__", value)
    yaml.safe_load(text)  # the template must stay plain YAML
    (folder / "model.yaml").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workdir", type=Path, help="where to write content/ and build/ (default: a new temporary folder)"
    )
    parser.add_argument(
        "--content", type=Path, help="content folder to add the model to (e.g. the repository's content)"
    )
    parser.add_argument("--build", action="store_true", help="also run `docs-compile build` on the model")
    parser.add_argument("--no-pdf", action="store_true", help="with --build: build the site only, no PDFs")
    args = parser.parse_args(argv)
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="docs-compile-neptune-"))).resolve()
    content = (args.content or workdir / "content").resolve()
    folder = content / MODEL_ID
    if folder.exists():
        print(f"error: {folder} already exists; pick another --workdir or remove it", file=sys.stderr)
        return 2
    folder.mkdir(parents=True)
    shared = mlflow_example()
    result = shared.train()
    values = log_to_neptune(folder, result)
    write_source(folder, values)
    print(f"logged offline Neptune run {values['RUN_ID']} into {folder / '.neptune'}")
    code = shared.docs_compile("resolve", "--content", str(content), "--model", MODEL_ID, cwd=workdir)
    if code == 0 and args.build:
        repo = Path(__file__).resolve().parents[2]
        out = str(workdir / "build")
        options = ["--content", str(content), "--audiences", str(repo / "audiences"), "--out", out]
        options += ["--no-pdf"] if args.no_pdf else []
        code = shared.docs_compile("build", *options, "--model", MODEL_ID, cwd=repo)
    print(f"model folder: {folder}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
