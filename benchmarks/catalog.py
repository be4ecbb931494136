"""Benchmark input: a synthetic catalog of N models made by varying the four example models.

Model i is a copy of example i mod 4 under the id `<example>-<i>`, with its name, its datasets' names
and its metric values varied (every value and its interval shifted by the same small amount, so
intervals still hold their value). Sources stay valid, so every model builds like a real one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_RESULT = re.compile(r"value: (0\.\d+), ci_low: (0\.\d+), ci_high: (0\.\d+)")


def examples(content: Path = REPO / "content") -> list[Path]:
    return sorted(p for p in content.iterdir() if (p / "model.yaml").is_file())


def make_project(root: Path, n: int, content: Path = REPO / "content") -> Path:
    """A project folder under root: content/ with n models, audiences/ and mkdocs.yml from the repository."""
    root = Path(root)
    if root.exists():
        shutil.rmtree(root)
    (root / "content").mkdir(parents=True)
    shutil.copytree(REPO / "audiences", root / "audiences")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    bases = examples(content)
    for i in range(n):
        base = bases[i % len(bases)]
        add_variant(base, root / "content", i)
    return root


def model_id(base: Path, i: int) -> str:
    return f"{base.name}-{i:04d}"


def add_variant(base: Path, content: Path, i: int) -> Path:
    """Copy one example as variant i: new id and name, renamed datasets, shifted metrics."""
    target = content / model_id(base, i)
    shutil.copytree(base, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))
    model = target / "model.yaml"
    text = model.read_text()
    text = re.sub(rf"(?m)^  id: {re.escape(base.name)}$", f"  id: {model_id(base, i)}", text, count=1)
    text = re.sub(r"(?m)^  name: (.+)$", lambda m: f"  name: {_suffixed(m.group(1), i)}", text, count=1)
    model.write_text(text)
    for sheet in sorted((target / "datasets").glob("*.yaml")):
        body = sheet.read_text()
        sheet.write_text(re.sub(r"(?m)^name: (.+)$", lambda m: f"name: {_suffixed(m.group(1), i)}", body, count=1))
    results = target / "evaluation" / "results.yaml"
    if results.is_file():
        shift = ((i * 37) % 11 - 5) / 1000  # -0.005 … +0.005, the same for one model
        results.write_text(_RESULT.sub(lambda m: _shifted(m, shift), results.read_text()))
    return target


def edit_model(folder: Path, k: int) -> None:
    """A reviewer's edit: one model's summary gains a sentence (used for the one-model rebuild)."""
    model = folder / "model.yaml"
    text = model.read_text()
    edited = re.sub(r"(?m)^(  summary: >-\n)", rf"\1    Revised in review round {k}.\n", text, count=1)
    if edited == text:
        edited = text + f"\n# revised in review round {k}\n"
    model.write_text(edited)


def _suffixed(value: str, i: int) -> str:
    if value.startswith(('"', "'")) or value.startswith(">"):
        quote = value[0]
        return f"{value[:-1]} (variant {i}){quote}" if value.endswith(quote) else value
    return f"{value} (variant {i})"


def _shifted(match: re.Match[str], shift: float) -> str:
    value, low, high = (float(g) for g in match.groups())
    room = min(shift, 1 - high) if shift > 0 else max(shift, -low)
    return f"value: {value + room:.3f}, ci_low: {low + room:.3f}, ci_high: {high + room:.3f}"
