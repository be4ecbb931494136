"""Publish stage (PDF) through `docs-compile build`: the example's PDFs, and the clinician PDF agrees with its page."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from click.testing import Result

pytestmark = pytest.mark.slow

MODEL = "chest-xray-triage"
# "0.918 (95% CI 0.880–0.945)": a metric value with its confidence interval.
METRIC = re.compile(r"\d\.\d{3} \(95% CI \d\.\d{3}–\d\.\d{3}\)")


def _text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(path).pages).split())


def test_build_writes_the_pdfs_and_the_clinician_pdf_matches_its_page(
    copy_examples: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    project = copy_examples(MODEL)
    result = cli("build", "--out", "out", "--model", MODEL, "--audience", "clinician", "--audience", "regulatory")
    assert result.exit_code == 0, result.output
    clinician = project / "out" / "pdf" / MODEL / "clinician.pdf"
    regulatory = project / "out" / "pdf" / MODEL / "regulatory.pdf"
    assert len(pypdf.PdfReader(clinician).pages) <= 2
    reader = pypdf.PdfReader(regulatory)
    assert reader.outline and reader.pdf_header == "%PDF-1.7"

    page = html.unescape(
        re.sub(r"<[^>]+>", " ", (project / "out" / "site" / MODEL / "clinician" / "index.html").read_text())
    )
    on_page = set(METRIC.findall(" ".join(page.split())))
    in_pdf = set(METRIC.findall(_text(clinician)))
    assert on_page and in_pdf == on_page
