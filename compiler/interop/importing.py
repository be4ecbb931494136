"""Import stage: turn what a foreign card maps onto into a complete, valid source, with TODO where it says nothing.

Readers (`hf_import`, `mct`, `monai`) return an `Imported`: the mapped values as a partial source, and everything
with no place in the schema. This module fills the required fields they could not (explicit `TODO:` text, which
`check` reports as missing, or a commented choice where the schema's type takes no text: domain and risk class),
leaves out what the card does not give and the schema lets wait (a release date: the model is a draft until it is
released; a version history; a dataset's count), orders keys as the schema declares them, and writes
`model.yaml` plus `imported-unmapped.yaml` without ever overwriting a model.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.errors import SourceError, UsageError
from compiler.load.reader import MODEL_FILE, LoadedModel
from compiler.schema import Source

UNMAPPED_FILE = "imported-unmapped.yaml"
TODO = "TODO:"
PLACEHOLDER_DATE = date(1970, 1, 1)
"""Stands for "the card gives no date" while an import is completed; no version entry is written with it."""
UNSPECIFIED = "unspecified"
"""Id of the dataset of results whose card names none: kept, and marked, rather than dropped."""
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")

Path_ = tuple[str | int, ...]


@dataclass
class Imported:
    """What a reader found: mapped values as a partial source, and the rest kept verbatim."""

    fmt: str
    file: str
    data: dict[str, Any] = field(default_factory=dict)
    unmapped: dict[str, Any] = field(default_factory=dict)
    confirm: dict[str, str] = field(default_factory=dict)
    """Dataset id -> a TODO comment on its role, where the card does not say it (e.g. an unknown split)."""

    def keep(self, key: str, value: Any) -> None:
        """Keep a value that has no place in the schema (never drop it)."""
        if value in (None, "", [], {}):
            return
        name, n = key, 2
        while name in self.unmapped:
            name, n = f"{key} ({n})", n + 1
        self.unmapped[name] = value


@dataclass
class Written:
    """The files an import wrote and what the author still has to do."""

    model_id: str
    model_file: Path
    unmapped_file: Path | None
    todos: list[str]
    placeholders: list[str]
    unmapped: list[str]

    def report(self) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "model_file": display_path(self.model_file),
            "unmapped_file": display_path(self.unmapped_file) if self.unmapped_file else None,
            "todo": self.todos,
            "placeholders": self.placeholders,
            "unmapped": self.unmapped,
        }


def todo(what: str) -> str:
    return f"{TODO} {what}"


# Skeletons of the required parts; the readers' values are merged over them.
_DATASET: dict[str, Any] = {
    "motivation": {"purpose": todo("why the data was collected."), "creators": todo("who created the dataset")},
    "composition": {"instances": todo("what one instance represents.")},
    "collection": {"method": todo("how the data was collected.")},
    "preprocessing": {"steps": todo("cleaning and labelling steps.")},
    "distribution": {"how": todo("how the data is distributed, or that it is not")},
    "maintenance": {"owner": todo("who maintains the dataset")},
}
_ITEMS: dict[Path_, dict[str, Any]] = {
    ("model", "developers"): {"name": todo("developer")},
    ("intended_use", "users"): {"role": todo("who uses the output")},
    ("system", "inputs"): {"name": todo("input name"), "type": todo("input type")},
    ("system", "outputs"): {
        "name": todo("output name"),
        "type": todo("output type"),
        "meaning": todo("what the output means."),
    },
    ("system", "pretrained"): {"source": todo("where the pre-trained model came from")},
    ("datasets",): {"name": todo("dataset name"), "role": "test", **_DATASET},
    ("evaluation", "metrics"): {"name": todo("metric name"), "rationale": todo("why this metric was chosen")},
    ("factors", "relevant"): {"name": todo("factor name"), "levels": [todo("level")]},
}
_OPERATING_POINT: dict[str, Any] = {"rationale": todo("why this threshold")}


def takes_todo(key: str) -> bool:
    """Whether the schema lets `model.<key>` hold a "TODO:" placeholder (which `check` reports as missing)."""
    from compiler.schema.model import ModelInfo

    info = ModelInfo.model_fields[key]
    kind: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    try:
        TypeAdapter(kind).validate_python(todo(key))
    except ValidationError:
        return False
    return True


UNKNOWN_VERSION = todo("version (not in the imported card)")


def skeleton(model_id: str) -> dict[str, Any]:
    """The required parts of a source, every one a TODO or a marked placeholder; no release date (a draft)."""
    return {
        "model": {
            "id": model_id,
            "name": todo("model name"),
            "version": UNKNOWN_VERSION,
            "status": "draft",
            "type": todo("model type"),
            "summary": todo("one paragraph on what the model does."),
            "domain": "other",
            "risk_class": "minimal",
            "developers": [{}],
            "owner": todo("accountable team"),
            "contact": {"name": todo("contact")},
            "license": "LicenseRef-TODO",
        },
        "intended_use": {
            "purpose": todo("what the model is for."),
            "users": [{}],
            "out_of_scope": [todo("uses the model is not meant for")],
        },
        "system": {
            "ai_statement": todo("how AI is used in the system."),
            "inputs": [{}],
            "outputs": [{}],
            "architecture": {"summary": todo("how the system is put together.")},
            "training": {"algorithm": todo("training algorithm")},
        },
        "datasets": [{"id": "train", "role": "train"}],
        "evaluation": {"metrics": [{"id": "metric"}]},
        "risk": {"limitations": [todo("known limitation")]},
        "lifecycle": {"versions": [{"version": UNKNOWN_VERSION, "date": PLACEHOLDER_DATE}]},
    }


def complete(model_id: str, imported: Imported) -> tuple[dict[str, Any], dict[Path_, str]]:
    """The full source data and the comments that mark placeholders (dates, numbers, choices)."""
    data = _merge(skeleton(model_id), imported.data)
    data["model"]["id"] = model_id
    _release_date(data["model"], imported)
    for path, item in _ITEMS.items():
        parent, key = _find(data, path[:-1]), str(path[-1])
        if parent is not None and key in parent:
            parent[key] = [_merge(copy.deepcopy(item), entry) for entry in parent[key]]
    for output in data["system"]["outputs"]:
        if output.get("operating_points"):
            output["operating_points"] = [_merge(dict(_OPERATING_POINT), op) for op in output["operating_points"]]
    version = data["lifecycle"]["versions"][0]
    version.setdefault("changes", f"Imported from {imported.file} ({_FORMAT_NAMES[imported.fmt]}).")
    # A reader's version entry may lack the version or the date (a date the card writes in no known form).
    if version.get("version") in (None, UNKNOWN_VERSION):
        version["version"] = data["model"]["version"]
    version["date"] = _date(version.get("date"))
    if not isinstance(version["date"], date) or version["date"] == PLACEHOLDER_DATE:
        version["date"] = data["model"].get("release_date", PLACEHOLDER_DATE)
    if version["date"] == PLACEHOLDER_DATE:  # no release the card dates: no revision to invent
        data["lifecycle"]["versions"] = []
    notes = _placeholders(data, imported.data)
    for i, ds in enumerate(data["datasets"]):
        if ds["id"] in imported.confirm:
            notes[("datasets", i, "role")] = imported.confirm[ds["id"]]
    return ordered(data, Source), notes


_FORMAT_NAMES = {
    "hf": "Hugging Face model card",
    "mct": "Model Card Toolkit JSON",
    "monai": "MONAI bundle metadata.json",
}


def _release_date(model: dict[str, Any], imported: Imported) -> None:
    """The card's release date as a date; one written in no form a date reads is kept verbatim, never guessed."""
    given = model.pop("release_date", None)
    day = _date(given)
    if isinstance(day, date):
        model["release_date"] = day
    else:
        imported.keep("release date", given)


