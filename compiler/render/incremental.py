"""Render stage, incremental: documents taken from the cache when nothing they depend on changed, the rest
rendered over worker processes; and the no-op check that keeps a previous output when no input changed.

A document's key covers the model's source files (facts lock and evidence included, and any file it
includes from outside its folder), the audience's Markdown templates and the shared ones, every
audience's configuration (documents report each other's coverage and sign-offs), and the compiler's
code and library versions. Print CSS and templates are not in it: they only matter to the PDF.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler._util.hashing import sha256_file
from compiler.cache import Cache, code_fingerprint, digest, print_fingerprint, sha256_bytes, tree_digest
from compiler.config.audiences import Audience
from compiler.errors import Problem, RenderError
from compiler.render.document import Document
from compiler.render.engine import RenderInput, document_meta, render_datasheet, render_document
from compiler.render.plot_store import use_cache

Progress = Callable[[str, Document | None], None]
"""Told of each stage as it starts (`(stage, None)`) and of each document a stage finished (`(stage, doc)`)."""
RENDER_KIND = "render"
BUILD_KIND = "build"
DATASHEET_KIND = "datasheet"
_MARKDOWN_TEMPLATES = (".md.j2",)


def render_key(model: RenderInput, audience: Audience, every: list[Audience], templates: dict[str, str]) -> str:
    """Everything one (model, audience) document depends on."""
    folder = model.loaded.folder.resolve()
    outside = [p for p in model.loaded.files if not Path(p).resolve().is_relative_to(folder)]
    configs = {a.name: a.config.model_dump(mode="json") for a in every}
    return digest(
        RENDER_KIND,
        code_fingerprint(),
        model.source_sha256,
        {str(p): sha256_bytes(Path(p).read_bytes()) for p in outside},
        audience.name,
        templates[audience.name],
        configs,
    )


def template_digests(audiences: list[Audience]) -> dict[str, str]:
    """Per audience: the Markdown templates of its search path and of the shared folder."""
    found = {}
    for audience in audiences:
        folders = [*audience.search_path, *audience.common]
        found[audience.name] = digest([tree_digest(f, _MARKDOWN_TEMPLATES) for f in folders])
    return found


def render_all(
    models: list[RenderInput],
    audiences: list[Audience],
    every: list[Audience],
    progress: Progress | None,
    cache: Cache | None = None,
    jobs: int = 1,
) -> list[Document]:
    """Every (model, audience) document, from the cache where possible; template errors are raised at once."""
    templates = template_digests(every)
    slots: list[Document | None] = []
    keys: list[str] = []
    todo: dict[int, list[tuple[int, Audience]]] = {}  # model index -> (slot, audience) still to render
    for m, model in enumerate(models):
        for audience in audiences:
            if not audience.applies(model.source.model.domain):
                continue
            key = render_key(model, audience, every, templates) if cache is not None else ""
            cached = cache.get(RENDER_KIND, key) if cache is not None else None
            doc = _from_entry(model, audience, cached.files, cached.meta) if cached else None
            if doc is None:
                todo.setdefault(m, []).append((len(slots), audience))
            elif progress:
                progress("render", doc)
            slots.append(doc)
            keys.append(key)
    problems: list[Problem] = []
    use_cache(cache)  # plots too, for documents rendered in this process
    for m, results in _render_models(models, todo, every, jobs, cache.root if cache is not None else None):
        for (slot, _), (doc, found) in zip(todo[m], results, strict=True):
            problems.extend(found)
            if doc is None:
                continue
            slots[slot] = doc
            if cache is not None:
                files = {"document.md": doc.markdown.encode(), **{f"assets/{k}": v for k, v in doc.assets.items()}}
                cache.put(RENDER_KIND, keys[slot], files, {"warnings": list(doc.warnings)})
            if progress:
                progress("render", doc)
    if problems:
        raise RenderError(problems)
    return [doc for doc in slots if doc is not None]


def datasheet_page(
    model: RenderInput,
    audience: Audience,
    index: int,
    cache: Cache | None,
    templates: dict[str, str],
    every: list[Audience],
) -> str:
    """The site page of the model's dataset at index (the audience's datasheet page template), from the cache when
    nothing it depends on changed; `templates` is `template_digests(every)`."""
    if cache is None:
        return render_datasheet(model, audience, index)
    key = digest(render_key(model, audience, every, templates), DATASHEET_KIND, index)
    entry = cache.get(DATASHEET_KIND, key)
    if entry is not None and "datasheet.md" in entry.files:
        return entry.files["datasheet.md"].decode()
    page = render_datasheet(model, audience, index)
    cache.put(DATASHEET_KIND, key, {"datasheet.md": page.encode()}, {})
    return page


def _from_entry(model: RenderInput, audience: Audience, files: dict[str, bytes], meta: dict[str, Any]) -> Document:
    assets = {name.removeprefix("assets/"): body for name, body in files.items() if name.startswith("assets/")}
    return Document(
        model_id=model.source.model.id,
        audience=audience,
        meta=document_meta(model, audience),
        markdown=files["document.md"].decode(),
        assets=dict(sorted(assets.items())),
        warnings=tuple(meta.get("warnings", ())),
    )


Rendered = list[tuple[Document | None, list[Problem]]]


def _render_models(
    models: list[RenderInput],
    todo: dict[int, list[tuple[int, Audience]]],
    every: list[Audience],
    jobs: int,
    plots: Path | None,
) -> list[tuple[int, Rendered]]:
    """Render what is left, one task per model (its audiences share plots); in workers when it pays."""
    tasks = [(m, models[m], [a for _, a in todo[m]], every) for m in sorted(todo)]
    if jobs <= 1 or len(tasks) < 2:
        return [(m, render_model(model, chosen, all_)) for m, model, chosen, all_ in tasks]
    import multiprocessing

    # spawn, as for the PDFs: workers start clean, whatever threads the caller runs.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        futures = [pool.submit(render_model, model, chosen, all_, plots) for _, model, chosen, all_ in tasks]
        return [(task[0], future.result()) for task, future in zip(tasks, futures, strict=True)]


def render_model(
    model: RenderInput, audiences: list[Audience], every: list[Audience], plots: Path | None = None
) -> Rendered:
    """Worker entry point: one model's documents for the given audiences; errors come back as problems. Plots are
    kept in the build cache under `plots` when it is given (plot_store.py)."""
    if plots is not None:
        use_cache(plots)
    results: Rendered = []
    for audience in audiences:
        try:
            results.append((render_document(model, audience, every), []))
        except RenderError as error:
            results.append((None, list(error.problems)))
    return results


# --- the no-op check -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviousBuild:
    """What the last build into the same folder, from the same inputs, reported."""

    documents: list[str]
    pdfs: list[dict[str, Any]]
    manifest: dict[str, Any]
    warnings: list[str]


def inputs_key(content: Path, audiences: list[Path], site_files: list[Path], options: dict[str, Any]) -> str:
    """Every input of a build, read as bytes: sources, audiences (every layer), site configuration, code, options."""
    shell = [sha256_bytes(f.read_bytes()) for f in site_files]
    return digest(
        BUILD_KIND,
        code_fingerprint(),
        print_fingerprint(),
        tree_digest(Path(content)),
        [tree_digest(Path(a)) for a in audiences],
        shell,
        options,
        os.environ.get("SOURCE_DATE_EPOCH", ""),
    )


def _record_key(key: str, out: Path) -> str:
    return digest(key, os.path.abspath(out))


def previous_build(cache: Cache, key: str, out: Path) -> PreviousBuild | None:
    """The previous build's report when out still holds exactly what it wrote from these inputs."""
    entry = cache.get(BUILD_KIND, _record_key(key, out))
    manifest_file = Path(out) / "manifest.json"
    if entry is None or not manifest_file.is_file():
        return None
    body = manifest_file.read_bytes()
    if sha256_bytes(body) != entry.meta.get("manifest_sha256"):
        return None
    manifest = json.loads(body)
    # Hashes, not sizes: a file altered in place keeping its size must not be kept under a manifest that
    # vouches for other bytes. Sizes first only to skip reading a site that plainly changed.
    for output in manifest.get("outputs", []):
        path = Path(out) / output["path"]
        if path.is_symlink() or not path.is_file() or path.stat().st_size != output["bytes"]:
            return None
        if sha256_file(path) != output.get("sha256"):
            return None
    meta = entry.meta
    return PreviousBuild(meta["documents"], meta["pdfs"], manifest, meta["warnings"])


def remember_build(
    cache: Cache, key: str, out: Path, documents: list[str], pdfs: list[dict[str, Any]], warnings: list[str]
) -> None:
    """Note what this build wrote into out, for the next build's no-op check."""
    body = (Path(out) / "manifest.json").read_bytes()
    meta = {"manifest_sha256": sha256_bytes(body), "documents": documents, "pdfs": pdfs, "warnings": warnings}
    cache.put(BUILD_KIND, _record_key(key, out), {}, meta)


__all__ = ["PreviousBuild", "inputs_key", "previous_build", "remember_build", "render_all", "render_key"]
