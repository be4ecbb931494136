"""Publish stage (PDF): profiles, layout, outline, fonts, reproducibility and the checks a submissions team runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pypdf
import pytest
from helpers.pdf_documents import (
    CLINICIAN_METRICS,
    MODEL,
    ROC_SVG,
    clinician_markdown,
    document,
    headings,
    regulatory_markdown,
)

from compiler.config.profiles import load_profile, profile_names
from compiler.errors import ConfigError, RenderError
from compiler.publish.pdf import write_pdfs

pytestmark = pytest.mark.slow

ATTACHED = {MODEL: {"model.yaml": b"model:\n  name: Chest X-ray triage\n", "manifest.json": b'{"outputs": []}\n'}}


def _render(out: Path, cache: Path, **kwargs: Any) -> dict[str, dict[str, Any]]:
    docs = [
        document("regulatory", regulatory_markdown(), assets={"plots/roc.svg": ROC_SVG}, profile="fda-ectd"),
        document("technical", regulatory_markdown(3), assets={"plots/roc.svg": ROC_SVG}, profile="eu-archival"),
        document("clinician", clinician_markdown(), profile="accessible", max_pages=2, compact_header=True),
    ]
    entries = write_pdfs(
        docs,
        out / "pdf",
        jobs=2,
        profile=None,
        asset_root=out / "assets",
        cache_dir=cache,
        attachments=ATTACHED,
        **kwargs,
    )
    return {e["audience"]: e for e in entries}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    out = tmp_path_factory.mktemp("build")
    return out, _render(out, tmp_path_factory.mktemp("cache"))


def _pdf(built: tuple[Path, dict[str, dict[str, Any]]], audience: str) -> Path:
    out, entries = built
    return out / entries[audience]["path"]


def _outline_titles(reader: pypdf.PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    return titles


def test_manifest_entries_describe_the_files(built: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    import hashlib

    out, entries = built
    assert sorted(entries) == ["clinician", "regulatory", "technical"]
    for audience, entry in entries.items():
        data = (out / entry["path"]).read_bytes()
        assert entry["path"] == f"pdf/{MODEL}/{audience}.pdf"
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data)
        assert entry["pages"] == len(pypdf.PdfReader(out / entry["path"]).pages)
        assert entry["model"] == MODEL
    assert [entries[a]["profile"] for a in ("regulatory", "technical", "clinician")] == [
        "fda-ectd",
        "eu-archival",
        "accessible",
    ]


@pytest.mark.parametrize("audience", ["regulatory", "technical", "clinician"])
def test_outline_mirrors_the_headings(built: tuple[Path, dict[str, dict[str, Any]]], audience: str) -> None:
    markdown = {
        "regulatory": regulatory_markdown(),
        "technical": regulatory_markdown(3),
        "clinician": clinician_markdown(),
    }
    titles = _outline_titles(pypdf.PdfReader(_pdf(built, audience)))
    assert titles and titles == headings(markdown[audience], depth=4)


@pytest.mark.parametrize(
    ("audience", "size"), [("regulatory", (612, 792)), ("technical", (595, 842)), ("clinician", (595, 842))]
)
def test_page_size_follows_the_profile(
    built: tuple[Path, dict[str, dict[str, Any]]], audience: str, size: tuple[int, int]
) -> None:
    for page in pypdf.PdfReader(_pdf(built, audience)).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == size


@pytest.mark.parametrize("audience", ["regulatory", "technical", "clinician"])
def test_every_font_is_embedded(built: tuple[Path, dict[str, dict[str, Any]]], audience: str) -> None:
    listing = subprocess.run(
        ["pdffonts", str(_pdf(built, audience))], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    assert rows
    for row in rows:
        emb, sub = row[-5], row[-4]
        assert emb == "yes", row
        if audience == "regulatory":  # fda-ectd embeds whole fonts, not subsets
            assert sub == "no", row


def test_fda_ectd_profile(built: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    path = _pdf(built, "regulatory")
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version == "1.7"
        assert not pdf.is_encrypted
        assert pdf.Root.PageMode == "/UseOutlines"
        assert "/Names" not in pdf.Root or "/EmbeddedFiles" not in pdf.Root.Names
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                assert "/JavaScript" not in obj and "/JS" not in obj
                assert obj.get("/S") != "/JavaScript"
        info = pdf.docinfo
        assert str(info.Title) == "Regulatory document — Chest X-ray triage"
        assert str(info.Author) == "Radiology AI group"
        assert str(info.Keywords) == "chest x-ray, triage"
        assert str(info.CreationDate) == "D:20250314000000Z"
    # Text never starts left of 0.75 in (54 pt), nor closer than 0.375 in (27 pt) to another edge.
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    xs = [(float(a), float(b)) for a, b in re.findall(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', bbox)]
    assert xs and min(x for x, _ in xs) >= 54 and max(x for _, x in xs) <= 612 - 27


def test_fda_ectd_links_are_blue_and_the_toc_links_to_pages(built: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    reader = pypdf.PdfReader(_pdf(built, "regulatory"))
    toc_page = reader.pages[1]
    assert "Contents" in toc_page.extract_text()
    links = [a.get_object() for a in toc_page.get("/Annots", []) if a.get_object().get("/Subtype") == "/Link"]
    targets = {str(link["/Dest"]) for link in links}
    assert len(targets) == len(headings(regulatory_markdown(), depth=3))
    assert "1-annex-iv-section-1" in targets
    content = toc_page.get_contents().get_data().decode("latin-1")
    assert "0 0.2 0.8 rg" in content  # #0033cc: links are blue, body text black
    assert "0 0 0 rg" in content


def test_eu_archival_is_pdfa3b_with_sources_attached(built: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    with pikepdf.open(_pdf(built, "technical")) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "3B"
        files = pdf.attachments
        assert sorted(files) == ["manifest.json", "model.yaml"]
        assert files["model.yaml"].get_file().read_bytes() == ATTACHED[MODEL]["model.yaml"]
        relationships = {str(spec.filename): str(spec.obj.AFRelationship) for spec in files.values()}
        assert relationships == {"manifest.json": "/Supplement", "model.yaml": "/Source"}
        assert len(pdf.Root.AF) == 2


def test_accessible_output_passes_pdfua(built: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    path = _pdf(built, "clinician")
    result = subprocess.run(["pdfua", "check", "--format", "json", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    with pikepdf.open(path) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True


def test_every_image_has_alt_text_in_the_tagged_pdf(tmp_path: Path) -> None:
    doc = document("clinician", regulatory_markdown(1), assets={"plots/roc.svg": ROC_SVG}, profile="accessible")
    entry = write_pdfs(
        [doc], tmp_path / "pdf", jobs=1, profile=None, asset_root=tmp_path / "assets", cache_dir=tmp_path / "c"
    )[0]
    figures: list[str] = []
    with pikepdf.open(tmp_path / entry["path"]) as pdf:

        def walk(node: Any) -> None:
            if isinstance(node, pikepdf.Array):
                for child in node:
                    walk(child)
            elif isinstance(node, pikepdf.Dictionary):
                if node.get("/S") == "/Figure":
                    figures.append(str(node.get("/Alt", "")))
                if "/K" in node:
                    walk(node.K)

        walk(pdf.Root.StructTreeRoot)
    assert sorted(figures) == [
        "Flowchart diagram showing: score ≥ 0.42, Chest X-ray, Triage model, Priority worklist, Routine worklist",
        "ROC curve of the internal test set",
    ]


def test_clinician_pdf_says_what_the_page_says(built: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    entries = built[1]
    assert entries["clinician"]["pages"] <= 2 and "warnings" not in entries["clinician"]
    text = " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(_pdf(built, "clinician")).pages).split())
    for metric in CLINICIAN_METRICS:
        assert metric in text
    assert "DC-CXR-CLINICIAN-2.1.0" in text and "Page 1 of" in text


def test_two_builds_give_identical_bytes(built: tuple[Path, dict[str, dict[str, Any]]], tmp_path: Path) -> None:
    again = _render(tmp_path / "elsewhere", tmp_path / "other-cache")
    for audience, entry in built[1].items():
        assert again[audience]["sha256"] == entry["sha256"], audience


def test_source_date_epoch_from_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    doc = document("clinician", clinician_markdown(), profile="accessible")
    entry = write_pdfs(
        [doc], tmp_path / "pdf", jobs=1, profile=None, asset_root=tmp_path / "a", cache_dir=tmp_path / "c"
    )[0]
    with pikepdf.open(tmp_path / entry["path"]) as pdf:
        assert str(pdf.docinfo.CreationDate) == "D:20231114221320Z"


def test_too_many_pages_is_a_warning(tmp_path: Path) -> None:
    doc = document(
        "leadership", regulatory_markdown(2), assets={"plots/roc.svg": ROC_SVG}, max_pages=1, compact_header=True
    )
    entry = write_pdfs(
        [doc], tmp_path / "pdf", jobs=1, profile="fda-ectd", asset_root=tmp_path / "a", cache_dir=tmp_path / "c"
    )[0]
    assert entry["warnings"] == [f"{MODEL}/leadership: the PDF has {entry['pages']} pages; the audience allows 1"]


def test_profile_override_and_site_only_audiences(tmp_path: Path) -> None:
    pdf_doc = document("clinician", clinician_markdown(), profile="accessible")
    site_only = document("technical", clinician_markdown())
    site_only = type(site_only)(
        site_only.model_id,
        type(site_only.audience)(
            "technical",
            site_only.audience.folder,
            site_only.audience.config.model_copy(update={"outputs": ["site"]}),
            site_only.audience.search_path,
        ),
        site_only.meta,
        site_only.markdown,
    )
    entries = write_pdfs(
        [pdf_doc, site_only],
        tmp_path / "pdf",
        jobs=2,
        profile="fda-ectd",
        asset_root=tmp_path / "a",
        cache_dir=tmp_path / "c",
    )
    assert [(e["audience"], e["profile"]) for e in entries] == [("clinician", "fda-ectd")]
    page = pypdf.PdfReader(tmp_path / entries[0]["path"]).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)


def test_invalid_mermaid_names_model_audience_and_section(tmp_path: Path) -> None:
    body = "# Summary\n\n## System architecture\n\n```mermaid\nflowchart LR\n  A[Input --> B\n```\n"
    doc = document("technical", body, profile="fda-ectd")
    with pytest.raises(RenderError) as caught:
        write_pdfs([doc], tmp_path / "pdf", jobs=1, profile=None, asset_root=tmp_path / "a", cache_dir=tmp_path / "c")
    message = str(caught.value)
    assert message.startswith(
        "chest-xray-triage: technical document, diagram 1 in section 'System architecture': "
        "invalid Mermaid diagram ('flowchart LR'): Error: Parse error on line "
    )
    assert message.endswith("(hint: check the diagram at https://mermaid.live or see the Mermaid syntax reference)")
    assert not (tmp_path / "pdf" / MODEL / "technical.pdf").exists()


def test_time_limit_stops_a_document(tmp_path: Path) -> None:
    rows = "\n".join(f"| {i} | {'long cell text ' * 8} |" for i in range(6000))
    doc = document("technical", f"# Big\n\n| n | text |\n|---|---|\n{rows}\n", profile="fda-ectd")
    with pytest.raises(RenderError) as caught:
        write_pdfs(
            [doc],
            tmp_path / "pdf",
            jobs=1,
            profile=None,
            asset_root=tmp_path / "a",
            cache_dir=tmp_path / "c",
            time_limit=1,
        )
    assert str(caught.value) == (
        "pdf/chest-xray-triage/technical.pdf: model 'chest-xray-triage', audience 'technical': "
        "rendering took longer than 1 s and was stopped"
    )


def test_profiles_are_data() -> None:
    assert profile_names() == ["accessible", "eu-archival", "fda-ectd"]
    fda = load_profile("fda-ectd")
    assert (fda.page_size, fda.full_fonts, fda.variant, fda.margins.left) == ("letter", True, None, "1in")
    assert load_profile("eu-archival").variant == "pdf/a-3b"
    assert load_profile("accessible").is_tagged


def test_unknown_profile_suggests_the_closest(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile("fda-etcd")
    assert str(caught.value).endswith("no PDF profile 'fda-etcd' (hint: did you mean 'fda-ectd'?)")


def test_a_profile_breaking_its_own_margin_floor_is_refused(tmp_path: Path) -> None:
    (tmp_path / "narrow.yaml").write_text(
        "title: Narrow\npage_size: letter\nmargins: {top: 1in, right: 1in, bottom: 1in, left: 0.5in}\n"
        "min_margins: {top: 0.375in, right: 0.375in, bottom: 0.375in, left: 0.75in}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_profile("narrow", tmp_path)
    assert "margins.left 0.5in is below min_margins.left 0.75in" in str(caught.value)
