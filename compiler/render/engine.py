"""Render stage: one Markdown body per (model, audience) from the audience's Jinja2 section templates.

Templates produce Markdown. Every printed plain value is escaped for Markdown and HTML (the
environment's `finalize`), Markdown fields pass the sanitiser (`md`, `md_inline`), and a missing value
is an error naming the audience, template, line and source field — never a blank. What templates may
call is the template API (`compiler/render/api.py`, documented in docs/templates.md).
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from compiler import __version__
from compiler._util.paths import display_path
from compiler.config.audiences import Audience
from compiler.errors import CompilerError, Location, Problem, RenderError
from compiler.load.reader import LoadedModel
from compiler.render import formats
from compiler.render.api import FILTERS, TemplateAPI
from compiler.render.document import Document, DocumentMeta
from compiler.render.sandbox import sandboxed_environment
from compiler.render.view import FieldError, wrap
from compiler.schema import Source
from compiler.schema.base import is_pending

PAGE_TEMPLATE = "page.md.j2"


@dataclass(frozen=True)
class RenderInput:
    """What the render stage needs of one model: its source (facts resolved) and where it came from."""

    loaded: LoadedModel
    source: Source
    source_sha256: str
    provenance: dict[str, Any] = field(default_factory=dict)
    file_hashes: dict[str, str] = field(default_factory=dict)
    """sha256 of each source file, by path relative to the model's folder."""
    histories: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each monitoring signal's locked series (signal id -> lock entry), for the trend plots."""


_ENVIRONMENTS: dict[tuple[Any, ...], jinja2.Environment] = {}


def environment(audience: Audience) -> jinja2.Environment:
    """The Jinja2 environment of an audience: its search path, then the shared `_common` folders.

    Kept while no template file changes (name, size and modification time), so each template is
    compiled once per process rather than once per document.
    """
    folders = [*audience.search_path, *audience.common]
    state = tuple(
        (str(p), s.st_size, s.st_mtime_ns)
        for f in folders
        if f.is_dir()
        for p in sorted(f.rglob("*.j2"))
        for s in [p.stat()]
    )
    key = (tuple(str(f) for f in folders), state)
    if key not in _ENVIRONMENTS:
        if len(_ENVIRONMENTS) > 32:
            _ENVIRONMENTS.clear()
        _ENVIRONMENTS[key] = _new_environment(folders, audience.roots)
    return _ENVIRONMENTS[key]


def _new_environment(folders: list[Path], roots: tuple[Path, ...]) -> jinja2.Environment:
    # Audience folders are untrusted templates: the sandbox keeps them from Python internals, the loader
    # from files outside the audiences folder, and the budget from running away (docs/security.md).
    env = sandboxed_environment(
        folders, roots, finalize=formats.finalize, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    )
    env.filters.update(FILTERS)
    return env


def render_document(model: RenderInput, audience: Audience, audiences: list[Audience]) -> Document:
    """Render one audience's document for one model."""
    env = environment(audience)
    api = TemplateAPI(model, audience, audiences)
    context = api.context(document_meta(model, audience))
    parts: list[str] = []
    for section in audience.config.sections:
        api.tracker.section = section
        parts.append(_render(env, f"sections/{section}.md.j2", {**context, "section": section}, audience, section))
    api.tracker.section = ""
    body = _render(env, PAGE_TEMPLATE, {**context, "sections": Markup("\n".join(parts))}, audience)
    return Document(
        model_id=model.source.model.id,
        audience=audience,
        meta=document_meta(model, audience),
        markdown=_tidy(body),
        assets=dict(sorted(api.assets.items())),
        warnings=tuple(api.warnings),
    )


def render_page(audience: Audience, template: str, context: dict[str, Any]) -> str:
    """Render a site page that belongs to an audience but not to one model (e.g. 'how to read')."""
    return _tidy(_render(environment(audience), template, context, audience))


def render_datasheet(model: RenderInput, audience: Audience, index: int) -> str:
    """One dataset's Gebru datasheet as a page of its own (the technical view also includes it)."""
    context = TemplateAPI(model, audience, [audience]).context(document_meta(model, audience))
    context["dataset"] = wrap(model.source.datasets[index], f"datasets[{index}]", None)
    return _tidy(_render(environment(audience), "datasheet-page.md.j2", context, audience))


