"""`docs-compile build --jobs`: by default as many workers as the CPUs the process may use."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.build import available_cpus


def test_the_default_is_the_cpus_this_process_may_use() -> None:
    assert available_cpus() == len(os.sched_getaffinity(0))


@pytest.mark.skipif(shutil.which("taskset") is None, reason="taskset (util-linux) is not installed")
def test_a_process_bound_to_one_cpu_gets_one_job() -> None:
    code = "from compiler.build import available_cpus; print(available_cpus())"
    done = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "1"


def test_help_names_the_default(cli) -> None:
    result = cli("build", "--help")
    assert result.exit_code == 0
    assert "[default: the CPUs this process may use]" in " ".join(result.output.split())


def test_zero_jobs_is_a_usage_error(project: Path, cli) -> None:
    result = cli("build", "--jobs", "0")
    assert result.exit_code == 2
    assert "--jobs must be 1 or more" in result.output
