"""Test helper: Debian's Chromium as the tests start it, the scripts they add to every page, and axe-core."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

DIALOGS = """
window.__events = [];
const record = (kind, detail) => window.__events.push(kind + ': ' + String(detail));
window.alert = (m) => record('alert', m);
window.confirm = (m) => { record('confirm', m); return false; };
window.prompt = (m) => { record('prompt', m); return null; };
"""
"""Dialogs recorded in `window.__events` (and `record` defined for further hooks) instead of shown."""

OPEN_SHADOW = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { return attach.call(this, {...init, mode: 'open'}); };
"""
"""Material draws each diagram in a closed shadow root; opened, so a test can look inside."""

FAILING_IMPACTS = ("serious", "critical")
"""axe-core's impacts a page may not have."""


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright; skips the test where it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (./scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


@cache
def _axe_script() -> str:
    try:
        import axe_playwright_python
    except ImportError:
        pytest.fail("axe-core comes with the test dependencies: pip install -e '.[test]' (axe-playwright-python)")
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


COLOUR_RULES = ("color-contrast", "link-in-text-block")
"""axe-core's rules that depend on the palette alone (a second palette of the same page needs only these)."""


def axe_violations(page: Any, rules: tuple[str, ...] = (), impacts: tuple[str, ...] = FAILING_IMPACTS) -> list[str]:
    """axe-core run over the page as it is now (open shadow roots included), every rule or only `rules`; one
    line per violated rule of the given impacts: `rule (impact) ×count: first targets`."""
    page.evaluate(_axe_script())
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": list(rules)}
    result = page.evaluate("(options) => axe.run(document, options)", options)
    found = []
    for violation in result["violations"]:
        if violation["impact"] in impacts:
            targets = "; ".join(str(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{violation['id']} ({violation['impact']}) ×{len(violation['nodes'])}: {targets}")
    return sorted(found)
