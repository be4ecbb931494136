"""Validate stage: pydantic's errors as placed, explained problems (file:line:column, field path, hint)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

from compiler._util.fieldpath import FieldPath, dotted
from compiler._util.text import closest
from compiler.errors import Problem
from compiler.load.reader import LoadedModel, kind_of
from compiler.schema import Source, json_schema


def schema_problems(loaded: LoadedModel, exc: ValidationError, model_cls: type[BaseModel]) -> list[Problem]:
    """Pydantic errors as placed, explained problems (file:line:column, field path, hint)."""
    problems: dict[tuple[FieldPath, str], Problem] = {}
    errors = exc.errors(include_url=False)
    # A misspelt required key shows up twice (unknown key + missing field): report it once, as the typo.
    typos = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            path = _data_path(loaded.data, error["loc"])
            guess = closest(str(path[-1]), _valid_keys(model_cls, path[:-1]))
            if guess:
                typos.add((*path[:-1], guess.split("'")[1]))
    for error in errors:
        path = _data_path(loaded.data, error["loc"])
        kind = error["type"]
        if kind == "missing" and path in typos:
            continue
        message, hint = _explain(kind, dict(error), path, model_cls)
        where = loaded.locate(path, key=kind == "extra_forbidden")
        if kind == "missing":
            where = loaded.locate(path[:-1], key=True)
        problem = Problem(where, message, dotted(path), hint)
        problems.setdefault((path, message), problem)
    return sorted(problems.values(), key=lambda p: (p.location.file, p.location.line, p.location.column, p.field))


def _data_path(data: Any, loc: Iterable[Any]) -> FieldPath:
    """Pydantic's loc without union branch tags: only the keys and indexes that exist in the data."""
    path: list[str | int] = []
    node = data
    parts = list(loc)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, dict) and isinstance(part, str) and (part in node or last):
            path.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            path.append(part)
            node = node[part] if part < len(node) else None
        elif isinstance(node, dict) and isinstance(part, str) and i + 1 < len(parts):
            continue  # a union branch name such as 'mlflow' or 'function-after[...]'
        else:
            path.append(part)
            node = None
    return tuple(path)


_TYPE_WORDS = {
    "string_type": "text",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD) without a time",
}

_PATTERN_HINTS = {
    r"^[a-z0-9][a-z0-9._-]{0,79}$": "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit",
    r"^[0-9a-f]{64}$": "a sha256 is 64 lower-case hex digits; `docs-compile sign` writes it",
    r"^https?://": "write a full http(s) address",
    r"@": "write an e-mail address such as team@example.org",
    r"LicenseRef": "use an SPDX id such as Apache-2.0, MIT, CC-BY-4.0, or LicenseRef-Proprietary",
}


def _explain(kind: str, error: dict[str, Any], path: FieldPath, model_cls: type[BaseModel]) -> tuple[str, str]:
    found = error.get("input")
    name = str(path[-1]) if path else ""
    if kind == "missing":
        return "required field is missing", f"add `{name}:`; `docs-compile schema` describes every field"
    if kind == "extra_forbidden":
        valid = _valid_keys(model_cls, path[:-1])
        guess = closest(name, valid)
        return f"unknown key '{name}'", guess or (f"valid keys here: {', '.join(valid)}" if valid else "remove it")
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, found {kind_of(found)}", ""
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        choices = re.fullmatch(r"\^\(([a-z0-9|_-]+)\)\$", pattern)
        if choices:
            options = choices.group(1).split("|")
            guess = closest(str(found), options)
            return f"expected one of {', '.join(options)}, found {found!r}", guess
        hint = next((h for key, h in _PATTERN_HINTS.items() if key in pattern), "")
        return f"{found!r} does not have the expected form", hint
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        return f"expected one of {', '.join(options) or expected}, found {found!r}", closest(str(found), options)
    if kind == "union_tag_invalid":
        tags = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected_tags", "")))
        return f"unknown kind {error.get('ctx', {}).get('tag')!r}", f"use one of {', '.join(tags)}"
    if kind == "union_tag_not_found":
        return "missing `kind:`", "say which kind of source this is"
    if kind in ("string_too_short", "string_too_long"):
        if kind == "string_too_short":
            return "must not be empty", "write the text, or remove the key"
        return (
            f"text is too long ({len(str(found)):,} characters)",
            "move long material into a separate document and link it",
        )
    if kind in ("too_short", "too_long"):
        ctx = error.get("ctx", {})
        if isinstance(found, str):
            return (
                ("must not be empty", "write the text, or remove the key")
                if kind == "too_short"
                else (
                    f"text is too long ({len(found):,} characters)",
                    "move long material into a separate document and link it",
                )
            )
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        what = "at least" if kind == "too_short" else "at most"
        return f"must have {what} {limit} item(s)", ""
    if kind.startswith(("greater_than", "less_than")):
        return error["msg"].replace("Input should be", "must be"), ""
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), ""
    return str(error["msg"]), ""


@lru_cache(maxsize=8)
def _schema(model_cls: type[BaseModel]) -> dict[str, Any]:
    return json_schema() if model_cls is Source else model_cls.model_json_schema()


def _valid_keys(model_cls: type[BaseModel], path: FieldPath) -> list[str]:
    """Keys the schema allows at a mapping path (for 'did you mean')."""
    schema = _schema(model_cls)
    node: dict[str, Any] = schema
    for part in path:
        node = _deref(node, schema)
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part) or _branch_property(node, part, schema) or {}
    node = _deref(node, schema)
    return sorted(node.get("properties", {}))


def _deref(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    for _ in range(10):
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            branches = [b for b in node["anyOf"] if b.get("type") != "null"]
            if len(branches) != 1:
                return node
            node = branches[0]
        else:
            return node
    return node


def _branch_property(node: dict[str, Any], part: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    for branch in node.get("oneOf", []) + node.get("anyOf", []):
        props = _deref(branch, schema).get("properties", {})
        if part in props:
            return props[part]
    return None
