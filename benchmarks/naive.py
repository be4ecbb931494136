"""Benchmark baseline: the pipeline a team would script by hand for the same documents.

Write the same Markdown pages (docs-compile's render stage, one process, no cache), run `mkdocs build`
on them, then render each PDF with WeasyPrint one after another in this one process, from the same
print HTML. No cache, no workers, no post-processing (no pikepdf, no second layout for a table of
contents). Run: python benchmarks/naive.py PROJECT OUT [--no-pdf] [--audience NAME]...
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))  # after PYTHONPATH: a snapshot wins


def run(project: Path, out: Path, *, pdf: bool, audience_names: list[str]) -> int:
    """Build site (and PDFs) of the project into out; returns the number of PDFs written."""
    from compiler.build import render_input
    from compiler.config.audiences import load_audiences
    from compiler.load.reader import load_project
    from compiler.publish.site import SiteInput, _write_pages
    from compiler.publish.writer import source_date_epoch
    from compiler.render.incremental import render_all
    from compiler.validate.project import validate_project

    os.chdir(project)
    catalog = validate_project(load_project(Path("content")))
    every = load_audiences(Path("audiences"))
    chosen = load_audiences(Path("audiences"), audience_names or None)
    models = [render_input(m) for m in catalog.models]
    documents = render_all(models, chosen, every, None)
    if out.exists():
        shutil.rmtree(out)
    with source_date_epoch(models), tempfile.TemporaryDirectory(prefix="naive-") as tmp:
        docs = Path(tmp) / "docs"
        pdf_docs = [d for d in documents if "pdf" in d.audience.config.outputs] if pdf else []
        pdfs = {d.slug: out / "pdf" / d.model_id / f"{d.audience.name}.pdf" for d in pdf_docs}
        for doc in pdf_docs:  # the site links the PDFs, so they are written first (as placeholders here)
            pdfs[doc.slug].parent.mkdir(parents=True, exist_ok=True)
            pdfs[doc.slug].write_bytes(b"%PDF-1.7\n")
        site_docs = [d for d in documents if "site" in d.audience.config.outputs]
        nav = _write_pages(SiteInput(site_docs, models, chosen, pdfs), docs, None)  # no cache
        _mkdocs(project / "mkdocs.yml", docs, out / "site", nav)
        for doc in pdf_docs:
            _weasyprint(doc, pdfs[doc.slug], Path(tmp) / "assets" / doc.slug, Path(tmp) / "diagrams")
    return len(pdf_docs)


def _mkdocs(config_file: Path, docs: Path, site: Path, nav: list[object]) -> None:
    """`mkdocs build` with the project's mkdocs.yml on the generated pages (no sanitising plugin)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from compiler.render.markup import MARKDOWN_EXTENSIONS, extension_configs

    configs = extension_configs()
    extensions = [{name: configs[name]} if name in configs else name for name in MARKDOWN_EXTENSIONS]
    build(
        load_config(str(config_file), docs_dir=str(docs), site_dir=str(site), nav=nav, markdown_extensions=extensions)
    )


def _weasyprint(doc: object, target: Path, assets: Path, diagrams: Path) -> None:
    """One PDF: the document's print HTML straight through WeasyPrint."""
    from weasyprint import HTML

    from compiler.config.profiles import load_profile
    from compiler.publish.print_layout import build_html, prepare_body

    for name, body in doc.assets.items():  # type: ignore[attr-defined]
        (assets / name).parent.mkdir(parents=True, exist_ok=True)
        (assets / name).write_bytes(body)
    profile = load_profile(doc.audience.config.pdf.profile)  # type: ignore[attr-defined]
    body = prepare_body(doc, assets, diagrams, profile)  # type: ignore[arg-type]
    html = build_html(doc, profile, body, toc=bool(doc.audience.config.pdf.toc), dates="")  # type: ignore[arg-type,attr-defined]
    HTML(string=html, base_url=assets.as_uri() + "/").write_pdf(
        target, pdf_variant=profile.variant, pdf_version=profile.pdf_version, full_fonts=profile.full_fonts
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--audience", action="append", default=[])
    args = parser.parse_args()
    count = run(args.project.resolve(), args.out.resolve(), pdf=not args.no_pdf, audience_names=args.audience)
    print(f"naive pipeline: {count} PDF(s)")


if __name__ == "__main__":
    main()
