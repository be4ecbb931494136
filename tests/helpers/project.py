"""Shared test helpers: the repository's paths and examples, project trees built from dicts, the minimal source."""

from __future__ import annotations

import hashlib
import shutil
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


def file_digests(root: Path) -> dict[str, str]:
    """Every file under root by its relative path, with its sha256: two trees are equal byte for byte when these are."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def cache_entries(project: Path, kind: str) -> set[str]:
    """Keys of the build cache's entries of one kind (`render`, `pdf`, `site-read`, …) in the project's cache."""
    from compiler.cache import CACHE_DIR_NAME

    return {p.stem for p in (project / CACHE_DIR_NAME / "entries" / kind).rglob("*.json")}


def two_models(project: Path) -> Path:
    """The project with two minimal models, alpha and beta, the repository's audiences and its mkdocs.yml."""
    for name in ("alpha", "beta"):
        write_tree(project, {f"content/{name}/model.yaml": minimal_source(name)})
    shutil.copytree(AUDIENCES, project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    return project


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
