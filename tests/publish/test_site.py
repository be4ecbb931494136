"""Publish stage, the site: pages for every model and audience, no external requests, sanitised content."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers.project import AUDIENCES, REPO, minimal_source, write_tree

from compiler.build import BuildOptions, build


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    health = minimal_source("scan")
    health["model"]["domain"] = "health"
    health["system"]["architecture"]["components"] = [
        {"id": "api", "name": 'API "gateway"', "kind": "service", "description": "Takes requests."},
        {"id": "model", "name": "Scorer", "kind": "model", "description": "Scores.", "technology": "ONNX <1.18>"},
    ]
    health["system"]["architecture"]["flows"] = [{"source": "api", "target": "model", "label": "image | pixels"}]
    health["plain"] = {
        "summary": "It scores scans.",
        "how_it_works": "It learned from scans.",
        "output_meaning": "A high score means look soon.",
        "when_not_to_use": ["Children."],
        "warnings": ["A doctor reads every scan."],
    }
    demo = minimal_source()
    demo["model"]["release_date"] = "2024-05-01"
    health["model"]["release_date"] = "2023-01-02"
    write_tree(root, {"content/demo/model.yaml": demo, "content/scan/model.yaml": health})
    shutil.copytree(AUDIENCES, root / "audiences")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    build(BuildOptions(content=root / "content", audiences=root / "audiences", out=root / "build", pdf=False))
    return root / "build" / "site"


def test_every_model_has_a_page_per_audience_and_datasheets(site: Path) -> None:
    pages = sorted(p.relative_to(site).as_posix() for p in site.glob("*/*/index.html"))
    assert "demo/technical/index.html" in pages and "scan/clinician/index.html" in pages
    assert "demo/clinician/index.html" not in pages  # clinician applies to health models only
    assert (site / "scan/datasheets/train/index.html").is_file()
    catalog = (site / "index.html").read_text()
    for href in ('href="demo/"', 'href="scan/technical/"', 'href="how-to-read/clinician/"'):
        assert href in catalog, href


def test_no_page_loads_anything_from_another_host(site: Path) -> None:
    remote = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*(?:src|href)=["'](?:https?:)?//""", re.IGNORECASE)
    for page in site.rglob("*.html"):
        assert remote.search(page.read_text()) is None, page
    for css in site.rglob("*.css"):
        assert "@import url(http" not in css.read_text() and "fonts.googleapis" not in css.read_text(), css
    scripts = (site / "index.html").read_text()
    assert 'src="assets/javascripts/mermaid.min.js"' in scripts


def test_generated_container_diagram_is_a_mermaid_block_with_escaped_labels(site: Path) -> None:
    html = (site / "scan/technical/index.html").read_text()
    block = re.search(r'<pre class="mermaid"><code>(.*?)</code></pre>', html, re.DOTALL)
    assert block is not None
    assert 'n_api["API #34;gateway#34;"]' in block.group(1)
    assert 'n_api --&gt;|"image #124; pixels"| n_model' in block.group(1)
    assert "ONNX #60;1.18#62;" in block.group(1)


def test_sitemap_archive_carries_the_release_date_not_the_build_time(site: Path) -> None:
    import gzip
    import struct
    from datetime import UTC, datetime

    archive = (site / "sitemap.xml.gz").read_bytes()
    (mtime,) = struct.unpack("<I", archive[4:8])
    assert mtime == int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())  # the newest release date
    assert gzip.decompress(archive).decode() == (site / "sitemap.xml").read_text()


def test_search_finds_the_evidence_appendix_by_its_title_not_by_its_contents(site: Path) -> None:
    import json

    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    entries = [d for d in index["docs"] if d["location"].startswith("demo/technical/")]
    assert any(d["location"].endswith("#evidence-appendix") and d["title"] == "Evidence appendix" for d in entries)
    page = (site / "demo" / "technical" / "index.html").read_text(encoding="utf-8")
    assert "The source declares no evidence sources" in page  # on the page…
    assert not any("declares no evidence sources" in d["text"] for d in index["docs"])  # …but not in search
