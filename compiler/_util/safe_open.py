"""Shared helper: read a file of an untrusted folder without following a link out of that folder.

Audience folders may come from another team or a vendor. A template or style sheet there that is a
symbolic link to `/etc/passwd` (or whose folder is one) would put that file into a page, a PDF and
the search index. Every such read resolves the path first, checks that the real file lies inside
one of the allowed roots and is a regular file, and only then opens it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from compiler._util.paths import display_path
from compiler.errors import ConfigError

_HINT = "put the file itself in the folder: files are never read through a link that leads outside it"


def _shown(path: Path) -> str:
    # display_path resolves, which would name the link's target instead of the link.
    absolute, cwd = Path(os.path.abspath(path)), Path.cwd()
    return str(absolute.relative_to(cwd)) if absolute.is_relative_to(cwd) else str(path)


def contained(path: Path, roots: Iterable[Path], *, hint: str = _HINT) -> Path:
    """The real path of `path` when it lies inside one of `roots` (their real paths too); else ConfigError."""
    real = Path(os.path.realpath(path))
    homes = [Path(os.path.realpath(root)) for root in roots]
    if not any(real.is_relative_to(home) for home in homes):
        where = ", ".join(display_path(home) for home in homes)
        raise ConfigError.at(_shown(path), f"links to {real}, outside {where}", hint=hint)
    return real


def read_bytes(path: Path, roots: Iterable[Path]) -> bytes:
    """The bytes of a regular file that lies inside one of `roots` once every link is resolved."""
    real = contained(path, roots)
    # O_NOFOLLOW: the checked path is opened, not a link put in its place since; O_NONBLOCK: a FIFO
    # must not hang the build before fstat can tell it is not a regular file.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise ConfigError.at(_shown(path), f"cannot be read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ConfigError.at(_shown(path), "is not a regular file", hint=_HINT)
        return handle.read()


def read_text(path: Path, roots: Iterable[Path]) -> str:
    """The UTF-8 text of a regular file that lies inside one of `roots` once every link is resolved."""
    body = read_bytes(path, roots)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError.at(_shown(path), f"is not UTF-8 text (byte {exc.start})") from None
