"""Publish stage, site archive: `versions.json` in mike's format, version and alias names, redirect pages.

The archive folder follows the layout of mike (the MkDocs version manager): one folder per version, a
`versions.json` listing `{"version", "title", "aliases"}` newest first, which Material's version selector
(`extra.version.provider: mike`) reads, and aliases as folders of redirect pages. Versions are ordered the
way mike orders them (names that do not begin with a digit or `v` and a digit first, then setuptools' legacy
version order, in which the `v` of `v1.0` is a word below every number), so the selector lists them the same
whichever tool wrote the file.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from compiler._util.paths import display_path
from compiler.errors import ConfigError, UsageError

VERSIONS_FILE = "versions.json"
INDEX_FILE = "index.html"

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
"""A version or alias: a folder name of the archive and a path segment of every URL in it."""
_RESERVED_SUFFIXES = (".html", ".json")

# mike's redirect template (mike/templates/redirect.html), used for alias pages and the archive's index.html.
REDIRECT = """\
<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>Redirecting</title>
  <noscript>
    <meta http-equiv="refresh" content="1; url={href}" />
  </noscript>
  <script>
    window.location.replace(
      "{href}" + window.location.search + window.location.hash
    );
  </script>
</head>
<body>
  Redirecting to <a href="{href}">{href}</a>...
</body>
</html>
"""
_REFRESH = re.compile(r'<meta http-equiv="refresh" content="1; url=([^"]*)"')


def check_name(name: str, kind: str) -> str:
    """A version or alias name that is safe as a folder and a URL segment; UsageError otherwise."""
    if not NAME.match(name) or name.lower().endswith(_RESERVED_SUFFIXES):
        raise UsageError.at(
            f"--{kind}",
            f"'{name}' is not a valid {kind} name",
            hint="letters, digits and . _ + -, beginning with a letter or digit, at most 64 characters, "
            "not ending in .html or .json (e.g. 1.2.0, v2, latest)",
        )
    return name


def version_key(version: str) -> tuple[int, tuple[str, ...]]:
    """mike's order of versions (ascending): releases (a leading digit, or `v` and a digit) before the rest, then
    the loose version.

    The loose version is setuptools' legacy `parse_version`, as mike takes it from verspec: numbers compare
    as numbers, `rc`/`pre`/`dev` sort before the release, trailing `.0`s do not count, and any other word is
    compared as text below every number: `v0.9` sorts below `0.1.0`, as in mike.
    """
    parts: list[str] = []
    for part in re.split(r"(\d+|[a-z]+|\.|-)", version.lower()):
        part = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}.get(part, part)
        if not part or part == ".":
            continue
        if part[:1] in "0123456789":  # as verspec tests it: a Unicode digit such as "²" is a word
            parts.append(part.zfill(8))
            continue
        part = "*" + part
        if part < "*final":
            while parts and parts[-1] == "*final-":
                parts.pop()
        while parts and parts[-1] == "00000000":
            parts.pop()
        parts.append(part)
    while parts and parts[-1] == "00000000":
        parts.pop()
    parts.append("*final")
    return (0 if re.match(r"v?\d", version) else 1, tuple(parts))


@dataclass
class Entry:
    """One version of versions.json."""

    version: str
    title: str
    aliases: list[str] = field(default_factory=list)
    properties: Any = None
    """mike's optional per-version properties, kept as they are."""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": self.version, "title": self.title, "aliases": sorted(self.aliases)}
        if self.properties:
            data["properties"] = self.properties
        return data


