"""Publish stage, site archive: the "what changed" page of a model in a version, and the link to it.

Every string on the page comes from model sources (values, paths, names) and is escaped with html.escape;
nothing of a source reaches the page as markup. The model's page of the copied site gains one paragraph
with the link, inserted after its title; nothing else of the built site is changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

from compiler.check.diff import DiffReport, MetricChange

CHANGES = "changes"
"""The page's folder inside the model's folder of a version: `<version>/<model-id>/changes/index.html`."""
LINK_CLASS = "docs-compile-changes"
PALETTE_ATTRIBUTES = ("dir", "data-md-color-scheme", "data-md-color-primary", "data-md-color-accent")
_ARTICLE = '<article class="md-content__inner md-typeset">'


@dataclass(frozen=True)
class ChangesPage:
    """What the page of one model in one version says."""

    model_id: str
    model_name: str
    version: str
    previous: str | None
    """The archive version compared with, or None for the first published version of the model."""
    report: DiffReport | None = None
    error: str = ""
    """Why the two versions could not be compared (the page says so instead of listing changes)."""
    stylesheets: tuple[str, ...] = ()
    """The site's style sheets, relative to the page."""
    palette: tuple[tuple[str, str], ...] = ()
    """The attributes of the model page's `<body>` that pick Material's colours (`data-md-color-*`, `dir`)."""

    @property
    def link_text(self) -> str:
        if self.previous is None:
            return "First published version of this model"
        return f"What changed since version {self.previous}"


def changes_html(page: ChangesPage) -> str:
    """The whole page: a plain HTML document styled by the site's own style sheets, in the site's palette."""
    e = escape
    if page.previous is None:
        body = [
            "<h1>First published version</h1>",
            f"<p>Version {e(page.version)} is the first version of this archive that holds "
            f"<code>{e(page.model_id)}</code>.</p>",
        ]
    else:
        previous = f"../../../{quote(page.previous)}/{quote(page.model_id)}/"
        body = [
            f"<h1>What changed since version {e(page.previous)}</h1>",
            f'<p>The sources of <code>{e(page.model_id)}</code> as published in <a href="{e(previous)}">version '
            f"{e(page.previous)}</a>, compared field by field with those of version {e(page.version)}.</p>",
            *_body(page),
        ]
    head = "".join(f'\n<link rel="stylesheet" href="{e(href)}">' for href in page.stylesheets)
    palette = "".join(f' {name}="{e(value)}"' for name, value in page.palette)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{e(page.link_text)} - {e(page.model_name)}</title>{head}
</head>
<body{palette}>
<div class="md-container"><main class="md-main"><div class="md-main__inner md-grid"><div class="md-content">
{_ARTICLE}
<p><a href="../">{e(page.model_name)}</a> · version {e(page.version)}</p>
{chr(10).join(body)}
</article>
</div></div></main></div>
</body>
</html>
"""


def _body(page: ChangesPage) -> list[str]:
    e = escape
    report = page.report
    if report is None:
        return [f"<p><strong>The two versions could not be compared:</strong> {e(page.error)}</p>"]
    out = [f"<p>Model version {e(report.old_version)} → {e(report.new_version)}.</p>"]
    if not report.changes:
        return [*out, "<p>No changes.</p>"]
    if report.significant:
        out.append("<p><strong>Significant changes</strong> (need a new review or a regulatory change assessment):</p>")
        items = "".join(f"<li><code>{e(c.path)}</code> — {e(c.significant)}</li>" for c in report.significant)
        out.append(f"<ul>{items}</ul>")
    rows = "".join(
        f"<tr><td><code>{e(c.path)}</code></td><td>{e(c.kind)}</td>"
        f"<td>{'' if c.kind == 'added' else e(_shown(c.old))}</td>"
        f"<td>{'' if c.kind == 'removed' else e(_shown(c.new))}</td></tr>"
        for c in report.changes
    )
    out.append(f"<table><thead><tr><th>Field</th><th>Change</th><th>Old</th><th>New</th></tr></thead>{rows}</table>")
    if report.metrics:
        out.append(_metrics_table(report.metrics))
    return out


def _metrics_table(metrics: list[MetricChange]) -> str:
    e = escape
    rows = "".join(
        f"<tr><td><code>{e(m.path)}</code></td><td>{e(_estimate(m.old))}</td><td>{e(_estimate(m.new))}</td>"
        f"<td>{e(f'{m.delta:+g}' if m.delta is not None else 'n/a')}</td><td>{e(_overlap(m))}</td></tr>"
        for m in metrics
    )
    head = "<tr><th>Result</th><th>Old (95% CI)</th><th>New (95% CI)</th><th>Change</th><th>CIs</th></tr>"
    return f"<table><thead>{head}</thead>{rows}</table>"


def _shown(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _estimate(triple: tuple[Any, Any, Any]) -> str:
    value, low, high = triple
    return f"{value} ({low}–{high})" if low is not None and high is not None else f"{value}"


def _overlap(m: MetricChange) -> str:
    return {True: "CIs overlap", False: "CIs do not overlap", None: "no CI to compare"}[m.overlap]


def body_palette(model_page: str) -> tuple[tuple[str, str], ...]:
    """The colour attributes of the built model page's `<body>`, as Material wrote them from mkdocs.yml's palette.

    Only the known attribute names, each value only of letters, digits, spaces, '-' and '_'.
    """
    body = re.search(r"<body\b([^>]*)>", model_page)
    if body is None:
        return ()
    found = dict(re.findall(r'\s([a-z-]+)="([A-Za-z0-9 _-]*)"', body.group(1)))
    return tuple((name, found[name]) for name in PALETTE_ATTRIBUTES if name in found)


def with_changes_link(page: str, text: str) -> str | None:
    """The model page with one paragraph linking to its changes page, after the page's title; None if no place.

    The paragraph goes after the first `</h1>` of Material's article, else at the end of the article, else at
    the end of the body (another theme); a page with none of these is left alone.
    """
    link = f'\n<p class="{LINK_CLASS}"><a href="{CHANGES}/">{escape(text)}</a></p>'
    start = page.find(_ARTICLE)
    title_end = page.find("</h1>", start) if start >= 0 else -1
    article_end = page.find("</article>", start) if start >= 0 else -1
    if 0 <= title_end < (article_end if article_end >= 0 else len(page)):
        at = title_end + len("</h1>")
    elif article_end >= 0:
        at = article_end
    elif (body_end := page.rfind("</body>")) >= 0:
        at = body_end
    else:
        return None
    return page[:at] + link + page[at:]
