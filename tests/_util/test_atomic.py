"""Shared helper atomic_write: readers see the old file or the new one, never half of either."""

from __future__ import annotations

import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.project import REPO

from compiler._util import atomic
from compiler._util.atomic import atomic_write


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_text_is_utf8_with_newlines_as_given_and_parents_are_made(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "page.md"
    atomic_write(target, "é\r\nline\n")
    assert target.read_bytes() == "é\r\nline\n".encode()
    atomic_write(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert _leftovers(target.parent) == []


def test_a_failed_replace_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "manifest.json"
    target.write_text("old", encoding="utf-8")

    def refuse(src: str, dst: Path) -> None:
        assert Path(src).read_bytes() == b"new, complete"  # the whole body was written before the rename
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new, complete")
    assert target.read_text(encoding="utf-8") == "old"
    assert _leftovers(tmp_path) == []


def test_an_interrupt_while_writing_removes_the_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "site.html"

    def interrupted(path: str, mode: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "chmod", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, "x")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_the_mode_follows_the_umask_not_mkstemps_0600(tmp_path: Path, umask: int, mode: int) -> None:
    # The umask is read once at import, so each case runs in a fresh interpreter started with it.
    target = tmp_path / "out.pdf"
    code = "import sys; from pathlib import Path; from compiler._util.atomic import atomic_write; atomic_write(Path(sys.argv[1]), 'x')"
    subprocess.run([sys.executable, "-c", code, str(target)], check=True, umask=umask, cwd=REPO)
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_concurrent_writers_never_show_a_reader_a_mixed_file(tmp_path: Path) -> None:
    # Parallel build workers may write the same file; each writer needs its own temporary file.
    target = tmp_path / "shared.bin"
    bodies = [bytes([n]) * 1_000_000 for n in range(4)]
    atomic_write(target, bodies[0])
    done = threading.Event()
    bad_reads: list[int] = []

    def read() -> None:
        while not done.is_set():
            data = target.read_bytes()
            if data not in bodies:
                bad_reads.append(len(data))

    def write(body: bytes) -> None:
        for _ in range(5):
            atomic_write(target, body)

    with ThreadPoolExecutor(max_workers=len(bodies) + 1) as pool:
        reader = pool.submit(read)
        writers = [pool.submit(write, body) for body in bodies]
        try:
            for writer in writers:
                writer.result()  # a writer that lost its temporary file to another raises here
        finally:
            done.set()
        reader.result()
    assert bad_reads == []
    assert target.read_bytes() in bodies
    assert _leftovers(tmp_path) == []
