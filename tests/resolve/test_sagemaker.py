"""Resolve stage against a real moto server (S3 + SageMaker): values, provenance, drift, refusals, no answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.evidence import position, resolve_failure, resolve_project
from helpers.project import minimal_source, write_tree

pytest.importorskip("boto3")
pytest.importorskip("moto.server")

from resolve._moto import REGION, aws_env, clients, free_port, moto_server

BUCKET = "model-reports"
GROUP = "triage"
JOB = "triage-train-1"


def _stats(auc: float) -> bytes:
    return json.dumps(
        {"binary_classification_metrics": {"auc": {"value": auc, "standard_deviation": 0.01}, "recall": {"value": 0.8}}}
    ).encode()


def register(sagemaker: Any, key: str, status: str, **extra: Any) -> str:
    """One model package version whose ModelQuality statistics are s3://BUCKET/<key>; its ARN."""
    answer = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus=status,
        ModelPackageDescription=f"from {key}",
        ModelMetrics={
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{BUCKET}/{key}"}}
        },
        CustomerMetadataProperties={"owner": "triage-team", "dataset": "triage-2025"},
        MetadataProperties={"GeneratedBy": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/{JOB}"},
        **extra,
    )
    return str(answer["ModelPackageArn"])


@pytest.fixture(scope="module")
def registry() -> Iterator[dict[str, Any]]:
    """A moto server with a model package group: version 1 approved, version 2 pending; a training job."""
    saved = dict(os.environ)
    aws_env()
    try:
        with moto_server() as url:
            sagemaker, s3 = clients(url)
            s3.create_bucket(Bucket=BUCKET)
            s3.put_object(Bucket=BUCKET, Key="v1/statistics.json", Body=_stats(0.91))
            s3.put_object(Bucket=BUCKET, Key="v2/statistics.json", Body=_stats(0.93))
            sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
            sagemaker.create_training_job(
                TrainingJobName=JOB,
                AlgorithmSpecification={"TrainingImage": "sklearn:1", "TrainingInputMode": "File"},
                RoleArn="arn:aws:iam::123456789012:role/training",
                OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/out"},
                ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
                StoppingCondition={"MaxRuntimeInSeconds": 600},
                HyperParameters={"C": "1.0", "max_iter": "1000"},
            )
            arns = [
                register(sagemaker, "v1/statistics.json", "Approved"),
                register(sagemaker, "v2/statistics.json", "PendingManualApproval"),
            ]
            yield {"url": url, "sagemaker": sagemaker, "s3": s3, "arns": arns}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _setup(project: Path, url: str, refs: dict[str, str], allow: bool = True, version: str = "1") -> None:
    data = minimal_source("m")
    data["model"]["version"] = version
    result = data["evaluation"]["results"][0]
    result.update(value=refs.get("value", 0.5), n=100)
    if "value" in refs:
        result.pop("ci_low")
        result.pop("ci_high")
    data["system"]["training"]["hyperparameters"] = {k: v for k, v in refs.items() if k != "value"}
    data["evidence"] = {"sources": [{"id": "registry", "kind": "sagemaker", "region": REGION, "endpoint_url": url}]}
    port = url.rsplit(":", 1)[1]
    config = f"trackers:\n  allow: ['127.0.0.1:{port}']\n  deadline: 10\n" if allow else ""
    write_tree(project, {"content/m/model.yaml": yaml.safe_dump(data, sort_keys=False), "docs-compile.yaml": config})


def _lock(project: Path) -> dict[str, Any]:
    return dict(json.loads((project / "content/m/facts.lock.json").read_text())["facts"])


def test_values_and_provenance(project: Path, registry: dict[str, Any]) -> None:
    auc = f"sagemaker://{GROUP}/1/metrics#/binary_classification_metrics/auc/value"
    refs = {
        "value": auc,
        "sd": f"sagemaker://{GROUP}/1/metrics/ModelQuality/Statistics#/binary_classification_metrics/auc/standard_deviation",
        "status": f"sagemaker://registry@{GROUP}/1#/approval_status",
        "latest": f"sagemaker://{GROUP}/@latest-approved",
        "owner": f"sagemaker://{GROUP}/1/metadata/owner",
        "C": f"sagemaker://{GROUP}/1/training/hyperparameters/C",
    }
    _setup(project, registry["url"], refs)
    report = resolve_project(project)
    assert report.models[0].status == "written", report
    facts = _lock(project)
    assert {k: facts[v]["value"] for k, v in refs.items()} == {
        "value": 0.91,
        "sd": 0.01,
        "status": "Approved",
        "latest": "1",
        "owner": "triage-team",
        "C": "1.0",
    }
    etag = registry["s3"].head_object(Bucket=BUCKET, Key="v1/statistics.json")["ETag"].strip('"')
    fact = facts[auc]
    assert fact["arn"] == registry["arns"][0]
    assert (fact["kind"], fact["version"], fact["approval_status"], fact["etag"]) == (
        "sagemaker.report",
        "1",
        "Approved",
        etag,
    )
    assert fact["s3_uri"] == f"s3://{BUCKET}/v1/statistics.json" and fact["report"] == "ModelQuality/Statistics"
    assert fact["endpoint"] == registry["url"] and fact["reader"].startswith("docs-compile ")
    assert facts[refs["latest"]]["follows"] == "@latest-approved"
    assert facts[refs["C"]]["training_job"] == JOB
    assert resolve_project(project).models[0].status == "unchanged"


