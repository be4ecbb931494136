"""Publish stage (PDF), issue 15 items 3 and 5: what the print HTML marks for pagination, the profile's page and
text sizes as CSS, the Author a PDF names, and the rules a profile's promises must keep. No PDF is rendered here
(tests/publish/test_fda_pdf_spec.py measures the built ones)."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from helpers.pdf_documents import document
from helpers.project import CONTENT, write_tree

from compiler.config.profiles import PdfProfile, load_profile
from compiler.errors import ConfigError
from compiler.load.reader import load_project
from compiler.publish.pdfs import responsible_organisation
from compiler.publish.print_layout import PrintArea, landscape_top, page_css, prepare_body
from compiler.validate.project import validate_project

SUBGROUPS = """## Results

**Sex** — threshold-dependent metrics at the high-sensitivity operating point

<div class="subgroup-table" markdown>

| Sex | Sensitivity |
|---|---|
| female | 0.929 (0.860–0.965)<br><span class="n">n = 98</span> |
| male | 0.912 (0.862–0.945)<br><span class="n">n = 182</span> |

</div>

**Training procedure.**

- Initialised from ImageNet-1k weights.

Three controls:

- one

| Id | Risk controls |
|---|---|
| h-01 | Default operating point<br>Labelling states the limits<br>Monthly monitoring |

