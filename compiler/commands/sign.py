"""`docs-compile sign`: record a reviewer's approval of a section, with the section's canonical sha256."""

from __future__ import annotations

import json
from datetime import date

import click

from compiler._util.paths import display_path
from compiler.cli import Settings, echo, guarded, shared_options
from compiler.errors import UsageError
from compiler.load.reader import load_project
from compiler.validate.project import validate_project


@click.command("sign")
@click.argument("model_id")
@click.option("--section", required=True, help="Path of the approved section, e.g. intended_use or plain.")
@click.option("--reviewer", required=True, help="Name of the reviewer.")
@click.option("--role", required=True, help="Role of the reviewer, e.g. clinician, regulatory-affairs.")
@click.option("--date", "on", default=None, help="Date of approval, YYYY-MM-DD [today].")
@shared_options
@click.pass_obj
@guarded
def command(settings: Settings, model_id: str, section: str, reviewer: str, role: str, on: str | None) -> None:
    """Record in MODEL_ID's source that REVIEWER (ROLE) approved SECTION as it is now.

    Only the `reviews:` block of the file is edited; comments and formatting elsewhere are kept.
    `docs-compile check` reports the sign-off as stale as soon as the section changes.
    """
    from compiler.check.signoff import record_signoff

    try:
        when = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise UsageError.at("--date", f"'{on}' is not a date", hint="write it as YYYY-MM-DD") from None
    for name, value in (("--reviewer", reviewer), ("--role", role)):
        if not value.strip():
            raise UsageError.at(name, "must not be empty")
    catalog = validate_project(load_project(settings.content, [model_id]))
    model = catalog.get(model_id)
    assert model is not None
    target, sha256 = record_signoff(model, section, reviewer.strip(), role.strip(), when)
    if settings.json:
        payload = {"ok": True, "model": model_id, "section": section, "sha256": sha256, "file": display_path(target)}
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    elif not settings.quiet:
        echo(f"signed {model_id} {section} ({sha256[:12]}…) by {reviewer} ({role}) in {display_path(target)}")
