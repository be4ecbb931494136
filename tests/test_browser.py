"""Publish stage, seen as a reader sees it: the built site in headless Chromium, with no network but 127.0.0.1.

Besides loading offline and rendering, every page type passes axe-core without a serious or critical
violation, in the light and dark palettes and at desktop and phone widths; diagrams keep legible text
and no label under another; and what scrolls sideways can be scrolled with the keyboard.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.browser import COLOUR_RULES, OPEN_SHADOW, axe_violations, chromium
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
    with chromium() as instance:
        yield instance


def _open(browser: Any, url: str, shot: str, width: int = 1280, scheme: str = "light") -> tuple[Any, list[str]]:
    """Open url; returns the page and every problem seen (console errors, failed or foreign requests)."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
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


VIEWS: list[tuple[int, str, tuple[str, ...]]] = [(1280, "light", ()), (390, "light", ()), (1280, "dark", COLOUR_RULES)]
"""Every rule at desktop and phone widths in the light palette; the dark palette's own colours on the desktop."""

DIAGRAMS_DRAWN = (
    "() => [...document.querySelectorAll('.mermaid')].every(e => e.shadowRoot && e.shadowRoot.querySelector('svg'))"
)

DIAGRAMS = """() => [...document.querySelectorAll('div.mermaid')].map(box => {
  const svg = box.shadowRoot.querySelector('svg');
  const rect = (e) => e.getBoundingClientRect();
  const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
    .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
  const nodes = [...svg.querySelectorAll('g.node')].map(n => [n.textContent.trim(), rect(n)]);
  const labels = [...svg.querySelectorAll('g.edgeLabel')].filter(l => l.textContent.trim())
    .map(l => [l.textContent.trim(), rect(l.querySelector('text'))]);
  const meet = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const overlaps = [];
  labels.forEach(([text, at], i) => {
    nodes.forEach(([node, box]) => { if (meet(at, box)) overlaps.push(`label '${text}' on node '${node}'`); });
    labels.slice(i + 1).forEach(([other, box]) => { if (meet(at, box)) overlaps.push(`label '${text}' on label '${other}'`); });
  });
  return {smallest: Math.min(...sizes), overlaps, drawn: rect(svg).width, shown: box.clientWidth,
          scrollable: box.scrollWidth > box.clientWidth, tabindex: box.getAttribute('tabindex'),
          role: box.getAttribute('role'), name: box.getAttribute('aria-label')};
})"""
"""Each diagram: its smallest text as drawn (px), edge labels lying on a node or another label, its width drawn
and shown, and how its box takes keyboard focus."""

LEGIBLE_PX = 12


def _page_types(site: Path) -> dict[str, str]:
    """A page of every type the site has: catalog, model page, each audience's document, a datasheet, the
    reading guides and the error page."""
    documents = _pages(site)
    model = documents[0].split("/")[0]
    types = {"catalog": "", "model page": f"{model}/"}
    types.update({f"{rel.split('/')[1]} document": rel for rel in documents})
    datasheets = sorted(site.glob(f"{model}/datasheets/*/index.html"))
    if datasheets:
        types["datasheet"] = datasheets[0].parent.relative_to(site).as_posix() + "/"
    types["how to read"] = "how-to-read/"
    guide = sorted(site.glob("how-to-read/*/index.html"))[0].parent.name
    types[f"how to read, {guide}"] = f"how-to-read/{guide}/"
    types["error page"] = "404.html"
    return types


def _one_page_per_diagram_set(site: Path) -> list[str]:
    """Per model, its first document page with a Mermaid diagram (the audiences show the same diagrams)."""
    seen: dict[str, str] = {}
    for index in sorted(site.glob("*/*/index.html")):
        model = index.parent.parent.name
        if model not in seen and 'class="mermaid"' in index.read_text(encoding="utf-8"):
            seen[model] = index.relative_to(site).parent.as_posix() + "/"
    return list(seen.values())