def _date(value: Any) -> Any:
    """ISO text as a date, so it is written unquoted like a hand-written source."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


_WHY = {"domain": "health switches on medical-device requirements", "risk_class": "EU AI Act risk class"}


def _placeholders(data: dict[str, Any], given: dict[str, Any]) -> dict[Path_, str]:
    notes: dict[Path_, str] = {}
    model, mapped = data["model"], given.get("model", {})
    if "release_date" not in model:
        notes[("model", "status")] = "not released: add model.release_date (YYYY-MM-DD) when it is"
    if not data["lifecycle"]["versions"]:
        notes[("lifecycle", "versions")] = "TODO: the version history, from the first released version"
    for key in ("domain", "risk_class"):
        if key not in mapped:
            notes[("model", key)] = f"TODO: confirm ({_WHY[key]})"
    for i, ds in enumerate(data["datasets"]):
        if "count" not in ds["composition"]:  # left out, not 0: check reports it where it is required
            notes[("datasets", i, "composition", "instances")] = "TODO: add composition.count, the number of instances"
    return notes


def _get_list(data: dict[str, Any], key: str, i: int) -> dict[str, Any]:
    items = data.get(key, [])
    return items[i] if i < len(items) and isinstance(items[i], dict) else {}


def merge(base: Any, over: Any) -> Any:
    """`over` merged into `base`: mappings key by key, anything else (lists too) replaced by `over`."""
    return _merge(base, over)


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return copy.deepcopy(over)


def _find(data: dict[str, Any], path: Path_) -> dict[str, Any] | None:
    node: Any = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) else None


# --- schema order --------------------------------------------------------------------------------


def ordered(data: Any, model: type[BaseModel] | None) -> Any:
    """The same data with mapping keys in the order the schema declares them."""
    if isinstance(data, list):
        return [ordered(item, model) for item in data]
    if not isinstance(data, dict) or model is None:
        return data
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in data:
            out[name] = ordered(data[name], _inner_model(info.annotation))
    out.update({k: v for k, v in data.items() if k not in out})
    return out


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is dict:
        return None
    if origin in (list, typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


# --- YAML text ----------------------------------------------------------------------------------


def dump_yaml(data: dict[str, Any], comments: dict[Path_, str], header: list[str]) -> str:
    """Block-style YAML, keys in the given order, with end-of-line comments at the given paths."""
    lines = [f"# {line}" if line else "#" for line in header]
    if lines:
        lines.append("")
    _mapping(data, (), 0, comments, lines)
    return "\n".join(lines) + "\n"


def _mapping(data: dict[str, Any], path: Path_, indent: int, comments: dict[Path_, str], lines: list[str]) -> None:
    pad = " " * indent
    for key, value in data.items():
        here = (*path, key)
        note = f"  # {comments[here]}" if here in comments else ""
        head = f"{pad}{_scalar(key)}:"
        if isinstance(value, dict) and value:
            lines.append(head + note)
            _mapping(value, here, indent + 2, comments, lines)
        elif isinstance(value, list) and value:
            lines.append(head + note)
            _sequence(value, here, indent + 2, comments, lines)
        elif isinstance(value, str) and "\n" in value:
            lines.append(f"{head} |-{note}")
            lines.extend(f"{pad}  {line}".rstrip() for line in value.split("\n"))
        else:
            lines.append(f"{head} {_scalar(value)}{note}")


def _sequence(items: list[Any], path: Path_, indent: int, comments: dict[Path_, str], lines: list[str]) -> None:
    pad = " " * indent
    for i, item in enumerate(items):
        here = (*path, i)
        if isinstance(item, dict) and item:
            start = len(lines)
            _mapping(item, here, indent + 2, comments, lines)
            lines[start] = f"{pad}- {lines[start][indent + 2 :]}"
        elif isinstance(item, list) and item:
            lines.append(f"{pad}-")
            _sequence(item, here, indent + 2, comments, lines)
        elif isinstance(item, str) and "\n" in item:
            lines.append(f"{pad}- |-")
            lines.extend(f"{pad}  {line}".rstrip() for line in item.split("\n"))
        else:
            note = f"  # {comments[here]}" if here in comments else ""
            lines.append(f"{pad}- {_scalar(item)}{note}")


def _scalar(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    text = yaml.safe_dump(value, allow_unicode=True, width=10_000, default_flow_style=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()


# --- writing --------------------------------------------------------------------------------------


def check_id(model_id: str) -> None:
    if not ID_PATTERN.match(model_id):
        raise UsageError.at(
            model_id, "not a valid model id", hint="use lower-case letters, digits, '.', '_' and '-', e.g. sepsis-risk"
        )


def slug(text: str) -> str:
    """An identifier made from free text: 'BERT base (uncased)' -> 'bert-base-uncased'."""
    out = re.sub(r"[^a-z0-9._]+", "-", text.lower()).strip("-._")
    return out[:80].rstrip("-._") or "item"


def write_import(content: Path, model_id: str, imported: Imported, schema_line: str | None = None) -> Written:
    """Write content/<id>/model.yaml (+ imported-unmapped.yaml); refuse to overwrite; validate before writing.

    `schema_line`, when given, is the file's first line: the `$schema` comment that points editors at the schema.
    """
    check_id(model_id)
    folder = content / model_id
    target, spill = folder / MODEL_FILE, folder / UNMAPPED_FILE
    for path in (target, spill):
        if path.exists():
            raise UsageError.at(
                display_path(path), "already exists; import never overwrites a model", hint="pass another --id"
            )
    data, comments = complete(model_id, imported)
    header = [
        f"Imported by `docs-compile import --from {imported.fmt}` from {imported.file}.",
        'Replace every "TODO:" (docs-compile check reports them as missing), then run `docs-compile validate`.',
    ]
    if imported.unmapped:
        header.append(
            f"Content of the card with no place in this schema is kept in {UNMAPPED_FILE}; move what you need."
        )
    text = (f"{schema_line}\n" if schema_line else "") + dump_yaml(data, comments, header)
    _validate(text, model_id, folder)
    atomic_write(target, text)
    if imported.unmapped:
        atomic_write(spill, unmapped_text(imported))
    return Written(
        model_id,
        target,
        spill if imported.unmapped else None,
        todos=sorted(_todo_paths(data)),
        placeholders=sorted(_dotted(p) for p in comments),
        unmapped=list(imported.unmapped),
    )


def unmapped_text(imported: Imported) -> str:
    head = (
        f"# Content of {imported.file} ({_FORMAT_NAMES[imported.fmt]}) that has no place in the docs-compile schema.\n"
        f"# Kept so that nothing is lost; docs-compile does not read this file. Move what you need into {MODEL_FILE}.\n\n"
    )
    body = yaml.dump(
        {"unmapped": imported.unmapped}, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100
    )
    return head + body


class _BlockDumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line text as literal blocks, as a person would."""


def _text_representer(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _text_representer)


def _validate(text: str, model_id: str, folder: Path) -> None:
    from compiler.validate.project import validate_model

    data = yaml.safe_load(text)
    found = validate_model(LoadedModel(id=model_id, folder=folder, data=data))
    if not isinstance(found, Source):
        raise SourceError(found)


def _todo_paths(data: Any, path: Path_ = ()) -> list[str]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _todo_paths(v, (*path, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _todo_paths(v, (*path, i))]
    return [_dotted(path)] if isinstance(data, str) and TODO in data else []


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