def document_meta(model: RenderInput, audience: Audience) -> DocumentMeta:
    info = model.source.model
    version = "DRAFT" if is_pending(info.version) else str(info.version)  # an id never carries "TODO: …" text
    return DocumentMeta(
        doc_id=f"DC-{info.id.upper()}-{audience.name.upper()}-{version}",
        title=f"{audience.config.title} — {info.name}",
        audience_title=audience.config.title,
        model_id=info.id,
        model_name=info.name,
        model_version=version,
        release_date=info.release_date,
        status=info.status,
        source_sha256=model.source_sha256,
        compiler_version=__version__,
        authors=tuple(d.name for d in info.developers),
        keywords=tuple(info.keywords),
        language=(info.languages[0] if info.languages else "en"),
    )


def _render(env: jinja2.Environment, name: str, context: dict[str, Any], audience: Audience, section: str = "") -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as exc:
        if exc.name != name:  # included or extended by the template: point at that line
            raise _placed(exc, audience, env, name) from None
        where = _listed_at(audience, section)
        hint = "add the template to the audience folder or remove it from `sections`" if section else ""
        problem = Problem(where, f"audience '{audience.name}': template '{exc.name}' not found", "", hint)
        raise RenderError([problem]) from None
    except jinja2.TemplateSyntaxError as exc:
        file = display_path(Path(exc.filename)) if exc.filename else name
        problem = Problem(Location(file, exc.lineno, 1), f"audience '{audience.name}': {exc.message}")
        raise RenderError([problem]) from None
    except CompilerError:
        raise  # a stage's own error, raised inside a function the template called, is already placed
    except (FieldError, jinja2.TemplateError) as exc:
        # A FieldError is the template API saying the template asked for something the source lacks;
        # a TemplateError is Jinja's runtime refusing something the template did.
        raise _placed(exc, audience, env, name) from None
    except RecursionError as exc:
        # Only a template recurses without end (a macro calling itself); where the stack ran out says nothing.
        raise _placed(exc, audience, env, name) from None
    except _TEMPLATE_MISTAKES as exc:
        if not _raised_in_template(exc):
            raise  # raised inside a Python function of the template API: a bug, not the template's mistake
        raise _placed(exc, audience, env, name) from None


_TEMPLATE_MISTAKES = (ArithmeticError, AttributeError, LookupError, TypeError, ValueError)
"""What a template's own expressions can raise (`{{ 1 / 0 }}`, `{{ "a" + 1 }}`, a misused built-in filter)."""

_JINJA_RUNTIME = ("jinja2", "markupsafe")
"""Packages whose frames run a template's code on its behalf (built-in filters, tests, the sandbox)."""
_SANDBOX = "compiler.render.sandbox"
"""Our sandbox's checks run a template's operators and calls on its behalf too."""


def _raised_in_template(exc: BaseException) -> bool:
    """Whether the innermost frame outside Jinja's own runtime is a template's (a `.j2` file)."""
    raised_in = ""
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        module = str(frame.f_globals.get("__name__", ""))
        if module != _SANDBOX and module.partition(".")[0] not in _JINJA_RUNTIME:
            raised_in = frame.f_code.co_filename
        tb = tb.tb_next
    return raised_in.endswith(".j2")


def _listed_at(audience: Audience, section: str) -> Location:
    """Where audience.yaml lists a section (the line of `- <section>`), else the file itself."""
    path = audience.folder / "audience.yaml"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    for number, line in enumerate(lines, 1):
        found = re.match(rf"^(\s*-\s*){re.escape(section)}\s*(#.*)?$", line) if section else None
        if found:
            return Location(display_path(path), number, len(found.group(1)) + 1)
    return Location(display_path(path), 1, 1)


def _placed(exc: Exception, audience: Audience, env: jinja2.Environment, name: str) -> RenderError:
    """A RenderError naming the template file and line of the innermost template frame."""
    file, line = name, 0
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            file, line = display_path(Path(filename)), tb.tb_lineno
        tb = tb.tb_next
    field_path = exc.path if isinstance(exc, FieldError) else ""
    message = str(exc) if not isinstance(exc, KeyError) else f"no such key {exc}"
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"template '{exc.name}' not found"
    hint = "fill in the field in the source, or guard the template with `{% if … %}`" if field_path else ""
    return RenderError(
        [Problem(Location(file, line, 1 if line else 0), f"audience '{audience.name}': {message}", field_path, hint)]
    )


def _tidy(text: str) -> str:
    """At most one blank line in a row, one newline at the end: stable golden files."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


ProgressFn = Callable[[Document], None]
