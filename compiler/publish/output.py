"""Publish stage: the output folder, written beside `<out>` under a lock and swapped in whole.

Also which files make up a model's source: the ones hashed, listed in the manifest and embedded in archival PDFs.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from compiler._util.paths import display_path
from compiler.errors import BuildBusy, Location, Problem, UsageError
from compiler.publish.manifest import MANIFEST

_OWN_FOLDER = "build into a folder of its own, e.g. --out build"


def refuse_unsafe_out(out: Path, content: Path, *audiences: Path) -> None:
    """Refuse an --out that is, is inside or contains the content or an audiences folder, or is a git repository's root.

    Publishing replaces --out whole, so any of these would delete sources or templates; checked before
    anything is read or written.
    """
    target = Path(os.path.abspath(out)).resolve()
    if (target / ".git").exists():
        raise UsageError.at(
            display_path(target),
            "--out is the root of a git repository: a build replaces --out whole",
            hint=_OWN_FOLDER,
        )
    for name, folder in (("content", content), *(("audiences", a) for a in audiences)):
        kept = Path(os.path.abspath(folder)).resolve()
        if target == kept:
            relation = "is"
        elif target.is_relative_to(kept):
            relation = "is inside"
        elif kept.is_relative_to(target):
            relation = "contains"
        else:
            continue
        raise UsageError.at(
            display_path(target),
            f"--out {relation} the {name} folder ({display_path(kept)}): a build replaces --out whole",
            hint=_OWN_FOLDER,
        )
    _refuse_foreign(target)  # last: the messages above say more


def _refuse_foreign(target: Path) -> None:
    """A build replaces --out whole: refuse a file, or a folder that holds anything but a previous build's output
    (a previous build always wrote manifest.json at its top)."""
    if target.exists() and not target.is_dir():
        raise UsageError.at(display_path(target), "--out is a file, not a folder", hint=_OWN_FOLDER)
    if target.is_dir() and not (target / MANIFEST).is_file() and any(target.iterdir()):
        raise UsageError.at(
            display_path(target),
            f"--out holds files that are not a docs-compile build (no {MANIFEST}): a build replaces --out whole",
            hint="build into an empty or new folder, or remove this one if it is meant to be replaced",
        )


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """A fresh folder beside out, swapped in for out only if the block succeeds, removed otherwise.

    The whole publish step holds an exclusive lock on `<parent>/.<out>.lock`: a second build for the
    same folder fails at once with BuildBusy instead of mixing its files in. Under the lock, the
    leftovers of builds that were killed (`.<out>.tmp-*`, `.<out>.old-*`) are removed first. Temporary
    files of the block (tempfile) are created inside the staging folder, so a killed build leaves
    nothing behind that the next build does not clean.
    """
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(out):
        clean_leftovers(out)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}{TMP_TAG}", dir=out.parent))
        try:
            (stage / SCRATCH).mkdir()
            (stage / NEW).mkdir()
            with _temporary_files_in(stage / SCRATCH):
                yield stage / NEW
            (stage / NEW).chmod(0o755)
            _swap(stage / NEW, out)
        finally:
            shutil.rmtree(stage, ignore_errors=True)


TMP_TAG = ".tmp-"
OLD_TAG = ".old-"
LOCK_SUFFIX = ".lock"
NEW, SCRATCH = "new", "scratch"


@contextmanager
def output_lock(out: Path) -> Iterator[Path]:
    """Hold `.<out>.lock` beside out; BuildBusy if another process holds it. The OS frees it if we die.

    The lock file is removed on release, so a finished build leaves nothing beside out. Removing it
    is safe because a process that locked a file no longer at that path tries again with a new one.
    """
    lock = out.parent / f".{out.name}{LOCK_SUFFIX}"
    handle = _acquire(lock, out)
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)  # while still held: no one can have locked this file meanwhile
        handle.close()  # closing releases the lock


def _acquire(lock: Path, out: Path) -> IO[str]:
    import fcntl

    while True:
        handle = lock.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise BuildBusy(
                [
                    Problem(
                        Location(display_path(out)),
                        "another build is running on this output folder",
                        hint=f"wait for it to finish, or build into another --out (lock: {display_path(lock)})",
                    )
                ]
            ) from None
        try:
            same = os.fstat(handle.fileno()).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return handle
        handle.close()  # the previous holder removed this file after we opened it: lock the new one


def clean_leftovers(out: Path) -> list[Path]:
    """Remove what killed builds left beside out; restore out from an `.old-*` folder if a swap was cut short.

    Call only while holding the output lock: then no live build owns any of these folders.
    """
    removed: list[Path] = []
    olds = sorted(out.parent.glob(f".{out.name}{OLD_TAG}*"))
    if not out.exists() and olds:
        olds[-1].rename(out)  # the fallback swap was killed between its two renames
        olds = olds[:-1]
    for path in [*sorted(out.parent.glob(f".{out.name}{TMP_TAG}*")), *olds]:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@contextmanager
def _temporary_files_in(folder: Path) -> Iterator[None]:
    # tempfile reads this global on every call; the build runs its stages in this one thread.
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = saved


def _swap(new: Path, out: Path) -> None:
    """Put new in out's place in one step where the OS allows it, so a reader never sees a mix or a gap."""
    if not out.exists():
        new.rename(out)
        return
    if _exchange(new, out):
        return  # new now holds the previous output and is removed with the staging folder
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}{OLD_TAG}", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        new.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two folders (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    # Non-zero on a file system without exchange support: the caller falls back to two renames.
    return bool(renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0)


def source_files(folder: Path) -> list[Path]:
    """Every file of a model's folder (YAML, evidence, schemas…), sorted; hidden files and caches left out.

    A symbolic link that leads outside the folder is left out too: these files are hashed, listed and
    embedded in archival PDFs, and a link to /etc/passwd must not carry that file into an output.
    """
    real = folder.resolve()
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith((".", "__pycache__")) for part in p.relative_to(folder).parts)
        and p.resolve().is_relative_to(real)
    )
