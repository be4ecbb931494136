"""Publish stage (PDF): a failure WeasyPrint or pikepdf has on a document is a problem that names the document;
an error raised in our own code is a bug and propagates with its traceback."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from helpers.pdf_documents import MODEL, document

from compiler.config.profiles import PROFILES_DIR, PdfProfile, load_profile
from compiler.errors import Location, Problem
from compiler.publish.pdf import PdfTask, document_date, render_task, renderer_failed, write_pdfs
from compiler.publish.print_layout import FONTS_DIR, PRINT_DIR
from compiler.render.document import Document

NOT_BYTES = {"plots/roc.svg": "<svg/>"}  # assets are bytes; text is a caller's bug
RELATIVE = f"pdf/{MODEL}/technical.pdf"


def _task(tmp_path: Path, doc: Document, profile: PdfProfile) -> PdfTask:
    asset_dir = tmp_path / "assets"
    return PdfTask(
        document=doc,
        out_path=tmp_path / RELATIVE,
        relative=RELATIVE,
        profile=profile,
        asset_dir=asset_dir,
        cache_dir=tmp_path / "cache",
        roots=(asset_dir, *doc.audience.search_path, PRINT_DIR, FONTS_DIR, PROFILES_DIR),
    )


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    # render_task sets SOURCE_DATE_EPOCH when it is unset; keep that out of the other tests.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1741910400")


def _raised(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("nothing was raised")


def test_who_failed_is_told_by_the_raising_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint import HTML

    monkeypatch.delenv("SOURCE_DATE_EPOCH")

    assert renderer_failed(_raised(lambda: HTML(string="<p>x</p>").render(pdf_variant="pdf/x-9")))
    assert renderer_failed(_raised(lambda: pikepdf.open(io.BytesIO(b"%PDF-1.7 damaged"))))
    assert not renderer_failed(_raised(lambda: document_date("2025-03-14")))  # type: ignore[arg-type]
    assert not renderer_failed(_raised(lambda: int("raised in the caller, not in a renderer")))


def test_weasyprint_failing_on_a_document_is_a_problem_naming_it(tmp_path: Path) -> None:
    # A variant WeasyPrint does not know (profiles refuse it when loaded; made here to fail inside WeasyPrint).
    profile = load_profile("fda-ectd").model_copy(update={"variant": "pdf/x-9"})
    outcome = render_task(_task(tmp_path, document("technical", "# Title\n\nText."), profile))
    assert outcome.problems == [
        Problem(
            Location(RELATIVE),
            f"model '{MODEL}', audience 'technical': PDF rendering failed: KeyError: 'pdf/x-9'",
        )
    ]
    assert not (tmp_path / RELATIVE).exists()


def test_a_bug_of_ours_is_raised_not_blamed_on_the_document(tmp_path: Path) -> None:
    doc = document("technical", "# Title", assets=NOT_BYTES)
    with pytest.raises(TypeError, match="bytes-like object is required, not 'str'"):
        render_task(_task(tmp_path, doc, load_profile("fda-ectd")))


@pytest.mark.slow
def test_a_bug_of_ours_comes_back_from_the_worker(tmp_path: Path) -> None:
    doc = document("technical", "# Title", assets=NOT_BYTES)
    with pytest.raises(TypeError, match="bytes-like object is required, not 'str'"):
        write_pdfs([doc], tmp_path / "pdf", jobs=1, profile=None, asset_root=tmp_path / "a", cache_dir=tmp_path / "c")
