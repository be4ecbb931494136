"""Render stage Markdown dialect and sanitiser: what survives into a page, and what a source cannot add."""

from __future__ import annotations

import pytest

from compiler.render.markup import escape_markdown, sanitize_html, to_html


def test_table_alignment_survives_and_any_other_style_is_dropped() -> None:
    html = to_html("| a | b | c |\n|:-:|--:|---|\n| 1 | 2 | 3 |")
    assert '<th style="text-align: center;">a</th>' in html
    assert '<td style="text-align: right;">2</td>' in html
    assert "<td>3</td>" in html
    cell = sanitize_html('<table><tr><td style="text-align: left; background: url(//x.example/y)">z</td></tr></table>')
    assert "<td>z</td>" in cell


def test_mermaid_fences_become_blocks_for_the_sites_mermaid_script() -> None:
    html = to_html("```mermaid\nflowchart LR\n  A --> B\n```")
    assert html == '<pre class="mermaid"><code>flowchart LR\n  A --&gt; B</code></pre>'


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ('<a href="https://ok.example">b</a>', '<a href="https://ok.example" rel="noopener noreferrer">b</a>'),
        ('<a href="//evil.example/x">a</a>', '<a rel="noopener noreferrer">a</a>'),  # protocol-relative: no host
        (
            '<a href="mailto:team@example.org">m</a>',
            '<a href="mailto:team@example.org" rel="noopener noreferrer">m</a>',
        ),
        ('<input type="checkbox" checked>', '<input type="checkbox" checked="">'),
        ('<input type="text" name="q">', '<input name="q">'),  # task-list boxes only, no form fields
        ("<p>x<!-- hidden --></p>", "<p>x</p>"),
        ("<p>a<script>alert(1)</script><style>p{}</style>b</p>", "<p>ab</p>"),
    ],
)
def test_links_inputs_comments_and_scripts(given: str, kept: str) -> None:
    assert sanitize_html(given) == kept


def test_only_images_of_the_site_are_kept_others_become_a_placeholder() -> None:
    html = sanitize_html(
        '<img src="plots/roc.svg" alt="ROC curve">'
        '<img src="https://tracker.example/p.png" alt="pixel">'
        '<img src="//tracker.example/q.png">'
    )
    assert html == (
        '<img src="plots/roc.svg" alt="ROC curve">'
        '<span class="blocked-image">[image not included: pixel]</span>'
        '<span class="blocked-image">[image not included: external image]</span>'
    )


def test_escape_markdown_makes_one_literal_line() -> None:
    assert escape_markdown("a *b* | c\n  d <x> [l](u) #h {{ 7*7 }}") == (
        "a \\*b\\* \\| c d &lt;x&gt; \\[l\\](u) \\#h \\{\\{ 7\\*7 \\}\\}"
    )
    text = "Team *bold* | <b>x</b> `code` _em_ ~~s~~ !"
    assert to_html(escape_markdown(text)) == "<p>Team *bold* | &lt;b&gt;x&lt;/b&gt; `code` _em_ ~~s~~ !</p>"


def test_a_fence_in_a_figure_text_cannot_start_a_line_of_the_page() -> None:
    """A metric unit holding a Mermaid fence once broke the figure's HTML when the page was rendered."""
    from compiler.render.plots import figure

    fence = "```mermaid\nflowchart LR\n  A --> B\n```"
    shown = figure("plot", "fig-x", "assets/x.svg", f"AUROC ({fence}) by site", f"Caption {fence}")
    assert all(not line.startswith("`") for line in str(shown).splitlines())
    html = to_html(f"Before.\n{shown}\nAfter.")
    assert 'class="mermaid"' not in html
    assert "<pre" not in html
    assert 'alt="AUROC (```mermaid flowchart LR A --&gt; B ```) by site"' in html
