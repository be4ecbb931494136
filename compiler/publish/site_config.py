"""Publish stage (site): the MkDocs configuration of a build — the packaged base with the repository's own
mkdocs.yml merged over it.

The base (docs-compile's `mkdocs.yml`, shipped in the package) sets the theme, search and the site's
style and script. A repository may keep a `mkdocs.yml` of its own in the working directory: it only
needs what it changes (site name, palette, logo, extra pages, more Markdown extensions). Merged like
MkDocs' own `INHERIT`: mappings merge key by key, any other value replaces the base's; except that
`extra_css`, `extra_javascript` and `markdown_extensions` add to the base's lists, so the shipped style,
Mermaid and the Markdown dialect shared with the PDFs stay. The repository's file is trusted
configuration, still checked for keys that run code (compiler/publish/mkdocs_config.py) before MkDocs
reads it. Its `docs_dir`, when it names one, holds extra pages and files (a logo) copied beside the
generated pages; its `nav` entries follow the generated navigation.

The theme is Material with docs-compile's own overrides (`compiler/publish/theme/`: partials and a script
that make the pages accessible), set as `theme.custom_dir`. They are package data, trusted like the code:
MkDocs runs theme partials as unsandboxed Jinja2, so they never come from an audiences folder. When the
repository's mkdocs.yml names a `custom_dir` of its own, both are copied into one temporary folder, the
repository's files over docs-compile's, so a partial it overrides wins and the others stay.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from compiler._util.paths import display_path
from compiler.config.packaged import packaged_mkdocs_config
from compiler.errors import ConfigError, Location, Problem
from compiler.publish.mkdocs_config import check_config_file

REPOSITORY_CONFIG = Path("mkdocs.yml")
THEME_OVERRIDES = Path(__file__).resolve().parent / "theme"
"""docs-compile's overrides of the Material theme (templates, partials, scripts)."""
ADDED_LISTS = ("extra_css", "extra_javascript")
"""Lists the repository's file adds to rather than replaces."""
SCRIPT_PAGES = (".html", ".htm", ".xhtml")
"""Files of the extra pages folder that are not copied: a page is Markdown, which the site sanitises."""


@dataclass(frozen=True)
class SiteConfiguration:
    """The packaged base mkdocs.yml and, when the repository has one, its own (merged over the base)."""

    base: Path
    own: Path | None = None

    @property
    def files(self) -> list[Path]:
        """The files whose bytes decide the site's shell (for the build's inputs key): the configuration files,
        the theme overrides, and the repository's own custom_dir and extra pages."""
        folders = [THEME_OVERRIDES]
        if self.own is not None:
            try:
                own = _safe_mapping(self.own, tolerant=True)
            except (yaml.YAMLError, UnicodeDecodeError):
                own = {}  # the build reports the file's problem, placed, when it reads it (check_config_file)
            theme = own.get("theme")
            named = [own.get("docs_dir"), theme.get("custom_dir") if isinstance(theme, dict) else None]
            folders += [self.own.parent / name for name in named if isinstance(name, str)]
        trees = [sorted(p for p in folder.rglob("*") if p.is_file()) for folder in folders if folder.is_dir()]
        return [self.base, *([self.own] if self.own else []), *(path for tree in trees for path in tree)]

    @property
    def shown(self) -> Path:
        """The file errors are reported against: the repository's own when there is one."""
        return self.own or self.base


def site_configuration(own: Path | Literal[False] | None = None) -> SiteConfiguration:
    """The configuration of a build: `own` (default: the working directory's mkdocs.yml, if any; False: none)
    over the base."""
    base = packaged_mkdocs_config()
    if own is False:
        return SiteConfiguration(base)
    if own is None:
        own = REPOSITORY_CONFIG if REPOSITORY_CONFIG.is_file() else None
    elif not own.is_file():
        raise ConfigError.at(display_path(own), "mkdocs.yml not found", hint="check the path given")
    if own is not None and own.resolve() == base.resolve():  # docs-compile's own checkout
        own = None
    return SiteConfiguration(base, own)


def load_site_config(site: SiteConfiguration, overrides: dict[str, Any], extensions: list[Any], theme_dir: Path) -> Any:
    """MkDocs' validated configuration: base, repository file and the build's overrides (docs_dir, site_dir,
    nav), with the Markdown extensions of docs-compile first and the theme overrides composed in `theme_dir`
    (an empty folder that must outlive the build). Raises MkDocs' own exceptions."""
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.exceptions import Abort

    base = _safe_mapping(site.base)
    config = MkDocsConfig(config_file_path=str(site.shown))
    raw: dict[str, Any] = {}
    if site.own is not None:
        from mkdocs.utils.yaml import get_yaml_loader, yaml_load

        check_config_file(site.own)
        with open(site.own, "rb") as stream:  # MkDocs' own loader: its tags (!ENV, !relative) and INHERIT
            raw = yaml_load(stream, get_yaml_loader(config=config))
    merged = merge(base, raw)
    merged["theme"] = compose_theme(merged.get("theme"), site, theme_dir)
    nav = [*overrides.pop("nav", []), *(raw.get("nav") or [])]
    own_extensions = [e for e in raw.get("markdown_extensions") or [] if _name(e) not in {_name(x) for x in extensions}]
    config.load_dict({**merged, **overrides, "nav": nav, "markdown_extensions": [*extensions, *own_extensions]})
    errors, warnings = config.validate()
    log = logging.getLogger("mkdocs.config")
    for name, warning in warnings:
        log.warning(f"Config value '{name}': {warning}")
    for name, error in errors:
        log.error(f"Config value '{name}': {error}")
    if errors:
        raise Abort("Aborted with a configuration error!")
    return config


