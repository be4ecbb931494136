"""`docs-compile validate`: load and validate sources, reporting every problem at once."""

from __future__ import annotations

import json
from pathlib import Path

import click

from compiler.cli import Settings, echo, guarded, shared_options
from compiler.errors import UsageError
from compiler.load.reader import MODEL_FILE, load_project
from compiler.validate.project import validate_project


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@shared_options
@click.pass_obj
@guarded
def command(settings: Settings, paths: tuple[Path, ...]) -> None:
    """Check sources against the schema and cross-references.

    PATHS are model folders or their model.yaml files; default: every model under --content.
    """
    content, ids = _targets(settings.content, paths)
    catalog = validate_project(load_project(content, ids or None))
    names = [m.id for m in catalog.models]
    warnings = catalog.warnings  # judgement calls (a sign-off dated after the release): shown, never failing
    if settings.json:
        payload = {"ok": True, "models": names, "errors": [], "warnings": [w.as_dict() for w in warnings]}
        click.echo(json.dumps(payload, indent=2))
    elif not settings.quiet:
        echo(*(f"warning: {w.format()}" for w in warnings), err=True)
        echo(f"ok: {len(names)} model(s) valid: {', '.join(names) if names else 'none found'}")


def _targets(content: Path, paths: tuple[Path, ...]) -> tuple[Path, list[str]]:
    """Content root and model ids for the given paths (each a model folder or its model.yaml)."""
    ids: list[str] = []
    root = content
    for path in paths:
        folder = path.parent if path.name == MODEL_FILE else path
        if not (folder / MODEL_FILE).is_file():
            raise UsageError.at(path, f"no {MODEL_FILE} here", hint="pass a model folder such as content/<model-id>")
        root = folder.parent
        ids.append(folder.name)
    return root, ids
