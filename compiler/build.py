"""The pipeline: load → validate → resolve → render → publish, one call per stage.

As in DESIGN.md: first gather everything (every model read, validated, resolved and rendered), then
write. A stage that fails raises before anything is written, and the publish stage writes into a
folder beside `<out>` that replaces it only when every output was written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from compiler._util.hashing import sha256_file, source_sha256
from compiler.cache import Cache, cache_root
from compiler.config.audiences import Audience, audience_layers, load_audiences
from compiler.errors import UsageError
from compiler.load.cached import load_project
from compiler.publish.output import refuse_unsafe_out, source_files
from compiler.publish.site_config import site_configuration
from compiler.publish.writer import PublishInput, publish
from compiler.render.document import Document
from compiler.render.engine import RenderInput
from compiler.render.incremental import Progress, inputs_key, previous_build, remember_build, render_all
from compiler.resolve.apply import provenance, resolved_source, signal_histories
from compiler.validate.project import ValidModel, validate_project


@dataclass
class BuildOptions:
    """What to build and where; the command line's options."""

    content: Path = Path("content")
    audiences: Path | None = None
    """The repository's own audiences, layered over the packaged ones; None: `audiences/` when there is one."""
    packaged_audiences: bool = True
    """Layer the packaged audiences (technical, regulatory, clinician, leadership) under the repository's."""
    out: Path = Path("build")
    models: list[str] = field(default_factory=list)
    audience_names: list[str] = field(default_factory=list)
    pdf: bool = True
    jobs: int = 1
    pdf_profile: str | None = None
    mkdocs_config: Path | Literal[False] | None = None
    """The repository's mkdocs.yml, merged over the packaged base; default: the working directory's, if any
    (never an audience pack's: it is untrusted); False: the packaged base alone."""
    cache_dir: Path | None = None
    """The build cache; default: $DOCS_COMPILE_CACHE, else .docs-compile-cache/ beside the content folder."""


@dataclass
class BuildResult:
    """What a build produced (for the command's summary)."""

    out: Path
    documents: list[Document]
    pdfs: list[dict[str, Any]]
    manifest: dict[str, Any]
    warnings: list[str]
    document_slugs: list[str] = field(default_factory=list)
    """`<model-id>/<audience>` of every document, also when the output was kept as it was."""
    unchanged: bool = False
    """No input changed since the build that wrote options.out: it was kept as it is (documents is empty)."""


def build(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Compile every chosen model into every chosen audience's documents under options.out."""
    layers = audience_layers(options.audiences, options.packaged_audiences)
    refuse_unsafe_out(options.out, options.content, *layers)  # before anything is read or replaced
    cache = Cache(cache_root(Path(options.content).resolve().parent, options.cache_dir))
    site_config = site_configuration(options.mkdocs_config)
    key = inputs_key(options.content, layers, site_config.files, _key_options(options))
    previous = previous_build(cache, key, options.out)
    if previous is not None:  # nothing changed since the build that wrote options.out
        return BuildResult(
            Path(options.out), [], previous.pdfs, previous.manifest, previous.warnings, previous.documents, True
        )
    tell = progress or (lambda stage, doc: None)
    tell("validate", None)
    catalog = validate_project(load_project(options.content, options.models or None, cache), cache)  # load + validate
    own_only = not options.packaged_audiences
    every_audience = load_audiences(layers, own_only=own_only)
    chosen = load_audiences(layers, options.audience_names or None, own_only=own_only)
    refuse_empty(catalog.models, chosen)
    tell("resolve", None)
    models = [render_input(m) for m in catalog.models]  # resolve
    tell("render", None)
    documents = render_all(models, chosen, every_audience, progress, cache, options.jobs)  # render
    published = publish(  # publish
        PublishInput(
            documents,
            models,
            chosen,
            catalog.project.content_root,
            site_config,
            pdf=options.pdf,
            pdf_profile=options.pdf_profile,
            jobs=options.jobs,
        ),
        options.out,
        progress,
        cache,
    )
    warnings = [
        *(w.format() for w in catalog.warnings),  # the sources' judgement calls, placed
        *published.warnings,
        *(f"{doc.slug}: {w}" for doc in documents for w in doc.warnings),
    ]
    slugs = [d.slug for d in documents]
    remember_build(cache, key, options.out, slugs, published.pdfs, warnings)
    return BuildResult(Path(options.out), documents, published.pdfs, published.manifest, warnings, slugs)


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the system has one: a container's or a CI job's
    share, not the machine's), at least one; what `--jobs` defaults to."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows: no affinity to ask
        return max(1, os.cpu_count() or 1)


def render_input(valid: ValidModel) -> RenderInput:
    """The resolve step of one model: its lock applied (facts, their provenance, monitoring histories) and its
    source files hashed, as the render stage takes it.

    Here rather than in `compiler.resolve`: the resolve stage comes before render and cannot import its input
    type (render uses check, which uses resolve), and render takes histories as data, never calling resolve.
    """
    folder = valid.loaded.folder
    hashes = {p.relative_to(folder).as_posix(): sha256_file(p) for p in source_files(folder)}
    return RenderInput(
        valid.loaded,
        resolved_source(valid),
        source_sha256(hashes),
        provenance(valid),
        hashes,
        signal_histories(valid),
    )


def refuse_empty(models: list[ValidModel], audiences: list[Audience]) -> None:
    """Exit 2 before anything is written when no chosen audience applies to any chosen model: the build would
    otherwise replace the previous output with an empty site."""
    if any(a.applies(m.source.model.domain) for m in models for a in audiences):
        return
    domains = sorted({m.source.model.domain for m in models})
    wanted = ", ".join(f"{a.name} ({', '.join(a.config.applies_to)})" for a in audiences if a.config.applies_to)
    raise UsageError.at(
        ", ".join(m.source.model.id for m in models),
        f"nothing to build: no chosen audience applies to these models (domain {', '.join(domains)})",
        hint=f"audiences that apply only to some domains: {wanted}; choose another --audience" if wanted else "",
    )


def _key_options(options: BuildOptions) -> dict[str, Any]:
    """The options that change what a build writes (not --jobs, not where the cache is)."""
    return {
        "models": list(options.models),
        "audiences": list(options.audience_names),
        "pdf": options.pdf,
        "pdf_profile": options.pdf_profile,
    }
