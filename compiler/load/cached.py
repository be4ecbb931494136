"""Load stage (cache): a model read once is taken from the build cache while the files it read are unchanged.

An entry per model folder holds what the last load of that folder read (each file by the path it was opened
by, where that path led, and the sha256 of its bytes) and the loaded model as JSON. It is used only when every
one of those files still leads to the same place inside the content root, is read through the same confined
`safe_open` as the loader's, and has the same bytes: the loader would then read exactly what it read before.
The key holds what else a load depends on: the compiler's code and libraries, the resource limits, and the
working directory and folder (the positions name files as the user sees them). Only loads without problems
and with plain JSON values are kept; everything else is read again, so every message stays the loader's.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from compiler._util.safe_open import contained, read_bytes
from compiler.cache import Cache, code_fingerprint, digest, sha256_bytes
from compiler.errors import CompilerError, Location, Problem
from compiler.load.limits import current
from compiler.load.reader import LoadedModel, Project, load_model
from compiler.load.reader import load_project as read_project

LOAD_KIND = "load"
_FILE = "model.json"


def load_project(content_root: Path, model_ids: list[str] | None = None, cache: Cache | None = None) -> Project:
    """`reader.load_project`, each model taken from the cache when the files it read are unchanged."""
    return read_project(content_root, model_ids, partial(load_cached, cache=cache) if cache is not None else None)


def load_cached(folder: Path, content_root: Path, problems: list[Problem], *, cache: Cache) -> LoadedModel | None:
    """`reader.load_model` through the cache: the kept model when its reads still hold, else a fresh load."""
    try:
        key = load_key(folder, content_root)
    except UnicodeEncodeError:  # a file name that is not text (undecodable bytes): read, never kept
        return load_model(folder, content_root, problems)
    kept = _recall(cache, key, content_root)
    if kept is not None:
        return kept
    model = load_model(folder, content_root, problems)
    encoded = encode(model) if model is not None and model.reads else None
    if model is not None and encoded is not None:
        cache.put(LOAD_KIND, key, {_FILE: encoded}, {"reads": _reads(model)})
    return model


def load_key(folder: Path, content_root: Path) -> str:
    """What a folder's load depends on besides the files it reads."""
    return digest(
        LOAD_KIND,
        code_fingerprint(),
        yaml.__version__,
        asdict(current()),
        os.getcwd(),
        str(content_root),
        os.path.realpath(content_root),
        str(folder),
    )


def model_digest(model: LoadedModel) -> str:
    """The digest of a loaded model's inputs (its reads and where they were read from); '' when unknown."""
    if not model.reads:
        return ""
    try:
        return digest(LOAD_KIND, code_fingerprint(), asdict(current()), os.getcwd(), str(model.folder), _reads(model))
    except UnicodeEncodeError:  # a file name that is not text: not kept
        return ""


def _reads(model: LoadedModel) -> list[list[str]]:
    return [[str(opened), str(real), sha] for opened, real, sha in model.reads]


def _recall(cache: Cache, key: str, content_root: Path) -> LoadedModel | None:
    entry = cache.get(LOAD_KIND, key)
    if entry is None or _FILE not in entry.files:
        return None
    if not _unchanged(entry.meta.get("reads"), content_root):
        cache.stats[f"{LOAD_KIND}:stale"] += 1  # found, but a file it read changed: read again
        return None
    try:
        return decode(entry.files[_FILE])
    except (ValueError, KeyError, TypeError):
        return None


def _unchanged(reads: Any, content_root: Path) -> bool:
    """Whether every file still leads where it led, inside the content root, with the same bytes."""
    if not isinstance(reads, list) or not reads:
        return False
    for read in reads:
        if not (isinstance(read, list) and len(read) == 3 and all(isinstance(part, str) for part in read)):
            return False
        opened, real, sha = read
        try:
            if str(contained(Path(opened), [content_root])) != real:
                return False
            if sha256_bytes(read_bytes(Path(opened), [content_root])) != sha:
                return False
        except CompilerError:
            return False
    return True


def encode(model: LoadedModel) -> bytes | None:
    """The loaded model as JSON; None when a value is not plain JSON (binary, dates), a float is not finite, or a
    file name is not text (the cache's records are UTF-8)."""
    if not _plain(model.data):
        return None
    try:
        json.dumps(_reads(model), ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a file name that is not text
        return None
    record = {
        "id": model.id,
        "folder": str(model.folder),
        "file_name": model.file_name,
        "data": model.data,
        "positions": _placed(model.positions),
        "key_positions": _placed(model.key_positions),
        "files": [str(p) for p in model.files],
        "reads": _reads(model),
    }
    return json.dumps(record, separators=(",", ":"), allow_nan=False).encode()  # ASCII: a lone surrogate is escaped


def decode(body: bytes) -> LoadedModel:
    """The loaded model `encode` wrote."""
    record = json.loads(body)
    return LoadedModel(
        id=str(record["id"]),
        folder=Path(record["folder"]),
        data=record["data"],
        positions=_positions(record["positions"]),
        key_positions=_positions(record["key_positions"]),
        files=[Path(p) for p in record["files"]],
        file_name=str(record["file_name"]),
        reads=[(Path(opened), Path(real), str(sha)) for opened, real, sha in record["reads"]],
    )


def _placed(positions: dict[tuple[str | int, ...], Location]) -> list[list[Any]]:
    return [[list(path), where.file, where.line, where.column] for path, where in positions.items()]


def _positions(rows: list[list[Any]]) -> dict[tuple[str | int, ...], Location]:
    return {tuple(path): Location(str(file), int(line), int(column)) for path, file, line, column in rows}


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, int, bool))
