"""Publish stage: the static site — generated Markdown pages built with MkDocs (Material) via its Python API.

Pages are written to a temporary docs folder: the catalog, one page per model, one page per
(model, audience) document, one page per datasheet and a "how to read" page per audience. Every
page's HTML passes `markup.sanitize_html` in a MkDocs plugin, so no page can carry script. The theme gets
docs-compile's overrides (compiler/publish/theme/, composed by site_config.py) for accessibility: a named
search dialog, wide tables and diagrams that scroll by keyboard, and an error page whose links are relative.
"""

from __future__ import annotations

import html
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from compiler._util.paths import display_path
from compiler._util.safe_open import read_text
from compiler.cache import Cache
from compiler.config.audiences import Audience
from compiler.errors import ConfigError, Location, Problem
from compiler.publish.mkdocs_config import check_config_file
from compiler.publish.mkdocs_errors import config_error
from compiler.publish.site_cache import cached_pages, shell_digest
from compiler.publish.site_config import SiteConfiguration, copy_extra_pages, load_site_config
from compiler.render.document import Document
from compiler.render.engine import RenderInput, render_page
from compiler.render.incremental import datasheet_page, template_digests
from compiler.render.markup import MARKDOWN_EXTENSIONS, extension_configs, sanitize_html

MERMAID_JS = "assets/javascripts/mermaid.min.js"
NAV_MODEL_LIMIT = 25
"""Above this many models the navigation lists the catalog and the guides only, not every model's pages:
Material repeats the navigation in every page, so a full tree grows the site with the square of the
catalog. The catalog page lists every model with links to all its documents, and search finds them."""
SITE_CSS = "assets/stylesheets/docs-compile.css"
DATASHEET_TEMPLATE = "datasheet-page.md.j2"

_CSS = """\
.md-typeset figure.plot img { max-width: 100%; background: #fff; }
.md-typeset figure.plot figcaption { font-style: italic; }
.md-typeset .blocked-image { color: var(--md-default-fg-color--light); }
.md-typeset pre.mermaid { background: transparent; }
"""


@dataclass
class SiteInput:
    """Everything the site shows: the documents, the models they describe, and the PDFs built."""

    documents: list[Document]
    models: list[RenderInput]
    audiences: list[Audience]
    pdfs: dict[str, Path] = field(default_factory=dict)
    """Built PDF files keyed by document slug (`<model-id>/<audience>`)."""


def link(path: str) -> Markup:
    """A relative link target, percent-encoded, that Markdown and the escaping leave as it is."""
    return Markup(quote(path, safe="/#.-"))


def nav_title(text: str) -> str:
    """A navigation title as HTML text: MkDocs and Material print nav titles unescaped, so a name is markup."""
    return html.escape(text, quote=False)


def write_site(site: SiteInput, site_dir: Path, config: SiteConfiguration, cache: Cache | None = None) -> list[str]:
    """Build the site into site_dir with the packaged base mkdocs.yml and the repository's own merged over it;
    returns MkDocs' warnings (sorted). Pages whose inputs did not change come from the cache (site_cache.py)."""
    if config.own is not None:
        check_config_file(config.own)
    with tempfile.TemporaryDirectory(prefix="docs-compile-pages-") as tmp:
        docs, theme = Path(tmp) / "pages", Path(tmp) / "theme"
        nav = _write_pages(site, docs, cache)
        copy_extra_pages(config, docs, {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()})
        return _mkdocs_build(config, docs, theme, site_dir, nav, cache)


