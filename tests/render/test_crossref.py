"""Render stage: the regulatory view in EU AI Act Annex IV order, its requirements cross-reference, and
frameworks shown by applicability (compiler/render/crossref.py, audiences/regulatory/)."""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from helpers.project import AUDIENCES, CONTENT, EXAMPLES, minimal_source, write_tree

from compiler.build import render_input
from compiler.check.coverage import NOT_APPLICABLE, Place
from compiler.config.audiences import load_audiences
from compiler.errors import RenderError
from compiler.load.reader import load_project
from compiler.render.api import TemplateAPI
from compiler.render.crossref import Heading, places_showing
from compiler.render.engine import RenderInput, document_meta, environment, render_document
from compiler.schema.paths import select
from compiler.validate.project import validate_project

HEADING = re.compile(r"^(#{1,6}) (.*?)(?: \{ #([a-z0-9-]+) \})?$", re.MULTILINE)
NUMBER = re.compile(r"^(\d)(?:\.|(\([a-h]\)))? ")
XREF = re.compile(r"\[([^\]]+)\]\(#([a-z0-9-]+)\)\{ \.xref \}")
ANNEX_IV = [
    (2, "1"), *((3, f"1({c})") for c in "abcdefgh"),
    (2, "2"), *((3, f"2({c})") for c in "abcdefgh"),
    *((2, str(n)) for n in range(3, 10)),
]  # fmt: skip


@cache
def _model(model_id: str) -> RenderInput:
    (valid,) = validate_project(load_project(CONTENT, [model_id])).models
    return render_input(valid)


@cache
def _regulatory(model_id: str) -> str:
    every = load_audiences(AUDIENCES)
    regulatory = next(a for a in every if a.name == "regulatory")
    return render_document(_model(model_id), regulatory, every).markdown


@cache
def _rendered_api(model_id: str) -> TemplateAPI:
    """The template API after rendering every section of the regulatory view, as the engine does."""
    every = load_audiences(AUDIENCES)
    regulatory = next(a for a in every if a.name == "regulatory")
    model = _model(model_id)
    api = TemplateAPI(model, regulatory, every)
    context = api.context(document_meta(model, regulatory))
    env = environment(regulatory)
    for section in regulatory.config.sections:
        api.tracker.section = section
        env.get_template(f"sections/{section}.md.j2").render({**context, "section": section})
    return api


def _numbered(markdown: str) -> list[tuple[int, str]]:
    """(level, item number) of every heading that starts with an Annex IV number, in document order."""
    found = []
    for hashes, text, _ in HEADING.findall(markdown):
        match = NUMBER.match(text)
        if match:
            found.append((len(hashes), match.group(1) + (match.group(2) or "")))
    return found


# --- Annex IV order ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", ["chest-xray-triage", "review-sentiment"])
def test_the_regulatory_view_follows_annex_iv_numbering_and_levels(model_id: str) -> None:
    markdown = _regulatory(model_id)
    assert _numbered(markdown) == ANNEX_IV
    # Between item 1 and the appendices every heading that carries no number sits below an item.
    body = markdown.split("\n## 1. ", 1)[1].split("\n## Evidence appendix", 1)[0]
    unnumbered = [(len(h), text) for h, text, _ in HEADING.findall(body) if not NUMBER.match(text)]
    assert unnumbered and all(level >= 3 for level, _ in unnumbered), unnumbered


@pytest.mark.parametrize("model_id", EXAMPLES)
def test_an_item_the_model_does_not_meet_stays_and_says_why(model_id: str) -> None:
    markdown = _regulatory(model_id)
    item = markdown.split("### 1(f) ", 1)[1].split("\n### ", 1)[0]
    assert "*Not applicable:* item 1(f) applies where the AI system is a component of a product" in item


def test_a_minimal_risk_model_says_why_the_declaration_of_conformity_does_not_apply() -> None:
    item = _regulatory("review-sentiment").split("## 8. ", 1)[1].split("\n## ", 1)[0]
    assert (
        "*Not applicable:* EU AI Act Annex IV technical documentation applies to high-risk AI systems (Art 6) "
        "and AI systems that are medical devices; this model: risk class minimal, not a medical device." in item
    )
    declared = _regulatory("chest-xray-triage").split("## 8. ", 1)[1].split("\n## ", 1)[0]
    assert "EU declaration of conformity HMI-DoC-PTX-2025-02, issued 2025-03-24." in declared


