"""Publish stage (site): the trusted mkdocs.yml checked before MkDocs loads it — no key that runs code or reads the environment.

The repository's own mkdocs.yml is trusted configuration, but MkDocs lets a configuration run Python
(`hooks:`, plugins), read the environment (`!ENV`), read files anywhere (`!relative`, `theme.custom_dir`,
`INHERIT`), add remote script, style or fonts to every page (`extra_javascript`, `extra_css`, `theme.font`,
`extra.analytics`), and run Markdown extensions over pages whose text comes from untrusted sources and
templates (`pymdownx.snippets` would let a template include any file). Each of those
is refused with a placed error unless the file itself allows it by name under
`extra: {docs_compile: {allow: [...]}}`, so an edit that adds one is visible in review.
"""

from __future__ import annotations

import os
import re
from importlib.metadata import entry_points
from pathlib import Path

import yaml

from compiler._util.paths import display_path
from compiler._util.text import closest
from compiler.errors import ConfigError, Location, Problem
from compiler.render.markup import MARKDOWN_EXTENSIONS

ALLOWED_PLUGINS = frozenset({"search", "material/search"})
"""Plugins the shipped mkdocs.yml uses; any other installed plugin is code and needs `plugin:<name>`."""
PERMISSIONS = ("hooks", "env", "relative", "custom_dir", "remote_assets", "inherit")
"""What `extra.docs_compile.allow` may name, besides `plugin:<name>`."""
_REMOTE = re.compile(r"^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|\\\\)")
_HINT = "allow it in this file with extra: {docs_compile: {allow: [%s]}} if the repository owner means it"


def check_config_file(config_file: Path) -> None:
    """Refuse a mkdocs.yml that is not YAML, carries Python tags, or uses a key that executes code or reads
    the environment without its allow, before MkDocs loads it (its loader constructs as it reads)."""
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
    if node is None:
        return
    problems = _tag_problems(node, config_file.parent)
    if isinstance(node, yaml.MappingNode):
        allowed = _allowed(node, problems)
        problems += _key_problems(node, config_file.parent, allowed)
        problems = [p for p in problems if p[3] not in allowed]
    if problems:
        raise ConfigError(
            [
                Problem(Location(shown, line, column), message, "", _hint(permission))
                for line, column, message, permission in sorted(problems)
            ]
        )


_Found = tuple[int, int, str, str]
"""(line, column, message, the permission that would allow it; "" when nothing can)."""


def _at(node: yaml.Node, message: str, permission: str) -> _Found:
    return node.start_mark.line + 1, node.start_mark.column + 1, message, permission


def _hint(permission: str) -> str:
    if permission == "python":
        return "the site's Markdown extensions come from docs-compile; remove the tag"
    return _HINT % permission if permission else ""


def _tag_problems(root: yaml.Node, config_dir: Path) -> list[_Found]:
    """Python tags (never allowed), `!ENV` (reads the environment) and `!relative` leading out of the project."""
    found: list[_Found] = []
    stack = [root]
    while stack:
        item = stack.pop()
        if item.tag.startswith("tag:yaml.org,2002:python/"):
            tag = item.tag.removeprefix("tag:yaml.org,2002:")
            found.append(_at(item, f"Python tag {tag} is not allowed in mkdocs.yml", "python"))
        elif item.tag == "!ENV":
            found.append(_at(item, "!ENV reads the environment (a CI secret would reach every page)", "env"))
        elif item.tag == "!relative" and not _relative_inside(str(item.value), config_dir):
            found.append(_at(item, f"!relative {item.value} leads outside the project", "relative"))
        if isinstance(item, yaml.MappingNode):
            stack.extend(n for pair in item.value for n in pair)
        elif isinstance(item, yaml.SequenceNode):
            stack.extend(item.value)
    return found


def _relative_inside(value: str, config_dir: Path) -> bool:
    """`!relative` is the page's folder, `$docs_dir/…` or `$config_dir/…`: inside unless it climbs out."""
    variable, _, rest = value.strip().partition("/")
    if variable not in ("", "$docs_dir", "$config_dir") or os.path.isabs(rest):
        return False
    if variable == "$config_dir":
        return _inside(config_dir / rest, config_dir)
    return not os.path.normpath(rest or ".").startswith("..")


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): value for key, value in node.value if isinstance(key, yaml.ScalarNode)}


