"""Publish stage (PDF): rendered documents to PDF files with WeasyPrint, one worker process per job.

Each document whose audience lists `pdf` becomes `pdf/<model-id>/<audience>.pdf` under the output
folder, laid out by its audience's print template and written as its PDF profile says. The bytes
depend only on the document: dates come from SOURCE_DATE_EPOCH or the release date (`UNRELEASED_DAY` for a
model not released yet), the /ID is derived from the content, and nothing is fetched from outside the project.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import signal
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from compiler._util.atomic import atomic_write
from compiler.cache import Cache, code_fingerprint, digest, print_fingerprint, sha256_bytes, tree_digest
from compiler.config.profiles import PROFILES_DIR, PdfProfile, load_profile
from compiler.errors import CompilerError, Location, Problem, RenderError
from compiler.publish.fetcher import make_url_fetcher
from compiler.publish.mermaid_svg import default_cache_dir
from compiler.publish.pdf_pages import TOC_MIN_PAGES, toc_wanted
from compiler.publish.print_layout import FONTS_DIR, PRINT_DIR, PrintBody, build_html, prepare_body
from compiler.render.document import Document

_SUBSET_TAG = re.compile(r"^/[A-Z]{6}\+")
TIME_LIMIT_S = 300
"""Longest a single document may take to render."""
TASKS_PER_WORKER = 16
"""A worker is replaced after this many documents, so memory WeasyPrint keeps does not pile up (each new
worker costs about a second of imports, so not much more often than that)."""
Attachments = Mapping[str, Mapping[str, bytes]]
"""Per model id: file name → bytes, embedded by profiles with `attachments: sources`."""
Authors = Mapping[str, str]
"""Per model id: the organisation a PDF names as its Author."""
UNRELEASED_DAY = date(1980, 1, 1)
"""The fixed day a build dates files by when no model has a release date: reproducible, and the earliest a ZIP
or gzip header can hold (the usual SOURCE_DATE_EPOCH of reproducible builds)."""


@dataclass(frozen=True)
class PdfTask:
    """Everything one worker needs to render one document (picklable)."""

    document: Document
    out_path: Path
    relative: str
    profile: PdfProfile
    asset_dir: Path
    cache_dir: Path
    roots: tuple[Path, ...]
    attachments: tuple[tuple[str, bytes], ...] = ()
    time_limit: int = TIME_LIMIT_S
    author: str = ""
    """The PDF's Author: the organisation responsible for the model (empty: the document's authors)."""


@dataclass
class _Outcome:
    entry: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def write_pdfs(
    documents: list[Document],
    pdf_dir: Path,
    *,
    jobs: int,
    profile: str | None,
    asset_root: Path,
    progress: Callable[[Document], None] | None = None,
    attachments: Attachments | None = None,
    cache_dir: Path | None = None,
    allowed_roots: Iterable[Path] = (),
    time_limit: int = TIME_LIMIT_S,
    cache: Cache | None = None,
    authors: Authors | None = None,
) -> list[dict[str, Any]]:
    """Render every document whose audience asks for a PDF; one manifest entry per PDF, in input order.

    `profile` overrides each audience's profile. `attachments` (model id → file name → bytes) are the
    source YAML files and manifest.json that `attachments: sources` profiles embed. `allowed_roots`
    are extra folders (e.g. the content folder) the renderer may read images from. With a `cache`,
    a PDF whose inputs are unchanged is copied from it, and the others are stored in it; diagrams
    are kept in the build cache (`cache_dir`, default: the cache's folder). `authors` (model id → organisation)
    is what each model's PDFs give as their Author; a model without one names the document's authors.
    """
    if cache_dir is None and cache is not None:
        cache_dir = cache.root
    tasks = _tasks(documents, Path(pdf_dir), profile, Path(asset_root).resolve(), attachments, cache_dir, allowed_roots)
    tasks = [
        replace(task, time_limit=time_limit, author=(authors or {}).get(task.document.model_id, "")) for task in tasks
    ]
    keys = [pdf_key(task) if cache is not None else "" for task in tasks]
    outcomes: list[_Outcome | None] = [_from_cache(cache, task, key) for task, key in zip(tasks, keys, strict=True)]
    todo = sorted(
        (i for i, outcome in enumerate(outcomes) if outcome is None), key=lambda i: -expected_cost(tasks[i].document)
    )
    rendered = _run([tasks[i] for i in todo], max(1, jobs or os.cpu_count() or 1), progress)
    for i, outcome in zip(todo, rendered, strict=True):
        outcomes[i] = outcome
        if cache is not None and not outcome.problems:
            cache.put(PDF_KIND, keys[i], {"document.pdf": tasks[i].out_path.read_bytes()}, outcome.entry)
    done = [outcome for outcome in outcomes if outcome is not None]
    problems = [p for outcome in done for p in outcome.problems]
    if problems:
        raise RenderError(problems)
    return [outcome.entry for outcome in done]


PDF_KIND = "pdf"


def expected_cost(document: Document) -> int:
    """How long a PDF is expected to take, in no unit: its text and figures. The longest start first, so that a
    long document is not the last one left when the other workers are done."""
    return len(document.markdown) + FIGURE_COST * len(document.assets)


FIGURE_COST = 2_000
"""A figure costs about as much layout as this many characters of text."""


def pdf_key(task: PdfTask) -> str:
    """Everything one PDF depends on: the rendered document and its files, the audience's print templates and
    CSS (not its Markdown templates, already in the document), the profile, the attachments, fonts, the date."""
    doc = task.document
    return digest(
        PDF_KIND,
        code_fingerprint(),
        print_fingerprint(),
        task.relative,
        doc.markdown,
        {name: sha256_bytes(body) for name, body in doc.assets.items()},
        repr(doc.meta),
        doc.audience.name,
        doc.audience.config.model_dump(mode="json"),
        [tree_digest(folder, exclude=(".md.j2",)) for folder in doc.audience.search_path],
        task.profile.model_dump(mode="json"),
        [(name, sha256_bytes(body)) for name, body in task.attachments],
        os.environ.get("SOURCE_DATE_EPOCH", ""),
        task.author,
    )


def _from_cache(cache: Cache | None, task: PdfTask, key: str) -> _Outcome | None:
    entry = cache.get(PDF_KIND, key) if cache is not None else None
    if entry is None or "document.pdf" not in entry.files:
        return None
    task.out_path.parent.mkdir(parents=True, exist_ok=True)
    task.out_path.write_bytes(entry.files["document.pdf"])
    return _Outcome(entry=entry.meta)


def _tasks(
    documents: list[Document],
    pdf_dir: Path,
    override: str | None,
    asset_root: Path,
    attachments: Attachments | None,
    cache_dir: Path | None,
    allowed_roots: Iterable[Path],
) -> list[PdfTask]:
    cache = (Path(cache_dir) if cache_dir else default_cache_dir()).resolve()
    tasks = []
    for document in documents:
        if "pdf" not in document.audience.config.outputs:
            continue
        chosen = load_profile(override or document.audience.config.pdf.profile)
        relative = PurePosixPath(pdf_dir.name, document.model_id, f"{document.audience.name}.pdf")
        asset_dir = asset_root / document.model_id / document.audience.name
        roots = (asset_dir, *document.audience.search_path, PRINT_DIR, FONTS_DIR, PROFILES_DIR, *allowed_roots)
        files = attachments.get(document.model_id, {}) if attachments else {}
        tasks.append(
            PdfTask(
                document=document,
                out_path=pdf_dir / document.model_id / f"{document.audience.name}.pdf",
                relative=str(relative),
                profile=chosen,
                asset_dir=asset_dir,
                cache_dir=cache,
                roots=tuple(Path(r) for r in roots),
                attachments=tuple(sorted(files.items())) if chosen.attachments == "sources" else (),
            )
        )
    return tasks


def _run(tasks: list[PdfTask], jobs: int, progress: Callable[[Document], None] | None) -> list[_Outcome]:
    """Render in worker processes; results come back in task order whatever order they finish in."""
    import multiprocessing

    # spawn: workers start clean (no inherited threads or locks from the caller). Each pool serves
    # at most TASKS_PER_WORKER documents per worker and is then shut down, so memory stays bounded.
    # (Not max_tasks_per_child: on Python 3.11 the executor can hang when it replaces a worker.)
    context = multiprocessing.get_context("spawn")
    outcomes: list[_Outcome] = [_Outcome() for _ in tasks]
    batch = jobs * TASKS_PER_WORKER
    for start in range(0, len(tasks), batch):
        chunk = range(start, min(start + batch, len(tasks)))
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunk)), mp_context=context) as pool:
            futures: dict[Future[_Outcome], int] = {pool.submit(render_task, tasks[i]): i for i in chunk}
            for future in as_completed(futures):
                index = futures[future]
                try:
                    outcomes[index] = future.result()
                except BrokenProcessPool as exc:  # a worker died (out of memory, killed): name the document
                    outcomes[index] = _Outcome(problems=[_problem(tasks[index], f"PDF worker failed: {exc!r}")])
                if progress is not None:
                    progress(tasks[index].document)
    return outcomes


def _problem(task: PdfTask, message: str, hint: str = "") -> Problem:
    doc = task.document
    return Problem(
        Location(task.relative), f"model '{doc.model_id}', audience '{doc.audience.name}': {message}", hint=hint
    )


class _TimeLimit(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _TimeLimit()


def render_task(task: PdfTask) -> _Outcome:
    """Worker entry point: render one document within its time limit; errors come back as problems."""
    import logging

    # WeasyPrint reports unsupported CSS and refused URLs as log warnings; refusals are kept below.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    os.environ.setdefault("SOURCE_DATE_EPOCH", str(_release_epoch(task.document.meta.release_date)))
    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(task.time_limit)
    try:
        return _Outcome(entry=render_pdf(task))
    except _TimeLimit:
        return _Outcome(problems=[_problem(task, f"rendering took longer than {task.time_limit} s and was stopped")])
    except CompilerError as exc:
        return _Outcome(problems=[_named(task, p) for p in exc.problems])
    except Exception as exc:
        if not renderer_failed(exc):
            raise  # a bug of ours: a traceback to report, not a mistake in the user's document
        return _Outcome(problems=[_problem(task, f"PDF rendering failed: {type(exc).__name__}: {exc}")])
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)


_RENDERERS = frozenset({"weasyprint", "pikepdf"})
_OURS = __name__.split(".")[0]


def renderer_failed(exc: BaseException) -> bool:
    """Whether WeasyPrint or pikepdf failed on the document, rather than our own code.

    The innermost frame that is either theirs or ours decides: WeasyPrint and pikepdf (and the libraries they
    drive: images, fonts, CSS) fail on what the document holds, while an error raised in our code is a bug,
    whatever called it. pikepdf's PdfError says the PDF itself is damaged, even when our code made the call
    that found it.
    """
    import pikepdf

    if isinstance(exc, pikepdf.PdfError):
        return True
    owner = ""
    frame = exc.__traceback__
    while frame is not None:
        package = str(frame.tb_frame.f_globals.get("__name__", "")).split(".")[0]
        if package == _OURS or package in _RENDERERS:
            owner = package
        frame = frame.tb_next
    return owner in _RENDERERS


def _named(task: PdfTask, problem: Problem) -> Problem:
    doc = task.document
    if doc.model_id in problem.message or doc.model_id in problem.location.file:
        return problem
    return _problem(task, problem.message, problem.hint)


def _release_epoch(day: date | None) -> int:
    day = day or UNRELEASED_DAY
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def document_date(day: date | None) -> datetime:
    """Creation and modification date of a PDF: SOURCE_DATE_EPOCH when set, else the release date, else (a model
    not released yet) the fixed `UNRELEASED_DAY`."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    day = day or UNRELEASED_DAY
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def render_pdf(task: PdfTask) -> dict[str, Any]:
    """Render one document to task.out_path (atomically) and return its manifest entry."""
    doc, profile = task.document, task.profile
    _write_assets(task)
    body = prepare_body(doc, task.asset_dir, task.cache_dir, profile)
    when = document_date(doc.meta.release_date)
    fetcher = make_url_fetcher(task.roots)
    html = partial(build_html, doc, profile, body, dates=_w3c(when), author=task.author)
    rendered = _layout_once(task, html, fetcher, body)
    pdf = rendered.write_pdf(**_pdf_options(task, fetcher, when))
    data = finish_pdf(pdf, profile, doc)
    task.out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(task.out_path, data)
    pages = len(rendered.pages)
    warnings = [f"{doc.model_id}/{doc.audience.name}: not read by the PDF renderer: {url}" for url in fetcher.refused]
    if profile.attachments == "sources" and not task.attachments:
        warnings.append(
            f"{doc.model_id}/{doc.audience.name}: profile {profile.name} embeds the source files, but none were given"
        )
    limit = doc.audience.config.pdf.max_pages
    if limit is not None and pages > limit:
        warnings.append(f"{doc.model_id}/{doc.audience.name}: the PDF has {pages} pages; the audience allows {limit}")
    entry: dict[str, Any] = {
        "audience": doc.audience.name,
        "bytes": len(data),
        "model": doc.model_id,
        "pages": pages,
        "path": task.relative,
        "profile": profile.name,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    if warnings:
        entry["warnings"] = sorted(set(warnings))
    return entry


def _layout_once(task: PdfTask, html: Callable[..., str], fetcher: Any, body: PrintBody) -> Any:
    """The document laid out once, with contents when its audience asks for them or, left to the build, when
    its estimated pages (without contents) reach TOC_MIN_PAGES (`pdf_pages`).

    Laid out again only when the page count shows the estimate decided wrong: without contents and still
    TOC_MIN_PAGES pages or more, or with contents (a page at least, as they end with a page break) and no more
    than TOC_MIN_PAGES, so fewer without them. The decision is then the one counting pages would take.
    """
    pdf = task.document.audience.config.pdf
    toc = toc_wanted(pdf.toc, body, task.profile, pdf.compact_header)
    rendered = _layout(task, html(toc=toc), fetcher)
    pages = len(rendered.pages)
    if pdf.toc is None and (pages <= TOC_MIN_PAGES if toc else pages >= TOC_MIN_PAGES):
        rendered = _layout(task, html(toc=not toc), fetcher)
    return rendered


def _write_assets(task: PdfTask) -> None:
    for name, data in sorted(task.document.assets.items()):
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise RenderError([_problem(task, f"asset path '{name}' must be relative and stay inside the document")])
        target = task.asset_dir.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)


def _w3c(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _layout(task: PdfTask, html: str, fetcher: Any) -> Any:
    from weasyprint import HTML

    task.asset_dir.mkdir(parents=True, exist_ok=True)
    source = HTML(string=html, base_url=task.asset_dir.as_uri() + "/", url_fetcher=fetcher)
    return source.render(**_render_options(task.profile))


def _render_options(profile: PdfProfile) -> dict[str, Any]:
    return {
        "pdf_variant": profile.variant,
        "pdf_version": profile.pdf_version,
        "pdf_tags": profile.is_tagged,
        "full_fonts": profile.full_fonts,
    }


def _pdf_options(task: PdfTask, fetcher: Any, when: datetime) -> dict[str, Any]:
    from weasyprint import Attachment

    options = _render_options(task.profile)
    naive = when.replace(tzinfo=None)
    options["attachments"] = [
        Attachment(
            file_obj=io.BytesIO(data),
            url_fetcher=fetcher,
            name=name,
            description=_describe_attachment(name),
            created=naive,
            modified=naive,
            relationship="Source" if name.endswith((".yaml", ".yml")) else "Supplement",
        )
        for name, data in task.attachments
    ]
    seed = f"{task.document.meta.doc_id}\n{task.document.meta.source_sha256}\n{task.profile.name}".encode()
    options["pdf_identifier"] = hashlib.md5(seed, usedforsecurity=False).hexdigest().encode()
    return options


def _describe_attachment(name: str) -> str:
    if name == "manifest.json":
        return "Build manifest: sha256 of every output and provenance of every fact"
    return f"Model source file {name}"


def finish_pdf(pdf: bytes, profile: PdfProfile, document: Document) -> bytes:
    """Post-process with pikepdf: open on the bookmarks panel, show the title; deterministic /ID, no timestamps."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as handle:
        root = handle.Root
        if profile.open_bookmarks and "/Outlines" in root:
            root.PageMode = pikepdf.Name.UseOutlines
        preferences = root.get("/ViewerPreferences", pikepdf.Dictionary())
        preferences.DisplayDocTitle = True
        root.ViewerPreferences = handle.make_indirect(preferences) if not preferences.is_indirect else preferences
        if "/Lang" not in root:
            root.Lang = pikepdf.String(document.meta.language)
        if profile.full_fonts:
            _unmark_subsets(handle)
        if "/AF" in root:
            _dedupe_associated_files(root)
        if "/StructTreeRoot" in root:
            _scope_table_headers(root.StructTreeRoot)
        out = io.BytesIO()
        # deterministic_id derives /ID from the content; metadata is not touched, so no "now" dates.
        # Linearizing (qpdf's) reorders the objects the same way for the same input: the bytes stay reproducible.
        handle.save(out, deterministic_id=True, fix_metadata_version=False, linearize=profile.linearize)
    return out.getvalue()


def _unmark_subsets(handle: Any) -> None:
    """WeasyPrint tags every font name ABCDEF+ even when embedding the whole font; checkers read the tag as "subset"."""
    import pikepdf

    for obj in handle.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        for key in ("/BaseFont", "/FontName"):
            name = obj.get(key)
            if isinstance(name, pikepdf.Name) and _SUBSET_TAG.match(str(name)):
                obj[key] = pikepdf.Name("/" + str(name)[8:])


def _scope_table_headers(node: Any, in_head: bool = False) -> None:
    """Tagged tables: give every /TH a /Scope (Column in a header row group, Row elsewhere), as PDF/UA asks."""
    import pikepdf

    if isinstance(node, pikepdf.Array):
        for child in node:
            _scope_table_headers(child, in_head)
        return
    if not isinstance(node, pikepdf.Dictionary):
        return
    kind = node.get("/S")
    if kind == "/TH":
        scope = pikepdf.Name.Column if in_head else pikepdf.Name.Row
        attributes = node.get("/A")
        if isinstance(attributes, pikepdf.Dictionary) and attributes.get("/O") == "/Table":
            if "/Scope" not in attributes:
                attributes.Scope = scope
        elif attributes is None:
            node.A = pikepdf.Dictionary(O=pikepdf.Name.Table, Scope=scope)
    if "/K" in node and kind != "/TH":
        _scope_table_headers(node.K, in_head or kind == "/THead")


def _dedupe_associated_files(root: Any) -> None:
    """WeasyPrint lists each PDF/A-3 associated file twice in /AF; keep each file spec once, in order."""
    import pikepdf

    seen: set[tuple[int, int]] = set()
    unique = []
    for spec in root.AF:
        key = spec.objgen
        if key == (0, 0) or key not in seen:
            seen.add(key)
            unique.append(spec)
    root.AF = pikepdf.Array(unique)