Source file sha256 75c5d8effa8c69caa0163e9744967b0f508cb10e07161d13a36f5e7c208ad635, and `c0de0123456789abcdef0123456789abcdef`.
"""


def _body(markdown: str, tmp_path: Path, profile: str = "fda-ectd") -> lxml.html.HtmlElement:
    doc = document("regulatory", markdown)
    body = prepare_body(doc, tmp_path / "assets", tmp_path / "cache", load_profile(profile))
    return lxml.html.fragment_fromstring(body.html, create_parent="div")


def test_lead_ins_are_kept_with_what_they_introduce(tmp_path: Path) -> None:
    root = _body(SUBGROUPS, tmp_path)
    leads = [" ".join(p.text_content().split()) for p in root.iter("p") if "lead-in" in (p.get("class") or "")]
    assert leads == [
        "Sex — threshold-dependent metrics at the high-sensitivity operating point",  # before a table
        "Training procedure.",  # a run-in label
        "Three controls:",  # introduces a list
    ]


def test_small_tables_are_kept_whole_and_long_ones_may_break(tmp_path: Path) -> None:
    rows = "\n".join(f"| site-{i} | {i} |" for i in range(12))
    root = _body(SUBGROUPS + f"\n| Site | n |\n|---|---|\n{rows}\n", tmp_path)
    kept = ["keep-whole" in (t.get("class") or "") for t in root.iter("table")]
    assert kept == [True, True, False]


def test_cells_are_labelled_by_their_column_and_lines_of_a_cell_become_a_list(tmp_path: Path) -> None:
    root = _body(SUBGROUPS, tmp_path)
    cells = root.xpath("//table//td")
    assert [c.get("data-label") for c in cells] == ["Sex", "Sensitivity", "Sex", "Sensitivity", "Id", "Risk controls"]
    controls = cells[-1].xpath("./ul[@class='cell-list']/li")
    assert [li.text_content() for li in controls] == [
        "Default operating point",
        "Labelling states the limits",
        "Monthly monitoring",
    ]
    # A value with its n under it is one value, not a list.
    assert cells[1].xpath("./br") and not cells[1].xpath(".//ul")


def test_long_runs_outside_code_may_break_anywhere(tmp_path: Path) -> None:
    root = _body(SUBGROUPS, tmp_path)
    tokens = [s.text for s in root.xpath("//span[@class='long-token']")]
    assert tokens == ["75c5d8effa8c69caa0163e9744967b0f508cb10e07161d13a36f5e7c208ad635,"]  # code breaks on its own
    paragraph = root.xpath("//p[span[@class='long-token']]")[0]
    assert " ".join(paragraph.text_content().split()) == (
        "Source file sha256 75c5d8effa8c69caa0163e9744967b0f508cb10e07161d13a36f5e7c208ad635, "
        "and c0de0123456789abcdef0123456789abcdef."
    )


def test_page_css_takes_sizes_and_margins_from_the_profile() -> None:
    fda = load_profile("fda-ectd")
    css = page_css(fda)
    assert "@page { size: letter; margin: 0.75in 0.5in 0.75in 1in;" in css
    assert "--body-size: 10pt; --table-size: 9pt; --small-size: 9pt;" in css
    # The running header sits against the body, a gap above it, at the smallest text size.
    assert "@top-left { font-size: 9pt; line-height: 1.35; vertical-align: bottom; padding-bottom: 0.15in; }" in css
    assert "@bottom-right { font-size: 9pt; line-height: 1.35; vertical-align: top; padding-top: 0.15in; }" in css
    # A landscape page is bound on its top edge: the left margin and the running header's room there.
    assert landscape_top(fda) == pytest.approx(1 + fda.running_band)
    assert f"@page landscape {{ size: letter landscape; margin-top: {landscape_top(fda):.3f}in; }}" in css


def test_the_room_a_diagram_gets_follows_the_page_and_keeps_labels_at_the_smallest_size() -> None:
    area = PrintArea.of(load_profile("fda-ectd"))
    assert area.portrait == pytest.approx((7 * 96, 9.5 * 0.8 * 96))  # Letter less 1 in + 0.5 in, and 0.75 in twice
    assert area.min_scale == pytest.approx(1.0)  # Mermaid's 9 pt labels, never shrunk below 9 pt
    assert PrintArea.of(load_profile("eu-archival")).portrait[0] == pytest.approx((210 - 37) / 25.4 * 96)


def test_the_pdf_author_is_the_organisation_responsible_for_the_model() -> None:
    catalog = validate_project(load_project(CONTENT))
    authors = {m.source.model.id: responsible_organisation(m.source) for m in catalog.models}
    assert authors == {
        "chest-xray-triage": "Harbourview Medical Imaging, Inc.",  # the manufacturer, not the validating lab
        "item-recommender": "Northwind Market Ltd. — Recommendations team",
        "review-sentiment": "Marquee Media Ltd. — Reelview data science team",
        "support-rag-assistant": "Tessellate Software GmbH — Applied AI team",  # not the LLM's vendor
    }


def _profile(project: Path, margins: dict[str, str] | None = None, **fields: object) -> PdfProfile:
    sides = {"top": "0.75in", "right": "0.5in", "bottom": "0.75in", "left": "1in", **(margins or {})}
    body = {"title": "Custom", "page_size": "letter", "margins": sides, **fields}
    write_tree(project, {"profiles/custom.yaml": body})
    load_profile.cache_clear()
    return load_profile("custom", project / "profiles")


def test_every_shipped_profile_promises_a_margin_floor_and_nine_point_text() -> None:
    for name in ("accessible", "eu-archival", "fda-ectd"):
        profile = load_profile(name)
        assert profile.min_margins is not None and profile.min_font_size == "9pt"
        assert min(profile.running_band_room(side) for side in ("top", "bottom")) >= 0.375
    fda = load_profile("fda-ectd")
    assert (fda.linearize, fda.table_font_size, fda.min_margins.left if fda.min_margins else "") == (
        True,
        "9pt",
        "0.75in",
    )


def test_table_text_larger_than_the_narrative_is_refused(project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _profile(project, table_font_size="11pt")
    assert caught.value.format() == (
        "profiles/custom.yaml:1:1: font sizes must keep 6pt <= min_font_size <= table_font_size <= body_font_size, "
        "got 9pt, 11pt, 10pt"
    )


def test_a_margin_with_no_room_for_the_running_header_outside_the_floor_is_refused(project: Path) -> None:
    floors = {"top": "0.375in", "right": "0.375in", "bottom": "0.375in", "left": "0.75in"}
    with pytest.raises(ConfigError) as caught:
        _profile(project, margins={"top": "0.5in"}, min_margins=floors)
    assert caught.value.format() == (
        "profiles/custom.yaml:1:1: margins.top 0.5in leaves no room for the running header outside "
        "min_margins.top 0.375in (the header takes 0.32in of it)"
    )
