"""Publish stage (PDF): contents decided from an estimate of the pages, with one layout, as counting would decide.

The estimate is checked against the page count WeasyPrint gives for the example models' documents laid out
without contents (what the two-layout version counted), and the layout's own count corrects a wrong estimate.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pypdf
import pytest
from helpers.pdf_documents import ROC_SVG, document, regulatory_markdown

from compiler.build import render_input
from compiler.config.audiences import audience_layers, load_audiences
from compiler.config.profiles import load_profile
from compiler.load.reader import load_project
from compiler.publish.pdf import expected_cost, write_pdfs
from compiler.publish.pdf_pages import TOC_MIN_PAGES, estimate_pages
from compiler.publish.print_layout import prepare_body
from compiler.render.document import Document
from compiler.render.incremental import render_all
from compiler.validate.project import validate_project

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _with_toc(doc: Document, toc: bool | None) -> Document:
    config = doc.audience.config
    pdf = config.pdf.model_copy(update={"toc": toc})
    return replace(doc, audience=replace(doc.audience, config=config.model_copy(update={"pdf": pdf})))


def _has_contents(path: Path) -> bool:
    reader = pypdf.PdfReader(path)
    return any("Contents" in page.extract_text().splitlines()[:3] for page in reader.pages[:3])


def _write(docs: list[Document], out: Path, **kwargs: Any) -> dict[str, dict[str, Any]]:
    entries = write_pdfs(
        docs, out / "pdf", jobs=2, profile=None, asset_root=out / "assets", cache_dir=out / "cache", **kwargs
    )
    return {f"{e['model']}/{e['audience']}": e for e in entries}


@pytest.fixture(scope="module")
def example_documents() -> list[Document]:
    """Every PDF document of the four example models whose contents the build decides (regulatory always has
    them), with the choice left to the build."""
    catalog = validate_project(load_project(REPO / "content"))
    audiences = load_audiences(audience_layers(REPO / "audiences", True))
    documents = render_all([render_input(m) for m in catalog.models], audiences, audiences, None)
    return [
        _with_toc(doc, None)
        for doc in documents
        if "pdf" in doc.audience.config.outputs and doc.audience.config.pdf.toc is not True
    ]


def test_the_estimate_decides_as_the_page_count_on_the_examples(
    example_documents: list[Document], tmp_path: Path
) -> None:
    assert {d.audience.name for d in example_documents} >= {"technical", "clinician", "leadership"}
    counted = _write([_with_toc(d, False) for d in example_documents], tmp_path)  # the count the decision was on
    for doc in example_documents:
        profile = load_profile(doc.audience.config.pdf.profile)
        body = prepare_body(doc, tmp_path / "assets" / doc.slug, tmp_path / "cache", profile)
        estimate = estimate_pages(body, profile, compact=doc.audience.config.pdf.compact_header)
        pages = counted[doc.slug]["pages"]
        assert (estimate >= TOC_MIN_PAGES) == (pages >= TOC_MIN_PAGES), (doc.slug, estimate, pages)
        assert abs(estimate - pages) <= max(2.0, 0.25 * pages), (doc.slug, estimate, pages)


def _sections(markdown: str, count: int) -> str:
    return "".join(re.split(r"(?m)^(?=## )", markdown)[:count])


def test_the_estimate_holds_near_the_threshold(example_documents: list[Document], tmp_path: Path) -> None:
    """The first sections of each technical document: 2 to 7 pages, where a wrong estimate would show."""
    technical = [d for d in example_documents if d.audience.name == "technical"]
    docs = [
        replace(_with_toc(d, False), model_id=f"{d.model_id}-{k}", markdown=_sections(d.markdown, k))
        for d in technical
        for k in (2, 3, 4, 5, 6)
    ]
    counted = _write(docs, tmp_path)
    wrong = []
    for doc in docs:
        profile = load_profile(doc.audience.config.pdf.profile)
        body = prepare_body(doc, tmp_path / "assets" / doc.slug, tmp_path / "cache", profile)
        estimate = estimate_pages(body, profile, compact=False)
        pages = counted[doc.slug]["pages"]
        assert abs(estimate - pages) < 2, (doc.slug, estimate, pages)
        if (estimate >= TOC_MIN_PAGES) != (pages >= TOC_MIN_PAGES):
            wrong.append(doc.slug)
    assert len(wrong) <= 1, wrong


def test_a_short_estimate_is_corrected_by_the_layout(tmp_path: Path) -> None:
    """Tall figures the estimate counts as a third of a page each: the layout has more pages, so contents."""
    tall = ROC_SVG.replace(b'height="220"', b'height="900"').replace(b"0 0 320 220", b"0 0 320 900")
    markdown = "# Figures\n\n" + "\n\n".join(f"## Figure {i}\n\n![Tall plot {i}](plots/tall.svg)" for i in range(6))
    doc = document("technical", markdown, assets={"plots/tall.svg": tall}, profile="eu-archival")
    profile = load_profile("eu-archival")
    body = prepare_body(doc, tmp_path / "probe", tmp_path / "cache", profile)
    assert estimate_pages(body, profile, compact=False) < TOC_MIN_PAGES
    without = _write([_with_toc(doc, False)], tmp_path / "without")[doc.slug]
    decided = _write([doc], tmp_path / "decided")[doc.slug]
    assert without["pages"] >= TOC_MIN_PAGES
    assert _has_contents(tmp_path / "decided" / decided["path"])
    assert decided["pages"] > without["pages"]


def test_a_long_estimate_is_corrected_by_the_layout(tmp_path: Path) -> None:
    """Many small figures the estimate counts as a third of a page each: the layout is short, so no contents."""
    small = ROC_SVG.replace(b'width="320" height="220"', b'width="32" height="22"')
    markdown = "# Icons\n\n" + "\n\n".join(f"![Icon {i}](plots/icon.svg)" for i in range(16))
    doc = document("technical", markdown, assets={"plots/icon.svg": small}, profile="eu-archival")
    profile = load_profile("eu-archival")
    body = prepare_body(doc, tmp_path / "probe", tmp_path / "cache", profile)
    assert estimate_pages(body, profile, compact=False) >= TOC_MIN_PAGES
    without = _write([_with_toc(doc, False)], tmp_path / "without")[doc.slug]
    decided = _write([doc], tmp_path / "decided")[doc.slug]
    assert without["pages"] < TOC_MIN_PAGES
    assert not _has_contents(tmp_path / "decided" / decided["path"])
    assert (tmp_path / "decided" / decided["path"]).read_bytes() == (
        tmp_path / "without" / without["path"]
    ).read_bytes()


def test_the_longest_pdfs_start_first(tmp_path: Path) -> None:
    docs = [
        replace(document("technical", regulatory_markdown(n), profile="accessible"), model_id=f"m{n}")
        for n in (1, 4, 2)
    ]
    assert expected_cost(docs[1]) > expected_cost(docs[2]) > expected_cost(docs[0])
    started: list[str] = []
    entries = write_pdfs(
        docs,
        tmp_path / "pdf",
        jobs=1,
        profile=None,
        asset_root=tmp_path / "assets",
        cache_dir=tmp_path / "cache",
        progress=lambda doc: started.append(doc.model_id),
    )
    assert started == ["m4", "m2", "m1"]  # one worker: finished in the order started
    assert [e["model"] for e in entries] == ["m1", "m4", "m2"]  # the manifest keeps the input order
