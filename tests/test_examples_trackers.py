"""The tracker examples, run as a user runs them: examples/sagemaker/run.py and examples/neptune/run.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
MODEL = "diabetes-progression"
REF = re.compile(r"\b(?:sagemaker|neptune)://\S+")

pytest.importorskip("sklearn")


def _run(
    example: str, workdir: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(REPO / "examples" / example / "run.py"), "--workdir", str(workdir), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, check=False)


def _resolved(workdir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The written source (no placeholder left) and its lock, which holds every reference the source makes."""
    folder = workdir / "content" / MODEL
    text = (folder / "model.yaml").read_text(encoding="utf-8")
    assert "__" not in text
    facts = json.loads((folder / "facts.lock.json").read_text(encoding="utf-8"))["facts"]
    assert sorted(set(REF.findall(text))) == sorted(facts)
    return yaml.safe_load(text), facts


def test_the_sagemaker_example_registers_resolves_and_builds(tmp_path: Path) -> None:
    pytest.importorskip("boto3")
    pytest.importorskip("moto.server")
    done = _run("sagemaker", tmp_path, "--build", "--no-pdf")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "registered diabetes-progression version 1 (Approved) at http://127.0.0.1:" in done.stdout
    source, facts = _resolved(tmp_path)
    auc = "sagemaker://diabetes-progression/1/metrics#/binary_classification_metrics/auc/value"
    assert (facts[auc]["kind"], facts[auc]["approval_status"], facts[auc]["report"]) == (
        "sagemaker.report",
        "Approved",
        "ModelQuality/Statistics",
    )
    assert 0.5 < facts[auc]["value"] < 1 and len(facts[auc]["etag"]) == 32
    assert facts["sagemaker://diabetes-progression/@latest-approved"]["value"] == "1"
    assert facts["sagemaker://diabetes-progression/1/metrics#/dataset/item_count"]["value"] == 133
    count = "sagemaker://diabetes-progression/1/metrics/ModelDataQuality/Statistics#/dataset/item_count"
    assert facts[count]["value"] == 309
    hyper = source["system"]["training"]["hyperparameters"]
    assert {k: facts[v]["value"] for k, v in hyper.items()} == {
        "C": "1.0",
        "max_iter": "1000",
        "test_size": "0.3",
        "cv_folds": "5",
    }
    assert facts[hyper["C"]]["training_job"] == "diabetes-progression-logreg-1"
    assert facts[source["model"]["owner"]]["value"] == "docs-compile maintainers"
    assert (tmp_path / "docs-compile.yaml").read_text().startswith("trackers:\n  allow: ['127.0.0.1:")
    manifest = json.loads((tmp_path / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert MODEL in json.dumps(manifest)
    assert (tmp_path / "build" / "site" / MODEL / "technical" / "index.html").is_file()
    # The registry lived only while the example ran: the lock stays, and checking it names the endpoint.
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "DOCS_COMPILE_TRACKER_DEADLINE": "5",
    }
    check = [sys.executable, "-m", "compiler", "resolve", "--check", "--content", "content"]
    done = subprocess.run(check, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert f"{source['evidence']['sources'][0]['endpoint_url']} of source 'registry' cannot be reached" in done.stderr


def test_the_neptune_example_logs_offline_and_resolves(tmp_path: Path) -> None:
    pytest.importorskip("neptune")
    # No network: a proxy that does not answer would make any request fail.
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    done = _run("neptune", tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    source, facts = _resolved(tmp_path)
    (run_dir,) = (tmp_path / "content" / MODEL / ".neptune" / "offline").iterdir()
    run_id = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))["containerId"]
    assert {fact["run_id"] for fact in facts.values()} == {run_id}
    assert {fact["run_dir"] for fact in facts.values()} == {f".neptune/offline/{run_dir.name}"}
    hyper = source["system"]["training"]["hyperparameters"]
    assert {k: facts[v]["value"] for k, v in hyper.items()} == {
        "C": 1.0,
        "max_iter": 1000,
        "test_size": 0.3,
        "cv_folds": 5,
    }
    counts = [d["composition"]["count"] for d in source["datasets"]]
    assert [facts[c]["value"] for c in counts] == [309, 133]
    auroc = facts[f"neptune://{run_id}/test/auroc"]
    assert auroc["kind"] == "neptune.field" and 0.5 < auroc["value"] < 1
    assert not (tmp_path / "build").exists()


def test_an_example_refuses_a_model_folder_that_exists(tmp_path: Path) -> None:
    (tmp_path / "content" / MODEL).mkdir(parents=True)
    for example in ("sagemaker", "neptune"):
        done = _run(example, tmp_path)
        assert done.returncode == 2
        assert (
            done.stderr
            == f"error: {tmp_path / 'content' / MODEL} already exists; pick another --workdir or remove it\n"
        )
