"""Issue 14, property test: every text field of the schema sprayed with payloads, the site checked in Chromium.

One build of the chest X-ray example with a payload in every Markdown and free-text field (families
rotating over fields: raw HTML, entities, Markdown links and images, theme ids and names, Mermaid
directives and front matter), then every page opened in headless Chromium beside a 127.0.0.1 listener
that must receive nothing (docs/security.md, promise 1).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.browser import ARGS, CHROMIUM, DIALOGS, OPEN_SHADOW
from helpers.network import accepted_connections, local_listener
from helpers.project import AUDIENCES, CONTENT, REPO
from helpers.serving import serve
from helpers.spray import FAMILIES, TextField, inline_includes, set_field, spray_value, text_fields
from playwright.sync_api import TimeoutError as PlaywrightTimeout

EXAMPLE = "chest-xray-triage"  # the example that sets the most fields
PER_FIELD = 3  # payload families per field
HOOKS = DIALOGS + OPEN_SHADOW
"""Dialogs recorded, and Material's closed shadow roots (one per diagram) opened so the test can look inside."""

THEME_NAMES = """() => {
  const names = [];
  for (const e of document.querySelectorAll('[id], [name], [for]')) {
    for (const attr of ['id', 'name', 'for']) {
      const value = e.getAttribute(attr);
      if (value !== null && (value.startsWith('_') || value in document)) {
        names.push({tag: e.tagName.toLowerCase(), attr, value, inArticle: !!e.closest('article')});
      }
    }
  }
  const config = document.querySelectorAll('[id="__config"]');
  return {names, configs: [...config].map(e => e.tagName.toLowerCase() + ':' + e.textContent.slice(0, 200))};
}"""
"""Every element whose id, name or label target is in the theme's namespace (`_…`) or shadows a document
property (`getElementById`), and every element the theme's `querySelector("#__config")` could find."""


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    with local_listener() as server:
        yield server


@pytest.fixture(scope="module")
def fields() -> list[TextField]:
    return text_fields()


@pytest.fixture(scope="module")
def sprayed(
    tmp_path_factory: pytest.TempPathFactory, listener: socket.socket, fields: list[TextField]
) -> tuple[Path, dict[str, list[str]]]:
    """The site built once from the example with every field sprayed; and the families each field got."""
    from compiler.build import BuildOptions, build

    here = f"127.0.0.1:{listener.getsockname()[1]}"
    root = tmp_path_factory.mktemp("spray")
    folder = root / "content" / EXAMPLE
    shutil.copytree(CONTENT / EXAMPLE, folder)
    source = inline_includes(yaml.safe_load((folder / "model.yaml").read_text(encoding="utf-8")), folder)
    # Optional parts the example leaves out get an element, so that their text fields are sprayed too.
    source["system"].setdefault("product", {"name": "product", "description": "product"})
    source["evaluation"].setdefault("undefined", []).append({"reason": "undefined", "slice": {}})
    families: dict[str, list[str]] = {}
    for index, field in enumerate(fields):
        value, families[field.path] = spray_value(index, field, here, PER_FIELD)
        set_field(source, field.path, value)
    (folder / "model.yaml").write_text(yaml.safe_dump(source, sort_keys=False, allow_unicode=True), encoding="utf-8")
    build(BuildOptions(content=root / "content", audiences=AUDIENCES, out=root / "build", pdf=False,
                       mkdocs_config=REPO / "mkdocs.yml"))  # fmt: skip
    return root / "build" / "site", families


def test_the_schema_walk_lists_every_markdown_field_and_known_text_fields(fields: list[TextField]) -> None:
    paths = {f.path for f in fields}
    markdown = {f.path for f in fields if f.markdown}
    assert len(markdown) >= 30
    assert {"model.summary", "intended_use.purpose", "system.architecture.summary", "evaluation.study.design",
            "datasets[].motivation.purpose", "lifecycle.versions[].changes"} <= markdown  # fmt: skip
    assert {"model.name", "risk.limitations[]", "risk.hazards[].harm", "plain.glossary[].definition",
            "system.architecture.diagrams[].mermaid", "factors.relevant[].justification.*"} <= paths  # fmt: skip
    assert not [p for p in paths if p.startswith("evidence.")]  # where facts come from, not prose


