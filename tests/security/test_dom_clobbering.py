"""Issue 14, item 3: no id, name or label target in a page can stand in for one of the theme's (DOM clobbering)."""

from __future__ import annotations

import re
from pathlib import Path

import material
import pytest

from compiler.render.formats import md_block, md_inline
from compiler.render.markup import THEME_PREFIX, sanitize_html, to_html

MATERIAL = Path(material.__file__).parent / "templates"
CONFIG = '<span id="__config">{"features": ["content.tooltips"], "search": "data:text/javascript,alert(1)"}</span>'


def _names(html: str) -> set[str]:
    return set(re.findall(r'\b(?:id|name|for)="([^"]*)"', html))


def test_item3_a_markdown_field_cannot_supply_the_theme_configuration() -> None:
    for html in (str(md_block(CONFIG)), str(md_inline(CONFIG)), to_html(CONFIG)):
        assert 'id="__config"' not in html
        assert '<span id="user-__config">' in html


@pytest.mark.parametrize(
    "markdown",
    [
        '<div id="__search">x</div>',
        '<input type="checkbox" id="__drawer" name="__palette"><label for="__drawer">menu</label>',
        '<a name="__toc">x</a>',
        '<span id="&#95;&#95;config">entity-encoded</span>',
        "A paragraph\n{: #__config }",
        "## \\_\\_config\n\nA heading whose anchor would be the theme's.",
        '=== "Tab"\n\n    content\n',
        '<span id="__md_get">a window global of the theme</span>',
    ],
)
def test_item3_no_user_html_produces_a_theme_id(markdown: str) -> None:
    html = to_html(markdown)
    assert _names(html), html
    assert not [n for n in _names(html) if n.startswith(THEME_PREFIX)], html


def test_item3_a_renamed_label_still_names_its_control() -> None:
    html = to_html('<input type="checkbox" id="__drawer"><label for="__drawer">menu</label>')
    assert html == '<p><input type="checkbox" id="user-__drawer"><label for="user-__drawer">menu</label></p>'


def test_item3_heading_anchors_and_template_ids_are_kept() -> None:
    assert to_html("## Results on the external test set") == (
        '<h2 id="results-on-the-external-test-set">Results on the external test set</h2>'
    )
    figure = '<figure class="plot" id="fig-sensitivity-site"><figcaption>x</figcaption></figure>'
    assert sanitize_html(figure) == figure


def _material_names() -> set[str]:
    """Every id the installed Material theme writes in its templates or looks up in its scripts."""
    found: set[str] = set()
    for page in MATERIAL.rglob("*.html"):
        found |= set(re.findall(r'\b(?:id|for|name)="(__[^"{]*)', page.read_text(encoding="utf-8")))
    for script in (MATERIAL / "assets" / "javascripts").glob("bundle.*.min.js"):
        text = script.read_text(encoding="utf-8")
        found |= set(re.findall(r"#(__[A-Za-z0-9_-]+)", text))  # querySelector("#__config"), `#__codelineno-…`
        found |= set(re.findall(r"`(__[a-z0-9]+_)\$\{", text))  # ids it makes: `__tooltip_${n}`, `__code_${n}`
    return found


def test_item3_every_id_the_theme_uses_is_in_the_namespace_user_html_cannot_reach() -> None:
    names = _material_names()
    # The ones the review found, and the ones the theme's markup and scripts are built on.
    assert {"__config", "__search", "__drawer", "__toc", "__palette", "__consent", "__codelineno-"} <= names
    assert {"__tooltip_", "__code_", "__mermaid_"} <= names
    for name in sorted(names):
        assert name.startswith(THEME_PREFIX)
        html = to_html(f'<span id="{name}">x</span><input type="radio" name="{name}"><label for="{name}">y</label>')
        assert _names(html) == {f"user-{name}"}, html
