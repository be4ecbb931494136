"""Frameworks are data (check stage input): one YAML checklist per regulatory or documentation framework.

Each requirement names the source field paths that satisfy it (see `paths` for the path language), the
audiences it concerns, the citation in the framework's text, and optionally a condition (`when:`) such as
`medical_device` or `domain == health` under which it applies.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from compiler._util.paths import display_path
from compiler._util.text import closest
from compiler.errors import ConfigError, Location, Problem
from compiler.load.reader import load_yaml
from compiler.schema.base import Identifier, Node, Text, Url
from compiler.schema.paths import PathSyntaxError, check_condition, check_path

FOLDER = Path(__file__).resolve().parent


class Requirement(Node):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._()-]{0,39}$")
    """Identifier within the framework, e.g. MC-2 or IV-2(d)."""
    group: Text
    """Section of the framework the requirement belongs to, e.g. 'Intended use'."""
    text: Text
    """What the framework asks for, condensed."""
    citation: Text
    """Where the framework says so, e.g. 'Annex IV(2)(d)'."""
    audiences: list[Identifier] = Field(default_factory=list)
    """Audiences the requirement concerns; empty: every audience that reports the framework."""
    fields: list[str] = Field(min_length=1)
    """Source field paths that satisfy it."""
    match: Literal["all", "any"] = "all"
    """all: every path must be filled; any: one filled path is enough."""
    when: str | None = None
    """Condition under which the requirement applies, e.g. `medical_device` or `domain == health`."""
    applies_to: Text | None = None
    """Whom the requirement concerns, in words, when `when` limits it: says why it applies, or not."""


class Framework(Node):
    id: Identifier
    """Identifier that audiences list under `frameworks:`."""
    title: Text
    """Name of the framework."""
    source: Text
    """The document the requirements are condensed from."""
    url: Url | None = None
    """Where to read it."""
    each: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_.]*$")
    """A list field the framework applies to element by element (e.g. `datasets` for datasheets)."""
    when: str | None = None
    """Condition under which the whole framework applies."""
    applies_to: Text | None = None
    """Whom the framework concerns, in words (e.g. 'AI-enabled medical devices'): says why it applies, or not."""
    requirements: list[Requirement] = Field(min_length=1)
    """The checklist."""

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        seen: set[str] = set()
        for req in self.requirements:
            if req.id in seen:
                raise ValueError(f"duplicate requirement id '{req.id}'")
            seen.add(req.id)
            for path in req.fields:
                if self.each and not path.startswith(f"{self.each}[]."):
                    raise ValueError(f"{req.id}: '{path}' must start with '{self.each}[].' (the framework has each:)")
                try:
                    check_path(path)
                except PathSyntaxError as exc:
                    raise ValueError(f"{req.id}: {exc}") from None
            for condition in (req.when, self.when):
                if condition:
                    try:
                        check_condition(condition)
                    except PathSyntaxError as exc:
                        raise ValueError(f"{req.id}: {exc}") from None
        return self


def framework_ids(folder: Path = FOLDER) -> list[str]:
    """Ids of the frameworks shipped (the YAML files' stems), sorted."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


@lru_cache(maxsize=64)
def _load(path: Path) -> Framework:
    problems: list[Problem] = []
    loaded = load_yaml(path, path.parent, problems)
    if loaded is None:
        raise ConfigError(problems)
    try:
        framework = Framework.model_validate(loaded.data)
    except ValidationError as exc:
        from compiler.validate.problems import schema_problems

        raise ConfigError(schema_problems(loaded, exc, Framework)) from None
    if framework.id != path.stem:
        raise ConfigError.at(
            display_path(path), f"id '{framework.id}' differs from the file name", hint=f"use id: {path.stem}"
        )
    return framework


def load_framework(framework_id: str, folder: Path = FOLDER) -> Framework:
    """One framework by id; ConfigError naming the known ids when there is none."""
    path = folder / f"{framework_id}.yaml"
    if not path.is_file():
        known = framework_ids(folder)
        raise ConfigError(
            [
                Problem(
                    Location(display_path(path)),
                    f"no framework '{framework_id}'",
                    hint=closest(framework_id, known) or f"frameworks: {', '.join(known)}",
                )
            ]
        )
    return _load(path)


def load_frameworks(ids: list[str] | None = None, folder: Path = FOLDER) -> list[Framework]:
    """The named frameworks (default: all), in the order given; every unknown id reported at once."""
    problems: list[Problem] = []
    found: list[Framework] = []
    for framework_id in ids if ids is not None else framework_ids(folder):
        try:
            found.append(load_framework(framework_id, folder))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return found


__all__ = ["Framework", "Requirement", "framework_ids", "load_framework", "load_frameworks"]