def _write_pages(site: SiteInput, docs: Path, cache: Cache | None) -> list[Any]:
    """Write every page and file of the site into docs; returns the navigation."""
    sheets = _Datasheets(cache, template_digests(site.audiences), site.audiences)
    _write(docs / MERMAID_JS, _mermaid_js())
    _write(docs / SITE_CSS, (_CSS + _shared_css(site.audiences)).encode())
    by_model: dict[str, list[Document]] = {}
    for doc in site.documents:
        by_model.setdefault(doc.model_id, []).append(doc)
    nav: list[Any] = [{"Catalog": "index.md"}]
    catalog_entries = []
    for model in site.models:
        documents = by_model.get(model.source.model.id, [])
        if not documents:
            continue
        model_nav, entry = _write_model(site, model, documents, docs, sheets)
        nav.append({nav_title(model.source.model.name): model_nav})
        catalog_entries.append(entry)
    if len(catalog_entries) > NAV_MODEL_LIMIT:
        nav = nav[:1]
    nav.append({"How to read": _write_how_to_read(site.audiences, docs)})
    readers = [
        {"title": a.config.title, "description": a.config.description, "how_to_read": link(f"how-to-read/{a.name}.md")}
        for a in site.audiences
    ]
    catalog = render_page(site.audiences[0], "site/catalog.md.j2", {"models": catalog_entries, "audiences": readers})
    _write(docs / "index.md", catalog.encode())
    return nav


def _write_model(
    site: SiteInput, model: RenderInput, documents: list[Document], docs: Path, datasheets: _Datasheets
) -> tuple[list[Any], dict[str, Any]]:
    """A model's document pages, datasheets and model page; returns its navigation and its catalog entry."""
    model_id = model.source.model.id
    model_nav: list[Any] = [f"{model_id}/index.md"]
    doc_rows = []
    for doc in documents:
        page, row = _write_document(site, doc, docs)
        model_nav.append({nav_title(doc.audience.config.title): page})
        doc_rows.append(row)
    sheets = _write_datasheets(model, documents, docs, datasheets)
    if sheets:
        model_nav.append({"Datasheets": [{nav_title(s["name"]): s["path"]} for s in sheets]})
    model_page = render_page(
        site.audiences[0],
        "site/model.md.j2",
        {
            "model": _view(model),
            "documents": doc_rows,
            "datasheets": [{"name": s["name"], "page": link(s["path"].removeprefix(f"{model_id}/"))} for s in sheets],
        },
    )
    _write(docs / model_id / "index.md", model_page.encode())
    return model_nav, {"model": _view(model), "page": link(f"{model_id}/index.md"), "documents": doc_rows}


def _write_document(site: SiteInput, doc: Document, docs: Path) -> tuple[str, dict[str, Any]]:
    """A document's page, its assets and its PDF; returns the page's path and the document's row for the listings."""
    page = f"{doc.model_id}/{doc.audience.name}/index.md"
    pdf = site.pdfs.get(doc.slug)
    pdf_rel = f"pdf/{doc.model_id}/{doc.audience.name}.pdf" if pdf else ""
    if pdf:
        # Served by the site itself, so a static file server is all a reader needs.
        _write(docs / pdf_rel, pdf.read_bytes())
    _write(docs / page, _with_pdf_link(doc.markdown, "../../" + pdf_rel if pdf else "").encode())
    for rel, body in doc.assets.items():
        _write(docs / doc.model_id / doc.audience.name / rel, body)
    row = {
        "title": doc.audience.config.title,
        "short": doc.audience.name.replace("-", " ").capitalize(),
        "description": doc.audience.config.description,
        "page": link(page),
        "pdf": link(pdf_rel) if pdf else "",
        "page_local": link(f"{doc.audience.name}/index.md"),
        "pdf_local": link("../" + pdf_rel) if pdf else "",
        "pdf_name": f"{doc.audience.name}.pdf",
    }
    return page, row


@dataclass(frozen=True)
class _Datasheets:
    """What datasheet pages are found by in the build cache (incremental.datasheet_page)."""

    cache: Cache | None
    templates: dict[str, str]
    audiences: list[Audience]


def _write_datasheets(
    model: RenderInput, documents: list[Document], docs: Path, datasheets: _Datasheets
) -> list[dict[str, str]]:
    """Datasheet pages, for the first audience of this model that has a datasheet page template."""
    audience = next((d.audience for d in documents if _has_own_template(d.audience, DATASHEET_TEMPLATE)), None)
    if audience is None:
        return []
    sheets = []
    for i, dataset in enumerate(model.source.datasets):
        path = f"{model.source.model.id}/datasheets/{dataset.id}.md"
        page = datasheet_page(model, audience, i, datasheets.cache, datasheets.templates, datasheets.audiences)
        _write(docs / path, page.encode())
        sheets.append({"name": dataset.name, "path": path})
    return sheets


