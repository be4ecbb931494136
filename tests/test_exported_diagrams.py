"""Exported diagrams end to end: a model whose diagrams are the hostile SVG corpus (tests/fixtures/svg/, every URL
pointing at a local listener), built with its PDFs. The listener receives nothing; the site, opened in headless
Chromium (each page and each diagram file on its own), runs no script and requests nothing outside; the PDF shows
each figure with its labels and caption, no wider than the page."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from helpers.browser import DIALOGS, chromium
from helpers.network import accepted_connections, local_listener
from helpers.project import AUDIENCES, minimal_source, write_tree
from helpers.serving import serve

CORPUS = Path(__file__).resolve().parent / "fixtures" / "svg"
SHOWN = ["drawio-export", "script", "event-handlers", "javascript-links", "external-references", "css-urls",
         "foreign-object", "wide"]  # fmt: skip
WIDE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="2400" height="300"><rect x="0" y="0" width="2400" height="300" '
    'fill="#def"/><text x="1200" y="160" font-size="40" text-anchor="middle">Wide exported diagram</text></svg>'
)


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    with local_listener(32) as server:
        yield server


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, listener: socket.socket) -> Path:
    project = tmp_path_factory.mktemp("exported") / "project"
    here = f"127.0.0.1:{listener.getsockname()[1]}"
    source = minimal_source("demo")
    source["system"]["architecture"]["diagrams"] = [
        {
            "id": name,
            "title": f"Diagram {name}",
            "alt": f"Text alternative of {name}.",
            "level": "other",
            "file": f"diagrams/{name}.svg",
        }
        for name in SHOWN
    ]
    files: dict[str, Any] = {"content/demo/model.yaml": yaml.safe_dump(source, sort_keys=False)}
    for name in SHOWN[:-1]:
        files[f"content/demo/diagrams/{name}.svg"] = (CORPUS / f"{name}.svg").read_text().replace("HERE", here)
    files["content/demo/diagrams/wide.svg"] = WIDE
    write_tree(project, files)
    from compiler.cli import cli

    out = project / "build"
    args = ["build", "--content", str(project / "content"), "--audiences", str(AUDIENCES), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


def test_the_build_fetches_nothing(built: Path, listener: socket.socket) -> None:
    assert (built / "pdf" / "demo" / "technical.pdf").is_file()
    assert accepted_connections(listener) == 0


def test_the_pdf_shows_each_figure_with_its_labels_and_caption_within_the_page(built: Path) -> None:
    import pdfplumber

    with pdfplumber.open(built / "pdf" / "demo" / "technical.pdf") as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        for page in pdf.pages:
            for word in page.extract_words():
                assert word["x0"] >= 0 and word["x1"] <= page.width, word  # nothing runs off the page
    for name in SHOWN:
        assert f"Diagram {name}. Text alternative of {name}." in " ".join(text.split())
    # Labels drawn as SVG text (pdfplumber may join a label's words): draw.io's fallback text, the wide one.
    joined = "".join(text.split())
    assert "DICOMgateway" in joined and "Classifier" in joined and "DICOMstudy" in joined
    assert "Wideexporteddiagram" in joined and "TextisnotSVG" not in joined


HOOKS = (
    DIALOGS
    + """
window.fetch = (u) => { record('fetch', u); return new Promise(() => {}); };
navigator.sendBeacon = (u) => { record('beacon', u); return true; };
"""
)


@pytest.mark.browser
def test_the_site_and_the_diagram_files_run_nothing_in_chromium(
    built: Path, listener: socket.socket, tmp_path: Path
) -> None:
    page_rel = "demo/technical/"
    assets = sorted((built / "site" / page_rel / "assets").glob("diagram-*.svg"))
    assert len(assets) == len(SHOWN)
    # The control: the same corpus unsanitised, every URL pointing at a closed port, does run in this harness.
    for name in ("script", "event-handlers"):
        (tmp_path / f"{name}.svg").write_text((CORPUS / f"{name}.svg").read_text().replace("HERE", "127.0.0.1:9"))
    with serve(built / "site") as url, serve(tmp_path) as raw, chromium() as browser:
        ran = [_visit(browser, raw, raw + f"{name}.svg", "svg *")[2] for name in ("script", "event-handlers")]
        # On the site, only the figures are clicked: a click on the header's logo would navigate away.
        column, figures, seen = _visit(browser, url, url + page_rel, "figure.diagram-file, figure.diagram-file *")
        for asset in assets:  # opened as documents of their own, where an SVG's script would run
            seen += _visit(browser, url, url + page_rel + "assets/" + asset.name, "svg *")[2]
    assert all(any(": alert: " in s for s in r) for r in ran), ran  # the harness sees a script run
    assert seen == []
    assert accepted_connections(listener) == 0
    assert len(figures) == len(SHOWN) and all(0 < w <= column + 0.5 for w in figures), (column, figures)


@pytest.mark.browser
def test_on_a_phone_a_diagram_keeps_its_natural_size_and_its_box_scrolls(built: Path) -> None:
    with serve(built / "site") as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 800})
        page.goto(url + "demo/technical/", wait_until="networkidle")
        boxes = page.evaluate(
            "() => [...document.querySelectorAll('figure.diagram-file .diagram-scroll')].map(b => { const i ="
            " b.querySelector('img'); return [i.getBoundingClientRect().width >= +i.getAttribute('width'),"
            " b.scrollWidth > b.clientWidth]; })"
        )
        page_scrolls = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
        page.close()
    # Drawn at least as wide as the file says (with its white margin around), a box scrolling when that is wider
    # than the column, never the page.
    assert boxes == [[True, name in ("drawio-export", "wide")] for name in SHOWN] and not page_scrolls, boxes


def _visit(browser: Any, origin: str, url: str, clicked: str) -> tuple[float, list[float], list[str]]:
    """Open url, click, hover and focus every element `clicked` selects; returns the width of the page's column,
    those of its exported diagrams, and what ran or left the origin (dialogs, fetches, beacons, requests)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen: list[str] = []

    def dialog(shown: Any) -> None:
        seen.append(f"dialog: {shown.message}")
        shown.dismiss()

    page.on("dialog", dialog)
    page.on("request", lambda r: None if r.url.startswith(origin) else seen.append(f"request: {r.url}"))
    page.add_init_script(HOOKS)
    page.goto(url, wait_until="networkidle")
    widths = page.evaluate(
        "async () => { const images = [...document.querySelectorAll('figure.diagram-file img')];"
        " for (const i of images) { i.scrollIntoView(); await i.decode(); }"
        " return [(document.querySelector('article') || document.documentElement).getBoundingClientRect().width,"
        " images.map(i => i.getBoundingClientRect().width)]; }"
    )
    page.evaluate(
        "(selector) => document.querySelectorAll(selector).forEach(n => ['click', 'mouseover', 'focus']"
        ".forEach(t => n.dispatchEvent(new MouseEvent(t, {bubbles: true}))))",
        clicked,
    )
    page.wait_for_timeout(300)
    seen += page.evaluate("() => window.__events || []")
    if page.url != url:
        seen.append(f"navigated: {page.url}")
    page.close()
    return widths[0], widths[1], [f"{url}: {s}" for s in seen]
