"""No network, no leaks: a full build (site and PDFs) of a source that points at a local listener and at
other hosts from every place a URL can appear, and at files outside the project.

The listener receives nothing; no byte of the outside files reaches any output (site, exports,
manifest, the PDFs' streams, embedded files and images); and the site, opened in headless Chromium
with page-level hooks, runs no injected script: no alert, no fetch or request to another host, no
navigation, with Mermaid at securityLevel strict.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from helpers.browser import ARGS, CHROMIUM, DIALOGS, OPEN_SHADOW
from helpers.html_safety import html_problems, theme_scripts
from helpers.network import accepted_connections, local_listener
from helpers.project import AUDIENCES, minimal_source, write_tree
from helpers.serving import serve

SECRET = "OUTSIDE-SECRET-7f3a9c"


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    with local_listener(32) as server:
        yield server


def hostile_source(here: str, secret: Path) -> dict[str, Any]:
    """A valid source whose every URL-bearing place points at `here` (host:port), other hosts or secret."""
    remote = [
        f"http://{here}/a",
        f"https://{here}/b",
        f"ftp://{here}/c",
        "http://169.254.169.254/latest/",
        "//evil.test/x",
    ]
    markdown = "\n\n".join(
        [
            f"[link](http://{here}/link) ![image](http://{here}/img.png) ![ftp](ftp://{here}/i.png)",
            f"![secret](file://{secret}) ![passwd](file:///etc/passwd) ![env](/proc/self/environ)",
            f"![climb](../../../../../../..{secret})",
            f'<img src="http://{here}/raw.png"> <img src="//{here}/proto.png" onerror="alert(1)">',
            f'<iframe src="http://{here}/frame"></iframe><object data="http://{here}/o"></object>',
            f'<div style="background:url(http://{here}/css.png)">css</div>',
            f"<style>@import url(http://{here}/i.css); p {{ background: url(https://{here}/p.png) }}</style>",
            f'<link rel="stylesheet" href="http://{here}/l.css"><script src="http://{here}/s.js"></script>',
            f'<svg><image href="http://{here}/svg.png"/><script>fetch("http://{here}/svg")</script></svg>',
            f"[js](javascript:fetch('http://{here}/js')) [data](data:text/html,<script>alert(2)</script>)",
            f'<a href="http://{here}/plain">plain</a> <meta http-equiv="refresh" content="0;url=http://{here}/r">',
        ]
    )
    source = minimal_source("demo")
    source["model"]["summary"] = markdown
    source["model"]["papers"] = [f"http://{here}/paper", "https://example.org/paper"]
    source["intended_use"]["purpose"] = markdown
    source["system"]["architecture"] = {
        "summary": markdown,
        "diagrams": [
            {
                "id": "arch",
                "title": "Architecture",
                "alt": "Input flows to the model and to the output.",
                "mermaid": f'graph TD\n  A[Input] --> B["http://{here}/m.png"]\n  B -->|//{here}/e| C["Output<br/>file:///etc/passwd"]\n',
            }
        ],
    }
    source["evaluation"]["evidence"] = [{"kind": "url", "id": "report", "url": f"http://{here}/evidence"}]
    source["evidence"] = {
        "sources": [
            {"id": "tracker", "kind": "mlflow", "tracking_uri": f"http://{here}/mlflow"},
            {"id": "runs", "kind": "wandb", "path": "entity/project"},
            {"id": "scores", "kind": "file", "path": str(secret)},
        ]
    }
    source["risk"]["limitations"] = [f"See {u}" for u in remote] + [f"<img src='http://{here}/lim.png'>"]
    source["datasets"][0] = {"$include": "datasets/train.yaml"}  # the included file carries URLs too
    return source


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, listener: socket.socket) -> Path:
    """The full build (with PDFs) of the hostile source; the listener's port is in every URL."""
    root = tmp_path_factory.mktemp("nonet")
    project = root / "project"
    secret = root / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    here = f"127.0.0.1:{listener.getsockname()[1]}"
    source = hostile_source(here, secret)
    dataset = minimal_source("demo")["datasets"][0]
    dataset["motivation"]["purpose"] = f"![x](http://{here}/ds.png) [y](http://{here}/ds) ![s](file://{secret})"
    write_tree(project, {"content/demo/model.yaml": yaml.safe_dump(source, sort_keys=False)})
    write_tree(project, {"content/demo/datasets/train.yaml": dataset})
    (project / "content" / "demo" / "notes.txt").symlink_to(secret)
    (project / "content" / "demo" / "passwd.yaml").symlink_to("/etc/passwd")
    from compiler.cli import cli

    result = CliRunner().invoke(
        cli,
        [
            "build",
            "--content",
            str(project / "content"),
            "--audiences",
            str(AUDIENCES),
            "--out",
            str(project / "build"),
        ],
    )
    assert result.exit_code == 0, result.output
    return project / "build"


def test_the_listener_receives_nothing(built: Path, listener: socket.socket) -> None:
    assert accepted_connections(listener) == 0


