"""End-to-end example of the SageMaker reader: train, register a model package, document with fact references, resolve.

    python examples/sagemaker/run.py [--workdir DIR] [--content DIR] [--build [--no-pdf]]

1. trains the logistic regression of examples/mlflow/run.py (scikit-learn's diabetes data, the same split
   and seed);
2. starts a moto server (S3 + SageMaker, from `moto[server]`) on 127.0.0.1 in a child process; uploads a
   ModelQuality statistics report of the held-out split (values with bootstrap standard deviations, in the
   format of SageMaker Model Monitor) and a ModelDataQuality statistics report of the training split to S3;
   records a training job with the hyperparameters; registers version 1 of the model package group
   `diabetes-progression` with those reports and customer metadata, pending approval, and approves it;
3. writes a model source folder whose numbers are sagemaker:// fact references, and a docs-compile.yaml that
   allows the local endpoint (boto3 signs requests with the environment's credentials), then runs
   `docs-compile resolve` (and `docs-compile build` with --build) while the server runs.

The model is trained here, not in SageMaker: moto records the training job as completed. The server and its
registry live only while the example runs; the lock keeps every value with its provenance, so `build` needs
neither, and a later `resolve --check` reports the endpoint unreachable. The example and its child processes
use dummy AWS credentials and no AWS configuration file of the user; nothing leaves 127.0.0.1.

The model folder goes to WORKDIR/content/diabetes-progression (a new temporary folder by default), and
docs-compile.yaml to WORKDIR; `--content content` adds the model to the repository's catalog instead.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import pickle
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

MODEL_ID = "diabetes-progression"
GROUP = "diabetes-progression"
BUCKET = "diabetes-progression-reports"
JOB = "diabetes-progression-logreg-1"
REGION = "us-east-1"
SEED = 7
RESAMPLES = 200
EVALUATED = "2025-01-15T00:00:00Z"
TEMPLATE = Path(__file__).with_name("model.yaml")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


def mlflow_example() -> ModuleType:
    """examples/mlflow/run.py as a module: its training and its way of running docs-compile are shared."""
    spec = importlib.util.spec_from_file_location("mlflow_example", Path(__file__).parents[1] / "mlflow" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _binary_metrics(labels: Any, scores: Any) -> dict[str, float]:
    from sklearn.metrics import f1_score, roc_auc_score

    predicted = scores >= 0.5
    tp = int((predicted & (labels == 1)).sum())
    fp = int((predicted & (labels == 0)).sum())
    tn = int((~predicted & (labels == 0)).sum())
    fn = int((~predicted & (labels == 1)).sum())
    return {
        "auc": float(roc_auc_score(labels, scores)),
        "recall": tp / (tp + fn),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "accuracy": (tp + tn) / len(labels),
        "true_negative_rate": tn / (tn + fp),
        "f1": float(f1_score(labels, predicted)),
    }


def quality_report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A ModelQuality statistics report of the held-out predictions, as SageMaker Model Monitor writes one."""
    import numpy as np

    labels = np.array([r["label"] for r in rows])
    scores = np.array([r["score"] for r in rows])
    point = _binary_metrics(labels, scores)
    rng = np.random.default_rng(SEED)
    resampled: list[dict[str, float]] = []
    while len(resampled) < RESAMPLES:
        pick = rng.integers(0, len(labels), len(labels))
        if 0 < labels[pick].sum() < len(pick):  # both classes, or AUROC is undefined
            resampled.append(_binary_metrics(labels[pick], scores[pick]))
    predicted = scores >= 0.5
    matrix = {
        str(actual): {str(guess): int(((labels == actual) & (predicted == guess)).sum()) for guess in (0, 1)}
        for actual in (0, 1)
    }
    metrics: dict[str, Any] = {"confusion_matrix": matrix}
    for name, value in point.items():
        spread = float(np.std([r[name] for r in resampled], ddof=1))
        metrics[name] = {"value": round(value, 6), "standard_deviation": round(spread, 6)}
    dataset = {"item_count": len(rows), "evaluation_time": EVALUATED}
    return {"version": 0.0, "dataset": dataset, "binary_classification_metrics": metrics}


def data_quality_report(n_train: int) -> dict[str, Any]:
    """A ModelDataQuality statistics report of the training split (its size; no per-feature statistics)."""
    return {"version": 0.0, "dataset": {"item_count": n_train}, "features": []}


