"""Publish stage, seen as a reader sees it: the built site in headless Chromium, with no network but 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.browser import ARGS, CHROMIUM, OPEN_SHADOW
from helpers.project import AUDIENCES, CONTENT, EXAMPLES, REPO, minimal_source, write_tree
from helpers.serving import serve

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples (or, before they exist, an init source with a diagram) built without PDFs."""
    from compiler.build import BuildOptions, build

    root = tmp_path_factory.mktemp("site")
    if EXAMPLES:
        shutil.copytree(CONTENT, root / "content")
    else:
        source = minimal_source("demo")
        source["model"]["domain"] = "health"
        write_tree(root, {"content/demo/model.yaml": source})
    shutil.copytree(AUDIENCES, root / "audiences")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    build(BuildOptions(content=root / "content", audiences=root / "audiences", out=root / "build", pdf=False))
    return root / "build" / "site"


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[str]:
    with serve(built_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (./scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=ARGS,
        )
        yield instance
        instance.close()


def _open(browser: Any, url: str, shot: str) -> tuple[Any, list[str]]:
    """Open url; returns the page and every problem seen (console errors, failed or foreign requests)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))

    def check(request: Any) -> None:
        if not request.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            problems.append(f"left localhost: {request.url}")

    page.on("request", check)
    # Material draws each diagram into a closed shadow root; open it so the test can see the <svg>.
    page.add_init_script(OPEN_SHADOW)
    page.goto(url, wait_until="networkidle")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=False)
    return page, problems


def _pages(site: Path) -> list[str]:
    """One document page of each audience (the first model that has it)."""
    seen: dict[str, str] = {}
    for index in sorted(site.glob("*/*/index.html")):
        audience = index.parent.name
        if index.parent.parent.name not in ("how-to-read", "search", "assets") and audience != "datasheets":
            seen.setdefault(audience, index.relative_to(site).parent.as_posix() + "/")
    return [seen[a] for a in sorted(seen)]


def test_catalog_loads_offline_and_search_finds_a_model(browser: Any, server: str) -> None:
    page, problems = _open(browser, server, "catalog")
    assert page.locator("table a").count() >= 2
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("intended use", delay=30)
    page.wait_for_selector(".md-search-result__item", timeout=10_000)
    assert page.locator(".md-search-result__item").count() >= 1
    page.screenshot(path=str(SHOTS / "search.png"))
    assert problems == []


def test_every_audience_page_renders_without_errors(browser: Any, server: str, built_site: Path) -> None:
    pages = _pages(built_site)
    assert {p.split("/")[1] for p in pages} >= {"technical", "regulatory", "leadership"}
    for rel in pages:
        page, problems = _open(browser, server + rel, rel.strip("/").replace("/", "-"))
        assert problems == [], rel
        assert page.locator("article h1").count() == 1
        # No raw Markdown left over in the text a reader sees.
        text = page.locator("article").inner_text()
        assert "{{" not in text and "| --- |" not in text and "|---|" not in text, rel


def test_mermaid_diagrams_render_as_svg(browser: Any, server: str, built_site: Path) -> None:
    with_diagram = [p for p in _pages(built_site) if 'class="mermaid"' in (built_site / p / "index.html").read_text()]
    assert with_diagram, "no page has a Mermaid diagram"
    page, problems = _open(browser, server + with_diagram[0], "mermaid")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.mermaid')].every(e => e.querySelector('svg') || "
        "(e.shadowRoot && e.shadowRoot.querySelector('svg')))",
        timeout=15_000,
    )
    page.locator(".mermaid").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "mermaid.png"))
    assert problems == []
