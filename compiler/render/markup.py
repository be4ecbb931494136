"""Render stage helpers: the one Markdown dialect (shared by site and PDF) and the HTML sanitiser.

The site (MkDocs) and the PDFs both turn the same rendered Markdown body into HTML with the same
extensions, so a page and its PDF cannot say different things. Everything that came from a source
passes `sanitize_html` before it reaches a page: only an allow-list of tags, attributes and URL
schemes survives, so no source text can inject script, and no id, name or label target can begin
like the theme's own, so no source text can stand in for the theme's elements.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# The Markdown dialect. MkDocs receives the same list (see compiler/publish/site.py).
MARKDOWN_EXTENSIONS: list[str] = [
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.tilde",
]


def extension_configs() -> dict[str, dict[str, Any]]:
    """Extension settings; Mermaid fences become `<pre class="mermaid">` for the site's Mermaid JS."""

    return {
        "toc": {"permalink": False, "toc_depth": "2-4"},
        "pymdownx.superfences": {
            "custom_fences": [
                {"name": "mermaid", "class": "mermaid", "format": _mermaid_fence},
            ]
        },
        "pymdownx.tabbed": {"alternate_style": True},
    }


def _mermaid_fence(source: str, language: str, css_class: str, options: Any, md: Any, **kwargs: Any) -> str:
    import pymdownx.superfences as superfences

    return str(superfences.fence_code_format(inert_mermaid(source), language, css_class, options, md, **kwargs))


_MERMAID_TAG = re.compile(r"<<\w+>>|<(?!br\s*/?>)(?=\s*/?\s*[a-zA-Z!?])", re.IGNORECASE)


def inert_mermaid(source: str) -> str:
    """A Mermaid diagram that cannot change its configuration or carry HTML, however it got into a page.

    Front matter (`config: themeCSS: … url(…)`) and `%%{init: …}%%` directives are removed: they may set
    any option the site's Mermaid has, CSS that fetches included. `%%` left inside a line is written
    `%#37;` (Mermaid's entity for '%'), so no directive survives; a `<` that would open an HTML tag
    (other than `<br>` and a class diagram's `<<annotation>>`) becomes `#lt;`, shown as '<'. Every
    diagram passes here, a Markdown field's fences as well as the schema's `diagrams`, on the site and in PDFs.
    """
    lines = source.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if start < len(lines) and lines[start].strip() == "---":
        end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == "---"), len(lines) - 1)
        lines = lines[end + 1 :]
    kept = "\n".join(line for line in lines if not line.lstrip().startswith("%%")).replace("%%", "%#37;")
    return _MERMAID_TAG.sub(lambda m: m.group(0) if m.group(0).startswith("<<") else "#lt;", kept)


def to_html(markdown_text: str) -> str:
    """Markdown (a rendered document body, or one user field) to sanitised HTML."""
    import markdown

    html = markdown.markdown(markdown_text, extensions=MARKDOWN_EXTENSIONS, extension_configs=extension_configs())
    return sanitize_html(html)


ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "label",
    "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip

ALLOWED_ATTRIBUTES = {
    # data-search-exclude: the site's search leaves the element out (the evidence appendix's long fact lists).
    "*": {"class", "id", "title", "lang", "role", "aria-label", "aria-hidden", "data-search-exclude"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align", "colspan", "rowspan", "style"},
    "th": {"align", "colspan", "rowspan", "scope", "style"},
    "input": {"type", "name", "checked"},
    "label": {"for"},
    "details": {"open"},
    "ol": {"start"},
    "abbr": {"title"},
}

# Links may point to web pages, mail and places inside the site; images only inside the site.
URL_SCHEMES = {"http", "https", "mailto"}
_REMOTE_IMG = re.compile(r"<img\b[^>]*\bsrc=\"(?:[a-z][a-z0-9+.-]*:|//)[^\"]*\"[^>]*>", re.IGNORECASE)
_STYLE_OK = re.compile(r"^text-align:\s*(left|right|center);?$")


THEME_PREFIX = "_"
"""The theme's own ids begin with this (Material's with `__`: `__config`, `__search`, `__drawer`, …)."""
USER_PREFIX = "user-"
_NAMES = ("id", "name", "for")


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in _NAMES and value.startswith(THEME_PREFIX):
        # An element with the theme's id would be found before the theme's own (DOM clobbering): Material
        # reads its configuration, search worker URL included, from `#__config`. Links within the page
        # stay consistent, since `for` is renamed like the `id` it names.
        return USER_PREFIX + value
    if attribute == "style":
        return value if _STYLE_OK.match(value.strip()) else None
    if attribute == "href" and value.strip().lower().startswith("//"):
        return None
    if attribute == "data-search-exclude":
        return ""  # a flag: whatever value it was given
    if tag == "input" and attribute == "type" and value not in ("radio", "checkbox"):
        return None
    return value


@lru_cache(maxsize=1)
def _cleaner() -> Any:
    import nh3

    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript"},
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def sanitize_html(html: str) -> str:
    """Keep only allow-listed markup; drop images that are not files of the site (no remote fetch)."""
    clean: str = _cleaner().clean(html)
    return _REMOTE_IMG.sub(_image_placeholder, clean)


def _image_placeholder(match: re.Match[str]) -> str:
    alt = re.search(r'\balt="([^"]*)"', match.group(0))
    return f'<span class="blocked-image">[image not included: {alt.group(1) if alt else "external image"}]</span>'


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|#!~])")


def escape_markdown(text: str) -> str:
    """Plain text that Markdown shows literally: specials backslash-escaped, HTML escaped, one line."""
    from markupsafe import escape

    one_line = " ".join(text.split())
    return str(escape(_MD_SPECIAL.sub(r"\\\1", one_line)))
