"""`docs-compile init`: set up a repository for docs-compile, or scaffold one more model source.

`docs-compile init` (no MODEL_ID) writes the repository's settings, a first model, .gitignore lines, the
pre-commit hooks, CI files and the editors' schemas, keeping every file that exists
(compiler/scaffold/repository.py). `docs-compile init MODEL_ID` writes content/MODEL_ID/model.yaml, and the
editors' schemas its `$schema` line points at when the repository lacks them.
"""

from __future__ import annotations

import json
import shlex
from datetime import date
from pathlib import Path

import click

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.cli import Settings, echo, guarded, shared_options
from compiler.errors import UsageError
from compiler.load.reader import MODEL_FILE
from compiler.scaffold.files import repository_folders
from compiler.scaffold.model import checked_id, model_source
from compiler.scaffold.repository import CI_CHOICES, CiChoice, Outcome, plan, write
from compiler.scaffold.schemas import missing_schemas, model_schema_line, write_missing_schemas


def scaffold(model_id: str, today: date | None = None) -> str:
    """The text of a new model.yaml for MODEL_ID."""
    return model_source(model_id, today)


@click.command("init")
@click.argument("model_id", required=False)
@click.option(
    "--root",
    type=click.Path(path_type=Path),
    default=None,
    help="Set up the repository in DIR (created if missing) [the working directory].",
)
@click.option("--model", "first_model", default=None, help="Id of the first model [the folder's name, else my-model].")
@click.option(
    "--ci",
    type=click.Choice(list(CI_CHOICES)),
    default=None,
    help="CI files to write: all (GitHub Actions and GitLab CI), github, gitlab or none [all].",
)
@shared_options
@click.pass_obj
@guarded
def command(
    settings: Settings, model_id: str | None, root: Path | None, first_model: str | None, ci: CiChoice | None
) -> None:
    """Set up this repository for docs-compile, or scaffold content/MODEL_ID/model.yaml.

    Without MODEL_ID: docs-compile.yaml, a first model, .gitignore entries, .pre-commit-config.yaml,
    .github/workflows/docs.yml and .gitlab-ci.yml, and schemas/ for editors. Files that exist are kept
    (a second run changes nothing and exits 0). --content and --out name the repository's folders (relative
    to --root) in docs-compile.yaml and the CI files. With MODEL_ID: only the model (refuses to overwrite),
    and the schemas/ its first line points at, if missing.
    """
    if model_id is None:
        given = {name: getattr(settings, name).as_posix() if _given(name) else None for name in ("content", "out")}
        _repository(settings, root or Path("."), first_model, ci or "all", given)
        return
    if root is not None or first_model is not None or ci is not None:
        raise UsageError.at(
            "init",
            "MODEL_ID scaffolds one model; --root, --model and --ci set up a repository",
            hint="use one or the other",
        )
    _model(settings, checked_id(model_id))


def _given(name: str) -> bool:
    """Whether the shared option --NAME was on the command line, after init or before it."""
    ctx: click.Context | None = click.get_current_context()
    while ctx is not None:
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE:
            return True
        ctx = ctx.parent
    return False


def _model(settings: Settings, model_id: str) -> None:
    """The model's file, with the `$schema` line for the schemas/ of the working directory (the repository's root),
    which gains the schema files it lacks."""
    root = Path(".")
    target = settings.content / model_id / MODEL_FILE
    if target.exists():
        raise UsageError.at(
            display_path(target), "already exists; init never overwrites", hint="pick another id or edit the file"
        )
    line, missing = model_schema_line(target, root), missing_schemas(root)
    atomic_write(target, model_source(model_id, schema=line))
    schemas = write_missing_schemas(root, missing)
    if settings.json:
        payload = {"ok": True, "model": display_path(target), "created": [display_path(target), *schemas]}
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    elif not settings.quiet:
        echo(f"created {display_path(target)}; fill in the TODOs, then run `docs-compile validate`")
        if schemas:
            echo(f"created {', '.join(schemas)}: the schemas its first line points editors at")


def _repository(
    settings: Settings, root: Path, first_model: str | None, ci: CiChoice, given: dict[str, str | None]
) -> None:
    if root.exists() and not root.is_dir():
        raise UsageError.at(display_path(root), "not a folder", hint="--root names the repository's folder")
    folders = repository_folders(root, **given)
    outcome = write(root, plan(root, checked_id(first_model) if first_model is not None else None, ci, None, folders))
    steps = _next_steps(root, outcome)
    if settings.json:
        payload = {"ok": True, "root": display_path(root), **vars(outcome), "next": steps}
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    elif not settings.quiet:
        echo(*(f"created {path}" for path in outcome.created))
        echo(*(f"updated {path} ({outcome.notes[path]})" for path in outcome.updated))
        echo(*(f"kept    {path} ({outcome.notes[path]})" for path in outcome.kept))
        echo("next:", *(f"  {step}" for step in steps))


def _next_steps(root: Path, outcome: Outcome) -> list[str]:
    steps = [] if root.resolve() == Path.cwd().resolve() else [f"cd {shlex.quote(display_path(root))}"]
    if outcome.model:
        steps.append(f"fill in the TODOs of {outcome.model}")
    return [*steps, "docs-compile validate", "docs-compile build"]
