"""Source schema for editors: the JSON Schema files of `schemas/`, one for a model source and one per kind of file
it includes.

An editor (yaml-language-server, and through it VS Code, Neovim, JetBrains' YAML plugin…) checks a file as it is
written, before `$include` objects are replaced by the files they name. So these schemas are `json_schema()` with an
`$include` allowed wherever the loader allows one (compiler/load/reader.py): any value may be `{$include: FILE}`,
and any mapping may hold `$include` beside its own keys, its required keys then possibly coming from the file.
An included file gets the schema of the value it fills (PARTS).
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler._util.atomic import atomic_write
from compiler.schema import SCHEMA_ID, json_schema

SCHEMAS_DIR = "schemas"
"""Where a repository keeps the schema files, beside content/: never under build/, which every build replaces."""

INCLUDE_KEY = "$include"
"""The loader's include key (compiler/load/reader.py, which the schema package cannot import)."""

REGENERATE = f"docs-compile schema --dir {SCHEMAS_DIR}"

_INCLUDE = "Include"
_INCLUDE_FILES = "IncludeFiles"
# Keywords that describe a value rather than constrain it: they stay on the outside when a value is wrapped.
_ANNOTATIONS = ("title", "description", "examples", "default", "deprecated")
# The loader refuses absolute paths (and ~), URLs and files that are not .yaml or .yml.
_INCLUDE_FILE = r"^(?![/\\~])(?![A-Za-z]:)(?!.*://).+\.([yY][aA][mM][lL]|[yY][mM][lL])$"


@dataclass(frozen=True)
class Part:
    """One kind of source file: its schema file and the value of a model source it holds."""

    kind: str
    fills: str
    """Field path of the value the file holds: "" for the whole source, `name[]` for one item of a list."""
    title: str
    description: str

    @property
    def file_name(self) -> str:
        return f"{self.kind}.schema.json"

    @property
    def schema_id(self) -> str:
        return SCHEMA_ID if not self.fills else SCHEMA_ID.replace("/source-", f"/{self.kind}-")


PARTS: tuple[Part, ...] = (
    Part(
        "model",
        "",
        "docs-compile model source",
        "A model's source of truth: content/<model-id>/model.yaml.",
    ),
    Part(
        "dataset",
        "datasets[]",
        "docs-compile dataset datasheet",
        "One dataset's datasheet (Gebru et al.), included as an item of `datasets`: "
        "`datasets: [{$include: datasets/train.yaml}]`.",
    ),
    Part(
        "results",
        "evaluation.results",
        "docs-compile evaluation results",
        "The list of evaluation results, included as `evaluation.results`: "
        "`results: {$include: evaluation/results.yaml}`.",
    ),
)
"""The kinds of file a source is split into: each one the shipped examples include, plus the source itself."""

PART_KINDS = tuple(part.kind for part in PARTS)


def part(kind: str) -> Part:
    """The part of that kind (KeyError for an unknown one; the command offers only PART_KINDS)."""
    return {p.kind: p for p in PARTS}[kind]


def model_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of model.yaml as written: `$include` allowed wherever the loader allows it."""
    return copy.deepcopy(_model_schema())


@functools.cache
def _model_schema() -> dict[str, Any]:
    schema = json_schema()
    for definition in schema["$defs"].values():
        _editable(definition, value=False)
    _editable(schema, value=False)
    schema["$defs"].update(_include_defs())
    return schema


def part_schema(kind: str) -> dict[str, Any]:
    """JSON Schema of one kind of file, self-contained (no reference to another file)."""
    chosen = part(kind)
    model = model_schema()
    if not chosen.fills:
        return {**model, "title": chosen.title, "description": chosen.description}
    node = _node_at(model, chosen.fills)
    root = {key: value for key, value in node.items() if key not in ("title", "description", "default")}
    schema = {
        "$schema": model["$schema"],
        "$id": chosen.schema_id,
        "title": chosen.title,
        "description": chosen.description,
        **root,
    }
    schema["$defs"] = {name: model["$defs"][name] for name in sorted(_reachable(root, model["$defs"]))}
    return schema


def schema_text(kind: str = "model") -> str:
    """The schema of one kind as the committed file holds it: sorted keys, two-space indent, final newline."""
    return json.dumps(part_schema(kind), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Write every part's schema into `folder` (atomically, byte-identical on every run); the paths written."""
    written = []
    for each in PARTS:
        path = Path(folder) / each.file_name
        atomic_write(path, schema_text(each.kind))
        written.append(path)
    return written


def schema_line(kind: str, depth: int) -> str:
    """The first line that points an editor at the schema, for a file `depth` folders below the repository root.

    `schema_line("model", 2)` is the line of content/<id>/model.yaml; a file in content/<id>/datasets/ has depth 3.
    """
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMAS_DIR}/{part(kind).file_name}"


