"""`docs-compile export MODEL_ID --format FORMAT`: one model in another tool's format, with its loss report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.cli import Settings, echo, guarded, setting
from compiler.errors import UsageError
from compiler.interop import FORMATS, Export, export
from compiler.load.reader import load_project
from compiler.resolve.apply import resolved_source
from compiler.validate.project import validate_project


@click.command("export")
@click.argument("model_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Target format.")
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), default=None, help="File to write [stdout]."
)
@setting("content")
@setting("quiet", help="Print no loss report.")
@setting("json", help="Result and loss report as JSON on stdout.")
@click.pass_obj
@guarded
def command(settings: Settings, model_id: str, fmt: str, out_file: Path | None) -> None:
    """Export MODEL_ID as JSON, a Hugging Face README.md, a CycloneDX ML-BOM or a CHAI applied model card.

    The export goes to --out FILE (default: stdout); the loss report (source fields the format cannot
    carry) goes to stderr, or into the JSON result with --json.
    """
    catalog = validate_project(load_project(settings.content, [model_id]))
    valid = catalog.get(model_id)
    if valid is None:  # pragma: no cover - load_project reports unknown ids first
        raise UsageError(f"no model '{model_id}'")
    result = export(resolved_source(valid), fmt)
    if out_file is not None:
        write_file(out_file, result.text)
    if settings.json:
        payload: dict[str, Any] = {"ok": True, "model": model_id, **result.report()}
        payload["file"] = display_path(out_file) if out_file else None
        if out_file is None:
            payload["text"] = result.text
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
        return
    if out_file is None:
        click.echo(result.text, nl=False)
    if not settings.quiet:
        echo(*loss_report(model_id, result, display_path(out_file) if out_file else "stdout").split("\n"), err=True)


def write_file(path: Path, text: str) -> None:
    """Write a regular file atomically; a device or pipe (e.g. /dev/null) is written to, never replaced."""
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as stream:
            stream.write(text)
        return
    atomic_write(path, text)


def loss_report(model_id: str, result: Export, where: str) -> str:
    """The human-readable loss report: what the export leaves out or had to fill in."""
    lines = [f"exported {model_id} as {result.format} to {where}"]
    if not result.losses:
        lines.append("loss report: nothing left out")
        return "\n".join(lines)
    titles = {
        "missing-required": "required by the format but empty in the source (written as 'Not stated in the source.')",
        "unresolved": "fact references not substituted (left out of the export)",
        "changed": "source fields the format carries in another form",
        "not-carried": "source fields the format has no place for",
    }
    lines.append(f"loss report: {len(result.losses)} item(s)")
    for kind, title in titles.items():
        items = [loss for loss in result.losses if loss.kind == kind]
        if items:
            lines.append(f"  {title}:")
            lines.extend(f"    - {loss.format()}" for loss in items)
    return "\n".join(lines)