@pytest.mark.parametrize(
    "line",
    [
        "  A[\"<img src='http://HERE/m.png'>\"]",
        "  click A call alert(4)",
        '  click A href "http://HERE/mermaid-link" _self',
        "%%{init: {'securityLevel': 'loose'}}%%",
    ],
)
def test_mermaid_that_could_fetch_or_run_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listener: socket.socket, line: str
) -> None:
    here = f"127.0.0.1:{listener.getsockname()[1]}"
    source = minimal_source("demo")
    mermaid = "graph TD\n  A --> B\n" + line.replace("HERE", here) + "\n"
    source["system"]["architecture"]["diagrams"] = [{"id": "d", "title": "D", "alt": "A to B", "mermaid": mermaid}]
    write_tree(tmp_path, {"content/demo/model.yaml": source})
    monkeypatch.chdir(tmp_path)
    from compiler.cli import cli

    result = CliRunner().invoke(cli, ["build", "--no-pdf", "--audiences", str(AUDIENCES)])
    assert result.exit_code == 2
    assert "system.architecture.diagrams[0].mermaid: Mermaid" in result.stderr
    assert re.search(r"^error: content/demo/model.yaml:\d+:\d+: ", result.stderr, re.MULTILINE)
    assert not (tmp_path / "build").exists()
    assert accepted_connections(listener) == 0


def test_no_outside_file_reaches_any_output(built: Path) -> None:
    import pikepdf

    pdfs = sorted(built.rglob("*.pdf"))
    assert {p.stem for p in pdfs} >= {"technical", "regulatory", "leadership"}
    needles = [SECRET.encode(), b"root:x:0:0"]
    for path in built.rglob("*"):
        if path.is_file():
            body = path.read_bytes()
            assert not any(n in body for n in needles), path
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream):
                    data = obj.read_bytes()
                    assert not any(n in data for n in needles), path
                    assert obj.get("/Subtype") != "/Image", f"{path}: an image no template asked for"
            attached = dict(pdf.attachments)
            for name, spec in attached.items():
                assert name in ("model.yaml", "datasets/train.yaml", "manifest.json"), (path, name)
                assert not any(n in spec.get_file().read_bytes() for n in needles)


def test_the_site_html_carries_no_script_frame_or_remote_fetch(built: Path) -> None:
    site = built / "site"
    assert html_problems(site, theme_scripts(site)) == []


# --- the site in headless Chromium ---------------------------------------------------------------------

HOOKS = (
    DIALOGS
    + """
const realFetch = window.fetch;
window.fetch = (input, init) => {
  const url = String(input && input.url ? input.url : input);
  if (!url.startsWith(location.origin)) record('fetch', url);
  return realFetch(input, init);
};
const realOpen = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (method, url) {
  if (!new URL(url, location.href).href.startsWith(location.origin)) record('xhr', url);
  return realOpen.apply(this, arguments);
};
window.open = (u) => record('window.open', u);
navigator.sendBeacon = (u) => { record('beacon', u); return true; };
"""
    + OPEN_SHADOW
)


@pytest.fixture(scope="module")
def site_url(built: Path) -> Iterator[str]:
    with serve(built / "site") as url:
        yield url


@pytest.mark.browser
def test_the_site_runs_no_injected_script_in_chromium(built: Path, site_url: str, listener: socket.socket) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (./scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    pages = sorted(p.relative_to(built / "site").parent.as_posix() for p in (built / "site").glob("demo/**/index.html"))
    assert "demo/technical" in pages
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for rel in ["", *[f"{r}/" for r in pages]]:
                _visit(browser, site_url + rel)
        finally:
            browser.close()
    assert accepted_connections(listener) == 0


def _visit(browser: Any, url: str) -> None:
    page = browser.new_page()
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(f"dialog: {d.message}"), d.dismiss()))
    origin = "/".join(url.split("/")[:3]) + "/"

    def request(r: Any) -> None:
        if not r.url.startswith((origin, "data:", "blob:")):
            seen.append(f"request: {r.url}")

    def navigated(frame: Any) -> None:
        if not (frame.url.startswith(url) or frame.url == "about:blank"):
            seen.append(f"navigated: {frame.url}")

    page.on("request", request)
    page.on("framenavigated", navigated)
    page.add_init_script(HOOKS)
    page.goto(url, wait_until="networkidle")
    if page.locator("pre.mermaid, div.mermaid").count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('.mermaid')].every(e => e.shadowRoot && e.shadowRoot.querySelector('svg'))",
            timeout=15_000,
        )
        level = page.evaluate("() => window.mermaid.mermaidAPI.getConfig().securityLevel")
        assert level == "strict", url
        # Click every node of every diagram: a `click` directive would call or navigate now.
        page.evaluate(
            "() => document.querySelectorAll('.mermaid').forEach(e => e.shadowRoot.querySelectorAll('.node, a')"
            ".forEach(n => n.dispatchEvent(new MouseEvent('click', {bubbles: true}))))"
        )
        page.wait_for_timeout(300)
    for link in page.locator("article a[href]").all():
        href = link.get_attribute("href") or ""
        assert not href.strip().lower().startswith(("javascript:", "data:", "vbscript:", "file:")), href
    seen += page.evaluate("() => window.__events")
    page.close()
    assert seen == [], f"{url}: {seen}"