@contextmanager
def moto_server() -> Iterator[str]:
    """The URL of a moto server on 127.0.0.1 (a free port), stopped when the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the moto server did not start (is moto[server] installed?)") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def use_dummy_credentials() -> None:
    """Dummy AWS credentials for this process and its children; no profile or configuration file of the user."""
    os.environ.update(CREDENTIALS)
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ.pop("AWS_PROFILE", None)


def upload(s3: Any, result: dict[str, Any]) -> dict[str, Any]:
    """The reports and the model archive to S3; the ModelMetrics that name the reports."""
    s3.create_bucket(Bucket=BUCKET)
    reports = {
        "ModelQuality": quality_report(result["rows"]),
        "ModelDataQuality": data_quality_report(int(result["metrics"]["n_train"])),
    }
    for category, report in reports.items():
        s3.put_object(Bucket=BUCKET, Key=f"{category}/statistics.json", Body=json.dumps(report, indent=2).encode())
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        data = pickle.dumps(result["model"])
        entry = tarfile.TarInfo("model.pkl")
        entry.size = len(data)
        archive.addfile(entry, io.BytesIO(data))
    s3.put_object(Bucket=BUCKET, Key="model/model.tar.gz", Body=packed.getvalue())
    where = {category: f"s3://{BUCKET}/{category}/statistics.json" for category in reports}
    return {c: {"Statistics": {"ContentType": "application/json", "S3Uri": uri}} for c, uri in where.items()}


def register(url: str, result: dict[str, Any]) -> dict[str, str]:
    """Reports to S3, the training job, a model package version pending approval, then approved."""
    import boto3

    sagemaker = boto3.client("sagemaker", endpoint_url=url, region_name=REGION)
    model_metrics = upload(boto3.client("s3", endpoint_url=url, region_name=REGION), result)
    hyperparameters = {k: str(v) for k, v in result["params"].items()} | {"cv_folds": str(len(result["cv"]))}
    job = sagemaker.create_training_job(
        TrainingJobName=JOB,
        AlgorithmSpecification={"TrainingImage": "sklearn-logistic-regression:1", "TrainingInputMode": "File"},
        RoleArn="arn:aws:iam::123456789012:role/docs-compile-example",
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/model"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters=hyperparameters,
    )
    sagemaker.create_model_package_group(
        ModelPackageGroupName=GROUP, ModelPackageGroupDescription="Logistic regression flagging fast progression."
    )
    metadata = {"owner": "docs-compile maintainers", "data": "sklearn.datasets.load_diabetes, target > median"}
    package = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelPackageDescription="First registered version.",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": "sklearn-inference:1", "ModelDataUrl": f"s3://{BUCKET}/model/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelMetrics=model_metrics,
        CustomerMetadataProperties=metadata,
        MetadataProperties={"GeneratedBy": job["TrainingJobArn"]},
    )
    arn = package["ModelPackageArn"]
    # moto's update replaces the customer metadata (SageMaker's merges it): send it again.
    sagemaker.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus="Approved",
        ApprovalDescription="Reviewed for the example.",
        CustomerMetadataProperties=metadata,
    )
    version = sagemaker.describe_model_package(ModelPackageName=arn)["ModelPackageVersion"]
    return {"VERSION": str(version), "ENDPOINT": url}


def write_source(folder: Path, values: dict[str, str]) -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"__{key}__", value)
    yaml.safe_load(text)  # the template must stay plain YAML
    (folder / "model.yaml").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where to write content/, docs-compile.yaml and build/ (default: a new temporary folder)",
    )
    parser.add_argument(
        "--content", type=Path, help="content folder to add the model to (e.g. the repository's content)"
    )
    parser.add_argument("--build", action="store_true", help="also run `docs-compile build` on the model")
    parser.add_argument("--no-pdf", action="store_true", help="with --build: build the site only, no PDFs")
    args = parser.parse_args(argv)
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="docs-compile-sagemaker-"))).resolve()
    content = (args.content or workdir / "content").resolve()
    folder = content / MODEL_ID
    config = workdir / "docs-compile.yaml"
    for taken in (folder, config):
        if taken.exists():
            print(f"error: {taken} already exists; pick another --workdir or remove it", file=sys.stderr)
            return 2
    shared = mlflow_example()
    result = shared.train()
    use_dummy_credentials()
    with moto_server() as url:
        values = register(url, result)
        folder.mkdir(parents=True)
        write_source(folder, values)
        port = url.rsplit(":", 1)[1]
        config.write_text(f"trackers:\n  allow: ['127.0.0.1:{port}']\n", encoding="utf-8")
        print(f"registered {GROUP} version {values['VERSION']} (Approved) at {url}")
        code = shared.docs_compile("resolve", "--content", str(content), "--model", MODEL_ID, cwd=workdir)
    if code == 0 and args.build:
        repo = Path(__file__).resolve().parents[2]
        out = str(workdir / "build")
        options = ["--content", str(content), "--audiences", str(repo / "audiences"), "--out", out]
        code = shared.docs_compile(
            "build", *options, *(["--no-pdf"] if args.no_pdf else []), "--model", MODEL_ID, cwd=repo
        )
    print(f"model folder: {folder}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
