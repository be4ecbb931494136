"""`docs-compile resolve [--check]`: evidence -> content/<id>/facts.lock.json; --check reports drift."""

from __future__ import annotations

import json

import click

from compiler.cli import Settings, echo, guarded, shared_options
from compiler.errors import GateFailure
from compiler.load.reader import load_project
from compiler.resolve.run import resolve_catalog
from compiler.validate.project import validate_project


@click.command("resolve")
@click.option("--check", is_flag=True, help="Re-resolve and compare with the locks; write nothing; exit 1 on drift.")
@click.option("--model", "models", multiple=True, metavar="ID", help="Only this model (repeatable).")
@shared_options
@click.pass_obj
@guarded
def command(settings: Settings, check: bool, models: tuple[str, ...]) -> None:
    """Resolve fact references and computed metrics into each model's facts.lock.json.

    Reads MLflow runs and registry versions, evaluation files and predictions files; everything is
    resolved before any lock is written. With --check nothing is written: every fact whose value or
    source changed since the lock, and every stale version, is listed and the exit code is 1.
    """
    catalog = validate_project(load_project(settings.content, list(models) or None))
    report = resolve_catalog(catalog, check=check)
    if settings.json:
        payload = {"ok": not report.drifted, "check": check, "models": [m.as_dict() for m in report.models]}
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    elif not settings.quiet:
        for m in report.models:
            if m.status == "no-evidence":
                echo(f"{m.model}: no fact references")
                continue
            echo(f"{m.model}: {m.facts} fact(s), {m.results} computed result(s): {m.lock} {m.status}")
            for line in m.warnings:
                echo(f"warning: {m.model}: stale: {line}", err=True)
    if report.drifted:
        if settings.json:
            click.get_current_context().exit(GateFailure.exit_code)
        raise GateFailure(report.problems)