@dataclass
class Versions:
    """The archive's versions.json: versions newest first, each alias held by exactly one version."""

    entries: list[Entry] = field(default_factory=list)

    def find(self, name: str) -> Entry | None:
        """The entry that `name` names, as a version or as one of its aliases."""
        return next((e for e in self.entries if name == e.version or name in e.aliases), None)

    def names(self) -> list[str]:
        return [n for e in self.entries for n in (e.version, *e.aliases)]

    def older_than(self, version: str) -> list[Entry]:
        """The versions that mike's order puts below `version`, newest first."""
        return [e for e in self.entries if version_key(e.version) < version_key(version)]

    def add(self, version: str, title: str | None, aliases: list[str]) -> dict[str, str]:
        """Add or update `version` and move `aliases` to it; returns {alias: version it was taken from}."""
        holder = self.find(version)
        if holder is not None and holder.version != version:
            raise UsageError.at(
                "--version",
                f"'{version}' is an alias of version {holder.version}",
                hint="a version cannot have the name of an alias: choose another version name",
            )
        moved: dict[str, str] = {}
        for alias in aliases:
            if alias == version:
                raise UsageError.at("--alias", f"'{alias}' is the version itself", hint="an alias needs its own name")
            other = self.find(alias)
            if other is not None and other.version == alias:
                raise UsageError.at(
                    "--alias", f"'{alias}' is a published version", hint="an alias cannot have the name of a version"
                )
            if other is not None and other.version != version:
                other.aliases.remove(alias)
                moved[alias] = other.version
        entry = holder or Entry(version, version)
        if holder is None:
            self.entries.append(entry)
        if title is not None:
            entry.title = title
        entry.aliases = sorted({*entry.aliases, *aliases})
        self.entries.sort(key=lambda e: version_key(e.version), reverse=True)
        return moved

    def dumps(self) -> str:
        """The file as mike writes it: a JSON list, two-space indent, ASCII, one newline at the end."""
        return json.dumps([e.as_json() for e in self.entries], indent=2) + "\n"


def load_versions(path: Path) -> Versions:
    """Read versions.json (absent: no versions); a file that is not mike's format is a placed ConfigError."""
    if not path.is_file():
        return Versions()
    shown = display_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError.at(shown, f"not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError.at(shown, f"cannot be read: {exc}") from None
    hint = 'mike\'s format: a list of {"version", "title", "aliases"}'
    if not isinstance(data, list):
        raise ConfigError.at(shown, "not a list of versions", hint=hint)
    versions = Versions()
    for i, item in enumerate(data):
        try:
            entry = Entry(str(item["version"]), str(item["title"]), [str(a) for a in item["aliases"]])
            entry.properties = item.get("properties")
        except (KeyError, TypeError):
            raise ConfigError.at(shown, f"entry {i + 1} is not a version", field=f"[{i}]", hint=hint) from None
        for name in (entry.version, *entry.aliases):
            # mike's own rule for names it wrote (no separators, not . or ..), and each name once.
            if name in ("", ".", "..") or re.search(r"[\\/\x00]", name) or name in versions.names():
                raise ConfigError.at(shown, f"'{name}' is not a usable or unique name", field=f"[{i}]", hint=hint)
        versions.entries.append(entry)
    versions.entries.sort(key=lambda e: version_key(e.version), reverse=True)
    return versions


def redirect_page(href: str) -> str:
    """mike's redirect page to `href` (a relative URL, percent-encoded here so it cannot leave its quotes)."""
    return REDIRECT.format(href=html.escape(quote(href, safe="/#.-_~+"), quote=True))


def redirect_target(page: Path) -> str | None:
    """Where a redirect page that mike or docs-compile wrote sends readers, or None."""
    try:
        found = _REFRESH.search(page.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return html.unescape(found.group(1)) if found else None


def alias_pages(version: str, pages: list[str]) -> dict[str, str]:
    """An alias folder: for each HTML page of the version (path inside it), a redirect to the same page there.

    As mike writes them with `--alias-type redirect` and directory URLs: `latest/x/index.html` sends readers
    to `../../<version>/x/`.
    """
    out = {}
    for rel in pages:
        path = PurePosixPath(rel)
        up = "../" * len(path.parts)
        target = f"{up}{version}/{rel}"
        if path.name == INDEX_FILE:
            target = target.removesuffix(INDEX_FILE)
        out[rel] = redirect_page(target)
    return out
