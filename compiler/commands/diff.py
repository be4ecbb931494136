"""`docs-compile diff OLD NEW`: semantic diff of two versions of a model (folders or git revisions)."""

from __future__ import annotations

import json

import click

from compiler.cli import Settings, echo, guarded, shared_options


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--markdown", is_flag=True, help="Markdown output (change log, revision history).")
@shared_options
@click.pass_obj
@guarded
def command(settings: Settings, old: str, new: str, markdown: bool) -> None:
    """Compare two versions of a model source.

    OLD and NEW are model folders (content/<id>) or git revisions of one (HEAD~1:content/<id>, the path
    relative to the repository root). Reports added, removed and changed fields by path, metric changes with
    whether the confidence intervals overlap, and significant changes (intended use, contraindications,
    warnings, major version).
    """
    from compiler.check.diff import diff_specs, format_markdown, format_text

    report = diff_specs(old, new)
    if settings.json:
        click.echo(json.dumps(report.as_dict(), indent=2, sort_keys=True, ensure_ascii=False))
    elif markdown:
        echo(*format_markdown(report).removesuffix("\n").split("\n"))
    elif not settings.quiet:
        echo(*format_text(report).split("\n"))
