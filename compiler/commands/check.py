"""`docs-compile check`: the release gates, as a readable report, JSON or SARIF, with exit code 0/1/2."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.cli import Settings, echo, guarded, shared_options
from compiler.config.audiences import Audience, audience_layers, load_audiences
from compiler.errors import EXIT_GATE, CompilerError, ConfigError, GateFailure, Location, Problem
from compiler.load.reader import load_project
from compiler.validate.project import Catalog, ValidModel, validate_project

if TYPE_CHECKING:
    from compiler.check.gates import CheckReport
    from compiler.config.project import Trackers


@click.command("check")
@click.argument("model_ids", nargs=-1)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Project configuration [docs-compile.yaml].",
)
@click.option(
    "--sarif",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the findings as SARIF 2.1.0 to this file.",
)
@click.option(
    "--resolve", "with_resolve", is_flag=True, help="Also report drift between facts.lock.json and the evidence."
)
@click.option(
    "--against",
    default=None,
    help="Last released version for the review policy: git revision or folder [config: released].",
)
@shared_options
@click.pass_obj
@guarded
def command(
    settings: Settings,
    model_ids: tuple[str, ...],
    config_path: Path | None,
    sarif: Path | None,
    with_resolve: bool,
    against: str | None,
) -> None:
    """Release gates: completeness, frameworks, thresholds, sign-offs, readability.

    MODEL_IDS: the models to check; default: every model under --content.
    Exit code 0 when every gate passes, 1 when a gate fails, 2 on an input error.
    """
    from compiler.check.report import format_json, format_sarif, format_text

    report = _run_gates(settings, list(model_ids), config_path, with_resolve=with_resolve, against=against)
    if sarif is not None:
        atomic_write(sarif, format_sarif(report))
    if settings.json:
        click.echo(format_json(report))
    elif not settings.quiet:
        echo(*format_text(report).split("\n"))
    if not report.passed:
        if settings.json:
            click.get_current_context().exit(EXIT_GATE)
        raise GateFailure(
            f"check failed: {report.errors} error(s) in {sum(1 for m in report.models if m.count('error'))} model(s)"
        )


def _run_gates(
    settings: Settings, model_ids: list[str], config_path: Path | None, *, with_resolve: bool, against: str | None
) -> CheckReport:
    """Load and validate the models, then run every gate on them."""
    from compiler.check.gates import check_catalog
    from compiler.config.project import load_config

    config = load_config(config_path)
    catalog = validate_project(load_project(settings.content, model_ids or None))
    layers = audience_layers(settings.audiences, settings.packaged_audiences)
    audiences = load_audiences(layers, own_only=not settings.packaged_audiences)
    _known_frameworks(audiences)
    drift = _lock_drift(catalog, config.trackers) if with_resolve else []
    with contextlib.ExitStack() as stack:
        released = _released(catalog, against or config.released, settings.content, stack)
        return check_catalog(catalog, audiences, config, released=released, lock_drift=drift)


def _known_frameworks(audiences: list[Audience]) -> None:
    """Every framework an audience lists exists (reported at the audience file, all at once)."""
    from compiler._util.text import closest
    from compiler.config.frameworks import framework_ids

    known = framework_ids()
    problems = [
        Problem(
            Location(display_path(a.folder / "audience.yaml")),
            f"audience '{a.name}' lists unknown framework '{fid}'",
            "frameworks",
            closest(fid, known) or f"frameworks: {', '.join(known)}",
        )
        for a in audiences
        for fid in a.config.frameworks
        if fid not in known
    ]
    if problems:
        raise ConfigError(problems)


def _released(
    catalog: Catalog, released: str | None, content: Path, stack: contextlib.ExitStack
) -> dict[str, ValidModel | None]:
    """Each model's last released version (None for a model first released now)."""
    if not released:
        return {}
    from compiler.check.diff import open_side, released_spec

    found: dict[str, ValidModel | None] = {}
    for model in catalog.models:
        spec = released_spec(released, content, model.id)
        found[model.id] = None if spec is None else stack.enter_context(open_side(spec))[1]
    return found


def _lock_drift(catalog: Catalog, trackers: Trackers) -> list[tuple[str, str, Location]]:
    """(model id, message, location) for every fact whose evidence no longer matches the lock file."""
    from compiler.resolve.run import resolve_catalog
    from compiler.resolve.trackers import call_limits

    ids = [m.id for m in catalog.models]

    def owner(location: Location) -> str:
        parts = Path(location.file).parts
        return next((p for p in parts if p in ids), ids[0] if len(ids) == 1 else "")

    try:
        # The servers, deadline and retries of --config (DOCS_COMPILE_TRACKER_* over them).
        limits = call_limits(trackers.deadline, trackers.retries)
        result = resolve_catalog(catalog, check=True, trackers=tuple(trackers.allow), limits=limits)
    except CompilerError as exc:
        if exc.exit_code != EXIT_GATE:
            raise
        return [(owner(p.location), p.message, p.location) for p in exc.problems]
    return [(m.model, p.message, p.location) for m in result.models for p in m.drift]
