"""Publish stage (PDF): the renderer reads only data: URIs and files inside the project, never the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from helpers.network import accepted_connections, local_listener
from helpers.pdf_documents import MODEL, document

from compiler.publish.fetcher import RefusedURL, make_url_fetcher, resolve_file_url
from compiler.publish.pdf import write_pdfs


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP listener that records whether anything connected to it."""
    with local_listener(8) as server:
        yield server


def test_hostile_markdown_fetches_nothing_and_embeds_nothing(tmp_path: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    body = f"""# Intended use

![x](file:///etc/passwd)

![y](http://127.0.0.1:{port}/x.png)

<img src="http://127.0.0.1:{port}/raw.png"> <img src="file://{secret}"> <img src="../../../../secret.txt">

<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css"><style>@import url("http://127.0.0.1:{port}/i.css");</style>

[a link is fine](http://127.0.0.1:{port}/page)
"""
    doc = document("clinician", body, profile="fda-ectd")
    entry = write_pdfs([doc], tmp_path / "out" / "pdf", jobs=1, profile=None, asset_root=tmp_path / "out" / "assets")[0]
    assert accepted_connections(listener) == 0
    data = (tmp_path / "out" / entry["path"]).read_bytes()
    with pikepdf.open(tmp_path / "out" / entry["path"]) as pdf:
        streams = b"".join(o.read_bytes() for o in pdf.objects if isinstance(o, pikepdf.Stream))
    for needle in (b"root:x:0:0", b"TOP-SECRET-CONTENT"):
        assert needle not in data and needle not in streams
    # The relative path climbed out of the document's asset folder: refused and reported.
    assert any("secret.txt" in w for w in entry.get("warnings", []))


def test_fetcher_serves_data_uris_and_files_inside_roots(tmp_path: Path) -> None:
    inside = tmp_path / "root" / "plot.svg"
    inside.parent.mkdir()
    inside.write_bytes(b"<svg/>")
    fetcher = make_url_fetcher([tmp_path / "root"])
    assert fetcher(inside.as_uri()).read() == b"<svg/>"
    assert fetcher("data:text/plain;base64,aGk=").read() == b"hi"
    assert fetcher("data:,a%20b").read() == b"a b"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.org/font.woff",
        "ftp://example.org/x",
        "file:///etc/passwd",
        "file://otherhost/share/x.png",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_everything_else(tmp_path: Path, url: str) -> None:
    fetcher = make_url_fetcher([tmp_path])
    with pytest.raises(RefusedURL, match="refused by the PDF renderer"):
        fetcher(url)
    assert fetcher.refused == [url]


def test_fetcher_refuses_escapes_by_dot_dot_and_symlink(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("x", encoding="utf-8")
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    for url in (f"file://{root}/../outside.txt", (root / "link.txt").as_uri(), root.as_uri()):
        with pytest.raises(RefusedURL):
            resolve_file_url(url, (root.resolve(),))


def test_asset_paths_cannot_leave_the_document_folder(tmp_path: Path) -> None:
    from compiler.errors import RenderError

    doc = document("clinician", "# x\n", assets={"../../escape.svg": b"<svg/>"}, profile="fda-ectd")
    with pytest.raises(RenderError) as caught:
        write_pdfs([doc], tmp_path / "pdf", jobs=1, profile=None, asset_root=tmp_path / "a", cache_dir=tmp_path / "c")
    assert str(caught.value) == (
        f"pdf/{MODEL}/clinician.pdf: model '{MODEL}', audience 'clinician': "
        "asset path '../../escape.svg' must be relative and stay inside the document"
    )
    assert not (tmp_path / "escape.svg").exists()
