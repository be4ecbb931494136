"""Source schema building blocks: the base node and the typed values every section uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    GetJsonSchemaHandler,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import CoreSchema

from compiler._util.node import Node as Node  # the base of every section, re-exported for the schema modules

# Anything the evidence layer can resolve: mlflow://…, wandb://…, sagemaker://…, neptune://…, file://…, computed://…
FACT_REF_PATTERN = r"^(mlflow|wandb|sagemaker|neptune|file|computed)://\S+$"
_FACT_RE = re.compile(FACT_REF_PATTERN)

MAX_TEXT = 20_000


@dataclass(frozen=True)
class TypeDescription:
    """The JSON Schema description of a shared type, where the type stands alone (a list's items, one branch).

    A field's own docstring is its description: `Field(description=...)` on a shared type would replace every
    field's docstring with the type's words, so a type says what it is only here, below the field.
    """

    text: str

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        json_schema = handler(schema)
        json_schema["description"] = self.text
        return json_schema


Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT, strip_whitespace=True)]
"""Plain text: escaped wherever it is shown."""

Markdown = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_TEXT, strip_whitespace=True),
    Field(json_schema_extra={"contentMediaType": "text/markdown"}),
]
"""Long text in Markdown: rendered, then sanitised (raw HTML is removed)."""

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$"),
    TypeDescription("Lower-case identifier: letters, digits, '.', '_' and '-'."),
]

FactRef = Annotated[
    str,
    StringConstraints(pattern=FACT_REF_PATTERN),
    TypeDescription(
        "A reference to evidence, resolved by `docs-compile resolve`: "
        "mlflow://<run_id>/metrics/<key>, mlflow://models/<name>/<version|@alias>, "
        "wandb://<run-dir>/summary/<key>, sagemaker://<group>/<version>/metrics#/<json-pointer>, "
        "neptune://<run>/<field/path>, file://<path>#/<json-pointer>, computed://<source>/<metric>…"
    ),
]


def is_fact_ref(value: Any) -> bool:
    return isinstance(value, str) and bool(_FACT_RE.match(value))


_REF_HELP = "a fact reference such as mlflow://<run_id>/metrics/<key>"


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {value!r}"


def _number(value: Any) -> float | str:
    if is_fact_ref(value):
        return str(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number or {_REF_HELP}, found {_found(value)}")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number, not NaN or infinity")
    return float(value)


def _fraction(value: Any) -> float | str:
    number = _number(value)
    if isinstance(number, float) and not 0 <= number <= 1:
        raise ValueError(f"must lie between 0 and 1, found {number:g}; write a share as a fraction (0.506, not 50.6)")
    return number


def _count(value: Any) -> int | str:
    if is_fact_ref(value):
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number of 0 or more, or {_REF_HELP}, found {_found(value)}")
    return value


_VERSION_RE = re.compile(r"^v?\d+(\.\d+){0,3}([-+][0-9A-Za-z.+-]+)?$")
PENDING_PATTERN = r"^TODO\b.*$"
"""A value not known yet ('TODO: version'): valid, so a draft validates, and `check` reports it as missing."""
_PENDING_RE = re.compile(PENDING_PATTERN, re.DOTALL)


def is_pending(value: Any) -> bool:
    """Whether a value is a "TODO: …" placeholder a schema type takes while the fact is not known."""
    return isinstance(value, str) and bool(_PENDING_RE.match(value))


def _version(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f'write the version as quoted text, e.g. "{value}", so YAML keeps it exact')
    if is_fact_ref(value) or (isinstance(value, str) and (_VERSION_RE.match(value) or _PENDING_RE.match(value))):
        return str(value)
    raise ValueError(
        f'expected a version such as 2.1.0 or 3.0.0-rc.1, {_REF_HELP}, or "TODO: …" while it is not known, '
        f"found {_found(value)}"
    )


_REF_SCHEMA = {"type": "string", "pattern": FACT_REF_PATTERN}

Number = Annotated[
    float | str,
    PlainValidator(_number),
    WithJsonSchema({"anyOf": [{"type": "number"}, _REF_SCHEMA]}),
]
"""A finite number, or a fact reference that resolves to one."""

Fraction = Annotated[
    float | str,
    PlainValidator(_fraction),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, _REF_SCHEMA]}),
]
"""A number between 0 and 1 (a share or a prevalence), or a fact reference that resolves to one."""

Count = Annotated[
    int | str,
    PlainValidator(_count),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0}, _REF_SCHEMA]}),
]
"""A non-negative whole number, or a fact reference."""

Version = Annotated[
    str,
    PlainValidator(_version),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _VERSION_RE.pattern},
                _REF_SCHEMA,
                {"type": "string", "pattern": PENDING_PATTERN},
            ]
        }
    ),
]
"""A version such as 2.1.0, a fact reference (e.g. to a registry version), or "TODO: …" while it is not known."""

Url = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[^\s<>\"']+$", max_length=2000),
    TypeDescription("An http(s) address. It is shown as a link, never fetched."),
]

Email = Annotated[
    str,
    StringConstraints(pattern=r"^[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}$"),
    TypeDescription("An e-mail address."),
]

_SPDX_ID = r"(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.+-]*)"
License = Annotated[
    str,
    StringConstraints(pattern=rf"^\(?{_SPDX_ID}( (AND|OR|WITH) \(?{_SPDX_ID}\)?)*\)?$"),
    TypeDescription(
        "SPDX license expression, e.g. Apache-2.0, MIT, CC-BY-4.0 or LicenseRef-Proprietary "
        "for a licence that has no SPDX id."
    ),
]

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

Date = date
"""A calendar date in ISO form: YYYY-MM-DD."""

Domain = Literal["health", "finance", "consumer", "enterprise", "public-sector", "research", "other"]
RiskClass = Literal["minimal", "limited", "high", "unacceptable"]
DecisionRole = Literal["informs", "augments", "replaces"]
