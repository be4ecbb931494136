"""`docs-compile init MODEL_ID`: scaffold a valid, commented source that a team fills in."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources

import click

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.cli import Settings, echo, guarded, shared_options
from compiler.errors import UsageError
from compiler.load.reader import MODEL_FILE

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


def scaffold(model_id: str, today: date | None = None) -> str:
    """The text of a new model.yaml for MODEL_ID."""
    template = resources.files("compiler").joinpath("templates/init.yaml").read_text(encoding="utf-8")
    return template.replace("__ID__", model_id).replace("__DATE__", (today or date.today()).isoformat())


@click.command("init")
@click.argument("model_id")
@shared_options
@click.pass_obj
@guarded
def command(settings: Settings, model_id: str) -> None:
    """Scaffold content/MODEL_ID/model.yaml (refuses to overwrite)."""
    if not _ID.match(model_id):
        raise UsageError.at(
            model_id, "not a valid model id", hint="use lower-case letters, digits, '.', '_' and '-', e.g. sepsis-risk"
        )
    target = settings.content / model_id / MODEL_FILE
    if target.exists():
        raise UsageError.at(
            display_path(target), "already exists; init never overwrites", hint="pick another id or edit the file"
        )
    atomic_write(target, scaffold(model_id))
    if not settings.quiet:
        echo(f"created {display_path(target)}; fill in the TODOs, then run `docs-compile validate`")
