"""Crash safety and concurrency of the publish stage, with real `docs-compile build` processes.

- SIGKILL at random moments of a build (24 trials): the output folder is always one complete build
  (every file listed in manifest.json with its hash), the previous one or the new one, never a mix
  and never missing; the next build removes what killed builds left beside the output, and nothing
  is left in the temporary folder.
- Two builds at once on one output folder: a lock. The second fails at once with exit code 3 and
  "another build is running" (or runs after the first finished); the output is never corrupted.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from helpers.html_safety import tree_digest
from helpers.project import AUDIENCES, minimal_source, without_progress

pytestmark = pytest.mark.slow
TRIALS = 24


def _project(root: Path) -> Path:
    (root / "content" / "demo").mkdir(parents=True)
    (root / "tmp").mkdir()
    _write_source(root, "Run 0")
    return root


def _write_source(root: Path, name: str) -> str:
    source = minimal_source("demo")
    source["model"]["name"] = name
    text = yaml.safe_dump(source, sort_keys=False, allow_unicode=True)
    (root / "content" / "demo" / "model.yaml").write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode()).hexdigest()


def _start(root: Path) -> subprocess.Popen[str]:
    """A build of root's content with the repository's audiences (and the mkdocs.yml beside them)."""
    env = {**os.environ, "TMPDIR": str(root / "tmp"), "DOCS_COMPILE_CACHE": str(root / "cache")}
    return subprocess.Popen(
        [sys.executable, "-m", "compiler", "build", "--no-pdf", "--quiet", "--audiences", str(AUDIENCES)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the kill reaches any worker it started
    )


def _build(root: Path) -> subprocess.CompletedProcess[str]:
    proc = _start(root)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _complete_build_of(out: Path) -> str:
    """The sha256 of the source a complete output was built from; fails if the output is not complete."""
    assert out.is_dir(), "the output folder is missing"
    manifest = json.loads((out / "manifest.json").read_text())
    listed = {e["path"]: e["sha256"] for e in manifest["outputs"]}
    assert listed == {k: v for k, v in tree_digest(out).items() if k != "manifest.json"}, "a mix of two builds"
    (source,) = [s["sha256"] for s in manifest["sources"] if s["path"].endswith("model.yaml")]
    return str(source)


def test_sigkill_at_random_moments_leaves_a_complete_build(tmp_path: Path) -> None:
    root = _project(tmp_path)
    started = time.monotonic()
    first = _build(root)
    duration = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    previous = _complete_build_of(root / "build")
    chance = random.Random(20240601)
    outcomes = {"previous": 0, "new": 0}
    for trial in range(1, TRIALS + 1):
        new = _write_source(root, f"Run {trial}")
        proc = _start(root)
        time.sleep(chance.uniform(0.05, duration * 1.5))  # past the end often enough on a noisy machine
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        found = _complete_build_of(root / "build")
        assert found in (previous, new), f"trial {trial}: the output is neither the previous nor the new build"
        outcomes["previous" if found == previous else "new"] += 1
        previous = found
    # Both ends must have happened, or the kills were all too early or too late to prove anything.
    assert outcomes["previous"] >= 3 and outcomes["new"] >= 1, outcomes

    final = _write_source(root, "Final")
    done = _build(root)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert _complete_build_of(root / "build") == final
    leftovers = [p.name for p in root.iterdir() if p.name.startswith(".build.") and p.is_dir()]
    assert leftovers == [], "the next build did not clean what killed builds left"
    assert list((root / "tmp").iterdir()) == [], "temporary files outside the output folder survived"


def test_a_held_lock_stops_a_second_build_with_exit_code_3(tmp_path: Path) -> None:
    from compiler.publish.output import output_lock

    root = _project(tmp_path)
    assert _build(root).returncode == 0
    before = tree_digest(root / "build")
    _write_source(root, "Changed")
    with output_lock(root / "build"):
        second = _build(root)
    assert second.returncode == 3, second.stderr
    assert without_progress(second.stderr) == (
        "error: build: another build is running on this output folder (hint: wait for it to finish, "
        "or build into another --out (lock: .build.lock))\n"
    )
    assert tree_digest(root / "build") == before
    assert _build(root).returncode == 0  # the lock is gone with its holder


def test_builds_started_together_never_corrupt_the_output(tmp_path: Path) -> None:
    root = _project(tmp_path)
    codes: list[int] = []
    for attempt in range(3):
        sha = _write_source(root, f"Together {attempt}")
        procs = [_start(root) for _ in range(2)]
        results = [p.communicate(timeout=120) for p in procs]
        for proc, (_, err) in zip(procs, results, strict=True):
            assert proc.returncode in (0, 3), err
            assert "Traceback" not in err
            if proc.returncode == 3:
                assert "another build is running on this output folder" in err
            codes.append(proc.returncode)
        assert 0 in [p.returncode for p in procs]
        assert _complete_build_of(root / "build") == sha
    assert [p.name for p in root.iterdir() if p.name.startswith(".build.") and p.is_dir()] == []
