"""The benchmark harness runs end to end on a 10-model catalog, site only (a smoke run: no timing asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.project import REPO

pytestmark = pytest.mark.slow


def test_benchmark_smoke_run_at_n_10(tmp_path: Path) -> None:
    report_file = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if k != "DOCS_COMPILE_CACHE"}
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "10", "--pdf-sizes", "", "--repeats", "1",
         "--jobs", "2", "--work", str(tmp_path / "work"), "--json", str(report_file)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| 10 | site only |" in done.stdout
    report = json.loads(report_file.read_text())
    (size,) = report["sizes"]
    assert size["n"] == 10 and size["pdf"] is False and size["pdfs"] == 0
    assert size["pages"] > 10 * 4  # a model page and its documents per model, at least
    for run in ("build", "naive", "noop", "edit_one"):
        assert size[run]["seconds"] > 0 and size[run]["peak_rss_mb"] > 0
    assert size["site_bytes"] > 0 and size["naive_site_bytes"] > 0
    assert set(size["ratios"]) == {"build_vs_naive", "noop_vs_build", "edit_vs_build"}
    assert report["startup"]["help"]["seconds"] > 0 and report["machine"]["cores"] == os.cpu_count()
    catalog = sorted(p.name for p in (tmp_path / "work" / "n10" / "content").iterdir())
    assert catalog[:2] == ["chest-xray-triage-0000", "chest-xray-triage-0004"] and len(catalog) == 10
