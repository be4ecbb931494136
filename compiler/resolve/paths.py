"""Resolve stage: evidence files stay inside the model's folder (sources are untrusted)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from compiler.resolve.refs import FactError


def inside(folder: Path, relative: str, what: str = "file") -> Path:
    """The path of `relative` under `folder`; refuse absolute paths, '..' and symlinks that lead out."""
    pure = PurePosixPath(relative.replace("\\", "/"))
    if pure.is_absolute() or relative.startswith("~") or (pure.parts and ":" in pure.parts[0]):
        raise FactError(
            f"{what} path '{relative}' is absolute",
            "evidence must live inside the model's folder; write the path relative to it",
        )
    if ".." in pure.parts:
        raise FactError(
            f"{what} path '{relative}' leaves the model's folder ('..')", "move the file into the model's folder"
        )
    base = folder.resolve()
    target = (base / Path(*pure.parts)).resolve()
    try:
        target.relative_to(base)
    except ValueError:
        raise FactError(
            f"{what} path '{relative}' leads outside the model's folder (through a symbolic link)",
            "copy the file into the model's folder instead of linking it",
        ) from None
    return target


def existing_file(folder: Path, relative: str, what: str = "file") -> Path:
    """Like `inside`, and the file must exist."""
    target = inside(folder, relative, what)
    if not target.is_file():
        raise FactError(
            f"{what} '{relative}' not found in the model's folder",
            "check the path; it is relative to the model's folder",
        )
    return target
