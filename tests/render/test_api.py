"""Render stage: the template API (compiler/render/api.py) and its reference, docs/templates.md.

The reference is generated from the API's docstrings; these tests fail when the committed file drifts
from them, when a function or filter has no example, and when an example does not render.
"""

from __future__ import annotations

import re

import pytest
from helpers.project import AUDIENCES, CONTENT, REPO

from compiler.build import render_input
from compiler.config.audiences import load_audiences
from compiler.load.reader import load_project
from compiler.render.api import FILTERS, VARIABLES, TemplateAPI
from compiler.render.apidoc import REGENERATE, reference
from compiler.render.engine import document_meta, environment
from compiler.validate.project import validate_project

TEMPLATES_MD = REPO / "docs" / "templates.md"
EXAMPLE = re.compile(r"```jinja\n(.*?)```", re.DOTALL)
FUNCTIONS = [name for names in TemplateAPI.GROUPS.values() for name in names]


def test_the_committed_reference_is_what_the_docstrings_generate() -> None:
    assert TEMPLATES_MD.read_text(encoding="utf-8") == reference(), (
        f"docs/templates.md is out of date with compiler/render/api.py; regenerate it: {REGENERATE}"
    )


@pytest.mark.parametrize("heading", FUNCTIONS + [f"value | {name}" for name in FILTERS])
def test_every_function_and_filter_is_documented_with_an_example(heading: str) -> None:
    sections = {s.partition("\n")[0]: s for s in reference().split("\n### `")[1:]}
    (section,) = [text for title, text in sections.items() if re.match(re.escape(heading) + "[(`]", title)]
    examples = EXAMPLE.findall(section)
    assert examples and all("{{" in e or "{%" in e for e in examples), f"`{heading}…` has no example in Jinja"
    assert section.split("```jinja")[0].partition("\n")[2].strip(), f"`{heading}…` says nothing besides its example"


def test_templates_see_the_documented_names_and_nothing_else() -> None:
    (valid,) = validate_project(load_project(CONTENT, ["review-sentiment"])).models
    model = render_input(valid)
    (technical,) = load_audiences(AUDIENCES, ["technical"])
    context = TemplateAPI(model, technical, [technical]).context(document_meta(model, technical))
    # section, sections and dataset are added per template by the engine.
    assert set(context) == (set(VARIABLES) - {"section", "sections", "dataset"}) | set(FUNCTIONS)
    env = environment(technical)
    assert {name: env.filters[name] for name in FILTERS} == FILTERS


def test_every_example_in_the_reference_renders() -> None:
    """Each example, as printed in docs/templates.md, renders for the chest X-ray example's technical card."""
    (valid,) = validate_project(load_project(CONTENT, ["chest-xray-triage"])).models
    model = render_input(valid)
    every = load_audiences(AUDIENCES)
    technical = next(a for a in every if a.name == "technical")
    context = {**TemplateAPI(model, technical, every).context(document_meta(model, technical)), "section": "risks"}
    env = environment(technical)
    examples = EXAMPLE.findall(reference())
    assert len(examples) == len(FUNCTIONS) + len(FILTERS)
    for example in examples:
        env.from_string(example).render(context)


def test_the_reference_pins_signatures_as_jinja_writes_them() -> None:
    text = reference()
    for heading in (
        "### `result(metric_id, slice=none, op=none, dataset=none)`",
        "### `metric(result, with_n=true)`",
        "### `anchor(*parts)`",
        '### `value | date(style="iso")`',
        "### `value | md`",
    ):
        assert f"\n{heading}\n" in text, heading
    assert text.startswith("# Template API\n\n<!-- Generated from compiler/render/api.py by `" + REGENERATE)
