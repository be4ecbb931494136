"""Issue 14, items 1 and 4: templates an audience supplies run sandboxed, on a budget, from files inside its folder."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers.pdf_documents import MODEL, audience, meta
from helpers.project import write_tree

from compiler._util.safe_open import read_text
from compiler.config.audiences import Audience
from compiler.config.profiles import load_profile
from compiler.errors import ConfigError, RenderError
from compiler.publish.print_layout import PRINT_DIR, PrintBody, build_html
from compiler.render.document import Document
from compiler.render.sandbox import BudgetExceeded, sandboxed_environment

PAYLOAD = "{{ cycler.__init__.__globals__.os.popen('touch ' ~ marker).read() }}"
SECRET = Path("/etc/passwd")


def _document(audiences: Path, name: str = "vendor") -> Document:
    folder = audiences / name
    return Document(MODEL, Audience(name, folder, audience("clinician").config, (folder,)), meta(name), "# Body", {})


def _print(document: Document) -> str:
    body = PrintBody("<h1 id='body'>Body</h1>", ())
    return build_html(document, load_profile("accessible"), body, toc=False, dates="2025-03-14T00:00:00Z")


def _only_problem(error: RenderError) -> str:
    (problem,) = error.problems
    return problem.format()


# --- item 1: code execution from an audience folder ------------------------------------------------------------


def test_item1_print_layout_cannot_run_code(project: Path) -> None:
    marker = project / "pwned"
    write_tree(project, {"audiences/vendor/print.html.j2": f"<html>\n{PAYLOAD.replace('marker', repr(str(marker)))}\n"})
    with pytest.raises(RenderError) as raised:
        _print(_document(project / "audiences"))
    assert not marker.exists()
    assert raised.value.exit_code == 2
    assert _only_problem(raised.value) == (
        "audiences/vendor/print.html.j2:2:1: model 'chest-xray-triage', audience 'vendor': print layout: "
        "access to attribute '__init__' of 'type' object is unsafe. (hint: a print layout can use only the values "
        "it is given: meta, audience, profile, body, toc, compact, css, date, release_date)"
    )


def test_item1_print_layout_extending_the_base_still_renders(project: Path) -> None:
    write_tree(project, {"audiences/vendor/print.html.j2": '{% extends "print-base.html.j2" %}\n'})
    html = _print(_document(project / "audiences"))
    assert "<h1 id='body'>Body</h1>" in html and "DC-CXR-VENDOR-2.1.0" in html


def test_item1_print_layout_output_is_bounded(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCS_COMPILE_LIMIT_TEMPLATE_OUTPUT_CHARS", "100000")
    write_tree(
        project, {"audiences/vendor/print.html.j2": "<html>\n{% for i in range(10000) %}{{ body }}{% endfor %}\n"}
    )
    with pytest.raises(RenderError) as raised:
        _print(_document(project / "audiences"))
    assert _only_problem(raised.value) == (
        "audiences/vendor/print.html.j2:2:1: model 'chest-xray-triage', audience 'vendor': print layout: "
        "the template's output exceeds 100,000 characters "
        "(or raise the limit with DOCS_COMPILE_LIMIT_TEMPLATE_OUTPUT_CHARS)"
    )


def test_item1_print_layout_time_is_bounded(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCS_COMPILE_LIMIT_TEMPLATE_SECONDS", "1")
    # Loops that call nothing and print nothing: only the iterations themselves can be counted.
    loops = "{%- set n = range(10000) | list -%}{%- for a in n -%}{%- for b in n -%}{%- endfor -%}{%- endfor -%}"
    write_tree(project, {"audiences/vendor/print.html.j2": f"<html>\n{loops}\n"})
    started = time.monotonic()
    with pytest.raises(RenderError) as raised:
        _print(_document(project / "audiences"))
    assert time.monotonic() - started < 10
    assert "print layout: the template took longer than 1 s and was stopped" in _only_problem(raised.value)
    assert _only_problem(raised.value).startswith("audiences/vendor/print.html.j2:2:1: ")


@pytest.mark.parametrize(
    ("template", "refusal"),
    [
        ("{% set s = 'x' * 1000 %}" + "{% set s = s ~ s %}" * 30 + "{{ s }}", "a value it builds"),
        ("{% set s = 'x' * 1000 %}" + "{% set s = s + s %}" * 30 + "{{ s }}", "a value it builds"),
        ("{% set ns = namespace(s='xx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "a value"),
        ("{{ 'x' * 10000000000 }}", "a value it builds"),
        ("{{ 'x'.center(10000000000) }}", "a value it builds"),
        ("{{ '{:>10000000000}'.format(1) }}", "a value it formats"),
        ("{{ '%10000000000s' % 1 }}", "a value it formats"),
    ],
)
def test_item1_a_template_cannot_build_a_huge_value(
    template: str, refusal: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCS_COMPILE_LIMIT_TEMPLATE_OUTPUT_CHARS", "1000000")
    env = sandboxed_environment([tmp_path], [tmp_path])
    with pytest.raises(BudgetExceeded, match=f"the template's {refusal}"):
        env.from_string(template).render()


def test_item1_a_template_cannot_compute_a_huge_power(tmp_path: Path) -> None:
    with pytest.raises(BudgetExceeded, match=r"10 \*\* 100000000 is too large a number for a template"):
        sandboxed_environment([tmp_path], [tmp_path]).from_string("{{ 10 ** 100000000 }}").render()


def test_item1_section_templates_share_the_sandbox(tmp_path: Path) -> None:
    write_tree(tmp_path, {"audiences/vendor/sections/x.md.j2": "{{ ''.__class__.__mro__[1].__subclasses__() }}"})
    env = sandboxed_environment([tmp_path / "audiences/vendor"], [tmp_path / "audiences"])
    with pytest.raises(Exception, match="is unsafe"):
        env.get_template("sections/x.md.j2").render()


# --- item 4: files read through links that leave the audiences folder ------------------------------------------


@pytest.fixture
def linked(project: Path) -> Path:
    """An audiences folder with a vendor audience whose print files may be made links."""
    write_tree(project, {"audiences/clinician/print.css": "h1 { color: teal; }\n"})
    (project / "audiences/vendor").mkdir(parents=True)
    return project / "audiences"


@pytest.mark.parametrize("name", ["print.html.j2", "print.css"])
def test_item4_a_print_file_linked_outside_the_audiences_folder_is_refused(linked: Path, name: str) -> None:
    (linked / "vendor" / name).symlink_to(SECRET)
    with pytest.raises(RenderError) as raised:
        _print(_document(linked))
    assert raised.value.exit_code == 2
    assert _only_problem(raised.value) == (
        f"audiences/vendor/{name}: model 'chest-xray-triage', audience 'vendor': links to /etc/passwd, "
        f"outside audiences, {PRINT_DIR} "
        "(hint: put the file itself in the folder: files are never read through a link that leads outside it)"
    )
    assert "root:" not in str(raised.value)


def test_item4_a_print_file_linked_inside_the_audiences_folder_is_read(linked: Path) -> None:
    (linked / "vendor" / "print.css").symlink_to(linked / "clinician" / "print.css")
    assert "h1 { color: teal; }" in _print(_document(linked))


def test_item4_a_section_template_linked_outside_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"audiences/vendor/page.md.j2": '{% include "sections/leak.md.j2" %}'})
    (tmp_path / "audiences/vendor/sections").mkdir()
    (tmp_path / "audiences/vendor/sections/leak.md.j2").symlink_to(SECRET)
    env = sandboxed_environment([tmp_path / "audiences/vendor"], [tmp_path / "audiences"])
    with pytest.raises(ConfigError, match=r"sections/leak\.md\.j2: links to /etc/passwd, outside "):
        env.get_template("page.md.j2").render()


def test_item4_an_audience_folder_that_is_a_link_outside_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"elsewhere/print.css": "secret\n", "audiences/clinician/print.css": ""})
    (tmp_path / "audiences/vendor").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match=r"links to .*elsewhere/print\.css, outside"):
        read_text(tmp_path / "audiences/vendor/print.css", [tmp_path / "audiences"])


def test_item4_site_css_linked_outside_is_refused(tmp_path: Path) -> None:
    """`_common/site/site.css` is read with the same helper (compiler/publish/site.py `_shared_css`)."""
    (tmp_path / "audiences/_common/site").mkdir(parents=True)
    (tmp_path / "audiences/_common/site/site.css").symlink_to(SECRET)
    with pytest.raises(ConfigError) as raised:
        read_text(tmp_path / "audiences/_common/site/site.css", [tmp_path / "audiences"])
    assert raised.value.exit_code == 2
    assert "links to /etc/passwd, outside" in raised.value.format()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_item4_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "print.css")
    with pytest.raises(ConfigError, match="is not a regular file"):
        read_text(tmp_path / "print.css", [tmp_path])
