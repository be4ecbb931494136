"""Test helper: what a built site may contain — no script, handler, frame or fetch that a source put there."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

FORBIDDEN_TAGS = {"iframe", "object", "embed", "applet", "frame", "frameset", "base", "portal"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href", "srcset"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "file:", "ftp:")


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> sha256): two equal digests are two identical folders."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


class _Scan(HTMLParser):
    def __init__(self, theme_scripts: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.theme_scripts = theme_scripts
        self.problems: list[str] = []
        self._script: list[str] | None = None
        self._script_attrs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append("<meta http-equiv>")
        if tag == "link" and _remote(values.get("href", "")):
            self.problems.append(f"<link> to {values['href']}")
        if tag == "form" and values.get("action"):
            self.problems.append(f"<form action={values['action']}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name in URL_ATTRIBUTES:
                squeezed = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
                if squeezed.startswith(BAD_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value!r}>")
                if tag in ("img", "source", "video", "audio", "input") and name == "src" and _remote(value):
                    self.problems.append(f"<{tag} src={value!r}> fetches a remote resource")
            if name == "style" and "url(" in value.replace(" ", "").lower():
                self.problems.append(f"<{tag} style={value!r}> fetches through CSS")
        if tag == "script":
            src = values.get("src", "")
            if src and not re.match(r"^/?(\.\./)*assets/javascripts/[\w.-]+\.js$", src):
                self.problems.append(f"<script src={src!r}>")
            self._script, self._script_attrs = [], values
        if tag == "style":
            self.problems.append("<style> element")

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            body = "".join(self._script).strip()
            if body and self._script_attrs.get("id") != "__config" and _normal(body) not in self.theme_scripts:
                self.problems.append(f"inline <script>: {body[:80]!r}")
            self._script = None


def _remote(url: str) -> bool:
    return bool(re.match(r"^\s*([a-z][a-z0-9+.-]*:|//)", url, re.IGNORECASE)) and not url.lower().startswith("mailto:")


def _normal(script: str) -> str:
    # Material's inline scripts mention the page's relative base; compare them without it.
    return re.sub(r'"(\.\./)*\.?"|\.\./', "", script)


def theme_scripts(site: Path) -> set[str]:
    """The inline scripts the theme itself writes (taken from a site built from a harmless source)."""
    found: set[str] = set()
    for page in site.rglob("*.html"):
        found.update(_normal(s.strip()) for s in re.findall(r"<script>(.*?)</script>", page.read_text(), re.DOTALL))
    return found


def active_markup(html: str) -> list[str]:
    """Markup that would run or fetch something: script tags, event handlers, javascript:/data: links."""
    found = re.findall(r"<script\b|<iframe\b|<[^>]*\son[a-z]+\s*=|<[^>]*(?:href|src)=\"\s*(?:javascript|data):", html)
    return sorted(set(found))


def html_problems(site: Path, allowed_scripts: set[str]) -> list[str]:
    """Every place in the site's HTML where content could run script, frame a page or fetch from elsewhere."""
    problems: list[str] = []
    for page in sorted(site.rglob("*.html")):
        scan = _Scan(allowed_scripts)
        scan.feed(page.read_text(encoding="utf-8"))
        problems.extend(f"{page.relative_to(site)}: {p}" for p in scan.problems)
    return problems
