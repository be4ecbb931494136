"""The pipeline: load → validate → resolve → render → publish, one call per stage.

As in DESIGN.md: first gather everything (every model read, validated, resolved and rendered), then
write. A stage that fails raises before anything is written, and the publish stage writes into a
folder beside `<out>` that replaces it only when every output was written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from compiler import __version__
from compiler._util.hashing import sha256_file, source_sha256
from compiler.cache import Cache, cache_root
from compiler.config.audiences import load_audiences
from compiler.errors import UsageError
from compiler.load.reader import load_project
from compiler.publish.output import source_files, staged_output, write_manifest
from compiler.publish.site import SiteInput, write_site
from compiler.render.document import Document
from compiler.render.engine import RenderInput
from compiler.render.incremental import inputs_key, previous_build, remember_build, render_all
from compiler.schema import Source
from compiler.validate.project import Catalog, ValidModel, validate_project

try:
    from compiler.resolve.apply import provenance, resolved_source
except ImportError:  # the resolve stage is optional: sources then carry their numbers themselves

    def resolved_source(model: ValidModel) -> Source:
        return model.source

    def provenance(model: ValidModel) -> dict[str, Any]:
        return {}


Progress = Callable[[str, Document], None]


@dataclass
class BuildOptions:
    """What to build and where; the command line's options."""

    content: Path = Path("content")
    audiences: Path = Path("audiences")
    out: Path = Path("build")
    models: list[str] = field(default_factory=list)
    audience_names: list[str] = field(default_factory=list)
    pdf: bool = True
    jobs: int = 1
    pdf_profile: str | None = None
    mkdocs_config: Path | None = None
    """mkdocs.yml; default: the one beside the audiences folder, else in the working directory."""
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
    cache = Cache(cache_root(Path(options.content).resolve().parent, options.cache_dir))
    key = inputs_key(options.content, options.audiences, _mkdocs_config(options), _key_options(options))
    previous = previous_build(cache, key, options.out)
    if previous is not None:  # nothing changed since the build that wrote options.out
        return BuildResult(
            Path(options.out), [], previous.pdfs, previous.manifest, previous.warnings, previous.documents, True
        )
    catalog = validate_project(load_project(options.content, options.models or None))  # load + validate
    every_audience = load_audiences(options.audiences)
    chosen = load_audiences(options.audiences, options.audience_names or None)
    models = [resolve(m) for m in catalog.models]  # resolve
    documents = render_all(models, chosen, every_audience, progress, cache, options.jobs)  # render
    with source_date_epoch(models), staged_output(options.out) as stage:  # publish
        pdfs = publish_pdfs(documents, models, stage, options, progress, cache) if options.pdf else []
        warnings = write_site(
            SiteInput(
                documents=[d for d in documents if "site" in d.audience.config.outputs],
                models=models,
                audiences=chosen,
                pdfs={e["audience_slug"]: stage / e["path"] for e in pdfs},
            ),
            stage / "site",
            _mkdocs_config(options),
        )
        write_exports(models, stage / "exports")
        manifest = write_manifest(stage, _manifest_header(catalog, models, documents, pdfs, options))
    for doc in documents:
        warnings.extend(f"{doc.slug}: {w}" for w in doc.warnings)
    slugs = [d.slug for d in documents]
    remember_build(cache, key, options.out, slugs, pdfs, warnings)
    return BuildResult(Path(options.out), documents, pdfs, manifest, warnings, slugs)


def _key_options(options: BuildOptions) -> dict[str, Any]:
    """The options that change what a build writes (not --jobs, not where the cache is)."""
    return {
        "models": list(options.models),
        "audiences": list(options.audience_names),
        "pdf": options.pdf,
        "pdf_profile": options.pdf_profile,
    }


def resolve(valid: ValidModel) -> RenderInput:
    """The resolve stage: fact references replaced by locked values, with their provenance."""
    folder = valid.loaded.folder
    hashes = {p.relative_to(folder).as_posix(): sha256_file(p) for p in source_files(folder)}
    return RenderInput(valid.loaded, resolved_source(valid), source_sha256(hashes), provenance(valid), hashes)


