"""Render stage: escaping, sanitising, placed template errors, number formatting, goldens per example × audience.

Golden files live in tests/render/golden/<model-id>/<audience>.md. Regenerate them on purpose only:

    REGEN_GOLDEN=1 python -m pytest tests/render/test_render.py -k golden
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.html_safety import active_markup
from helpers.project import AUDIENCES, CONTENT, EXAMPLES, minimal_source, write_tree

from compiler.build import render_input
from compiler.config.audiences import load_audiences
from compiler.errors import RenderError
from compiler.load.reader import load_project
from compiler.render.crossref import requirement_rows
from compiler.render.engine import RenderInput, render_document
from compiler.render.formats import format_result
from compiler.render.incremental import render_all
from compiler.render.markup import to_html
from compiler.schema import Metric, Result
from compiler.validate.project import validate_project

GOLDEN = Path(__file__).parent / "golden"
INJECTIONS = {
    "script": "<script>alert('pwned')</script>",
    "img": '<img src=x onerror="alert(1)">',
    "link": "[click me](javascript:alert(1))",
    "jinja": "{{ 7*7 }} {% raw %}",
}


def _models(project: Path, source: dict[str, Any] | None = None) -> list[RenderInput]:
    if source is not None:
        write_tree(project, {"content/demo/model.yaml": source})
    return [render_input(m) for m in validate_project(load_project(project / "content")).models]


def _audiences(project: Path) -> Path:
    target = project / "audiences"
    if not target.exists():
        shutil.copytree(AUDIENCES, target)
    return target


def _health_source() -> dict[str, Any]:
    source = minimal_source()
    source["model"]["domain"] = "health"
    source["evaluation"]["metrics"] += [
        {"id": "sensitivity", "name": "Sensitivity", "rationale": "misses matter"},
        {"id": "specificity", "name": "Specificity", "rationale": "false alarms cost time"},
    ]
    source["evaluation"]["results"] += [
        {"metric": "sensitivity", "value": 0.9, "ci_low": 0.85, "ci_high": 0.94, "n": 300},
        {"metric": "specificity", "value": 0.8, "ci_low": 0.78, "ci_high": 0.82, "n": 1204},
    ]
    source["plain"] = {
        "summary": "It flags X-rays.",
        "how_it_works": "It learned from X-rays.",
        "output_meaning": "A flag means look soon.",
        "when_not_to_use": ["Children."],
        "warnings": ["A doctor reads every X-ray."],
        "per_1000": {"prevalence": 0.05, "population": "adults in the emergency department"},
    }
    return source


def test_metric_is_written_with_its_interval_and_n() -> None:
    metric = Metric(id="auroc", name="AUROC", rationale="ranking")
    result = Result(metric="auroc", value=0.912, ci_low=0.889, ci_high=0.931, n=1204)
    assert format_result(result, metric) == "0.912 (95% CI 0.889–0.931), n = 1,204"
    timed = Metric(id="latency", name="Latency", rationale="speed", kind="time", unit="ms")
    assert format_result(Result(metric="latency", value=120.0), timed) == "120 ms"


def test_injected_text_is_inert_in_every_audience(project: Path) -> None:
    source = _health_source()
    source["model"]["name"] = INJECTIONS["script"] + INJECTIONS["jinja"]
    source["model"]["summary"] = "\n\n".join(INJECTIONS.values())
    source["intended_use"]["purpose"] = INJECTIONS["link"] + " " + INJECTIONS["img"]
    source["intended_use"]["out_of_scope"] = [INJECTIONS["img"], INJECTIONS["jinja"]]
    source["plain"]["warnings"] = [INJECTIONS["script"]]
    models = _models(project, source)
    every = load_audiences(_audiences(project))
    docs = render_all(models, every, every, None)
    assert {d.audience.name for d in docs} == {"technical", "regulatory", "clinician", "leadership"}
    for doc in docs:
        html = to_html(doc.markdown).lower()
        assert active_markup(html) == [], doc.slug
        # Template-looking text is data: shown literally wherever it appears, never evaluated.
        assert re.search(r"(?<![\d.])49(?![\d.])", html.replace("14971", "")) is None, doc.slug
        assert "{{ 7*7 }}" in html, doc.slug


def test_plain_text_is_escaped_and_shown_literally(project: Path) -> None:
    source = minimal_source()
    source["model"]["owner"] = "Team *bold* | <b>x</b> {{ 7*7 }}"
    (model,) = _models(project, source)
    technical = load_audiences(_audiences(project), ["technical"])[0]
    html = to_html(render_document(model, technical, [technical]).markdown)
    assert "Team *bold* | &lt;b&gt;x&lt;/b&gt; {{ 7*7 }}" in html


def test_a_missing_value_names_audience_template_line_and_field(project: Path) -> None:
    audiences = _audiences(project)
    write_tree(
        audiences / "brief",
        {
            "audience.yaml": {"title": "Brief", "description": "Short.", "sections": ["only"]},
            "sections/only.md.j2": "## Only\n\nCited as {{ model.citation }}.\n",
        },
    )
    (model,) = _models(project, minimal_source())
    brief = load_audiences(audiences, ["brief"])[0]
    with pytest.raises(RenderError) as caught:
        render_document(model, brief, [brief])
    assert caught.value.format() == (
        "audiences/brief/sections/only.md.j2:3:1: model.citation: audience 'brief': source field 'model.citation' "
        "is missing (hint: fill in the field in the source, or guard the template with `{% if … %}`)"
    )


def test_an_unknown_field_is_an_error_not_a_blank(project: Path) -> None:
    audiences = _audiences(project)
    write_tree(
        audiences / "brief",
        {
            "audience.yaml": {"title": "Brief", "description": "Short.", "sections": ["only"]},
            "sections/only.md.j2": "{{ model.nmae }}\n",
        },
    )
    (model,) = _models(project, minimal_source())
    brief = load_audiences(audiences, ["brief"])[0]
    with pytest.raises(RenderError, match=r"only\.md\.j2:1:1: model\.nmae: audience 'brief': the source has no field"):
        render_document(model, brief, [brief])


def test_clinician_per_1000_is_computed_from_prevalence_and_results(project: Path) -> None:
    (model,) = _models(project, _health_source())
    clinician = load_audiences(_audiences(project), ["clinician"])[0]
    body = render_document(model, clinician, [clinician]).markdown
    # 50 of 1,000 have it; sensitivity 0.9 finds 45 and misses 5; specificity 0.8 wrongly flags 190 of 950.
    assert "about 50 have the condition" in body
    assert "45 of the 50 are flagged, and 5 are **missed**" in body
    assert "190 of the 950 without the condition are **flagged wrongly**" in body
    assert "| Sensitivity | 0.900 (95% CI 0.850–0.940), n = 300 | 90% of patients" in body


def test_requirement_rows_mark_missing_fields_and_link_covered_ones(project: Path) -> None:
    (model,) = _models(project, minimal_source())
    regulatory = load_audiences(_audiences(project), ["regulatory"])[0]
    doc = render_document(model, regulatory, [regulatory])
    rows = {r.text: r for r in requirement_rows(model.source, regulatory, {"general-description": {"model.version"}})}
    assert rows["model.version"].status == "covered" and rows["model.version"].section == "general-description"
    assert rows["risk.hazards"].status == "missing" and rows["risk.hazards"].section == ""
    row = next(line for line in doc.markdown.splitlines() if line.startswith("| regulatory-01 |"))
    assert row == (
        "| regulatory-01 | <code>model.version</code> | Covered | [Submission details](#submission){ .xref } |"
    )


def test_a_copied_audience_folder_is_a_new_audience(project: Path) -> None:
    audiences = _audiences(project)
    shutil.copytree(audiences / "clinician", audiences / "patient")
    config = (audiences / "patient" / "audience.yaml").read_text()
    config = config.replace("title: Clinician summary", "title: Patient leaflet").replace("order: 30", "order: 35")
    (audiences / "patient" / "audience.yaml").write_text(config.replace("  - evidence-footnote\n", ""))
    (audiences / "patient" / "sections" / "warnings.md.j2").write_text("## Before you agree { #warnings }\n\nAsk.\n")
    (model,) = _models(project, _health_source())
    every = load_audiences(audiences)
    patient = next(a for a in every if a.name == "patient")
    body = render_document(model, patient, every).markdown
    assert body.startswith("# Patient leaflet: TODO model name\n")
    assert "## Before you agree" in body and "Where the numbers come from" not in body


@pytest.mark.parametrize("model_id", EXAMPLES)
def test_golden(model_id: str, project: Path) -> None:
    """Each example's rendered Markdown per audience equals its committed golden file."""
    shutil.copytree(CONTENT, project / "content")
    models = [render_input(v) for v in validate_project(load_project(project / "content", [model_id])).models]
    every = load_audiences(AUDIENCES)
    docs = [d for d in render_all(models, every, every, None) if d.model_id == model_id]
    assert docs
    for doc in docs:
        golden = GOLDEN / model_id / f"{doc.audience.name}.md"
        if os.environ.get("REGEN_GOLDEN") == "1":
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(doc.markdown, encoding="utf-8")
        assert golden.is_file(), (
            f"no golden file {golden}; run REGEN_GOLDEN=1 python -m pytest tests/render/test_render.py -k golden"
        )
        assert doc.markdown == golden.read_text(encoding="utf-8"), f"{doc.slug} differs from {golden}"
