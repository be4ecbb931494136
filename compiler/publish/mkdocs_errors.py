"""Publish stage (site): MkDocs' configuration errors as placed problems (`mkdocs.yml:line:col`), exit code 2.

MkDocs reads mkdocs.yml with PyYAML's full loader, in which `!!python/object/apply:os.system` runs a
command: `check_config_file` composes the file first (which constructs nothing) and refuses Python tags.
MkDocs reports a bad `mkdocs.yml` by logging each error and raising `Abort`, or by raising
`ConfigurationError` with PyYAML's text; both are click exceptions that would otherwise end the
program with MkDocs' own message and exit code 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from compiler._util.paths import display_path
from compiler.errors import ConfigError, Location, Problem

_MARK = re.compile(r"line (\d+), column (\d+)")
_FILE = re.compile(r'\s*in "[^"]*",?')
_CONFIG_VALUE = re.compile(r"^Config value '([^']+)': (.*)$", re.DOTALL)


def config_error(config_file: Path, exc: Exception, logged_errors: list[str]) -> ConfigError:
    """One problem per error MkDocs found in config_file, each placed at the line of its key when known."""
    shown = display_path(config_file)
    hint = "see https://www.mkdocs.org/user-guide/configuration/"
    problems = []
    for text in logged_errors or [str(exc)]:
        found = _CONFIG_VALUE.match(text)
        if found:
            key, message = found.groups()
            line, column = _key_position(config_file, key.split(".")[0])
            problems.append(Problem(Location(shown, line, column), " ".join(message.split()), key, hint))
            continue
        marks = _MARK.findall(text)
        line, column = (int(marks[-1][0]), int(marks[-1][1])) if marks else (1, 1)
        message = text.split(":", 1)[-1] if "parsing the configuration file" in text else text
        message = " ".join(_FILE.sub("", _MARK.sub("", message)).split()).rstrip(",")
        problems.append(Problem(Location(shown, line, column), f"mkdocs.yml is not valid: {message}", "", hint))
    return ConfigError(problems)


def _key_position(config_file: Path, key: str) -> tuple[int, int]:
    try:
        lines = config_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 1, 1
    for number, line in enumerate(lines, 1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return number, 1
    return 1, 1


def check_config_file(config_file: Path) -> None:
    """Refuse a mkdocs.yml that is not YAML or that carries Python tags, before MkDocs loads it."""
    shown = display_path(config_file)
    try:
        node = yaml.compose(config_file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ConfigError.at(
            shown, f"mkdocs.yml is not valid: {exc.problem or exc}", line=line, column=column
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError.at(shown, f"mkdocs.yml cannot be read: {exc}") from None
    stack = [node] if node is not None else []
    while stack:
        item = stack.pop()
        if item.tag.startswith("tag:yaml.org,2002:python/"):
            raise ConfigError.at(
                shown,
                f"Python tag {item.tag.removeprefix('tag:yaml.org,2002:')} is not allowed in mkdocs.yml",
                line=item.start_mark.line + 1,
                column=item.start_mark.column + 1,
                hint="the site's Markdown extensions come from docs-compile; remove the tag",
            )
        if isinstance(item, yaml.MappingNode):
            stack.extend(n for pair in item.value for n in pair)
        elif isinstance(item, yaml.SequenceNode):
            stack.extend(item.value)