# --- the cross-reference -----------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", EXAMPLES)
def test_every_cross_reference_link_names_a_heading_by_its_number_and_text(model_id: str) -> None:
    markdown = _regulatory(model_id)
    headings = {anchor: text for _, text, anchor in HEADING.findall(markdown) if anchor}
    links = XREF.findall(markdown.split("## Requirements cross-reference", 1)[1])
    assert links
    for text, anchor in links:
        assert anchor in headings, f"{text} links to #{anchor}, which no heading has"
        assert headings[anchor] == text


@pytest.mark.parametrize("model_id", EXAMPLES)
def test_every_covered_requirement_points_to_the_sections_that_show_its_fields(model_id: str) -> None:
    api = _rendered_api(model_id)
    data = _model(model_id).source.model_dump(mode="json")
    rows = api.framework_rows() + api.requirement_rows()
    assert rows
    for row in rows:
        if row.status != "covered":
            continue
        values = {_concrete(where) for field in row.fields for where, _ in select(data, field)}
        shown = {p for place in row.places for p in api.tracker.concrete[place.anchor]}
        unshown = {v for v in values if not any(p == v or p.startswith((v + ".", v + "[")) for p in shown)}
        assert row.places and not unshown, f"{row.requirement_id}: {sorted(unshown)} not shown in {row.places}"


def test_an_annex_iv_requirement_points_to_the_item_of_its_number() -> None:
    api = _rendered_api("chest-xray-triage")
    rows = [r for r in api.framework_rows() if r.framework == "eu-ai-act-annex-iv"]
    assert len(rows) == 25
    for row in (r for r in rows if r.status != NOT_APPLICABLE):
        number = re.sub(r"^IV-(\d)(\([a-h]\))?.*$", r"\1\2", row.requirement_id)
        assert number in [p.text.split(" ")[0].rstrip(".") for p in row.places], (row.requirement_id, row.places)
    first = {r.requirement_id: r.places[0] for r in rows if r.places}
    assert first["IV-1(a)"] == Place("intended-purpose", "1(a) Intended purpose, provider and version")
    assert first["IV-1(c)"] == Place("software-versions", "1(c) Software and firmware versions, and version updates")
    assert first["IV-2(g)"] == Place("validation", "2(g) Validation and testing procedures")


def test_places_are_one_part_that_shows_everything_or_the_fewest_that_together_do() -> None:
    data = {"a": {"x": 1, "y": 2}, "items": [{"n": 1}, {"n": 2}]}
    reads = {
        "first": {"a", "a.x", "items", "items[0].n"},
        "both": {"a.x", "a.y", "other", "more", "still-more"},
        "narrow": {"a.x", "a.y"},
        "all-items": {"items[0].n", "items[1].n"},
        "": {"a.x", "a.y"},  # the page outside every section never counts
    }
    headings = {"narrow": Heading("narrow", "2(b)", "Design")}
    # Two parts show a.x and a.y; the one whose reads are about them wins.
    assert places_showing(reads, headings, ("a.x", "a.y"), data) == (Place("narrow", "2(b) Design"),)
    # Reading the parent on the way (`a`) shows neither child; a filter keeps its elements apart.
    assert places_showing(reads, headings, ("items[].n",), data) == (Place("all-items", "All items"),)
    # No part shows both: the fewest parts that do, each the most focused, in document order.
    assert places_showing(reads, {}, ("items[0].n", "a.y"), data) == (
        Place("narrow", "Narrow"),
        Place("all-items", "All items"),
    )
    assert places_showing(reads, {}, ("a.z",), {"a": {"z": 1}}) == ()


# --- frameworks by applicability ---------------------------------------------------------------------


@pytest.mark.parametrize("model_id", ["review-sentiment", "item-recommender", "support-rag-assistant"])
def test_a_model_that_is_no_device_and_not_in_health_shows_nothing_of_fda_or_hti1(model_id: str) -> None:
    markdown = _regulatory(model_id)
    for word in ("FDA", "HTI", "Appendix E", "510(k)", "coverage-fda", "coverage-onc"):
        assert word not in markdown, word
    assert "## Scope and applicable frameworks" in markdown


def test_a_minimal_risk_model_reports_against_no_framework_and_says_what_the_act_asks() -> None:
    markdown = _regulatory("review-sentiment")
    assert (
        "The EU AI Act risk class of Reelview review sentiment classifier is **minimal**: the Act places no "
        "documentation obligation on it" in markdown
    )
    assert "### EU AI Act" not in markdown and "Also answers: EU AI Act" not in markdown
    assert "None of the frameworks this document can report against applies to this model." in markdown


