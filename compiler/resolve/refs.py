"""Resolve stage: fact references — their syntax, and where they occur in a loaded source.

A fact reference is a plain YAML string, so a source stays readable without docs-compile:

    mlflow://[<source>@]<run_id>/metrics/<key>        latest value of a metric, as MLflow reports it (keys may
                                                      contain '/'); `?step=<n>` pins the value logged at step n
    mlflow://[<source>@]<run_id>/params/<key>         a parameter (text)
    mlflow://[<source>@]<run_id>/tags/<key>           a tag (text)
    mlflow://[<source>@]<run_id>/artifacts/<path>#<json-pointer>
    mlflow://[<source>@]models/<name>/<version>       registry version; '#/description', '#/run_id',
    mlflow://[<source>@]models/<name>/@<alias>        '#/tags/<key>' pick other fields
    file://<path>#<json-pointer>                      JSON file; CSV rows are '/<index>/<column>' or
                                                      '/<column>=<value>/<column>'
    wandb://[<source>@]<run>/summary|config/<key>     a W&B run's summary or config value (readers/wandb.py)
    wandb://[<source>@]<run>/history/<key>?step=<n>   the value a W&B run logged at step n
    sagemaker://[<source>@]<group>/<version>[/…]      a SageMaker model package version, its ModelMetrics
                                                      reports, customer metadata, training job (readers/sagemaker.py)
    neptune://[<source>@]<run>/<field/path>[?step=<n>]
                                                      a Neptune run's field or float series (readers/neptune.py)
    computed://<source>/<metric>[@<operating-point>][?<factor>=<level>&…][#value|ci_low|ci_high|n]

`<source>` is the id of a declared evidence source. It may be left out when the model declares exactly
one source of that kind. For `file://` the path is relative to the model's folder, or the id of a
declared file source. Characters a YAML plain scalar cannot hold (spaces) are written %-encoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from compiler._util.fieldpath import FieldPath
from compiler.errors import Location
from compiler.load.reader import LoadedModel
from compiler.schema.base import is_fact_ref

_SOURCE_PREFIX = re.compile(r"^([a-z0-9][a-z0-9._-]{0,79})@")

# Fields whose value names evidence rather than being a fact to substitute.
_NOT_FACTS: tuple[tuple[str | None, ...], ...] = (
    ("evidence",),
    ("evaluation", "results", None, "source"),
    ("system", "monitoring", "signals", None, "history"),
)


class FactError(Exception):
    """One reference cannot be resolved: what is wrong and how to fix it (placed by the stage)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class Vanished(FactError):
    """The evidence is gone or retired: a deleted run or experiment, an archived or deleted registry version,
    a run or file no longer there. `resolve` refuses it; `resolve --check` reports it as drift of the lock."""


class Unreachable(FactError):
    """The tracking server did not answer within the deadline and retries (`trackers:` of docs-compile.yaml)."""


def pinned_step(key: str) -> tuple[str, int | None]:
    """A metric key and the step its `?step=<n>` pins; None when nothing is pinned (the tracker's latest value)."""
    name, mark, query = key.partition("?")
    if not mark:
        return key, None
    number = query.removeprefix("step=")
    if query.startswith("step=") and number.removeprefix("-").isdigit():
        return name, int(number)
    raise FactError(f"'?{query}' is not a step pin", "write ?step=<n> for the value logged at step n")


@dataclass(frozen=True)
class Reference:
    """A parsed fact reference: scheme, optional source id, the part before '#', and the fragment."""

    text: str
    scheme: str
    source: str | None
    body: str
    fragment: str

    @property
    def parts(self) -> list[str]:
        """The body split on '/', each part %-decoded."""
        return [unquote(p) for p in self.body.split("/")]


@dataclass(frozen=True)
class Occurrence:
    """Where a reference is written: field path and file:line:column."""

    ref: str
    path: FieldPath
    location: Location


def parse(text: str) -> Reference:
    """Split a reference into its parts; raise FactError when it is malformed."""
    if not is_fact_ref(text):
        raise FactError(
            "not a fact reference",
            "write mlflow://…, wandb://…, sagemaker://…, neptune://…, file://… or computed://…",
        )
    scheme, rest = text.split("://", 1)
    body, _, fragment = rest.partition("#")
    source = None
    match = _SOURCE_PREFIX.match(body)
    if match and scheme != "file":
        source = match.group(1)
        body = body[match.end() :]
    if not body:
        raise FactError("the reference names nothing after the scheme", f"see `{scheme}://` in the reference syntax")
    return Reference(text=text, scheme=scheme, source=source, body=body, fragment=unquote(fragment))


def _excluded(path: FieldPath) -> bool:
    for pattern in _NOT_FACTS:
        if len(path) >= len(pattern) and all(p is None or p == q for p, q in zip(pattern, path, strict=False)):
            return True
    return False


def _walk(node: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i))
    elif is_fact_ref(node) and not _excluded(path):
        yield path, node


def find_references(loaded: LoadedModel) -> list[Occurrence]:
    """Every fact reference in a loaded source, in the order they are written."""
    found = [Occurrence(ref, path, loaded.locate(path)) for path, ref in _walk(loaded.data, ())]
    return sorted(found, key=lambda o: (o.location.file, o.location.line, o.location.column))


def json_pointer(document: Any, pointer: str) -> Any:
    """The value a JSON pointer (RFC 6901) selects; CSV rows also accept '<column>=<value>' segments."""
    if pointer in ("", "/"):
        return document
    if not pointer.startswith("/"):
        raise FactError(f"'#{pointer}' is not a JSON pointer", "a pointer starts with '/', e.g. #/metrics/auroc")
    node = document
    walked = ""
    for raw in pointer[1:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        node = _step(node, key, walked)
        walked += "/" + raw
    return node


def _step(node: Any, key: str, walked: str) -> Any:
    where = walked or "the top"
    if isinstance(node, dict):
        if key not in node:
            keys = ", ".join(sorted(map(str, node))[:12])
            raise FactError(f"no key '{key}' at {where}", f"keys there: {keys}" if keys else "the mapping is empty")
        return node[key]
    if isinstance(node, list):
        if "=" in key and all(isinstance(row, dict) for row in node):
            column, _, wanted = key.partition("=")
            rows = [row for row in node if str(row.get(column)) == wanted]
            if len(rows) != 1:
                count = "no row" if not rows else f"{len(rows)} rows"
                raise FactError(f"{count} with {column} = '{wanted}' at {where}", "select exactly one row")
            return rows[0]
        if not key.isdigit() or int(key) >= len(node):
            raise FactError(f"'{key}' is not an index of the list at {where} ({len(node)} items)", "indexes start at 0")
        return node[int(key)]
    raise FactError(f"cannot look up '{key}' inside a single value at {where}", "shorten the pointer")
