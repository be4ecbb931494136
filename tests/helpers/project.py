"""Shared test helpers: the repository's paths and examples, project trees built from dicts, the minimal source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent.parent
CONTENT = REPO / "content"
AUDIENCES = REPO / "audiences"
OWN_AUDIENCES_ONLY = {"docs-compile.yaml": "packaged_audiences: false\n"}
"""A project file that builds and checks only the project's own audiences, not the packaged ones under them."""
EXAMPLES = sorted(p.name for p in CONTENT.iterdir() if (p / "model.yaml").is_file()) if CONTENT.is_dir() else []


def write_tree(root: Path, tree: dict[str, Any]) -> Path:
    """Create files from {relative path: text | bytes | dict (dumped as YAML)}."""
    for rel, body in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        elif isinstance(body, str):
            path.write_text(body, encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(body, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


def minimal_source(model_id: str = "demo") -> dict[str, Any]:
    """The smallest valid source: what `docs-compile init` writes."""
    from compiler.commands.init import scaffold

    data: dict[str, Any] = yaml.safe_load(scaffold(model_id))
    return data


def without_progress(stderr: str) -> str:
    """What a command printed on stderr without the build's progress lines (`[  1.2 s] …`, printed outside a
    terminal), i.e. its warnings and errors."""
    import re

    return "".join(line for line in stderr.splitlines(keepends=True) if not re.match(r"\[\s*\d+\.\d s\] ", line))
