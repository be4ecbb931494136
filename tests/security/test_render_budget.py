"""Issue 14, item 9 (part): a section template's render has a time budget, end to end through `docs-compile build`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from helpers.project import AUDIENCES, REPO, minimal_source, without_progress, write_tree

NESTED_LOOPS = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n"
"""Ten billion iterations that print nothing: only the iterations themselves can be counted."""


def test_item9_nested_loops_in_a_section_template_stop_within_the_time_budget(project: Path) -> None:
    write_tree(project, {"content/demo/model.yaml": minimal_source()})
    shutil.copytree(AUDIENCES, project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    (project / "audiences/leadership/sections/brief.md.j2").write_text("# Brief\n" + NESTED_LOOPS)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "compiler", "build", "--no-pdf", "--audience", "leadership"],
        cwd=project,
        env={**os.environ, "DOCS_COMPILE_LIMIT_TEMPLATE_SECONDS": "1", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert without_progress(result.stderr) == (
        "error: audiences/leadership/sections/brief.md.j2:2:1: audience 'leadership': the template took longer than 1 s and was stopped "
        "(or raise the limit with DOCS_COMPILE_LIMIT_TEMPLATE_SECONDS)\n"
    )
    assert not (project / "build").exists()
