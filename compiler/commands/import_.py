"""`docs-compile import --from hf|mct|monai FILE`: start a new source from a Hugging Face card, a Model Card
Toolkit JSON or a MONAI bundle's metadata.json."""

from __future__ import annotations

import json
from pathlib import Path

import click

from compiler._util.paths import display_path
from compiler.cli import Settings, echo, guarded, setting
from compiler.errors import UsageError
from compiler.interop.importing import Imported, Written, check_id, slug, write_import
from compiler.load.reader import MODEL_FILE
from compiler.scaffold.schemas import missing_schemas, model_schema_line, write_missing_schemas

READERS = ("hf", "mct", "monai")


@click.command("import")
@click.option("--from", "source_format", type=click.Choice(READERS), required=True, help="Format of FILE.")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--id", "model_id", default=None, help="Id of the new model [from the card's model name].")
@setting("content")
@setting("quiet")
@setting("json")
@click.pass_obj
@guarded
def command(settings: Settings, source_format: str, file: Path, model_id: str | None) -> None:
    """Import FILE (a Hugging Face README.md, an MCT model card JSON or a MONAI bundle's configs/metadata.json,
    read with the bundle's docs/README.md) as content/<id>/model.yaml.

    Mapped fields are filled; required fields the card does not give read "TODO:"; what has no place in
    the schema is kept in content/<id>/imported-unmapped.yaml. An existing model is never overwritten.
    The file's first line points editors at schemas/ of the working directory, which gains the schema
    files it lacks.
    """
    imported = read(source_format, file)
    model_id = model_id or _default_id(imported)
    check_id(model_id)
    root = Path(".")
    line = model_schema_line(settings.content / model_id / MODEL_FILE, root)
    missing = missing_schemas(root)
    written = write_import(settings.content, model_id, imported, schema_line=line)
    schemas = write_missing_schemas(root, missing)
    if settings.json:
        click.echo(json.dumps({"ok": True, **written.report(), "schemas": schemas}, indent=2, sort_keys=True))
    elif not settings.quiet:
        echo(*summary(written).split("\n"))
        if schemas:
            echo(f"created {', '.join(schemas)}: the schemas its first line points editors at")


def read(source_format: str, file: Path) -> Imported:
    if source_format == "hf":
        from compiler.interop import hf_import

        return hf_import.read(file)
    if source_format == "monai":
        from compiler.interop import monai

        return monai.read(file)
    from compiler.interop import mct

    return mct.read(file)


def _default_id(imported: Imported) -> str:
    name = imported.data.get("model", {}).get("name")
    if not name:
        raise UsageError.at(
            imported.file, "the card names no model, so no id can be derived", hint="pass --id MODEL_ID"
        )
    return slug(str(name))


def summary(written: Written) -> str:
    lines = [f"created {display_path(written.model_file)}"]
    if written.unmapped_file:
        lines.append(
            f"kept {len(written.unmapped)} item(s) with no place in the schema in {display_path(written.unmapped_file)}:"
        )
        lines.extend(f"  - {name}" for name in written.unmapped)
    if written.todos:
        lines.append(f"{len(written.todos)} required field(s) not in the card, marked TODO:")
        lines.extend(f"  - {path}" for path in written.todos)
    if written.placeholders:
        lines.append("placeholders to confirm (see the comments in the file):")
        lines.extend(f"  - {path}" for path in written.placeholders)
    lines.append("next: fill in the TODOs, then run `docs-compile validate` and `docs-compile check`")
    return "\n".join(lines)
