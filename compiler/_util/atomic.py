"""Shared helper: the one way to write a file so that no reader ever sees half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)  # read once at import: mkstemp's files are 0600, written files get the usual mode


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` through a temporary file beside it, then a rename.

    Text is written as UTF-8 with newlines as given. The temporary file is unique per writer, so
    concurrent writers (parallel build workers) never share one, and it is removed when writing fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    body = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
