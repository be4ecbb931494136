"""Schema: facts not known yet — a version that reads "TODO: …", a model with no release date — validate, print as
what they are ("not released"), keep builds reproducible, and are reported by `check` where they are required."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from helpers.pdf_documents import audience, clinician_markdown, meta
from helpers.project import REPO, minimal_source, write_tree
from pydantic import TypeAdapter, ValidationError

from compiler.publish.pdf import UNRELEASED_DAY, document_date, write_pdfs
from compiler.render.document import Document
from compiler.render.formats import NOT_RELEASED, format_date
from compiler.schema import Source, json_schema
from compiler.schema.base import Version, is_pending

VERSION = TypeAdapter(Version)


def unreleased(model_id: str = "demo", **model: Any) -> dict[str, Any]:
    data = minimal_source(model_id)
    del data["model"]["release_date"]
    data["model"].update(model)
    return data


def project_with(project: Path, data: dict[str, Any]) -> Path:
    return write_tree(project, {f"content/{data['model']['id']}/model.yaml": data})


# --- model.version: "TODO: …" -----------------------------------------------------------------------------


def test_version_takes_a_todo_placeholder_and_nothing_else_that_is_not_a_version() -> None:
    assert (
        VERSION.validate_python("TODO: version (not in the imported card)")
        == "TODO: version (not in the imported card)"
    )
    assert VERSION.validate_python("TODO") == "TODO"
    assert is_pending("TODO: version") and not is_pending("2.1.0") and not is_pending(None)
    for wrong in ("TODOS", "todo: version", "next one", "version TODO"):
        with pytest.raises(ValidationError, match='or "TODO: …" while it is not known'):
            VERSION.validate_python(wrong)


def test_the_json_schema_says_a_version_may_be_pending() -> None:
    version = json_schema()["$defs"]["ModelInfo"]["properties"]["version"]
    assert {"type": "string", "pattern": r"^TODO\b.*$"} in version["anyOf"]


# --- model.release_date: optional, required once released ---------------------------------------------------


def test_a_draft_without_a_release_date_validates(project: Path, cli: Callable[..., Any]) -> None:
    project_with(project, unreleased(status="draft"))
    result = cli("validate")
    assert result.exit_code == 0, result.output
    assert Source.model_validate(unreleased(status="in-review")).model.release_date is None


@pytest.mark.parametrize("status", ["released", "retired", None])
def test_a_released_model_without_a_release_date_is_an_error_naming_the_field(
    project: Path, cli: Callable[..., Any], status: str | None
) -> None:
    data = unreleased()
    if status is None:
        del data["model"]["status"]  # the default is released
    else:
        data["model"]["status"] = status
    project_with(project, data)
    result = cli("validate")
    assert result.exit_code == 2
    assert f"model.release_date: a model whose status is {status or 'released'} needs its release date" in result.output
    assert "set model.status (released by default) to draft or in-review" in result.output


def test_a_negative_standard_deviation_is_an_error(project: Path, cli: Callable[..., Any]) -> None:
    data = minimal_source()
    data["evaluation"]["results"] = [{"metric": data["evaluation"]["metrics"][0]["id"], "value": 0.9, "sd": -0.1}]
    project_with(project, data)
    result = cli("validate")
    assert result.exit_code == 2
    assert "evaluation.results[0].sd: sd -0.1 is negative" in result.output


def test_check_reports_a_missing_release_date_where_a_framework_requires_it(
    project: Path, cli: Callable[..., Any]
) -> None:
    project_with(project, unreleased(status="draft"))
    (project / "audiences").symlink_to(REPO / "audiences")
    result = cli("check")
    lines = [line for line in result.output.splitlines() if "MC-1.2" in line]
    assert lines and "model.release_date" in lines[0], result.output


# --- what documents print -----------------------------------------------------------------------------------


def test_the_date_filter_prints_not_released_for_an_absent_date() -> None:
    assert format_date(None) == NOT_RELEASED == "not released"
    assert format_date(UNRELEASED_DAY, "long") == "1 January 1980"


def test_a_model_without_a_release_date_builds_and_says_not_released(project: Path, cli: Callable[..., Any]) -> None:
    project_with(project, unreleased(status="draft"))
    (project / "audiences").symlink_to(REPO / "audiences")
    (project / "mkdocs.yml").symlink_to(REPO / "mkdocs.yml")
    result = cli("build", "--no-pdf", "-q")
    assert result.exit_code == 0, result.output
    out = project / "build"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [m["release_date"] for m in manifest["models"]] == [None]
    pages = {
        p.relative_to(out / "site").as_posix(): p.read_text(encoding="utf-8") for p in (out / "site").rglob("*.html")
    }
    technical = next(text for name, text in pages.items() if name.startswith("demo/technical"))
    assert "not released" in technical
    assert "1970-01-01" not in technical and "1980-01-01" not in technical
    gzipped = (out / "site" / "sitemap.xml.gz").read_bytes()
    assert int.from_bytes(gzipped[4:8], "little") == 315532800  # its header is dated by the fixed day, not the clock


def test_a_pdf_without_a_release_date_is_dated_by_the_fixed_day_and_reproducible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert document_date(None).date() == UNRELEASED_DAY
    doc = Document(
        "demo",
        audience("clinician", profile="accessible"),
        meta("clinician", release_date=None),
        clinician_markdown(),
        {},
    )
    hashes = []
    for run in ("one", "two"):
        entry = write_pdfs(
            [doc],
            tmp_path / run / "pdf",
            jobs=1,
            profile=None,
            asset_root=tmp_path / run / "a",
            cache_dir=tmp_path / run / "c",
        )[0]
        hashes.append(entry["sha256"])
        with pikepdf.open(tmp_path / run / entry["path"]) as pdf:
            assert str(pdf.docinfo.CreationDate) == "D:19800101000000Z"
    assert hashes[0] == hashes[1]
