"""Publish stage (PDF): the only way WeasyPrint reads anything — `data:` URIs and files inside allowed roots.

Everything else is refused before any I/O happens: http(s), ftp, `file:` paths outside the roots
(after resolving symlinks and `..`), and therefore redirects, which only network schemes have.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from compiler.load.limits import image_refusal

REFUSED = "refused by the PDF renderer (only data: URIs and files inside the project are read)"


class RefusedURL(ValueError):
    """A URL the renderer will not read."""


def _fetcher_base() -> type:
    from weasyprint.urls import URLFetcher

    return URLFetcher


def make_url_fetcher(roots: Iterable[Path]) -> Any:
    """A WeasyPrint URL fetcher confined to `roots` (folders); every refusal is recorded in `.refused`."""
    allowed = tuple(sorted({Path(r).resolve() for r in roots}))
    base = _fetcher_base()

    class ConfinedFetcher(base):  # type: ignore[valid-type,misc]
        def __init__(self) -> None:
            super().__init__(timeout=1, allow_redirects=False, allowed_protocols=("data", "file"))
            self.roots = allowed
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            try:
                return _serve(url, self.roots)
            except RefusedURL:
                self.refused.append(url)
                raise

    return ConfinedFetcher()


def _serve(url: str, roots: tuple[Path, ...]) -> Any:
    from weasyprint.urls import URLFetcherResponse

    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        body, mime = _decode_data_uri(url)
        too_big = image_refusal(body, mime)
        if too_big:
            raise RefusedURL(f"data: URI ({mime}): too large to render: {too_big}")
        return URLFetcherResponse(url, body, {"Content-Type": mime})
    if scheme != "file":
        raise RefusedURL(f"{url}: {REFUSED}")
    path = resolve_file_url(url, roots)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    body = path.read_bytes()
    too_big = image_refusal(body, mime)
    if too_big:  # a decompression bomb or a huge file would make the renderer run out of memory
        raise RefusedURL(f"{url}: too large to render: {too_big}")
    return URLFetcherResponse(path.as_uri(), body, {"Content-Type": mime})


def resolve_file_url(url: str, roots: tuple[Path, ...]) -> Path:
    """The file a `file:` URL names, if it is a regular file inside one of the roots; else RefusedURL."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise RefusedURL(f"{url}: {REFUSED}")
    path = Path(unquote(parts.path)).resolve()
    if not any(path.is_relative_to(root) for root in roots) or not path.is_file():
        raise RefusedURL(f"{url}: {REFUSED}")
    return path


def _decode_data_uri(url: str) -> tuple[bytes, str]:
    header, _, payload = url[5:].partition(",")
    params = header.split(";")
    mime = params[0] or "text/plain"
    if "base64" in params[1:]:
        return base64.b64decode(payload), mime
    return unquote_to_bytes(payload), mime