@pytest.mark.slow
def test_every_field_gets_a_payload_and_every_family_many_fields(
    sprayed: tuple[Path, dict[str, list[str]]], fields: list[TextField]
) -> None:
    site, families = sprayed
    assert set(families) == {f.path for f in fields}
    assert all(families.values())
    reach = {name: sum(name in chosen for chosen in families.values()) for name in FAMILIES}
    assert min(reach.values()) >= len(fields) * PER_FIELD // len(FAMILIES) - 1, reach
    # The payloads reach the pages: most fields are shown in the site, every Markdown field the audiences show.
    html = "".join(page.read_text(encoding="utf-8") for page in site.rglob("*.html"))
    shown = {f.path for i, f in enumerate(fields) if f"SPRAY{i:03d}" in html}
    assert len(shown) >= len(fields) * 3 // 4, sorted({f.path for f in fields} - shown)
    assert "user-__config" in html  # the id payload arrived, renamed out of the theme's namespace


@pytest.mark.browser
@pytest.mark.slow
def test_no_payload_runs_fetches_or_clobbers_the_theme_in_chromium(
    sprayed: tuple[Path, dict[str, list[str]]], listener: socket.socket
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (./scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    site, _ = sprayed
    pages = sorted(p.relative_to(site).parent.as_posix() for p in site.rglob("index.html"))
    assert len(pages) >= 8
    problems: list[str] = []
    drawn = 0
    with serve(site) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for rel in pages:
                target = url if rel == "." else f"{url}{rel}/"
                seen, diagrams = _visit(browser, target)
                problems += [f"{rel}: {problem}" for problem in seen]
                drawn += diagrams
        finally:
            browser.close()
    assert problems == []
    assert drawn >= 10  # the Mermaid payloads were drawn by the site's Mermaid, not just left as text
    assert accepted_connections(listener) == 0


def _visit(browser: Any, url: str) -> tuple[list[str], int]:
    """Open one page, wait for it and its diagrams; every sign that a payload ran, fetched or clobbered,
    and how many diagrams were drawn."""
    page = browser.new_page()
    seen: list[str] = []
    origin = "/".join(url.split("/")[:3]) + "/"

    def dialog(d: Any) -> None:
        seen.append(f"dialog: {d.message}")
        d.dismiss()

    def request(r: Any) -> None:
        if not r.url.startswith((origin, "data:", "blob:")):
            seen.append(f"request: {r.url}")

    page.on("dialog", dialog)
    page.on("request", request)
    page.add_init_script(HOOKS)
    try:
        page.goto(url, wait_until="networkidle", timeout=20_000)
    except PlaywrightTimeout:  # a request that never ends (to the listener, which never answers) is recorded
        seen.append("the page never stopped loading")
    drawn = _wait_for_diagrams(page)
    state = page.evaluate("() => ({pwned: typeof window.__pwned, title: document.title, events: window.__events})")
    if state["pwned"] != "undefined":
        seen.append(f"window.__pwned is {page.evaluate('() => String(window.__pwned)')}")
    if "HACKED" in state["title"]:
        seen.append(f"title: {state['title']}")
    seen += state["events"]
    for href in page.eval_on_selector_all("article a[href]", "links => links.map(a => a.getAttribute('href'))"):
        if href.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
            seen.append(f"link: {href}")
    names = page.evaluate(THEME_NAMES)
    seen += [f"theme name in content: <{n['tag']} {n['attr']}={n['value']}>" for n in names["names"] if n["inArticle"]]
    if len(names["configs"]) != 1 or not names["configs"][0].startswith("script:"):
        seen.append(f"#__config is not the theme's own: {names['configs']}")
    page.close()
    return seen, drawn


def _wait_for_diagrams(page: Any) -> int:
    """Until every diagram is drawn, or the count of drawn ones has not changed for 2 s (a payload may not
    parse); returns how many are drawn."""
    drawn = "() => [...document.querySelectorAll('.mermaid')].filter(e => e.shadowRoot?.querySelector('svg')).length"
    total = page.locator(".mermaid").count()
    counts: list[int] = []
    for _ in range(60):
        counts.append(page.evaluate(drawn))
        if counts[-1] == total or counts[-4:] == [counts[-1]] * 4:
            break
        page.wait_for_timeout(500)
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=10_000)
    return counts[-1]
