"""Render stage: who is blamed for an error while rendering (compiler/render/engine.py).

A mistake in a template's own code is reported at its file and line; an error raised inside a Python
function of the template API is a bug and propagates as it is; a stage error passes through unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.project import AUDIENCES, minimal_source, write_tree

from compiler.build import render_input
from compiler.config.audiences import Audience, load_audiences
from compiler.errors import ConfigError, RenderError
from compiler.load.reader import load_project
from compiler.render.api import TemplateAPI
from compiler.render.engine import RenderInput, render_document
from compiler.validate.project import validate_project


def _brief(project: Path, template: str) -> tuple[RenderInput, Audience]:
    """The scaffold's model and a one-section audience 'brief' whose section is the given template."""
    shutil.copytree(AUDIENCES / "_common", project / "audiences" / "_common", dirs_exist_ok=True)
    write_tree(
        project,
        {
            "content/demo/model.yaml": minimal_source(),
            "audiences/brief/audience.yaml": {"title": "Brief", "description": "Short.", "sections": ["only"]},
            "audiences/brief/sections/only.md.j2": template,
        },
    )
    (valid,) = validate_project(load_project(project / "content")).models
    (brief,) = load_audiences(project / "audiences", ["brief"])
    return render_input(valid), brief


def _failure(project: Path, template: str) -> str:
    model, brief = _brief(project, template)
    with pytest.raises(RenderError) as caught:
        render_document(model, brief, [brief])
    return caught.value.format()


def test_an_error_in_the_templates_own_code_names_its_line(project: Path) -> None:
    assert _failure(project, "## Only\n\n{{ 1 / 0 }}\n") == (
        "audiences/brief/sections/only.md.j2:3:1: audience 'brief': division by zero"
    )


def test_a_misused_builtin_filter_is_the_templates_mistake(project: Path) -> None:
    assert _failure(project, "## Only\n\n\n{{ [1, 'a'] | sum }}\n") == (
        "audiences/brief/sections/only.md.j2:4:1: audience 'brief': unsupported operand type(s) for +: 'int' and 'str'"
    )


def test_a_bad_argument_to_an_api_function_is_the_templates_mistake(project: Path) -> None:
    assert _failure(project, "## Only\n\n{{ metric('auroc') }}\n") == (
        "audiences/brief/sections/only.md.j2:3:1: evaluation.results: audience 'brief': no overall result for "
        "metric 'auroc' (hint: fill in the field in the source, or guard the template with `{% if … %}`)"
    )
    assert _failure(project, "## Only\n\n{{ 'high' | pct }}\n") == (
        "audiences/brief/sections/only.md.j2:3:1: audience 'brief': expected a number, found 'high'"
    )


@pytest.mark.parametrize("error", [TypeError("helper bug"), KeyError("helper bug"), RuntimeError("helper bug")])
def test_an_error_inside_an_api_function_is_a_bug_and_propagates(
    project: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    model, brief = _brief(project, "## Only\n\n{{ factor_name('sex') }}\n")

    def broken(self: TemplateAPI, factor_id: Any) -> str:
        raise error

    monkeypatch.setattr(TemplateAPI, "factor_name", broken)
    with pytest.raises(type(error)) as caught:
        render_document(model, brief, [brief])
    assert caught.value is error


def test_a_stage_error_inside_an_api_function_passes_through_unchanged(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, brief = _brief(project, "## Only\n\n{{ signoffs() }}\n")
    error = ConfigError.at("audiences/brief/audience.yaml", "no such role")

    def broken(self: TemplateAPI) -> list[Any]:
        raise error

    monkeypatch.setattr(TemplateAPI, "signoffs", broken)
    with pytest.raises(ConfigError) as caught:
        render_document(model, brief, [brief])
    assert caught.value is error
