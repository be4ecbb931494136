"""`docs-compile audiences`: the audiences a build would use, layer by layer, and `copy` to customise one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click

from compiler._util.paths import display_path
from compiler.cli import Settings, echo, guarded, setting
from compiler.config.audiences import (
    AUDIENCE_FILE,
    COMMON_FOLDER,
    DEFAULT_FOLDER,
    Audience,
    audience_layers,
    load_audiences,
)
from compiler.config.packaged import packaged_audiences
from compiler.errors import UsageError


@click.group("audiences", invoke_without_command=True)
@setting("audiences")
@setting("json")
@click.pass_context
@guarded
def command(ctx: click.Context) -> None:
    """List the audiences a build uses: the repository's own (`audiences/`) over the packaged ones.

    Each line names the audience, the layer its audience.yaml comes from, what it extends and the files the
    repository overrides. `docs-compile audiences copy NAME` copies a packaged audience out for editing.
    """
    if ctx.invoked_subcommand is not None:
        return
    settings: Settings = ctx.obj
    layers = audience_layers(settings.audiences, settings.packaged_audiences)
    packaged = packaged_audiences().resolve()
    chosen = load_audiences(layers, own_only=not settings.packaged_audiences)
    rows = [_row(audience, packaged) for audience in chosen]
    if settings.json:
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for row in rows:
        extends = f", extends {row['extends']}" if row["extends"] else ""
        echo(f"{row['name']}: {row['title']} ({row['origin']}: {row['configured_in']}{extends})")
        if row["overrides"]:
            echo(f"    overrides: {', '.join(row['overrides'])}")
        if row["unused"]:
            echo(f"    not used (a misspelt name?): {', '.join(row['unused'])}")


def _row(audience: Audience, packaged: Path) -> dict[str, Any]:
    """What the listing says of one audience: where it comes from, and which packaged files the repository replaces."""
    own = [f for f in audience.search_path if f.resolve().parent != packaged and f.name == audience.name]
    overridden = (packaged / audience.name).is_dir()
    origin = "packaged" if not own else ("overridden" if overridden else "own")
    files = sorted(p.relative_to(f).as_posix() for f in own for p in f.rglob("*") if p.is_file())
    return {
        "name": audience.name,
        "title": audience.config.title,
        "origin": origin,
        "configured_in": display_path(audience.folder / AUDIENCE_FILE),
        "extends": audience.config.extends,
        "layers": [display_path(f) for f in audience.search_path],
        "overrides": files if overridden else [],
        "unused": [f for f in files if not _used(f, audience, packaged)] if overridden else [],
    }


def _used(rel: str, audience: Audience, packaged: Path) -> bool:
    """A file of an override replaces a packaged file, or is a section template the audience lists."""
    listed = {f"sections/{s}.md.j2" for s in audience.config.sections}
    return rel in listed or any(
        (folder / rel).is_file() for folder in audience.search_path if folder.resolve().parent == packaged
    )


@command.command("copy")
@click.argument("name")
@click.option(
    "--to", "target", type=click.Path(path_type=Path), default=None, help="Audiences folder to copy into [audiences]."
)
@click.option("--common", is_flag=True, help="Also copy the shared templates (_common) the audiences use.")
@click.pass_obj
@guarded
def copy(settings: Settings, name: str, target: Path | None, common: bool) -> None:
    """Copy the packaged audience NAME into the repository's audiences folder, to edit (never overwrites).

    A copy replaces the packaged audience file by file: delete what you do not change, and the packaged
    file is used again. To start a new audience on top of one instead, write an audience.yaml with
    `extends: NAME`.
    """
    source_root = packaged_audiences()
    target = target or settings.audiences or Path(DEFAULT_FOLDER)
    names = [name, *([COMMON_FOLDER] if common else [])]
    known = sorted(p.name for p in source_root.iterdir() if (p / AUDIENCE_FILE).is_file())
    if name not in known:
        raise UsageError.at(name, f"no packaged audience '{name}'", hint=f"packaged audiences: {', '.join(known)}")
    for folder in names:
        if (target / folder).exists():
            raise UsageError.at(
                display_path(target / folder), "already exists; copy never overwrites", hint="edit it, or remove it"
            )
    for folder in names:
        shutil.copytree(source_root / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__"))
        if not settings.quiet:
            echo(f"copied {folder} to {display_path(target / folder)}")
