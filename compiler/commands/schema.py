"""`docs-compile schema`: the JSON Schemas (draft 2020-12) of a model source and of the files it includes, for editors."""

from __future__ import annotations

from pathlib import Path

import click

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.cli import Settings, echo, guarded, setting
from compiler.errors import UsageError
from compiler.schema.editor import PART_KINDS, REGENERATE, SCHEMAS_DIR, schema_text, write_schemas


@click.command("schema")
@click.option(
    "--part",
    type=click.Choice(PART_KINDS),
    default="model",
    show_default=True,
    help="Which file's schema: the model source, or a kind of file it includes.",
)
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path), metavar="FILE", help="Write to FILE instead of stdout."
)
@click.option(
    "--dir",
    "out_dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help=f"Write every part as DIR/<part>.schema.json (a repository keeps them in {SCHEMAS_DIR}/).",
)
@setting("quiet")
@click.pass_obj
@guarded
def command(settings: Settings, part: str, out_file: Path | None, out_dir: Path | None) -> None:
    """Write the JSON Schema of a model source, or of a kind of file it includes.

    Editors pick a schema up from a first line `# yaml-language-server: $schema=PATH` in each file; keep the
    schemas in the repository (`docs-compile schema --dir schemas`), never under the build output, which every
    build replaces.
    """
    given = click.get_current_context().get_parameter_source("part") is click.core.ParameterSource.COMMANDLINE
    if out_dir is not None:
        if out_file is not None or given:
            raise UsageError(f"--dir writes every part: give it neither --out nor --part, e.g. `{REGENERATE}`")
        written = write_schemas(out_dir)
        if not settings.quiet:
            echo(*(f"wrote {display_path(path)}" for path in written))
        return
    text = schema_text(part)
    if out_file is None:
        click.echo(text, nl=False)
        return
    if out_file.is_dir():
        raise UsageError.at(
            display_path(out_file), "is a folder", hint=f"write every part into it with `--dir {out_file}`"
        )
    atomic_write(out_file, text)
