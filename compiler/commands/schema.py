"""`docs-compile schema`: the JSON Schema (draft 2020-12) of a model source, for editors."""

from __future__ import annotations

import json
from pathlib import Path

import click

from compiler._util.atomic import atomic_write
from compiler.cli import guarded
from compiler.schema import json_schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@click.command("schema")
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path), default=None, help="Write to FILE instead of stdout."
)
@guarded
def command(out_file: Path | None) -> None:
    """Write the JSON Schema of the source.

    Editors pick it up from a first line `# yaml-language-server: $schema=PATH` in model.yaml.
    """
    text = schema_text()
    if out_file is None:
        click.echo(text, nl=False)
        return
    atomic_write(out_file, text)
