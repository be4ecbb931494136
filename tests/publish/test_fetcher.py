"""Publish stage (PDF) URL fetcher: size bounds on what it serves, and the file URL forms it accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.publish.fetcher import RefusedURL, make_url_fetcher


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "assets"
    folder.mkdir()
    (folder / "roc curve.svg").write_bytes(b"<svg/>")
    (folder / "big.bin").write_bytes(b"x" * 11)
    return folder


def test_file_urls_may_name_localhost_and_escape_characters(root: Path) -> None:
    fetcher = make_url_fetcher([root])
    assert fetcher((root / "roc curve.svg").as_uri()).read() == b"<svg/>"  # file:///…/roc%20curve.svg
    assert fetcher(f"file://localhost{root}/roc%20curve.svg").read() == b"<svg/>"
    assert fetcher.refused == []


def test_files_and_data_uris_over_the_byte_bound_are_refused_and_recorded(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCS_COMPILE_LIMIT_IMAGE_BYTES", "10")
    fetcher = make_url_fetcher([root])
    big = (root / "big.bin").as_uri()
    with pytest.raises(RefusedURL) as caught:
        fetcher(big)
    assert str(caught.value) == (
        f"{big}: too large to render: 11 bytes; the limit is 10 (or raise the limit with DOCS_COMPILE_LIMIT_IMAGE_BYTES)"
    )
    data = "data:image/png;base64," + "eHh4" * 4  # 12 bytes once decoded
    with pytest.raises(RefusedURL) as caught:
        fetcher(data)
    assert str(caught.value) == (
        "data: URI (image/png): too large to render: 12 bytes; the limit is 10 "
        "(or raise the limit with DOCS_COMPILE_LIMIT_IMAGE_BYTES)"
    )
    assert fetcher.refused == [big, data]
    assert fetcher("data:,0123456789").read() == b"0123456789"  # exactly at the bound
