"""Publish stage (site): MkDocs' configuration errors as placed problems (`mkdocs.yml:line:col`), exit code 2.

MkDocs reports a bad `mkdocs.yml` by logging each error and raising `Abort`, or by raising
`ConfigurationError` with PyYAML's text; both are click exceptions that would otherwise end the
program with MkDocs' own message and exit code 1.
"""

from __future__ import annotations

import re
from pathlib import Path

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
