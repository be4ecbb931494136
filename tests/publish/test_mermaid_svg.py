"""Publish stage (PDF): Mermaid diagrams become the same SVG bytes in every process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# A stadium shape is drawn with rough.js, whose curves are random unless seeded.
DIAGRAM = """flowchart LR
    db[("Review service<br/>[PostgreSQL 16]")]
    job["Sentiment scoring job"]
    page(["Film page<br/>[Reelview web and mobile apps]"])
    db -->|new reviews| job
    job -->|share of positive reviews| page
"""

RENDER = """
import hashlib, sys
from pathlib import Path
from compiler.publish.mermaid_svg import render_diagram
diagram = render_diagram(Path(sys.argv[1]).read_text(), Path(sys.argv[2]), where="test")
print(hashlib.sha256(diagram.svg).hexdigest())
"""


@pytest.mark.slow
def test_a_diagram_with_a_stadium_renders_to_the_same_svg_in_separate_processes(tmp_path: Path) -> None:
    source = tmp_path / "diagram.mmd"
    source.write_text(DIAGRAM, encoding="utf-8")
    digests = set()
    for run in range(3):  # each process starts its JavaScript engine afresh, with an empty cache
        done = subprocess.run(
            [sys.executable, "-c", RENDER, str(source), str(tmp_path / f"cache-{run}")],
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(done.stdout.strip())
    assert len(digests) == 1, f"the same diagram gave {len(digests)} different SVGs in 3 processes"


def test_the_stadium_is_drawn_with_rough_curves(tmp_path: Path) -> None:
    """The diagram above really has rough.js paths (else the test above would prove nothing)."""
    from compiler.publish.mermaid_svg import render_diagram

    svg = render_diagram(DIAGRAM, tmp_path, where="test").svg.decode()
    rough = re.findall(r'<path d="M-[\d.]+ -[\d.]+ C', svg)  # rough.js outlines, centred on the node
    assert len(rough) >= 2, "no rough.js outline in the SVG"