def publish_pdfs(
    documents: list[Document],
    models: list[RenderInput],
    stage: Path,
    options: BuildOptions,
    progress: Progress | None,
    cache: Cache | None = None,
) -> list[dict[str, Any]]:
    """The PDFs of every document whose audience asks for one, under <stage>/pdf/<model-id>/<audience>.pdf."""
    try:
        from compiler.publish.pdf import write_pdfs
    except ModuleNotFoundError as exc:
        if exc.name != "compiler.publish.pdf":
            raise
        raise UsageError("this installation cannot write PDFs (hint: build the site alone with --no-pdf)") from None
    wanted = [d for d in documents if "pdf" in d.audience.config.outputs]
    attachments = {m.source.model.id: archival_files(m) for m in models}
    with tempfile.TemporaryDirectory(prefix="docs-compile-assets-") as tmp:
        asset_root = Path(tmp)
        for doc in wanted:
            for rel, body in doc.assets.items():
                target = asset_root / doc.slug / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
        entries: list[dict[str, Any]] = write_pdfs(
            wanted,
            stage / "pdf",
            jobs=options.jobs,
            profile=options.pdf_profile,
            asset_root=asset_root,
            progress=(lambda doc: progress("pdf", doc)) if progress else None,
            attachments=attachments,
            allowed_roots=[Path(options.content)],
            cache=cache,
        )
    return [{**e, "audience_slug": f"{e['model']}/{e['audience']}"} for e in entries]


def archival_files(model: RenderInput) -> dict[str, bytes]:
    """What an archival PDF carries: the model's source files and a manifest of them with the facts' provenance.

    The build's own manifest.json lists the PDFs' hashes, so a PDF cannot embed it; this one is written first.
    """
    folder = model.loaded.folder
    files = {name: (folder / name).read_bytes() for name in sorted(model.file_hashes)}
    manifest = {
        "model": model.source.model.id,
        "version": str(model.source.model.version),
        "source_sha256": model.source_sha256,
        "sources": [{"path": name, "sha256": sha} for name, sha in sorted(model.file_hashes.items())],
        "provenance": model.provenance,
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return files


def write_exports(models: list[RenderInput], exports: Path) -> None:
    """Machine-readable copies: the resolved source of each model as JSON."""
    for model in models:
        folder = exports / model.source.model.id
        folder.mkdir(parents=True, exist_ok=True)
        data = model.source.model_dump(mode="json", exclude_none=True)
        (folder / "model.json").write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _manifest_header(
    catalog: Catalog,
    models: list[RenderInput],
    documents: list[Document],
    pdfs: list[dict[str, Any]],
    options: BuildOptions,
) -> dict[str, Any]:
    content = catalog.project.content_root
    sources = [
        {"path": f"{content.name}/{(m.loaded.folder / name).relative_to(content).as_posix()}", "sha256": sha}
        for m in models
        for name, sha in sorted(m.file_hashes.items())
    ]
    return {
        "compiler_version": __version__,
        "models": [
            {
                "id": m.source.model.id,
                "version": str(m.source.model.version),
                "release_date": m.source.model.release_date.isoformat(),
                "source_sha256": m.source_sha256,
                "provenance": m.provenance,
                "documents": sorted(d.audience.name for d in documents if d.model_id == m.source.model.id),
            }
            for m in models
        ],
        "sources": sources,
        "pdfs": [{k: v for k, v in e.items() if k != "audience_slug"} for e in pdfs],
        "pdf_profile": options.pdf_profile,
    }


def _mkdocs_config(options: BuildOptions) -> Path:
    if options.mkdocs_config is not None:
        return options.mkdocs_config
    beside = Path(options.audiences).resolve().parent / "mkdocs.yml"
    return beside if beside.is_file() else Path("mkdocs.yml")


@contextmanager
def source_date_epoch(models: list[RenderInput]) -> Iterator[None]:
    """Dates MkDocs writes (sitemap, gzip header) come from the newest release date, not the clock."""
    newest = max((m.source.model.release_date for m in models), default=None)
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    if newest is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime.combine(newest, time(), UTC).timestamp()))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
