"""`docs-compile publish`: the built documents published to MLflow (`--mlflow MODEL_ID`) or into a versioned
site archive (`--site DIR --version V`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from compiler.cli import F, Settings, echo, guarded, shared_options
from compiler.errors import UsageError

_SITE_OPTIONS = [
    click.option("--version", "version", metavar="V", help="With --site: the version's name, e.g. 1.2.0."),
    click.option(
        "--alias",
        "aliases",
        multiple=True,
        metavar="NAME",
        help="With --site: an alias moved to this version (repeatable).",
    ),
    click.option("--title", metavar="TEXT", help="With --site: the version's title in the version selector [V]."),
    click.option(
        "--default",
        metavar="NAME",
        help="With --site: the version or alias DIR/index.html sends readers to [kept; on the first publish, the "
        "first --alias, else V].",
    ),
    click.option("--force", is_flag=True, help="With --site: replace version V even though its bytes differ."),
    click.option(
        "--partial",
        is_flag=True,
        help="With --site: publish a build made with --model, --audience or --no-pdf (refused otherwise).",
    ),
]
_SITE_ONLY = {
    "version": "--version",
    "aliases": "--alias",
    "title": "--title",
    "default": "--default",
    "force": "--force",
    "partial": "--partial",
}
"""The archive's options: parameter name -> flag."""


def _site_options(func: F) -> F:
    for option in reversed(_SITE_OPTIONS):
        func = option(func)
    return func


@click.command("publish")
@click.option(
    "--mlflow",
    "model_id",
    metavar="MODEL_ID",
    help="Log MODEL_ID's built documents to the MLflow run behind its documented registry version.",
)
@click.option(
    "--site",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Publish the built site into the archive folder DIR as version --version (mike's layout).",
)
@_site_options
@shared_options
@click.pass_obj
@guarded
def command(settings: Settings, model_id: str | None, site: Path | None, **given: Any) -> None:
    """Publish the build in --out: to MLflow, or as a version of a site archive.

    --mlflow MODEL_ID logs the model's PDFs, its JSON export and manifest.json from --out as artifacts of the
    run behind the version the documents describe (model.version), under documents/<manifest sha256>/, and
    tags that version with the manifest's sha256.

    --site DIR --version V copies the built site into DIR/V/ with the sources it was built from, adds to each
    model a page of what changed since the previous published version, moves the --alias folders to V and
    keeps DIR/versions.json (mike's format, read by Material's version selector) and DIR/index.html. A
    published version is immutable: publishing V again with other bytes fails unless --force, and a build
    that lacks models, documents or PDFs (--model, --audience, --no-pdf) is refused unless --partial.

    Run `docs-compile build` first; publishing the same build twice changes nothing.
    """
    _check_mode(model_id, site, given)
    if model_id is not None:
        _mlflow(settings, model_id)
    elif site is not None:
        _site(settings, site, given)


def _check_mode(model_id: str | None, site: Path | None, given: dict[str, Any]) -> None:
    """Exactly one target; the archive's options only with --site, and --site with --version."""
    if (model_id is None) == (site is None):
        raise UsageError("publish needs exactly one target (hint: --mlflow MODEL_ID, or --site DIR --version V)")
    stray = [flag for name, flag in _SITE_ONLY.items() if given[name]]
    if model_id is not None and stray:
        raise UsageError(f"{', '.join(stray)}: only with --site (hint: drop them, or publish with --site DIR)")
    if site is not None and not given["version"]:
        raise UsageError("--site needs --version (hint: e.g. --site site-archive --version 1.2.0)")


def _mlflow(settings: Settings, model_id: str) -> None:
    from compiler.load.reader import load_project
    from compiler.publish.mlflow import TAG_SHA, publish_to_mlflow
    from compiler.validate.project import validate_project

    catalog = validate_project(load_project(settings.content, [model_id]))
    model = catalog.get(model_id)
    assert model is not None  # load_project reports an unknown id
    done = publish_to_mlflow(model, settings.out)
    if settings.json:
        click.echo(json.dumps({"ok": True, **done.as_dict()}, indent=2, sort_keys=True))
    elif not settings.quiet:
        verb = "already published" if done.status == "unchanged" else f"published {len(done.files)} file(s)"
        echo(
            f"{model_id}: {verb} to run {done.run_id} ({done.registered_model} version {done.version}) "
            f"under {done.artifact_path}/; tagged {TAG_SHA}={done.manifest_sha256[:12]}…"
        )


def _site(settings: Settings, site: Path, given: dict[str, Any]) -> None:
    from compiler.config.audiences import audience_layers
    from compiler.publish.archive import ArchiveRequest, publish_version

    request = ArchiveRequest(
        site=site,
        out=settings.out,
        content=settings.content,
        audience_layers=tuple(audience_layers(settings.audiences, settings.packaged_audiences)),
        own_audiences_only=not settings.packaged_audiences,
        **given,
    )
    done = publish_version(request)
    if settings.json:
        click.echo(json.dumps({"ok": True, **done.as_dict()}, indent=2, sort_keys=True, ensure_ascii=False))
        return
    if settings.quiet:
        return
    verb = {"published": "published", "replaced": "replaced (--force)", "unchanged": "already published"}[done.status]
    alias_text = ", ".join(f"{a} (moved from {done.moved[a]})" if a in done.moved else a for a in done.aliases)
    changes = ", ".join(
        f"{m['id']} changes since {m['previous']}" if m["previous"] else f"{m['id']} first published"
        for m in done.models
    )
    echo(
        f"{done.site}/{done.version}/: {verb}; aliases: {alias_text or 'none'}; "
        f"index.html -> {done.default}; {changes or 'no models'}; {len(done.versions)} version(s)"
    )
    if done.omitted:
        echo(f"partial version (--partial): {'; '.join(done.omitted)}")
