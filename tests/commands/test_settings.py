"""Command line: the shared options, given on the group or on a command, reach the command as one typed Settings."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner
from helpers.project import write_tree

from compiler.cli import Settings, setting, shared_options
from compiler.commands.init import scaffold


@click.group()
@shared_options
def _group() -> None:
    pass


@_group.command("show")
@shared_options
@click.pass_obj
def _show(settings: Settings) -> None:
    click.echo(repr(settings))
    click.echo(repr(click.get_current_context().find_root().obj))


@_group.command("some")
@setting("content")
@setting("quiet", help="Say less.")
@click.pass_obj
def _some(settings: Settings) -> None:
    click.echo(repr(settings))


def _seen(*args: str) -> list[str]:
    result = CliRunner().invoke(_group, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_defaults_when_no_option_is_given() -> None:
    assert _seen("show") == [repr(Settings()), repr(Settings())]


def test_a_command_option_overrides_the_group_option_for_that_command_only() -> None:
    group = Settings(content=Path("models"), out=Path("site-out"), json=True)
    assert _seen("--content", "models", "--out", "site-out", "--json", "show", "--out", "elsewhere", "-q") == [
        repr(Settings(content=Path("models"), out=Path("elsewhere"), quiet=True, json=True)),
        repr(group),
    ]


def test_a_command_with_some_shared_options_inherits_the_others_from_the_group() -> None:
    assert _seen("--audiences", "a", "--json", "some", "--content", "c") == [
        repr(Settings(content=Path("c"), audiences=Path("a"), json=True))
    ]
    help_text = " ".join(CliRunner().invoke(_group, ["some", "--help"]).output.split())
    assert "--content PATH Sources folder [content]. -q, --quiet Say less." in help_text
    assert "--json" not in help_text


def test_group_options_reach_real_commands(project: Path, cli) -> None:
    write_tree(project, {"models/one/model.yaml": scaffold("one")})
    assert cli("--content", "models", "validate").stdout == "ok: 1 model(s) valid: one\n"
    assert cli("--content", "nowhere", "validate", "--content", "models").exit_code == 0
    assert cli("-q", "--content", "models", "validate").stdout == ""
    as_json = cli("--json", "validate", "--content", "nowhere")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["errors"][0]["message"] == "content folder not found"
    exported = cli("--content", "models", "--json", "export", "one", "--format", "json")
    assert exported.exit_code == 0 and json.loads(exported.stdout)["model"] == "one"


def test_export_words_the_shared_options_for_itself(cli) -> None:
    text = " ".join(cli("export", "--help").output.split())
    assert "-q, --quiet Print no loss report. --json Result and loss report as JSON on stdout." in text
    assert "--audiences" not in text
