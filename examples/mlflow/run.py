"""End-to-end example of the resolve stage: train, log to MLflow, document with fact references, resolve.

    python examples/mlflow/run.py [--workdir DIR] [--content DIR] [--build]

1. trains a logistic regression on scikit-learn's diabetes data (disease progression above the median
   = positive), with age band and sex as subgroups;
2. logs params, metrics (keys with '/'), a predictions artifact, an evaluation JSON and a registered
   model version with the alias `champion` into a fresh local sqlite MLflow store;
3. writes a model source folder whose numbers are fact references into that run (and metrics computed
   from the logged predictions), then runs `docs-compile resolve` (and `docs-compile build` with --build).

The model folder goes to WORKDIR/content/diabetes-progression (a new temporary folder by default);
`--content content` adds it to the repository's catalog instead. Nothing else is written.
"""

from __future__ import annotations

import argparse
import csv
import json
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

MODEL_ID = "diabetes-progression"
REGISTERED = "diabetes-progression"
SEED = 7
TEMPLATE = Path(__file__).with_name("model.yaml")


def age_band(age: float) -> str:
    return "under-40" if age < 40 else ("40-59" if age < 60 else "60-plus")


def train() -> dict[str, Any]:
    """Fit the classifier; return its parameters, metrics and held-out predictions."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
    from sklearn.model_selection import cross_val_score, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_diabetes(scaled=False, as_frame=True)
    frame = data.frame
    y = (frame["target"] > frame["target"].median()).astype(int)
    x = frame.drop(columns=["target"])
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=SEED, stratify=y)
    params = {"C": 1.0, "max_iter": 1000, "test_size": 0.3, "random_state": SEED}
    model = make_pipeline(StandardScaler(), LogisticRegression(C=params["C"], max_iter=params["max_iter"]))
    cv = cross_val_score(model, x_train, y_train, cv=5, scoring="roc_auc")
    model.fit(x_train, y_train)
    scores = model.predict_proba(x_test)[:, 1]
    predicted = scores >= 0.5
    rows = [
        {"label": int(label), "score": round(float(score), 6), "sex": str(int(sex)), "age_band": age_band(age)}
        for label, score, sex, age in zip(y_test, scores, x_test["sex"], x_test["age"], strict=True)
    ]
    metrics = {
        "cv/auroc": float(cv.mean()),
        "cv/auroc_sd": float(cv.std()),
        "test/auroc": float(roc_auc_score(y_test, scores)),
        "test/accuracy": float(accuracy_score(y_test, predicted)),
        "test/f1": float(f1_score(y_test, predicted)),
        "n_train": float(len(y_train)),
        "n_test": float(len(y_test)),
    }
    return {"params": params, "metrics": metrics, "rows": rows, "model": model, "cv": [float(v) for v in cv]}


def log_to_mlflow(folder: Path, result: dict[str, Any]) -> dict[str, str]:
    """Log the run into a fresh sqlite store inside the model folder; register version + alias."""
    from mlflow import MlflowClient

    store = folder / "mlflow"
    store.mkdir(parents=True)
    uri = f"sqlite:///{(store / 'mlflow.db').resolve()}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment(
        "diabetes-progression", artifact_location=(store / "artifacts").resolve().as_uri()
    )
    run = client.create_run(experiment, run_name="logreg-baseline")
    run_id = run.info.run_id
    for key, value in result["params"].items():
        client.log_param(run_id, key, value)
    for step, value in enumerate(result["cv"]):
        client.log_metric(run_id, "cv/fold_auroc", value, step=step)
    for key, value in result["metrics"].items():
        client.log_metric(run_id, key, value)
    client.set_tag(run_id, "data", "sklearn.datasets.load_diabetes, target > median")
    with tempfile.TemporaryDirectory() as tmp:
        preds = Path(tmp) / "predictions.csv"
        with preds.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["label", "score", "sex", "age_band"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(result["rows"])
        client.log_artifact(run_id, str(preds))
        summary = Path(tmp) / "eval.json"
        summary.write_text(
            json.dumps(
                {"cv": {"folds": result["cv"], "n_folds": len(result["cv"]), "auroc": result["metrics"]["cv/auroc"]}},
                indent=2,
            )
        )
        client.log_artifact(run_id, str(summary))
        model_dir = Path(tmp) / "model"
        model_dir.mkdir()
        (model_dir / "model.pkl").write_bytes(pickle.dumps(result["model"]))
        client.log_artifacts(run_id, str(model_dir), artifact_path="model")
    client.set_terminated(run_id)
    client.create_registered_model(REGISTERED, description="Logistic regression flagging fast diabetes progression.")
    version = client.create_model_version(REGISTERED, f"runs:/{run_id}/model", run_id=run_id, description="Baseline.")
    client.set_registered_model_alias(REGISTERED, "champion", version.version)
    artifacts = (store / "artifacts" / run_id / "artifacts").relative_to(folder)
    return {"RUN_ID": run_id, "ARTIFACTS": artifacts.as_posix(), "VERSION": str(version.version)}


def write_source(folder: Path, values: dict[str, str]) -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"__{key}__", value)
    yaml.safe_load(text)  # the template must stay plain YAML
    (folder / "model.yaml").write_text(text, encoding="utf-8")


def docs_compile(*args: str, cwd: Path) -> int:
    command = [sys.executable, "-m", "compiler", *args]
    print("$ docs-compile " + " ".join(args), flush=True)
    return subprocess.run(command, cwd=cwd, check=False, env=_env()).returncode


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    repo = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workdir", type=Path, help="where to write content/ and build/ (default: a new temporary folder)"
    )
    parser.add_argument(
        "--content", type=Path, help="content folder to add the model to (e.g. the repository's content)"
    )
    parser.add_argument("--build", action="store_true", help="also run `docs-compile build` on the model")
    args = parser.parse_args(argv)
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="docs-compile-mlflow-"))).resolve()
    content = (args.content or workdir / "content").resolve()
    folder = content / MODEL_ID
    if folder.exists():
        print(f"error: {folder} already exists; pick another --workdir or remove it", file=sys.stderr)
        return 2
    folder.mkdir(parents=True)
    result = train()
    values = log_to_mlflow(folder, result)
    write_source(folder, values)
    print(f"logged run {values['RUN_ID']} and registered {REGISTERED} version {values['VERSION']} (@champion)")
    code = docs_compile("resolve", "--content", str(content), "--model", MODEL_ID, cwd=workdir)
    if code == 0 and args.build:
        repo = Path(__file__).resolve().parents[2]
        out = str(workdir / "build")
        options = ["--content", str(content), "--audiences", str(repo / "audiences"), "--out", out]
        code = docs_compile("build", *options, "--model", MODEL_ID, cwd=repo)
    print(f"model folder: {folder}")
    return code


if __name__ == "__main__":
    sys.exit(main())
