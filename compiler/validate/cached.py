"""Validate stage (cache): what validating one model found, kept in the build cache by the digest of its reads.

A model loaded from the same files (`compiler.load.cached.model_digest`: each file's bytes and where it was
read from, the limits, the compiler's code and libraries) validates the same way, so its problems, warnings
and checked data are kept, and only its typed source is built again (pydantic, a few milliseconds). Problems
of a kind of their own (with more than a place, a field, a message and a hint) are not kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from compiler.cache import Cache, digest
from compiler.errors import Location, Problem
from compiler.load.cached import model_digest
from compiler.load.reader import LoadedModel

VALIDATE_KIND = "validate"
_FILE = "validated.json"


@dataclass(frozen=True)
class Outcome:
    """What validating a model found: whether it is valid, its errors, its warnings, its data as checked."""

    valid: bool
    problems: list[Problem]
    warnings: list[Problem]
    data: dict[str, Any]


def recall(cache: Cache, loaded: LoadedModel) -> Outcome | None:
    """The outcome kept for a model loaded from these very files; None when there is none."""
    key = _key(loaded)
    entry = cache.get(VALIDATE_KIND, key) if key else None
    if entry is None or _FILE not in entry.files:
        return None
    try:
        record = json.loads(entry.files[_FILE])
        return Outcome(
            bool(record["valid"]),
            [_problem(row) for row in record["problems"]],
            [_problem(row) for row in record["warnings"]],
            dict(record["data"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def remember(cache: Cache, loaded: LoadedModel, outcome: Outcome) -> None:
    """Keep an outcome, unless the model's reads are unknown or a problem is of a kind of its own."""
    key = _key(loaded)
    if not key or any(type(p) is not Problem for p in [*outcome.problems, *outcome.warnings]):
        return
    record = {
        "valid": outcome.valid,
        "problems": [_row(p) for p in outcome.problems],
        "warnings": [_row(p) for p in outcome.warnings],
        "data": outcome.data,
    }
    try:
        body = json.dumps(record, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError):  # a value JSON does not hold: validated again next time
        return
    cache.put(VALIDATE_KIND, key, {_FILE: body}, {})


def _key(loaded: LoadedModel) -> str:
    found = model_digest(loaded)
    return digest(VALIDATE_KIND, found) if found else ""


def _row(problem: Problem) -> list[Any]:
    where = problem.location
    return [where.file, where.line, where.column, problem.message, problem.field, problem.hint]


def _problem(row: list[Any]) -> Problem:
    file, line, column, message, field, hint = row
    return Problem(Location(str(file), int(line), int(column)), str(message), str(field), str(hint))
