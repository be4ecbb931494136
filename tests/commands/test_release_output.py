"""Nothing clobbers a release output: empty builds exit 2 and keep it, serve builds elsewhere; CI logs say how it goes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.project import write_tree

from compiler.commands.init import scaffold


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_empty_content_folder_exits_2_everywhere_and_keeps_the_output(
    copy_examples: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = copy_examples("review-sentiment", audiences=False)
    assert cli("build", "--no-pdf", "--quiet", "--audience", "leadership").exit_code == 0
    before = _snapshot(project / "build")
    (project / "empty").mkdir()
    for command in ("build", "validate", "check", "resolve"):
        result = cli(command, "--content", "empty")
        assert result.exit_code == 2, (command, result.output)
        assert "error: empty: no models in empty: no folder in it holds a model.yaml" in result.stderr, command
    assert _snapshot(project / "build") == before


def test_an_audience_that_applies_to_no_model_is_nothing_to_build(
    copy_examples: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = copy_examples("review-sentiment", audiences=False)
    assert cli("build", "--no-pdf", "--quiet", "--audience", "leadership").exit_code == 0
    before = _snapshot(project / "build")
    result = cli("build", "--no-pdf", "--audience", "clinician")  # clinician applies to health models only
    assert result.exit_code == 2
    assert "nothing to build: no chosen audience applies to these models (domain" in result.stderr
    assert "clinician (health)" in result.stderr
    assert _snapshot(project / "build") == before


def _line(stream: Any, seconds: float = 120) -> str:
    """The next line a process prints, or a failure after `seconds` (never a hung test run)."""
    import queue
    import threading

    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=seconds)
    except queue.Empty:
        raise AssertionError(f"nothing printed within {seconds} s") from None


def _serve(project: Path) -> subprocess.Popen[str]:
    """`docs-compile serve` of the leadership audience on a free port, its stderr readable."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    args = [*_docs_compile(), "serve", "--port", "0", "--audience", "leadership"]
    return subprocess.Popen(args, cwd=project, env=env, stderr=subprocess.PIPE, text=True)


def _docs_compile() -> list[str]:
    return [sys.executable, "-m", "compiler"]


def test_a_build_in_a_log_prints_a_line_per_stage_and_document_and_where_the_outputs_are(
    copy_examples: Callable[..., Path],
) -> None:
    project = copy_examples("review-sentiment", audiences=False)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    args = [*_docs_compile(), "build", "--audience", "leadership", "--audience", "technical", "--no-pdf"]
    done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    stamp = r"^\[\s*\d+\.\d s\] "
    assert all(re.match(stamp, line) for line in lines), lines
    said = [re.sub(stamp, "", line) for line in lines]
    assert said == [
        "reading and validating the sources",
        "applying the facts locks",
        "rendering documents",
        "render: review-sentiment/technical",
        "render: review-sentiment/leadership",
        "building the site (MkDocs)",
        "writing exports and manifest.json",
    ]
    out = done.stdout.splitlines()
    assert out[0].startswith("built 2 document(s), 0 PDF(s) into build in ")
    assert out[1:] == ["  site:     build/site/index.html", "  manifest: build/manifest.json"]
    quiet = subprocess.run([*args, "--quiet"], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def test_serve_builds_into_its_own_folder_and_leaves_the_release_output_alone(project: Path) -> None:
    write_tree(project, {"content/demo/model.yaml": scaffold("demo")})
    write_tree(project, {"build/pdf/demo/technical.pdf": b"%PDF- the release", "build/manifest.json": "{}"})
    before = _snapshot(project / "build")
    server = _serve(project)
    try:
        assert server.stderr is not None
        line = _line(server.stderr)
        found = re.search(r"serving (\S+) on (http://127\.0\.0\.1:\d+/)", line)
        assert found, line
        served = Path(found.group(1))
        assert not served.is_relative_to(project), served
        with urllib.request.urlopen(found.group(2), timeout=30) as response:
            assert b"demo" in response.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
    deadline = time.monotonic() + 10
    while served.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not served.exists(), "serve leaves its folder behind"
    assert _snapshot(project / "build") == before


def test_an_out_folder_that_is_not_a_previous_build_is_never_replaced(
    copy_examples: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = copy_examples("review-sentiment", audiences=False)
    write_tree(project, {"other/important.txt": "keep me", "afile": "x"})
    result = cli("build", "--no-pdf", "--out", "other")
    assert result.exit_code == 2
    assert "error: other: --out holds files that are not a docs-compile build (no manifest.json)" in result.stderr
    assert (project / "other/important.txt").read_text() == "keep me"
    assert "--out is a file" in cli("build", "--no-pdf", "--out", "afile").stderr
    (project / "empty").mkdir()
    assert cli("build", "--no-pdf", "-q", "--audience", "leadership", "--out", "empty").exit_code == 0
    # A previous build is replaced as before.
    assert cli("build", "--no-pdf", "-q", "--audience", "technical", "--out", "empty").exit_code == 0


def test_a_docs_compile_yaml_of_comments_only_means_the_defaults(project: Path, cli: Callable[..., Any]) -> None:
    write_tree(project, {"docs-compile.yaml": "# every key is optional\n# content: content\n"})
    write_tree(project, {"content/demo/model.yaml": scaffold("demo")})
    assert cli("validate").stdout == "ok: 1 model(s) valid: demo\n"


def test_serve_on_a_busy_port_is_an_input_error_before_any_build(project: Path) -> None:
    import socket

    write_tree(project, {"content/demo/model.yaml": scaffold("demo")})
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        done = subprocess.run(
            [*_docs_compile(), "serve", "--port", port],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: 127.0.0.1:{port}: cannot serve on this port: ")
    assert "Traceback" not in done.stderr and "(hint: choose another --port)" in done.stderr


def test_serve_rebuilds_when_an_audiences_folder_appears_after_it_started(project: Path) -> None:
    write_tree(project, {"content/demo/model.yaml": scaffold("demo")})
    server = _serve(project)
    try:
        assert server.stderr is not None
        found = re.search(r"on (http://127\.0\.0\.1:\d+/)", _line(server.stderr))
        assert found
        write_tree(project, {"audiences/leadership/sections/brief.md.j2": "## Our brief\n\nMade after serve began.\n"})
        assert _line(server.stderr).strip() == "rebuilt"
        with urllib.request.urlopen(found.group(1) + "demo/leadership/", timeout=30) as response:
            assert b"Made after serve began." in response.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