def test_an_endpoint_not_allowed_is_refused(project: Path, registry: dict[str, Any]) -> None:
    ref = f"sagemaker://{GROUP}/1/metrics#/binary_classification_metrics/auc/value"
    _setup(project, registry["url"], {"value": ref}, allow=False)
    problem = resolve_failure(project).problems[0]
    assert "is not allowed: boto3 would sign requests to it" in problem.message
    assert str(problem.location) == position(project, ref)


def test_a_missing_version_group_and_key_are_named(project: Path, registry: dict[str, Any]) -> None:
    refs = {
        "value": f"sagemaker://{GROUP}/9/metrics#/binary_classification_metrics/auc/value",
        "group": "sagemaker://no-such-group/1",
        "key": f"sagemaker://{GROUP}/1/metrics#/binary_classification_metrics/auroc/value",
        "meta": f"sagemaker://{GROUP}/1/metadata/ownr",
    }
    _setup(project, registry["url"], refs)
    messages = {p.location.line: p for p in resolve_failure(project).problems}
    found = {str(p.location): (p.message, p.hint) for p in messages.values()}
    assert found[position(project, refs["value"])] == (
        f"{refs['value']}: no version 9 in model package group '{GROUP}' in {registry['url']}",
        "versions: 1, 2",
    )
    assert found[position(project, refs["group"])][0].startswith(
        f"{refs['group']}: no model package group 'no-such-group'"
    )
    assert found[position(project, refs["key"])] == (
        f"{refs['key']}: no key 'auroc' at /binary_classification_metrics",
        "keys there: auc, recall",
    )
    assert found[position(project, refs["meta"])][1] == "did you mean 'owner'?"


def test_drift_new_approval_changed_report_and_rejection(project: Path, registry: dict[str, Any], cli) -> None:
    latest = f"sagemaker://{GROUP}/@latest-approved/metrics#/binary_classification_metrics/recall/value"
    fixed = f"sagemaker://{GROUP}/1/metrics#/binary_classification_metrics/auc/value"
    _setup(project, registry["url"], {"value": fixed, "latest": latest})
    sagemaker, s3 = registry["sagemaker"], registry["s3"]
    assert cli("resolve").exit_code == 0
    assert cli("resolve", "--check").exit_code == 0
    # Version 2 is approved: the reference that follows @latest-approved now names it (same recall value).
    sagemaker.update_model_package(ModelPackageArn=registry["arns"][1], ModelApprovalStatus="Approved")
    try:
        result = cli("resolve", "--check")
        assert result.exit_code == 1
        assert f"{latest}: source changed since the lock (sha256: " in result.stderr
        assert "version: 1 -> 2" in result.stderr
    finally:
        sagemaker.update_model_package(ModelPackageArn=registry["arns"][1], ModelApprovalStatus="PendingManualApproval")
    assert cli("resolve", "--check").exit_code == 0
    # The report of version 1 is rewritten with the same AUC: its ETag and sha256 change.
    s3.put_object(Bucket=BUCKET, Key="v1/statistics.json", Body=_stats(0.91) + b"\n")
    try:
        result = cli("resolve", "--check")
        assert result.exit_code == 1
        assert f"{fixed}: source changed since the lock (sha256: " in result.stderr
        # Version 1 is rejected: both references are drift, each naming why.
        sagemaker.update_model_package(ModelPackageArn=registry["arns"][0], ModelApprovalStatus="Rejected")
        result = cli("resolve", "--check")
        assert result.exit_code == 1
        assert f"{fixed}: locked 0.91, but now version 1 of model package group '{GROUP}' is rejected" in result.stderr
        assert cli("resolve").exit_code == 2
    finally:
        s3.put_object(Bucket=BUCKET, Key="v1/statistics.json", Body=_stats(0.91))
        sagemaker.update_model_package(ModelPackageArn=registry["arns"][0], ModelApprovalStatus="Approved")


def test_an_unreachable_endpoint_fails_within_the_deadline(project: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ref = f"sagemaker://{GROUP}/1/metrics#/binary_classification_metrics/auc/value"
    _setup(project, url, {"value": ref})
    (project / "docs-compile.yaml").write_text(f"trackers:\n  allow: ['127.0.0.1:{port}']\n  deadline: 3\n")
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "compiler", "resolve"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )
    took = time.monotonic() - start
    assert done.returncode == 2, done.stderr
    assert took < 3 + 15
    assert (
        f"{position(project, ref)}: evaluation.results[0].value: {ref}: {url} of source 'registry' cannot be reached"
        in done.stderr
    )
    assert not (project / "content/m/facts.lock.json").exists()
