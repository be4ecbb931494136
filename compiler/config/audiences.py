"""Audiences are data: `audiences/<name>/audience.yaml` plus Jinja2 templates beside it.

This module reads and validates audience folders (render stage input). A new folder is a new
audience; `extends:` gives a template search path in precedence order, like a theme.
"""

from __future__ import annotations

from collections.abc import Sequence
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
COMMON_FOLDER = "_common"
DEFAULT_FOLDER = "audiences"
"""The repository's own audiences folder, layered over the packaged audiences when it exists."""
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
    """The folder whose audience.yaml configures it."""
    config: AudienceConfig
    search_path: tuple[Path, ...]
    """Template folders in precedence order: this audience in every layer, then what it extends, likewise."""
    common: tuple[Path, ...] = ()
    """The shared `_common` folders of every layer, top layer first."""
    roots: tuple[Path, ...] = ()
    """The layers (audiences folders) its templates and style sheets may come from."""

    def __post_init__(self) -> None:
        # Made by hand from one folder (a single layer): that folder's audiences folder and its `_common`.
        if not self.roots:
            object.__setattr__(self, "roots", (self.folder.parent,))
        if not self.common and (self.folder.parent / COMMON_FOLDER).is_dir():
            object.__setattr__(self, "common", (self.folder.parent / COMMON_FOLDER,))

    def applies(self, domain: str) -> bool:
        return not self.config.applies_to or domain in self.config.applies_to


def load_audiences(
    layers: Path | Sequence[Path], names: list[str] | None = None, *, own_only: bool = False
) -> list[Audience]:
    """Every audience of the layers (or the named ones), validated, sorted by order then name.

    `layers` are audiences folders in precedence order, e.g. a repository's own `audiences/` over the packaged
    one (`audience_layers`). An audience is the union of its folders across the layers, file by file: the
    first layer that has a file wins, the first `audience.yaml` configures it, and `extends:` names an
    audience of any layer. `own_only`: without `names`, only the audiences of the top layer (the lower layers
    still lend their templates, `_common` included).
    """
    roots = _existing_layers([layers] if isinstance(layers, Path | str) else list(layers))
    problems: list[Problem] = []
    folders = _folders_by_name(roots)
    configs: dict[str, tuple[Path, AudienceConfig]] = {}
    for name, found in folders.items():
        own = next((f for f in found if (f / AUDIENCE_FILE).is_file()), None)
        if own is None:
            problems.append(_orphan(found[0], sorted(n for n, f in folders.items() if n != name)))
            continue
        config = _read(own, own.parent, problems)
        if config is not None:
            configs[name] = (own, config)
    common = tuple(r / COMMON_FOLDER for r in roots if (r / COMMON_FOLDER).is_dir())
    audiences: dict[str, Audience] = {}
    for name, (folder, config) in configs.items():
        chain = _chain(name, configs, problems)
        if chain is not None:
            search = tuple(f for n in chain for f in folders[n])
            audiences[name] = Audience(name, folder, config, search, common, tuple(roots))
    wanted = names or sorted(n for n in audiences if not own_only or (roots[0] / n).is_dir())
    for name in wanted:
        if name not in audiences and name not in configs:
            problems.append(
                Problem(
                    Location(display_path(roots[0] / name / AUDIENCE_FILE)),
                    f"no audience '{name}'",
                    hint=closest(name, sorted(configs)) or f"audiences: {', '.join(sorted(configs))}",
                )
            )
    if problems:
        raise ConfigError(problems)
    chosen = [audiences[n] for n in wanted if n in audiences]
    return sorted(chosen, key=lambda a: (a.config.order, a.name))


def audience_layers(own: Path | None, packaged: bool = True) -> list[Path]:
    """The audiences folders a build reads, top first: the repository's own (`own`; None: `audiences/` of the
    working directory when there is one), then the packaged audiences. With `packaged` false the repository
    must have its own folder (build it with `load_audiences(..., own_only=True)`)."""
    from compiler.config.packaged import packaged_audiences

    layers = [own] if own is not None else [p for p in (Path(DEFAULT_FOLDER),) if p.is_dir()]
    if (own is not None and not own.is_dir()) or (not layers and not packaged):
        hint = "pass --audiences DIR" if packaged else "packaged_audiences is false: add your own audiences/ folder"
        raise ConfigError.at(display_path(own or Path(DEFAULT_FOLDER)), "audiences folder not found", hint=hint)
    return [*layers, packaged_audiences()]


def _existing_layers(layers: list[Path]) -> list[Path]:
    """The layers as folders, each once (a checkout's own audiences are also the packaged ones)."""
    roots: list[Path] = []
    for layer in map(Path, layers):
        if not layer.is_dir():
            raise ConfigError.at(display_path(layer), "audiences folder not found", hint="pass --audiences DIR")
        if all(layer.resolve() != r.resolve() for r in roots):
            roots.append(layer)
    if not roots:
        raise ConfigError.at("audiences", "no audiences folder given", hint="pass --audiences DIR")
    return roots


def _folders_by_name(roots: list[Path]) -> dict[str, list[Path]]:
    """Each audience name with its folders, top layer first (`_common` and hidden folders are not audiences)."""
    found: dict[str, list[Path]] = {}
    for root in roots:
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
            found.setdefault(folder.name, []).append(folder)
    return found


def _orphan(folder: Path, known: list[str]) -> Problem:
    """A folder that overrides no audience and configures none: most likely a misspelt name."""
    return Problem(
        Location(display_path(folder / AUDIENCE_FILE)),
        f"'{folder.name}' has no {AUDIENCE_FILE} and overrides no audience of another layer",
        hint=closest(folder.name, known) or f"add {AUDIENCE_FILE}, or name an audience: {', '.join(known)}",
    )


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