def merge(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """`own` over `base`: mappings key by key, lists of ADDED_LISTS appended (without repeats), the rest replaced."""
    merged = dict(base)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        elif key in ADDED_LISTS and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *(v for v in value if v not in merged[key])]
        else:
            merged[key] = value
    return merged


def compose_theme(theme: Any, site: SiteConfiguration, folder: Path) -> Any:
    """The theme setting with `custom_dir` set to `folder`, filled with docs-compile's overrides and, over them,
    the repository's own custom_dir. Only for Material: the overrides are Material's partials."""
    theme = {"name": theme} if isinstance(theme, str) else dict(theme or {})
    if theme.get("name") != "material":
        return theme
    if not THEME_OVERRIDES.is_dir():
        raise ConfigError.at(
            display_path(THEME_OVERRIDES),
            "docs-compile's theme overrides are missing from this installation",
            hint="reinstall docs-compile (pip install --force-reinstall docs-compile)",
        )
    shutil.copytree(THEME_OVERRIDES, folder, dirs_exist_ok=True)
    own = theme.get("custom_dir")
    if own is not None and site.own is not None:
        source = site.own.parent / own if isinstance(own, str) else None
        if source is None or not source.is_dir():
            line, column = _place(site.own, "theme", "custom_dir")
            raise ConfigError.at(
                display_path(site.own),
                f"{own} is not a folder",
                line=line,
                column=column,
                field="theme.custom_dir",
                hint="name a folder of theme overrides, relative to mkdocs.yml",
            )
        shutil.copytree(source, folder, dirs_exist_ok=True)
    theme["custom_dir"] = str(folder)
    return theme


def copy_extra_pages(site: SiteConfiguration, docs: Path, generated: set[str]) -> None:
    """The repository's extra pages folder (`docs_dir` of its mkdocs.yml) copied into the pages folder;
    `generated` holds the paths of the pages and files docs-compile wrote there, which it may not replace."""
    folder = _extra_pages_folder(site)
    if folder is None:
        return
    problems = []
    root = folder.resolve()
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(folder).as_posix()
        where = Location(display_path(path))
        if not path.resolve().is_relative_to(root):
            problems.append(Problem(where, "is a link leading outside the extra pages folder"))
        elif path.suffix.lower() in SCRIPT_PAGES:
            problems.append(Problem(where, "an extra page must be Markdown (HTML pages are not sanitised)"))
        elif rel in generated:
            problems.append(Problem(where, f"'{rel}' is a page docs-compile generates", hint="rename or move it"))
        else:
            target = docs / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    if problems:
        raise ConfigError(problems)


def _extra_pages_folder(site: SiteConfiguration) -> Path | None:
    """The folder the repository's mkdocs.yml names as `docs_dir`; None when it names none."""
    if site.own is None:
        return None
    value = _safe_mapping(site.own, tolerant=True).get("docs_dir")
    if not isinstance(value, str):
        return None
    folder = site.own.parent / value
    if not folder.resolve().is_relative_to(site.own.parent.resolve()):
        raise ConfigError.at(display_path(site.own), f"docs_dir {value} is outside the project", field="docs_dir")
    if not folder.is_dir():
        raise ConfigError.at(display_path(site.own), f"docs_dir {value} is not a folder", field="docs_dir")
    return folder


def _safe_mapping(path: Path, tolerant: bool = False) -> dict[str, Any]:
    """A configuration file's top-level mapping read with safe YAML; `tolerant`: MkDocs' tags read as None."""

    class Loader(yaml.SafeLoader):
        pass

    if tolerant:
        Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    with open(path, encoding="utf-8") as stream:
        data = yaml.load(stream, Loader=Loader)
    return data if isinstance(data, dict) else {}


def _place(path: Path, *keys: str) -> tuple[int, int]:
    """Line and column of a nested key's value in a YAML file; (0, 0) when it is not there."""
    node: yaml.Node | None = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    for key in keys:
        pairs = node.value if isinstance(node, yaml.MappingNode) else []
        node = next((v for k, v in pairs if isinstance(k, yaml.ScalarNode) and k.value == key), None)
    return (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (0, 0)


def _name(extension: Any) -> str:
    return next(iter(extension)) if isinstance(extension, dict) else str(extension)


__all__ = [
    "THEME_OVERRIDES",
    "SiteConfiguration",
    "compose_theme",
    "copy_extra_pages",
    "load_site_config",
    "merge",
    "site_configuration",
]
