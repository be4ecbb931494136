"""Issue 15, items 3 and 5: the built PDFs keep what their profile promises, measured with a PDF library.

The FDA's PDF specification (and the eCTD guidance) asks: nothing within 3/8 in of an edge, running header and
footer included, and 3/4 in on the binding (left) side; no text under 9 pt, tables at 9–10 pt, narrative at
10–12 pt; a linearized file ("Fast Web View"); the manufacturer as Author; bookmarks that follow the headings.
Pagination: no heading or lead-in ending a page away from what it introduces, no small table split, no page
under 40 % full unless a chapter ends there. Each is measured on PDFs a real `docs-compile build` writes: the
chest-xray-triage regulatory submission (fda-ectd) and clinician summary (accessible), and the review-sentiment
technical card (eu-archival), built once for the module.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import lxml.html
import pikepdf
import pytest
from helpers.pdf_documents import ROC_SVG, document, regulatory_markdown
from helpers.project import AUDIENCES, CONTENT
from publish.pdf_measure import (
    Measured,
    body_lines,
    char_sizes,
    edge_distances,
    headings_at_page_foot,
    margins_pt,
    measure,
    orphaned_lead_ins,
    split_small_tables,
    underfilled,
)

from compiler.config.profiles import PdfProfile, inches, load_profile
from compiler.publish.pdf import write_pdfs

pytestmark = pytest.mark.slow

DEVICE, OTHER = "chest-xray-triage", "review-sentiment"
BUILDS = {
    "device": (DEVICE, ("regulatory", "clinician")),
    "other": (OTHER, ("technical",)),
}
PDFS = {  # what is measured: (build, model, audience) → the profile its audience prints with
    ("device", DEVICE, "regulatory"): "fda-ectd",
    ("device", DEVICE, "clinician"): "accessible",
    ("other", OTHER, "technical"): "eu-archival",
}
TOLERANCE = 0.05
"""Points: what rounding in the PDF's matrices may add or take."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Path]:
    """The PDFs of two real builds, run side by side as `python -m compiler build` in a folder of their own."""
    root = tmp_path_factory.mktemp("fda")
    running = {}
    for name, (model, audiences) in BUILDS.items():
        args = ["build", "--content", str(CONTENT), "--model", model, "--out", str(root / name)]
        args += ["--cache-dir", str(root / f"{name}-cache"), "--jobs", "2", "--quiet"]
        for audience in audiences:
            args += ["--audience", audience]
        running[name] = subprocess.Popen(
            [sys.executable, "-m", "compiler", *args],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
    for name, process in running.items():
        output, _ = process.communicate(timeout=1200)
        assert process.returncode == 0, f"build {name}:\n{output}"
    return {key: root / key[0] / "pdf" / key[1] / f"{key[2]}.pdf" for key in PDFS}


@pytest.fixture(scope="module")
def measured(built: dict[tuple[str, str, str], Path]) -> dict[str, tuple[Measured, PdfProfile]]:
    """Each PDF measured, keyed by its profile's name."""
    return {profile: (measure(built[key]), load_profile(profile)) for key, profile in PDFS.items()}


def _fda(measured: dict[str, tuple[Measured, PdfProfile]]) -> Measured:
    return measured["fda-ectd"][0]


# --- item 3: geometry, for every profile ----------------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(set(PDFS.values())))
def test_nothing_is_printed_closer_to_an_edge_than_the_profile_allows(
    measured: dict[str, tuple[Measured, PdfProfile]], profile: str
) -> None:
    pdf, settings = measured[profile]
    assert settings.min_margins is not None  # every profile promises a floor
    floor = margins_pt(settings.min_margins)
    too_close = []
    for page in pdf.pages:
        for side, distance in edge_distances(page).items():
            landscape_top = page.width > page.height and side == "top"  # a landscape page is bound on its top
            wanted = floor["left"] if landscape_top else floor[side]
            if distance < wanted - TOLERANCE:
                too_close.append(f"page {page.number}: {side} {distance:.1f} pt < {wanted:.1f} pt")
    assert not too_close


def test_fda_running_header_and_footer_are_at_least_three_eighths_inch_from_the_edge(
    measured: dict[str, tuple[Measured, PdfProfile]],
) -> None:
    pdf, profile = measured["fda-ectd"]
    margins = margins_pt(profile.margins)
    # A landscape page (a wide figure's) sets its header lower, under the portrait margin's height: counted apart.
    portrait = [p for p in pdf.pages if p.height >= p.width]
    header = [ln for p in portrait for ln in p.lines if ln.bottom < margins["top"]]
    footer = [(p.height, ln) for p in pdf.pages for ln in p.lines if ln.top > p.height - margins["bottom"]]
    assert len(header) >= len(portrait) - 1 and len(footer) == len(pdf.pages)  # the cover has no header
    for page in (p for p in pdf.pages if p.width > p.height):
        assert page.lines and min(ln.top for ln in page.lines) >= 27 - TOLERANCE  # its header, 3/8 in or more
    assert min(ln.top for ln in header) >= 27 - TOLERANCE
    assert min(height - ln.bottom for height, ln in footer) >= 27 - TOLERANCE
    assert min(ln.x0 for p in pdf.pages for ln in p.lines) >= 54 - TOLERANCE  # 3/4 in from the binding edge


# --- item 3: text sizes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(set(PDFS.values())))
def test_no_text_is_smaller_than_the_profile_allows(
    measured: dict[str, tuple[Measured, PdfProfile]], profile: str
) -> None:
    pdf, settings = measured[profile]
    smallest = inches(settings.min_font_size) * 72
    small = Counter(s for page in pdf.pages for s in char_sizes(page) if s < smallest - TOLERANCE)
    assert not small, f"characters under {smallest} pt, by size: {dict(small)}"


def test_fda_table_text_is_9_to_10_points(measured: dict[str, tuple[Measured, PdfProfile]]) -> None:
    sizes = [s for page in _fda(measured).pages for s in char_sizes(page, in_table=True)]
    assert len(sizes) > 10_000  # the submission is mostly tables: the measure found them
    assert min(sizes) >= 9 - TOLERANCE and max(sizes) <= 10 + TOLERANCE


def test_fda_narrative_is_10_to_12_points(measured: dict[str, tuple[Measured, PdfProfile]]) -> None:
    pdf, profile = measured["fda-ectd"]
    margins = margins_pt(profile.margins)
    lines = [ln for page in pdf.pages for ln in body_lines(page, margins) if not ln.in_table and not ln.bold]
    by_size = Counter(round(ln.size, 1) for ln in lines)
    narrative = by_size.most_common(1)[0][0]
    assert narrative == inches(profile.body_font_size) * 72 and 10 <= narrative <= 12
    # Outside tables, what is smaller than the narrative is what may be: captions, notes, figure labels, the
    # running header and footer, all at 9 pt or more (test_no_text_is_smaller_than_the_profile_allows).
    assert min(by_size) >= 9 - TOLERANCE


# --- item 3: a linearized, reproducible file ----------------------------------------------------------------------


def test_fda_pdf_is_linearized(built: dict[tuple[str, str, str], Path]) -> None:
    with pikepdf.open(built[("device", DEVICE, "regulatory")]) as pdf:
        assert pdf.is_linearized
        report = io.StringIO()
        assert pdf.check_linearization(report), report.getvalue()
    with pikepdf.open(built[("other", OTHER, "technical")]) as pdf:
        assert not pdf.is_linearized  # only the profile that asks for it


def test_a_linearized_pdf_is_the_same_bytes_when_built_again(tmp_path: Path) -> None:
    doc = document("regulatory", regulatory_markdown(2), assets={"plots/roc.svg": ROC_SVG}, profile="fda-ectd")
    doc = replace(doc, audience=replace(doc.audience, roots=(AUDIENCES,)))  # its print files may come from there
    written = []
    for run in ("one", "two"):
        (entry,) = write_pdfs(
            [doc], tmp_path / run / "pdf", jobs=1, profile=None, asset_root=tmp_path / run / "assets",
            cache_dir=tmp_path / "diagrams",
        )  # fmt: skip
        written.append((tmp_path / run / entry["path"]).read_bytes())
    assert written[0] == written[1]
    with pikepdf.open(io.BytesIO(written[0])) as pdf:
        assert pdf.is_linearized


# --- item 3: document information and bookmarks ---------------------------------------------------------------------


def test_fda_document_information_names_the_manufacturer(measured: dict[str, tuple[Measured, PdfProfile]]) -> None:
    info = _fda(measured).info
    assert info["Author"] == "Harbourview Medical Imaging, Inc."  # not the independent validation laboratory
    assert info["Title"] == "Regulatory submission — PneumoTriage CXR"
    assert info["Subject"] == "Regulatory submission: PneumoTriage CXR 2.1.0"
    keywords = [k.strip() for k in info["Keywords"].split(",")]
    assert "pneumothorax" in keywords and len(keywords) >= 3


def _heading_tree(items: list[tuple[int, str]]) -> list[Any]:
    """[(level, title)] in document order → nested [title, [children]] lists."""
    root: list[Any] = []
    stack: list[tuple[int, list[Any]]] = [(0, root)]
    for level, title in items:
        while stack[-1][0] >= level:
            stack.pop()
        node: list[Any] = [title, []]
        stack[-1][1].append(node)
        stack.append((level, node[1]))
    return root


def test_fda_bookmarks_nest_exactly_as_the_headings(
    built: dict[tuple[str, str, str], Path], measured: dict[str, tuple[Measured, PdfProfile]]
) -> None:
    page = built[("device", DEVICE, "regulatory")].parents[2] / "site" / DEVICE / "regulatory" / "index.html"
    article = lxml.html.parse(str(page)).getroot().xpath("//article")[0]
    headings = [
        (int(h.tag[1]), " ".join(h.text_content().replace("¶", "").split()))
        for h in article.iter("h1", "h2", "h3", "h4")
    ]
    bookmarks = [(b.level, b.title) for b in _fda(measured).bookmarks]
    assert len(headings) > 20
    assert _heading_tree(bookmarks) == _heading_tree(headings)


# --- item 5: pagination -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", sorted(set(PDFS.values())))
def test_pagination_keeps_things_together(measured: dict[str, tuple[Measured, PdfProfile]], profile: str) -> None:
    pdf, settings = measured[profile]
    margins = margins_pt(settings.margins)
    assert headings_at_page_foot(pdf, margins) == []
    assert orphaned_lead_ins(pdf, margins) == []
    assert split_small_tables(pdf, margins) == []


@pytest.mark.parametrize("profile", sorted(set(PDFS.values())))
def test_no_page_is_under_40_percent_full_unless_a_chapter_ends_there(
    measured: dict[str, tuple[Measured, PdfProfile]], profile: str
) -> None:
    pdf, settings = measured[profile]
    assert underfilled(pdf, margins_pt(settings.margins)) == []


def test_fda_risk_controls_print_as_a_list_in_labelled_fields(
    measured: dict[str, tuple[Measured, PdfProfile]],
) -> None:
    pdf = _fda(measured)
    pages = [p for p in pdf.pages if any(ln.text.startswith("h-0") for ln in p.lines)]
    text = [ln.text for p in pages for ln in p.lines]
    assert sum(t.startswith("h-0") for t in text) >= 7  # every hazard, each a block of its own
    assert sum(t == "Risk controls" for t in text) >= 7
    assert sum(t.startswith("• ") for t in text) >= 14  # the controls, an item each