def _write_how_to_read(audiences: list[Audience], docs: Path) -> list[Any]:
    entries: list[Any] = ["how-to-read/index.md"]
    for audience in audiences:
        page = f"how-to-read/{audience.name}.md"
        _write(docs / page, render_page(audience, "how-to-read.md.j2", {"audience": audience.config}).encode())
        entries.append({nav_title(audience.config.title): page})
    readers = [
        {"title": a.config.title, "description": a.config.description, "page": link(f"{a.name}.md")} for a in audiences
    ]
    index = render_page(audiences[0], "site/how-to-read-index.md.j2", {"audiences": readers})
    _write(docs / "how-to-read/index.md", index.encode())
    return entries


def _shared_css(audiences: list[Audience]) -> str:
    """The audiences' own site style sheets (`_common/site/site.css` of every layer, the packaged one first, the
    repository's last so its rules win), added after the built-in rules."""
    if not audiences:
        return ""
    text = ""
    for common in reversed(audiences[0].common):
        sheet = common / "site" / "site.css"
        if sheet.is_file() or sheet.is_symlink():
            own = read_text(sheet, list(audiences[0].roots))
            _refuse_fetches(own, sheet)
            text += "\n" + own
    return text


_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
_CSS_FETCH = re.compile(
    r"""\\|@import\b|\burl\(\s*(?!['"]?\s*data:)['"]?\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)|['"]\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//""",
    re.IGNORECASE,
)


def _refuse_fetches(text: str, sheet: Path) -> None:
    """The audiences' style sheet may not make the reader's browser fetch: no `url()` with a scheme other than
    `data:` or `//`, no remote string (`image-set`), no `@import`, and no backslash escape, which could spell any of them."""
    blank = _CSS_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    found = _CSS_FETCH.search(blank)
    if found is None:
        return
    line = blank.count("\n", 0, found.start()) + 1
    column = found.start() - (blank.rfind("\n", 0, found.start()) + 1) + 1
    raise ConfigError.at(
        display_path(sheet),
        f"the site's style sheet may not fetch or escape ('{found.group(0).strip()}')",
        line=line,
        column=column,
        hint="use data: URIs or files of the site, without backslash escapes",
    )


def _has_own_template(audience: Audience, name: str) -> bool:
    return any((folder / name).is_file() for folder in audience.search_path)


def _view(model: RenderInput) -> Any:
    from compiler.render.view import wrap

    return wrap(model.source.model, "model", None)


def _with_pdf_link(markdown: str, pdf: str) -> str:
    """The document body with a download button under its title (the PDF itself does not link to itself)."""
    if not pdf:
        return markdown
    title, _, rest = markdown.partition("\n")
    return f"{title}\n\n[Download PDF]({quote(pdf, safe='/#.-')}){{ .md-button }}\n{rest}"


_MERMAID_LOCK = b"""
;(function (m) {
  // Material initialises Mermaid itself; whatever it passes, these settings win, and a diagram's own
  // directives cannot change them (`secure`): no HTML labels, strict security, no CSS from a diagram.
  // Legibility: every diagram is drawn at its natural size (`useMaxWidth: false`; the page lets a wide
  // one scroll sideways) rather than shrunk to the column, where a wide flowchart's text was 4-5 px high.
  // Flowchart edges are drawn through dagre's points (`monotoneX`): with the default curve Mermaid moves
  // some labels to the middle of the drawn path, where they fell on other labels, and dagre's own places
  // never overlap. Edge labels get the page's background, so no line runs through their text.
  var natural = {useMaxWidth: false};
  var fixed = {securityLevel: "strict", htmlLabels: false,
    flowchart: {htmlLabels: false, useMaxWidth: false, curve: "monotoneX"},
    class: {htmlLabels: false, useMaxWidth: false}, secure: ["secure", "securityLevel", "startOnLoad", "maxTextSize",
    "htmlLabels", "flowchart", "class", "themeCSS", "themeVariables", "fontFamily", "theme", "dompurifyConfig"]};
  var kinds = ["sequence", "state", "er", "gantt", "journey", "timeline", "requirement", "gitGraph", "mindmap",
    "c4", "quadrantChart", "xyChart", "sankey", "block", "packet", "architecture", "pie", "radar"];
  var labels = ".edgeLabel .label rect.background{fill:var(--md-mermaid-label-bg-color)}";
  var initialize = m.initialize.bind(m);
  m.initialize = function (config) {
    var merged = Object.assign({}, config || {}, fixed);
    kinds.forEach(function (kind) { merged[kind] = Object.assign({}, merged[kind], natural); });
    merged.themeCSS = (merged.themeCSS || "") + labels;
    return initialize(merged);
  };
  m.initialize({startOnLoad: false});
})(window.mermaid);
"""