def test_no_page_type_has_a_serious_or_critical_axe_violation(browser: Any, server: str, built_site: Path) -> None:
    types = _page_types(built_site)
    assert {"catalog", "model page", "technical document", "how to read", "error page"} <= set(types)
    if EXAMPLES:
        assert {"regulatory document", "clinician document", "leadership document", "datasheet"} <= set(types)
    found: dict[str, list[str]] = {}
    for name, rel in types.items():
        for width, scheme, rules in VIEWS:
            page, _ = _open(browser, server + rel, f"axe-{name.replace(' ', '-')}-{width}-{scheme}", width, scheme)
            page.wait_for_function(DIAGRAMS_DRAWN, timeout=15_000)
            violations = axe_violations(page, rules)
            if violations:
                found[f"{name} ({rel or '/'}) at {width} px, {scheme}"] = violations
            page.close()
    for _, scheme, rules in VIEWS[::2]:
        page, _ = _open(browser, server, f"axe-search-{scheme}", scheme=scheme)
        page.locator("input.md-search__input").click()
        page.locator("input.md-search__input").press_sequentially("sensitivity", delay=20)
        page.wait_for_selector(".md-search-result__item", timeout=10_000)
        if violations := axe_violations(page, rules):
            found[f"search results, {scheme}"] = violations
        page.close()
    assert found == {}


def test_axe_reports_the_four_rules_when_the_fixes_are_taken_out(browser: Any, server: str, built_site: Path) -> None:
    """The check above can fail: the same pages with the dialog's name, the site's style sheet and the
    scrolling boxes' focus taken out again show the four rules the theme overrides fixed."""
    rules: set[str] = set()
    technical = next(rel for rel in _pages(built_site) if "/technical/" in rel)
    for rel, width in (("", 1280), (technical, 390)):
        page, _ = _open(browser, server + rel, f"axe-undone-{width}", width)
        page.wait_for_function(DIAGRAMS_DRAWN, timeout=15_000)
        page.evaluate("() => document.querySelector('.md-search').removeAttribute('aria-label')")
        page.evaluate("() => document.querySelector('link[href$=\"docs-compile.css\"]').remove()")
        page.wait_for_timeout(300)  # the boxes' sizes settle (docs-compile.js checks them again on a resize)
        page.evaluate("() => document.querySelectorAll('[tabindex=\"0\"]').forEach(b => b.removeAttribute('tabindex'))")
        rules |= {line.split(" ")[0] for line in axe_violations(page)}
        page.close()
    assert rules >= {"aria-dialog-name", "color-contrast", "link-in-text-block", "scrollable-region-focusable"}


def test_diagrams_keep_legible_text_and_no_label_on_another(browser: Any, server: str, built_site: Path) -> None:
    pages = _one_page_per_diagram_set(built_site)
    assert pages, "no page has a Mermaid diagram"
    for rel in pages:
        for width in (1280, 390):
            page, problems = _open(browser, server + rel, f"diagrams-{rel.split('/')[0]}-{width}", width)
            page.wait_for_function(DIAGRAMS_DRAWN, timeout=15_000)
            for number, diagram in enumerate(page.evaluate(DIAGRAMS), 1):
                where = f"{rel} diagram {number} at {width} px"
                assert diagram["smallest"] >= LEGIBLE_PX, where
                assert diagram["overlaps"] == [], where
                if diagram["drawn"] > diagram["shown"] + 1:  # wider than the column: scrolls, by keyboard too
                    assert diagram["scrollable"], where
                    assert (diagram["tabindex"], diagram["role"]) == ("0", "group"), where
                    assert diagram["name"].startswith("Diagram: "), where
            assert problems == [], rel
            page.close()


def test_what_scrolls_sideways_scrolls_from_the_keyboard(browser: Any, server: str, built_site: Path) -> None:
    rel = _one_page_per_diagram_set(built_site)[0]
    page, problems = _open(browser, server + rel, "keyboard-scroll-390", width=390)
    page.wait_for_function(DIAGRAMS_DRAWN, timeout=15_000)
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.md-typeset__scrollwrap, div.mermaid')].map(box => ({
          scrolls: box.scrollWidth > box.clientWidth + 1, tabindex: box.getAttribute('tabindex'),
          name: box.getAttribute('aria-label') || ''}))"""
    )
    assert any(b["scrolls"] for b in boxes)
    for box in boxes:
        assert (box["tabindex"] == "0") == box["scrolls"], box
        assert box["name"].startswith(("Table", "Diagram")) == box["scrolls"], box
    for selector in (".md-typeset__scrollwrap[tabindex='0']", "div.mermaid[tabindex='0']"):
        box = page.locator(selector).first
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("(e) => e.scrollLeft > 0", arg=box.element_handle(), timeout=5_000)
    assert problems == []