def _allowed(root: yaml.MappingNode, problems: list[_Found]) -> set[str]:
    """The names under `extra.docs_compile.allow`; an unknown one is a problem (a typo would allow nothing)."""
    allow = _mapping(_mapping(_mapping(root).get("extra")).get("docs_compile")).get("allow")
    if allow is None:
        return set()
    if not isinstance(allow, yaml.SequenceNode) or not all(isinstance(i, yaml.ScalarNode) for i in allow.value):
        problems.append(_at(allow, "extra.docs_compile.allow must be a list of names", ""))
        return set()
    names = set()
    for item in allow.value:
        name = str(item.value)
        if name in PERMISSIONS or any(name.startswith(p) and len(name) > len(p) for p in ("plugin:", "extension:")):
            names.add(name)
            continue
        known = [*PERMISSIONS, "plugin:<name>", "extension:<name>"]
        suggestion = closest(name, known)
        problems.append(_at(item, f"unknown allow '{name}' ({suggestion or 'known: ' + ', '.join(known)})", ""))
    return names


def _key_problems(root: yaml.MappingNode, config_dir: Path, allowed: set[str]) -> list[_Found]:
    keys = _mapping(root)
    found: list[_Found] = []
    if "hooks" in keys:
        found.append(_at(keys["hooks"], "hooks run Python code during the build", "hooks"))
    if "INHERIT" in keys:
        found.append(_at(keys["INHERIT"], "INHERIT reads another configuration file", "inherit"))
    font = _mapping(keys.get("theme")).get("font")
    if font is not None and not (isinstance(font, yaml.ScalarNode) and font.value.lower() == "false"):
        found.append(
            _at(font, "theme.font loads the fonts from Google Fonts in every reader's browser", "remote_assets")
        )
    analytics = _mapping(keys.get("extra")).get("analytics")
    if analytics is not None:
        found.append(_at(analytics, "extra.analytics sends every reader's visits to a third party", "remote_assets"))
    custom_dir = _mapping(keys.get("theme")).get("custom_dir")
    if isinstance(custom_dir, yaml.ScalarNode) and not _inside(config_dir / str(custom_dir.value), config_dir):
        found.append(_at(custom_dir, f"theme.custom_dir {custom_dir.value} is outside the project", "custom_dir"))
    for key in ("extra_javascript", "extra_css"):
        for item, path in _assets(keys.get(key)):
            if _REMOTE.match(path):
                found.append(_at(item, f"{key} {path} is not a file of the site", "remote_assets"))
    for item, name in _plugins(keys.get("markdown_extensions")):
        if name not in MARKDOWN_EXTENSIONS and f"extension:{name}" not in allowed:
            message = (
                f"Markdown extension '{name}' runs on every generated page, whose text comes from untrusted sources"
            )
            found.append(_at(item, message, f"extension:{name}"))
    for item, name in _plugins(keys.get("plugins")):
        if name not in ALLOWED_PLUGINS and f"plugin:{name}" not in allowed and _installed(name):
            found.append(_at(item, f"plugin '{name}' runs code and is not allowed", f"plugin:{name}"))
    return found


def _assets(node: yaml.Node | None) -> list[tuple[yaml.Node, str]]:
    """Each entry of extra_javascript / extra_css with its path (a string, or a mapping with `path`)."""
    if not isinstance(node, yaml.SequenceNode):
        return []
    found: list[tuple[yaml.Node, str]] = []
    for item in node.value:
        target = _mapping(item).get("path", item)
        if isinstance(target, yaml.ScalarNode):
            found.append((target, str(target.value)))
    return found


def _plugins(node: yaml.Node | None) -> list[tuple[yaml.Node, str]]:
    """Each plugin named, as a list entry (`- search`, `- search: {…}`) or a key of a mapping."""
    if isinstance(node, yaml.SequenceNode):
        keys = [_mapping(item) or {str(item.value): item} for item in node.value if isinstance(item, yaml.Node)]
        return [(value, name) for mapping in keys for name, value in mapping.items()]
    return [(value, name) for name, value in _mapping(node).items()]


def _installed(name: str) -> bool:
    """A plugin that is not installed cannot run; MkDocs reports it as not installed, placed like any error."""
    return any(point.name == name for point in entry_points(group="mkdocs.plugins"))