def _mermaid_js() -> bytes:
    import mermaidx

    bundle = Path(mermaidx.__file__).parent / "assets" / "mermaid.js"
    if not bundle.is_file():
        raise ConfigError([Problem(Location(str(bundle)), "mermaid.js not found in the mermaidx package")])
    return bundle.read_bytes() + _MERMAID_LOCK


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        if record.levelno >= logging.ERROR:
            self.errors.append(record.getMessage())


def _mkdocs_build(
    site_config: SiteConfiguration, docs: Path, theme: Path, site_dir: Path, nav: list[Any], cache: Cache | None
) -> list[str]:
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort, ConfigurationError

    configs = extension_configs()
    extensions = [{name: configs[name]} if name in configs else name for name in MARKDOWN_EXTENSIONS]
    logger = logging.getLogger("mkdocs")
    handler = _Collect()
    saved = (logger.handlers[:], logger.propagate, logger.level)
    logger.handlers, logger.propagate = [handler], False
    try:
        overrides = {"docs_dir": str(docs), "site_dir": str(site_dir), "nav": nav}
        config = load_site_config(site_config, overrides, extensions, theme)
        for name, plugin in _plugins().items():  # item by item: the collection registers each one's events
            config.plugins[name] = plugin
        with cached_pages(cache, config, shell_digest(site_config)):
            build(config)
    except (ConfigurationError, Abort) as exc:  # click exceptions: they would exit 1 with MkDocs' words
        raise config_error(site_config.shown, exc, handler.errors) from None
    finally:
        logger.handlers, logger.propagate, logger.level = saved
    return sorted(set(handler.messages))


_DOT_SLASH = re.compile(r'(\s(?:href|src)=")\./')


def _plugins() -> dict[str, Any]:
    """The site's own MkDocs plugins: the sanitiser of every page, and the error page's relative links."""
    from mkdocs.plugins import BasePlugin

    class Sanitize(BasePlugin):
        """Every page's HTML passes the allow-list sanitiser: the guarantee holds for generated pages too."""

        def on_page_content(self, html: str, **kwargs: Any) -> str:
            return sanitize_html(html)

        def on_page_context(self, context: Any, page: Any, **kwargs: Any) -> Any:
            # A title taken from a page's first heading is plain text that the theme prints unescaped.
            if page.title and "<" in page.title:
                page.title = nav_title(page.title)
            return context

        def on_post_page(self, output: str, page: Any, **kwargs: Any) -> str:
            # The theme writes `page.title | striptags` into <title>, and striptags undoes the escaping.
            printed = Markup(page.title or "").striptags()
            if "<" not in printed:
                return output
            return output.replace(f"<title>{printed}", f"<title>{nav_title(printed)}", 1)

    class RelativeErrorPage(BasePlugin):
        """The 404 page links relative to the site's top folder, like the catalog page. Without `site_url`
        MkDocs writes its links from `/`, which breaks a site served under a sub-path or opened from files;
        with `site_url` they stay absolute under its path, which holds at any depth of a missing address."""

        def on_template_context(self, context: Any, template_name: str, config: Any, **kwargs: Any) -> Any:
            if template_name == "404.html" and not config.site_url:
                context["base_url"] = "."
            return context

        def on_post_template(self, output: str, template_name: str, config: Any, **kwargs: Any) -> str:
            if template_name == "404.html" and not config.site_url:
                return _DOT_SLASH.sub(r"\1", output)  # `./assets/…` as the other pages write it: `assets/…`
            return output

    return {"docs-compile-sanitize": Sanitize(), "docs-compile-error-page": RelativeErrorPage()}


__all__ = ["SiteInput", "write_site"]
