"""Command line: the only place that prints errors and chooses exit codes.

Commands live in `compiler/commands/<name>.py` and are imported only when invoked, so that
`docs-compile --help` stays fast and heavy libraries load only where they are needed.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, NoReturn, TextIO, TypeVar

import click

from compiler import __version__
from compiler.errors import CompilerError, printable

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
    "init": ("init", "Scaffold a repository, or a new model source."),
    "audiences": ("audiences", "List the audiences (own over packaged); copy a packaged one to edit."),
    "serve": ("serve", "Build and serve the site locally, rebuilding on change."),
    "publish": ("publish", "Archive the built site as a version, or attach documents to a tracker version."),
}


@dataclass(frozen=True)
class Settings:
    """Options every command shares, passed to each command as its first argument (click's `pass_obj`).

    Given on the group (`docs-compile --out DIR build`) or on the command (`docs-compile build --out DIR`);
    the command's value wins, then `docs-compile.yaml` of the working directory, then the defaults.
    """

    content: Path = Path("content")
    audiences: Path | None = None
    """The repository's own audiences (layered over the packaged ones); None: `audiences/` when it exists."""
    out: Path = Path("build")
    quiet: bool = False
    json: bool = False
    packaged_audiences: bool = True
    """Layer the packaged audiences under the repository's (docs-compile.yaml `packaged_audiences`)."""
    mkdocs: Path | Literal[False] | None = None
    """The repository's mkdocs.yml over the packaged base (docs-compile.yaml `mkdocs`): None the working
    directory's when it exists, False the packaged base alone."""

    @classmethod
    def from_project(cls) -> Settings:
        """The defaults of this repository: docs-compile.yaml's folders when it has the file, else the built-in."""
        from compiler._util.paths import PROJECT_CONFIG

        if not Path(PROJECT_CONFIG).is_file() or _HELP.intersection(sys.argv[1:]):
            return cls()  # help shows the built-in defaults, without importing the settings' schema: it stays quick
        from compiler.config.project import load_config

        config = load_config()
        audiences = Path(config.audiences) if config.audiences is not None else None
        mkdocs = config.mkdocs if config.mkdocs is False or config.mkdocs is None else Path(config.mkdocs)
        return cls(
            Path(config.content),
            audiences,
            Path(config.out),
            packaged_audiences=config.packaged_audiences,
            mkdocs=mkdocs,
        )


_HELP = frozenset({"--help", "-h"})
F = TypeVar("F", bound=Callable[..., Any])

# Settings field -> (option names, click attributes); the field name is the option's parameter name.
_SHARED: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "content": (("--content",), {"type": click.Path(path_type=Path), "help": "Sources folder [content]."}),
    "audiences": (
        ("--audiences",),
        {"type": click.Path(path_type=Path), "help": "Own audiences, over the packaged ones [audiences, if any]."},
    ),
    "out": (("--out",), {"type": click.Path(path_type=Path), "help": "Output folder [build]."}),
    "quiet": (("--quiet", "-q"), {"is_flag": True, "help": "Print nothing but errors."}),
    "json": (("--json",), {"is_flag": True, "help": "Machine-readable result on stdout."}),
}


def _merge(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Option callback: a value given here overrides the one inherited from the group, in this context only."""
    if isinstance(ctx.obj, Settings):
        inherited = ctx.obj
    else:
        try:
            inherited = Settings.from_project()
        except CompilerError as error:  # a bad docs-compile.yaml, found while the options are read
            fail(error, "--json" in sys.argv)
    # A subcommand's context starts with the group's object; replace() leaves the group's untouched.
    ctx.obj = inherited if value is None else replace(inherited, **{str(param.name): value})


def setting(name: str, help: str | None = None) -> Callable[[F], F]:
    """One shared option (a `Settings` field) on a command; `help` rewords it for that command."""
    decls, attrs = _SHARED[name]
    given = {**attrs, "help": help or attrs["help"]}
    return click.option(*decls, name, default=None, expose_value=False, callback=_merge, **given)


def shared_options(func: F) -> F:
    """Add --content/--audiences/--out/--quiet/--json to a command; they override the group's."""
    for name in reversed(_SHARED):
        func = setting(name)(func)
    return func


def echo(*lines: str, err: bool = False) -> None:
    """Print lines for a person (summaries, warnings, paths), each on its own, with control characters escaped.

    What a command prints carries folder names and source text; an escape sequence there (an OSC-8 link,
    a cursor move, a bidirectional override) must not reach the terminal. A line break inside one of
    `lines` is escaped too, so a value cannot print a line of its own. JSON output needs no escaping.
    """
    for line in lines:
        click.echo(printable(line), err=err)


def fail(error: CompilerError, as_json: bool) -> NoReturn:
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

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = click.get_current_context().find_object(Settings)
        try:
            return func(*args, **kwargs)
        except CompilerError as error:
            fail(error, settings is not None and settings.json)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

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
def cli() -> None:
    """Compile one YAML source of truth per ML model into documents for every audience.

    Exit codes: 0 ok, 1 a release gate failed, 2 an input or usage error,
    3 another build is running on the output folder.
    """


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    # A library's warning quotes what it was given (matplotlib names a glyph of a source's signal name):
    # printed like every other line, each line escaped.
    text = warnings.formatwarning(message, category, filename, lineno, line)
    stream = file or sys.stderr
    stream.write("".join(printable(part) + "\n" for part in text.removesuffix("\n").split("\n")))


def main() -> None:
    warnings.showwarning = _show_warning
    cli.main(prog_name="docs-compile")