def test_a_medical_device_shows_the_fda_content_in_the_annex_iv_items() -> None:
    markdown = _regulatory("chest-xray-triage")
    general = markdown.split("## 1. ", 1)[1].split("### 1(a)", 1)[0]
    assert "*Also answers: FDA guidance section V (device description).*" in general
    assert "*Also answers: EU AI Act Art 15; FDA guidance section XII (cybersecurity).*" in markdown
    for anchor in ("coverage-eu-ai-act-annex-iv", "coverage-eu-ai-act-art13", "coverage-fda-ai-dsf-2025"):
        assert f"{{ #{anchor} }}" in markdown
    assert "{ #coverage-onc-hti1 }" in markdown
    assert "| FDA AI-enabled device software functions (draft guidance, 2025) | Applies to medical devices" in markdown


# --- heading() ---------------------------------------------------------------------------------------


def _one_section(project: Path, template: str) -> str:
    shutil.copytree(AUDIENCES / "_common", project / "audiences" / "_common", dirs_exist_ok=True)
    write_tree(
        project,
        {
            "content/demo/model.yaml": minimal_source(),
            "audiences/brief/audience.yaml": {"title": "Brief", "description": "Short.", "sections": ["only"]},
            "audiences/brief/sections/only.md.j2": template,
        },
    )
    (model,) = [render_input(m) for m in validate_project(load_project(project / "content")).models]
    (brief,) = load_audiences(project / "audiences", ["brief"])
    return render_document(model, brief, [brief]).markdown


def test_heading_writes_the_number_title_and_anchor(project: Path) -> None:
    body = _one_section(project, '{{ heading("##", "7", "Standards", "standards") }}\n\n'
                                 '{{ heading("###", "1(f)", "Photos & [marks]", "photos") }}\n')  # fmt: skip
    assert "## 7. Standards { #standards }\n" in body
    assert "### 1(f) Photos &amp; \\[marks\\] { #photos }\n" in body


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('heading("h2", "1", "A", "a")', "expected a level like '###'"),
        ('heading("##", "1", "A", "Not An Anchor")', "an anchor like 'item-1a'"),
        ('heading("##", "1", "A", "a") }}{{ heading("##", "2", "B", "a")', "the anchor 'a' is used twice"),
    ],
)
def test_a_wrong_heading_is_a_placed_template_error(project: Path, call: str, message: str) -> None:
    with pytest.raises(RenderError, match=r"only\.md\.j2:1:1: .*" + re.escape(message)):
        _one_section(project, "{{ " + call + " }}\n")


def test_applies_and_not_applicable_name_the_framework_and_the_reason(project: Path) -> None:
    body = _one_section(
        project,
        '{{ applies("fda-ai-dsf-2025") }} / {{ not_applicable("fda-ai-dsf-2025") }} / '
        '{{ not_applicable("mitchell") or "applies" }}\n',
    )
    assert (
        "\nno / FDA AI-enabled device software functions (draft guidance, 2025) applies to medical devices with "
        "AI-enabled device software functions; this model: not a medical device / applies\n" in body
    )
    with pytest.raises(RenderError, match=r"no framework 'fda'"):
        _one_section(project, '{{ applies("fda") }}\n')


def _concrete(where: Any) -> str:
    text = ""
    for step in where:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else step
    return text


def test_a_system_that_is_part_of_a_product_describes_it_under_1f(tmp_path: Path) -> None:
    shutil.copytree(CONTENT / "chest-xray-triage", tmp_path / "chest-xray-triage")
    source = tmp_path / "chest-xray-triage" / "model.yaml"
    text = source.read_text(encoding="utf-8")
    hardware = next(line for line in text.splitlines() if line.startswith("  hardware: "))
    product = (
        "\n  product:\n    name: PneumoTriage reading station RS-2\n"
        "    description: A 24-inch display on a wheeled cart; the CE mark is on its rear panel.\n"
        "    illustrations: IFU section 2, figures 2-1 to 2-4.\n"
    )
    source.write_text(text.replace(hardware, hardware + product), encoding="utf-8")
    (valid,) = validate_project(load_project(tmp_path, ["chest-xray-triage"])).models
    every = load_audiences(AUDIENCES)
    regulatory = next(a for a in every if a.name == "regulatory")
    markdown = render_document(render_input(valid), regulatory, every).markdown
    item = markdown.split("### 1(f) ", 1)[1].split("\n### ", 1)[0]
    assert "is a component of **PneumoTriage reading station RS-2**." in item
    assert "the CE mark is on its rear panel" in item and "IFU section 2, figures 2-1 to 2-4." in item
    assert "Not applicable" not in item
    row = next(line for line in markdown.splitlines() if line.startswith("| IV-1(f) |"))
    assert "Covered" in row and "(#product-illustrations){ .xref }" in row
