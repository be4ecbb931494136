"""Render stage: `docs/templates.md`, the template API's reference, generated from its docstrings.

python -m compiler.render.apidoc > docs/templates.md
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from compiler.render.api import FILTERS, VARIABLES, TemplateAPI

REGENERATE = "python -m compiler.render.apidoc > docs/templates.md"

INTRO = f"""\
# Template API

<!-- Generated from compiler/render/api.py by `{REGENERATE}`; edit the docstrings, not this file. -->

An audience's templates (`audiences/<name>/sections/*.md.j2`, see [Add an audience](audiences.md)) are
Jinja2 templates that write Markdown. Besides Jinja's own statements, tests and filters
(`{{% for %}}`, `selectattr`, `join`, `upper`…, see the
[Jinja template reference](https://jinja.palletsprojects.com/en/3.1.x/templates/)), they see the
variables, functions and filters below, and nothing else.

- Every printed plain value is escaped: text from the source is shown literally, never read as
  Markdown or HTML. Markdown fields are printed with the `md` or `md_inline` filter, which sanitise them.
- A missing value is an error naming the template, its line and the source field, never a blank; test
  optional fields with `{{% if … %}}`, or print them with `or_na` or `or_missing`.
- Templates run in a sandbox: no Python internals, no files outside the audience folders, no network.
"""


def reference() -> str:
    """The whole of docs/templates.md."""
    lines = [INTRO, "## Variables", ""]
    lines += [f"- `{name}`: {text}" for name, text in VARIABLES.items()]
    lines.append("")
    for group, names in TemplateAPI.GROUPS.items():
        lines += [f"## Functions: {group.lower()}", ""]
        for name in names:
            function = getattr(TemplateAPI, name)
            lines += [f"### `{name}({_parameters(function, skip=1)})`", "", *_described(function)]
    lines += ["## Filters", ""]
    for name, function in FILTERS.items():
        arguments = _parameters(function, skip=1)
        lines += [f"### `value | {name}" + (f"({arguments})`" if arguments else "`"), "", *_described(function)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _parameters(function: Callable[..., Any], skip: int) -> str:
    """The parameters a template passes, as Jinja writes them (`none`, `true`, quoted strings)."""
    shown = []
    for parameter in list(inspect.signature(function).parameters.values())[skip:]:
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            shown.append(f"*{parameter.name}")
        elif parameter.default is inspect.Parameter.empty:
            shown.append(parameter.name)
        else:
            shown.append(f"{parameter.name}={_jinja_literal(parameter.default)}")
    return ", ".join(shown)


def _jinja_literal(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return str(value).lower()
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _described(function: Callable[..., Any]) -> list[str]:
    """The docstring as Markdown, paragraph by paragraph; an `Example:` paragraph becomes a Jinja block."""
    lines: list[str] = []
    for paragraph in (inspect.getdoc(function) or "").split("\n\n"):
        rows = paragraph.splitlines()
        if rows[0] == "Example:":
            rows = ["```jinja", *(row.removeprefix("    ") for row in rows[1:]), "```"]
        lines += [*rows, ""]
    return lines


if __name__ == "__main__":
    print(reference(), end="")
