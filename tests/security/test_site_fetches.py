"""Issue 14 items 8 and 9: the site viewer never fetches from the network, and Mermaid text is read in linear time.

Mermaid labels, front matter and directives, and the audiences' style sheet, each pointing at a local
listener that must receive nothing while headless Chromium shows the pages (docs/security.md, promise 1).
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from helpers.browser import ARGS, CHROMIUM, OPEN_SHADOW
from helpers.network import accepted_connections, local_listener
from helpers.project import AUDIENCES, REPO, minimal_source, write_tree
from helpers.serving import serve

from compiler.publish.mermaid_svg import _accessibility_texts


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    with local_listener() as server:
        yield server


def _diagrams(here: str) -> list[dict[str, str]]:
    label = f"flowchart LR\n  A[\"<<img src='http://{here}/label.png'>>\"] --> B\n"
    front = (
        '---\nconfig:\n  themeCSS: "svg { background-image: url(http://' + here + '/front.png) }"\n'
        "---\nflowchart LR\n  C --> D\n"
    )
    return [
        {"id": "label", "title": "Label", "alt": "A to B", "mermaid": label, "level": "other"},
        {"id": "front", "title": "Front", "alt": "C to D", "mermaid": front, "level": "other"},
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, listener: socket.socket) -> Path:
    from compiler.build import BuildOptions, build

    here = f"127.0.0.1:{listener.getsockname()[1]}"
    root = tmp_path_factory.mktemp("fetches")
    source = minimal_source("demo")
    architecture = source["system"]["architecture"]
    architecture["diagrams"] = _diagrams(here)
    architecture["summary"] = (
        'Parts.\n\n```mermaid\n%%{init: {"themeCSS": "svg { background-image: url(http://'
        + here
        + '/init.png) }", "htmlLabels": true}}%%\nflowchart LR\n  E["<<img src=\'http://'
        + here
        + "/fence.png'>>\"] --> F\n```\n"
    )
    write_tree(root, {"content/demo/model.yaml": source})
    build(BuildOptions(content=root / "content", audiences=AUDIENCES, out=root / "build", pdf=False,
                       mkdocs_config=REPO / "mkdocs.yml"))  # fmt: skip
    return root / "build" / "site"


@pytest.mark.browser
def test_item8_mermaid_labels_front_matter_and_directives_fetch_nothing(site: Path, listener: socket.socket) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (./scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    page_html = (site / "demo" / "technical" / "index.html").read_text(encoding="utf-8")
    assert page_html.count('class="mermaid"') >= 3  # the three diagrams are on the page
    off_origin: list[str] = []
    with serve(site) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on(
                "request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else off_origin.append(r.url)
            )
            page.add_init_script(OPEN_SHADOW)
            page.goto(url + "demo/technical/", wait_until="networkidle")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.mermaid')]"
                ".every(e => e.shadowRoot && e.shadowRoot.querySelector('svg'))",
                timeout=20_000,
            )
            page.wait_for_timeout(500)
            config = page.evaluate("() => window.mermaid.mermaidAPI.getConfig()")
            images = page.evaluate(
                "() => [...document.querySelectorAll('.mermaid')].map(e => e.shadowRoot.querySelectorAll('img').length)"
            )
        finally:
            browser.close()
    assert off_origin == []
    assert accepted_connections(listener) == 0
    assert images == [0, 0, 0]
    assert (config["securityLevel"], config["htmlLabels"], config["flowchart"]["htmlLabels"]) == (
        "strict",
        False,
        False,
    )


def test_item8_a_site_style_sheet_that_fetches_is_refused(
    project: Path, cli: Callable[..., Result], listener: socket.socket
) -> None:
    here = f"127.0.0.1:{listener.getsockname()[1]}"
    shutil.copytree(AUDIENCES, project / "audiences")
    sheet = project / "audiences" / "_common" / "site" / "site.css"
    sheet.write_text(sheet.read_text() + f"\nbody {{\n  background: url('http://{here}/css.png');\n}}\n")
    line = sheet.read_text().splitlines().index(f"  background: url('http://{here}/css.png');") + 1
    write_tree(project, {"content/demo/model.yaml": minimal_source(), "mkdocs.yml": (REPO / "mkdocs.yml").read_text()})
    result = cli("build", "--no-pdf", "--quiet")
    assert result.exit_code == 2
    assert (
        f"error: audiences/_common/site/site.css:{line}:15: the site's style sheet may not fetch or escape "
        f"('url('http:') (hint: use data: URIs or files of the site, without backslash escapes)"
    ) in result.output
    assert not (project / "build").exists()


def test_item9_mermaid_text_is_read_in_linear_time() -> None:
    """19,000 blank lines, or a long run of spaces in an accessibility title, took 5.6 s and 5.1 s per diagram
    in the search for `accTitle` / `accDescr` (the diagram's alt text and caption); mermaidx itself is not timed."""
    blank = "flowchart LR\n  A --> B\n" + "\n" * 19_000
    spaced = "flowchart LR\n  accTitle: a" + " " * 19_000 + "b\n  accDescr: the flow\n  A --> B\n"
    started = time.perf_counter()
    found = [_accessibility_texts(source) for source in (blank, spaced)]
    assert time.perf_counter() - started < 2.0
    assert found == [("", ""), ("a" + " " * 19_000 + "b", "the flow")]