# --- the transformation ----------------------------------------------------------------------------------


def _editable(node: dict[str, Any], *, value: bool) -> None:
    """Make a schema node (in place) accept what the loader accepts before includes are read.

    `value` is true where the node is a value a key or a list position holds: such a value may be `{$include: …}`.
    """
    if "oneOf" in node:
        # A discriminated union: `{$include: f}` matches every branch before the file is read, so exactly-one fails.
        node["anyOf"] = node.pop("oneOf")
        node.pop("discriminator", None)
    for key in ("properties", "patternProperties"):
        for child in node.get(key, {}).values():
            _editable(child, value=True)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _editable(node[key], value=True)
    for branch in node.get("anyOf", []):
        _editable(branch, value=False)
    if node.get("type") == "object":
        _mapping(node)
    elif value and not _takes_include(node):
        _wrap(node)


def _mapping(node: dict[str, Any]) -> None:
    """A mapping may hold `$include` beside its keys; its required keys may then come from the included file."""
    node.setdefault("properties", {})[INCLUDE_KEY] = {
        "$ref": f"#/$defs/{_INCLUDE_FILES}",
        "description": "Read the keys not written here from a YAML file (or several), relative to this file.",
    }
    required = node.pop("required", None)
    if required:
        node["if"] = {"required": [INCLUDE_KEY]}
        node["else"] = {"required": required}


def _takes_include(node: dict[str, Any]) -> bool:
    """Whether the node already accepts `{$include: …}`: a section (a reference to a mapping), or a mapping."""
    if node.get("type") == "object" or node.get("$ref", "").startswith("#/$defs/"):
        return True
    return any(_takes_include(branch) for branch in node.get("anyOf", []))


def _wrap(node: dict[str, Any]) -> None:
    """Turn a value's schema into "this, or an include", keeping its description and examples outside."""
    inner = {key: node.pop(key) for key in list(node) if key not in _ANNOTATIONS}
    include = {"$ref": f"#/$defs/{_INCLUDE}"}
    node["anyOf"] = [*inner["anyOf"], include] if list(inner) == ["anyOf"] else [inner, include]


def _include_defs() -> dict[str, Any]:
    file_name = {
        "type": "string",
        "pattern": _INCLUDE_FILE,
        # Shown by yaml-language-server instead of the pattern itself; other validators ignore it.
        "patternErrorMessage": "Include a .yaml or .yml file by a path relative to this file (no /, ~ or URL).",
    }
    return {
        _INCLUDE: {
            "type": "object",
            "title": "Include",
            "description": (
                "The value is read from another YAML file (or several, whose mappings are merged). "
                "Paths are relative to this file and stay inside the content folder."
            ),
            "properties": {
                INCLUDE_KEY: {"$ref": f"#/$defs/{_INCLUDE_FILES}", "description": "The file (or files) to read."}
            },
            "required": [INCLUDE_KEY],
            "additionalProperties": False,
            "examples": [{INCLUDE_KEY: "evaluation/results.yaml"}],
        },
        _INCLUDE_FILES: {
            "title": "$include",
            "description": (
                "Read this value (or the keys missing beside `$include`) from a YAML file, or from several files "
                "whose mappings are merged. Paths are relative to this file and stay inside the content folder."
            ),
            "anyOf": [file_name, {"type": "array", "items": file_name, "minItems": 1}],
            "examples": ["datasets/train.yaml", ["evaluation/metrics.yaml", "evaluation/study.yaml"]],
        },
    }


def _node_at(schema: dict[str, Any], fills: str) -> dict[str, Any]:
    """The schema node of a field path such as `evaluation.results` or `datasets[]` (references followed)."""
    node = schema
    for step in fills.split("."):
        node = _section(node, schema)["properties"][step.removesuffix("[]")]
        if step.endswith("[]"):
            node = _plain(node)["items"]
    return node


def _section(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _plain(node: dict[str, Any]) -> dict[str, Any]:
    """The branch of a wrapped value that is not the include."""
    for branch in node.get("anyOf", []):
        if branch.get("$ref") != f"#/$defs/{_INCLUDE}":
            return _plain(branch)
    return node


def _reachable(node: Any, defs: dict[str, Any]) -> set[str]:
    """Names of the definitions a schema node refers to, directly or through other definitions."""
    found: set[str] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, dict):
            ref = current.get("$ref", "")
            if ref.startswith("#/$defs/") and ref[8:] not in found:
                found.add(ref[8:])
                todo.append(defs[ref[8:]])
            todo.extend(current.values())
        elif isinstance(current, list):
            todo.extend(current)
    return found
