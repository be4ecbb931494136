"""The pipeline and `docs-compile build`: output contract, determinism, atomic output, JSON summary."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.html_safety import active_markup
from helpers.project import AUDIENCES, REPO, file_digests, minimal_source, write_tree

_tree = file_digests


@pytest.fixture
def demo(project: Path) -> Path:
    write_tree(project, {"content/demo/model.yaml": minimal_source()})
    shutil.copytree(AUDIENCES, project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    return project


def test_build_writes_the_output_contract_and_a_manifest(demo: Path, cli: Any) -> None:
    result = cli("build", "--no-pdf", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["documents"] == ["demo/leadership", "demo/regulatory", "demo/technical"]
    site = demo / "build" / "site"
    for page in (
        "index.html",
        "demo/index.html",
        "demo/technical/index.html",
        "demo/datasheets/train/index.html",
        "how-to-read/clinician/index.html",
        "assets/javascripts/mermaid.min.js",
        "sitemap.xml.gz",
    ):
        assert (site / page).is_file(), page
    manifest = json.loads((demo / "build" / "manifest.json").read_text())
    outputs = {o["path"]: o for o in manifest["outputs"]}
    index = outputs["site/index.html"]
    assert index["sha256"] == hashlib.sha256((site / "index.html").read_bytes()).hexdigest()
    assert index["bytes"] == (site / "index.html").stat().st_size
    assert "exports/demo/model.json" in outputs
    assert [s["path"] for s in manifest["sources"]] == ["content/demo/model.yaml"]
    assert manifest["models"][0]["documents"] == ["leadership", "regulatory", "technical"]


def test_two_builds_are_byte_identical(demo: Path, cli: Any) -> None:
    assert cli("build", "--no-pdf", "-q", "--out", "one").exit_code == 0
    assert cli("build", "--no-pdf", "-q", "--out", "two").exit_code == 0
    one, two = _tree(demo / "one"), _tree(demo / "two")
    assert one == two
    assert len(one) > 50


def test_audience_and_model_filters(demo: Path, cli: Any) -> None:
    result = cli("build", "--no-pdf", "--json", "--audience", "leadership", "--model", "demo")
    assert json.loads(result.stdout)["documents"] == ["demo/leadership"]
    result = cli("build", "--no-pdf", "--audience", "leadrship")
    assert result.exit_code == 2
    assert "no audience 'leadrship'" in result.stderr and "did you mean" in result.stderr


def test_a_failed_build_leaves_the_previous_output_untouched(demo: Path, cli: Any) -> None:
    assert cli("build", "--no-pdf", "-q").exit_code == 0
    before = _tree(demo / "build")
    broken = demo / "audiences" / "technical" / "sections" / "caveats.md.j2"
    broken.write_text("## Caveats\n\n{{ source.risk.limitatons }}\n")
    result = cli("build", "--no-pdf")
    assert result.exit_code == 2
    logged = [line for line in result.stderr.splitlines() if not line.startswith("[")]  # progress: a log, not a tty
    assert logged[0].startswith(
        "error: audiences/technical/sections/caveats.md.j2:3:1: risk.limitatons: audience 'technical': "
        "the source has no field 'risk.limitatons'"
    )
    assert _tree(demo / "build") == before
    kept = sorted(p.name for p in demo.iterdir() if p.name != ".docs-compile-cache")  # the build cache stays
    assert kept == ["audiences", "build", "content", "mkdocs.yml"]


def test_injected_source_text_never_becomes_active_in_the_site(demo: Path, cli: Any) -> None:
    source = minimal_source()
    source["model"]["name"] = "<script>alert(1)</script> {{ 7*7 }}"
    source["model"]["summary"] = (
        '<img src=x onerror="alert(1)"> [x](javascript:alert(1)) <iframe src="https://evil.example"></iframe>'
    )
    source["intended_use"]["purpose"] = "![remote](https://evil.example/pixel.png) {% if true %}yes{% endif %}"
    write_tree(demo, {"content/demo/model.yaml": source})
    assert cli("build", "--no-pdf", "-q").exit_code == 0
    for page in (demo / "build" / "site").rglob("*.html"):
        html = page.read_text()
        article = html[html.find("<article") : html.find("</article>")]
        assert active_markup(article.lower()) == [], page
        assert re.search(r'<img[^>]+src="(?:https?:)?//', article) is None, page
    technical = (demo / "build" / "site" / "demo" / "technical" / "index.html").read_text()
    assert "{{ 7*7 }}" in technical and "{% if true %}yes{% endif %}" in technical
    assert "[image not included: remote]" in technical
