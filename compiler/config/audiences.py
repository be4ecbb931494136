"""Audiences are data: `audiences/<name>/audience.yaml` plus Jinja2 templates beside it.

This module reads and validates audience folders (render stage input). A new folder is a new
audience; `extends:` gives a template search path in precedence order, like a theme.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from compiler._util.paths import display_path
from compiler._util.text import closest
from compiler.errors import ConfigError, Location, Problem
from compiler.load.reader import load_yaml
from compiler.schema.base import Identifier, Node, Text

AUDIENCE_FILE = "audience.yaml"
Output = Literal["site", "pdf"]


class PdfSettings(Node):
    profile: Identifier = "fda-ectd"
    """PDF profile name (a file under the profiles folder), e.g. fda-ectd, eu-archival, accessible."""
    max_pages: int | None = Field(default=None, ge=1)
    """The build warns when the PDF has more pages than this."""
    compact_header: bool = False
    """Use a compact header block instead of a cover page (short documents)."""
    toc: bool | None = None
    """Table of contents; default: only for documents of five pages or more."""


class Readability(Node):
    max_grade: float = Field(ge=1, le=20)
    """Highest Flesch–Kincaid grade allowed for the plain-language fields."""
    fields: list[str] = Field(default_factory=lambda: ["plain"])
    """Source paths whose text is scored."""


class SignOff(Node):
    role: Text
    """Role whose approval the audience requires, e.g. clinician, regulatory-affairs."""
    sections: list[str] = Field(min_length=1)
    """Source sections that role must approve."""


class AudienceConfig(Node):
    title: Text
    """Title of the document, e.g. 'Technical model card'."""
    description: Text
    """Who the document is for and what it answers."""
    order: int = 50
    """Position among the audiences on the site (lower first)."""
    extends: Identifier | None = None
    """Another audience whose templates this one falls back on."""
    sections: list[Identifier] = Field(min_length=1)
    """Section templates (`sections/<name>.md.j2`) in the order they appear."""
    requires: list[str] = Field(default_factory=list)
    """Source field paths this audience cannot do without (checked for completeness)."""
    frameworks: list[Identifier] = Field(default_factory=list)
    """Frameworks whose coverage this audience reports."""
    outputs: list[Output] = Field(default_factory=lambda: list[Output](["site"]), min_length=1)
    """Outputs to build: site, pdf."""
    pdf: PdfSettings = Field(default_factory=PdfSettings)
    """PDF settings (used when outputs include pdf)."""
    readability: Readability | None = None
    """Readability target for plain-language text."""
    signoffs: list[SignOff] = Field(default_factory=list)
    """Approvals this audience requires before release."""
    applies_to: list[str] = Field(default_factory=list)
    """Domains this audience is built for (e.g. [health]); empty: every model."""


@dataclass(frozen=True)
class Audience:
    """A validated audience: its name, configuration and template folders (own first)."""

    name: str
    folder: Path
    config: AudienceConfig
    search_path: tuple[Path, ...]

    def applies(self, domain: str) -> bool:
        return not self.config.applies_to or domain in self.config.applies_to


def load_audiences(root: Path, names: list[str] | None = None) -> list[Audience]:
    """Every audience under root (or the named ones), validated, sorted by order then name."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError.at(display_path(root), "audiences folder not found", hint="pass --audiences DIR")
    folders = sorted(p for p in root.iterdir() if (p / AUDIENCE_FILE).is_file())
    problems: list[Problem] = []
    configs: dict[str, tuple[Path, AudienceConfig]] = {}
    for folder in folders:
        config = _read(folder, root, problems)
        if config is not None:
            configs[folder.name] = (folder, config)
    audiences: dict[str, Audience] = {}
    for name, (folder, config) in configs.items():
        chain = _chain(name, configs, problems)
        if chain is not None:
            audiences[name] = Audience(name, folder, config, tuple(configs[n][0] for n in chain))
    wanted = names or sorted(audiences)
    for name in wanted:
        if name not in audiences and name not in configs:
            problems.append(
                Problem(
                    Location(display_path(root / name / AUDIENCE_FILE)),
                    f"no audience '{name}'",
                    hint=closest(name, sorted(configs)) or f"audiences: {', '.join(sorted(configs))}",
                )
            )
    if problems:
        raise ConfigError(problems)
    chosen = [audiences[n] for n in wanted if n in audiences]
    return sorted(chosen, key=lambda a: (a.config.order, a.name))


def _read(folder: Path, root: Path, problems: list[Problem]) -> AudienceConfig | None:
    loaded = load_yaml(folder / AUDIENCE_FILE, root, problems)
    if loaded is None:
        return None
    try:
        return AudienceConfig.model_validate(loaded.data)
    except ValidationError as exc:
        from compiler.validate.problems import schema_problems

        problems.extend(schema_problems(loaded, exc, AudienceConfig))
        return None


def _chain(name: str, configs: dict[str, tuple[Path, AudienceConfig]], problems: list[Problem]) -> list[str] | None:
    chain = [name]
    while (parent := configs[chain[-1]][1].extends) is not None:
        where = Location(display_path(configs[chain[-1]][0] / AUDIENCE_FILE))
        if parent not in configs:
            problems.append(
                Problem(where, f"extends unknown audience '{parent}'", "extends", closest(parent, sorted(configs)))
            )
            return None
        if parent in chain:
            problems.append(Problem(where, f"extends cycle: {' -> '.join([*chain, parent])}", "extends"))
            return None
        chain.append(parent)
    return chain
