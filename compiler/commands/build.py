"""`docs-compile build`: compile every model into its audiences' site pages and PDFs."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from compiler.cli import Settings, echo, guarded, shared_options
from compiler.errors import UsageError

if TYPE_CHECKING:
    from compiler.build import BuildOptions, BuildResult
    from compiler.render.document import Document


@click.command("build")
@click.option("--model", "models", multiple=True, metavar="ID", help="Build only this model (repeatable).")
@click.option(
    "--audience", "audience_names", multiple=True, metavar="NAME", help="Build only this audience (repeatable)."
)
@click.option("--no-pdf", is_flag=True, help="Build the site and exports without PDFs.")
@click.option(
    "--jobs",
    type=int,
    default=None,
    help="Worker processes for documents, diagrams, plots and PDFs; 1 renders documents in this process "
    "[default: the CPUs this process may use].",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Build cache (safe to delete) [$DOCS_COMPILE_CACHE, else .docs-compile-cache beside the content folder].",
)
@click.option(
    "--pdf-profile", metavar="NAME", default=None, help="PDF profile for every PDF (default: each audience's)."
)
@shared_options
@click.pass_obj
@guarded
def command(
    settings: Settings,
    models: tuple[str, ...],
    audience_names: tuple[str, ...],
    no_pdf: bool,
    jobs: int | None,
    cache_dir: Path | None,
    pdf_profile: str | None,
) -> None:
    """Compile every model into its audiences' site pages and PDFs.

    Writes <out>/site/ (static site), <out>/pdf/<model-id>/<audience>.pdf, <out>/exports/ and
    <out>/manifest.json. The previous <out> is replaced only when the whole build succeeded.
    Documents, diagrams, plots, site pages, exports and PDFs whose inputs did not change are taken
    from the build cache; when no input changed at all, <out> is kept as it is.
    """
    from compiler.build import available_cpus, build

    if jobs is not None and jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    jobs = jobs or available_cpus()
    options = build_options(
        settings, models, audience_names, pdf=not no_pdf, jobs=jobs, pdf_profile=pdf_profile, cache_dir=cache_dir
    )
    started = time.monotonic()
    result = build(options) if settings.quiet or settings.json else _with_progress(options)
    _report(settings, result, time.monotonic() - started)


def build_options(
    settings: Settings,
    models: tuple[str, ...],
    audience_names: tuple[str, ...],
    *,
    pdf: bool,
    jobs: int = 1,
    pdf_profile: str | None = None,
    cache_dir: Path | None = None,
) -> BuildOptions:
    """What to build, from the shared settings and a command's own options (build and serve)."""
    from compiler.build import BuildOptions

    return BuildOptions(
        content=settings.content,
        audiences=settings.audiences,
        packaged_audiences=settings.packaged_audiences,
        mkdocs_config=settings.mkdocs,
        out=settings.out,
        models=list(models),
        audience_names=list(audience_names),
        pdf=pdf,
        jobs=jobs,
        pdf_profile=pdf_profile,
        cache_dir=cache_dir,
    )


def _report(settings: Settings, result: BuildResult, seconds: float) -> None:
    """The build's summary: JSON on stdout, or warnings and one line for a person."""
    site_bytes = sum(p.stat().st_size for p in (Path(settings.out) / "site").rglob("*") if p.is_file())
    summary = {
        "ok": True,
        "out": str(settings.out),
        "documents": sorted(result.document_slugs),
        "pdfs": sorted(e["path"] for e in result.pdfs),
        "site_bytes": site_bytes,
        "seconds": round(seconds, 2),
        "unchanged": result.unchanged,
        "warnings": result.warnings,
    }
    if settings.json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
    elif not settings.quiet:
        for warning in result.warnings:
            echo(f"warning: {warning}", err=True)
        verb = "kept (no input changed)" if result.unchanged else "built"
        out = Path(settings.out)
        echo(
            f"{verb} {len(result.document_slugs)} document(s), {len(result.pdfs)} PDF(s) into {out} "
            f"in {seconds:.1f} s (site {site_bytes / 1e6:.1f} MB)",
            f"  site:     {out / 'site' / 'index.html'}",
            *([f"  PDFs:     {out / 'pdf'}/<model>/<audience>.pdf"] if result.pdfs else []),
            f"  manifest: {out / 'manifest.json'}",
        )


def _with_progress(options: BuildOptions) -> BuildResult:
    """Run the build telling a person how it goes on stderr: a live line on a terminal; in a log (CI), one plain
    line per stage and per document, with the time since the build started."""
    from rich.console import Console

    from compiler.build import build

    console = Console(stderr=True)
    if not console.is_terminal:
        return build(options, progress=_log_line(time.monotonic()))
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("building", total=None)

        def step(stage: str, doc: Document | None) -> None:
            bar.update(task, description=f"{stage}: {doc.slug}" if doc else stage)

        result = build(options, progress=step)
        bar.update(task, description="done")
    return result


_STAGE_LINES = {
    "validate": "reading and validating the sources",
    "resolve": "applying the facts locks",
    "render": "rendering documents",
    "pdf": "writing PDFs",
    "site": "building the site (MkDocs)",
    "exports": "writing exports and manifest.json",
}


def _log_line(started: float) -> Callable[[str, Document | None], None]:
    """A progress callback printing `[  12.3 s] stage: what` lines, flushed, for a CI log."""

    def tell(stage: str, doc: Document | None) -> None:
        what = f"{stage}: {doc.slug}" if doc else _STAGE_LINES.get(stage, stage)
        echo(f"[{time.monotonic() - started:7.1f} s] {what}", err=True)
        sys.stderr.flush()

    return tell
