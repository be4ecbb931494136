"""Command line: the only place that prints errors and chooses exit codes.

Commands live in `compiler/commands/<name>.py` and are imported only when invoked, so that
`docs-compile --help` stays fast and heavy libraries load only where they are needed.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from compiler import __version__
from compiler.errors import CompilerError

# name -> (module under compiler.commands, one-line help shown by --help without importing it)
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("build", "Compile every model into its audiences' site pages and PDFs."),
    "validate": ("validate", "Check sources against the schema and cross-references; report every error."),
    "check": ("check", "Release gates: completeness, frameworks, thresholds, sign-offs, readability."),
    "resolve": ("resolve", "Resolve evidence references into content/<id>/facts.lock.json."),
    "diff": ("diff", "Semantic diff of two versions of a model source."),
    "sign": ("sign", "Record a reviewer's sign-off of a section."),
    "export": ("export", "Export a model to JSON, Hugging Face, CycloneDX or CHAI formats."),
    "import": ("import_", "Import a Hugging Face or Model Card Toolkit card as a new source."),
    "schema": ("schema", "Write the JSON Schema of the source."),
    "init": ("init", "Scaffold a new model source."),
    "serve": ("serve", "Build and serve the site locally, rebuilding on change."),
    "publish": ("publish", "Attach the documents to the model's tracker version."),
}


@dataclass
class Settings:
    """Options every command shares."""

    content: Path = Path("content")
    audiences: Path = Path("audiences")
    out: Path = Path("build")
    quiet: bool = False
    json: bool = False


F = TypeVar("F", bound=Callable[..., Any])


def shared_options(func: F) -> F:
    """Add --content/--audiences/--out/--quiet/--json to a command; they override the group's."""
    options = [
        click.option("--content", type=click.Path(path_type=Path), default=None, help="Sources folder [content]."),
        click.option(
            "--audiences", type=click.Path(path_type=Path), default=None, help="Audiences folder [audiences]."
        ),
        click.option("--out", type=click.Path(path_type=Path), default=None, help="Output folder [build]."),
        click.option("--quiet", "-q", is_flag=True, default=None, help="Print nothing but errors."),
        click.option("--json", "as_json", is_flag=True, default=None, help="Machine-readable result on stdout."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def settings(ctx: click.Context, **given: Any) -> Settings:
    """The effective settings: command options over group options over defaults."""
    base: Settings = ctx.find_object(Settings) or Settings()
    values = {
        "content": given.get("content"),
        "audiences": given.get("audiences"),
        "out": given.get("out"),
        "quiet": given.get("quiet"),
        "json": given.get("as_json"),
    }
    merged = Settings(**{k: (v if v is not None else getattr(base, k)) for k, v in values.items()})
    return merged


def fail(error: CompilerError, as_json: bool) -> None:
    """Report an error the user can fix, then exit with its code. Never a traceback."""
    if as_json:
        payload = {"ok": False, "exit_code": error.exit_code, "errors": [p.as_dict() for p in error.problems]}
        click.echo(json.dumps(payload, indent=2, sort_keys=True))
    else:
        count = len(error.problems)
        for line in error.format().splitlines():
            click.echo(f"error: {line}" if not line.startswith(" ") else line, err=True)
        if count > 1:
            click.echo(f"{count} errors", err=True)
    sys.exit(error.exit_code)


def guarded(func: F) -> F:
    """Turn CompilerError into a clean report and exit code."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        as_json = bool(kwargs.get("as_json")) or bool(getattr(ctx.find_object(Settings), "json", False))
        try:
            return func(*args, **kwargs)
        except CompilerError as error:
            fail(error, as_json)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def _available(module: str) -> bool:
    return importlib.util.find_spec(f"compiler.commands.{module}") is not None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _) in COMMANDS.items() if _available(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[cmd_name]
        try:
            module = importlib.import_module(f"compiler.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"compiler.commands.{module_name}":
                return None
            raise
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and name not in self.list_commands(ctx) and not name.startswith("-"):
            import difflib

            guess = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            raise click.UsageError(f"no such command '{name}'{hint}", ctx)
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="docs-compile")
@shared_options
@click.pass_context
def cli(ctx: click.Context, **given: Any) -> None:
    """Compile one YAML source of truth per ML model into documents for every audience.

    Exit codes: 0 ok, 1 a release gate failed, 2 an input or usage error,
    3 another build is running on the output folder.
    """
    ctx.obj = settings(ctx, **given)


def main() -> None:
    cli.main(prog_name="docs-compile")
