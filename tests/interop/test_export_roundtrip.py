"""Loss reports name every difference: what an export drops or changes is in its report, and nothing else goes missing.

Hugging Face: export, import back with `--from hf`'s reader, compare field by field. CycloneDX and CHAI have no
importer: every value of a field the format claims to carry (its MAPPING) must be found in the export's text,
unless the report names the field.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from fixtures.interop.full import full_source
from helpers.project import EXAMPLES, REPO, minimal_source

from compiler.interop import Loss, export
from compiler.interop.losses import covered, fmt_number, plain_text, walk
from compiler.schema import Source

# Dict-valued fields compared whole (their keys are data, not schema).
_WHOLE = ("slice", "hyperparameters", "software_versions")


@cache
def example(model_id: str) -> Source:
    from compiler.load.reader import load_project
    from compiler.resolve.apply import resolved_source
    from compiler.validate.project import validate_project

    return resolved_source(validate_project(load_project(REPO / "content", [model_id])).models[0])


def sources() -> list[tuple[str, Any]]:
    return [("full", lambda: Source.model_validate(full_source(minimal_source("cxr"))))] + [
        (name, lambda name=name: example(name)) for name in EXAMPLES
    ]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return fmt_number(float(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, dict):
        return json.dumps({k: _text(v) for k, v in sorted(value.items())})
    return " ".join(str(value).split())


def _dict_walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of a partial source as plain data, like `walk` of a Source."""
    if isinstance(value, dict) and not path.endswith(_WHOLE):
        for key, item in value.items():
            if not key.startswith("_"):
                yield from _dict_walk(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from _dict_walk(item, f"{path}[]")
    elif value not in (None, "", {}):
        yield path, value


def _by_path(pairs: Iterable[tuple[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path, value in pairs:
        found[path].append(_text(value))
    return {path: sorted(values) for path, values in found.items()}


def _named(losses: Iterable[Loss]) -> list[str]:
    """The fields a report names, indexes as []; a loss may name several fields separated by commas."""
    return [re.sub(r"\[\d+\]", "[]", part.strip()) for loss in losses for part in loss.field.split(",")]


def unnamed_differences(source: Source, imported: dict[str, Any], losses: Iterable[Loss]) -> dict[str, Any]:
    """Fields whose values differ after the round trip and that the loss report does not name."""
    before, after = _by_path(walk(source)), _by_path(_dict_walk(imported))
    named = _named(losses)
    return {p: (v, after.get(p)) for p, v in before.items() if v != after.get(p) and not covered(p, named)}


@pytest.mark.parametrize(("name", "make"), sources(), ids=[name for name, _ in sources()])
def test_hf_round_trip_differences_are_all_in_the_loss_report(name: str, make: Any, tmp_path: Path) -> None:
    from compiler.interop import hf_import

    source = make()
    result = export(source, "hf")
    (tmp_path / "README.md").write_text(result.text, encoding="utf-8")
    imported = hf_import.read(tmp_path / "README.md")
    assert unnamed_differences(source, imported.data, result.losses) == {}


def test_a_difference_the_report_does_not_name_is_found() -> None:
    """The comparison can fail: a value changed on the way back, with no loss naming it, is reported."""
    source = Source.model_validate(full_source(minimal_source("cxr")))
    imported = source.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    assert unnamed_differences(source, imported, []) == {}
    imported["model"]["name"] = "Another name"
    assert unnamed_differences(source, imported, []) == {"model.name": (["Chest X-ray triage"], ["Another name"])}
    assert unnamed_differences(source, imported, [Loss("model.name", "changed", "renamed")]) == {}


# --- formats without an importer: structural comparison ---------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    """Every text of a JSON document but embedded images."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "content":
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    else:
        yield str(value)


def export_text(fmt: str, text: str) -> str:
    if fmt == "cyclonedx":
        parts = list(_strings(json.loads(text)))
    else:
        from lxml import etree

        parts = [e.text or "" for e in etree.fromstring(text.encode("utf-8")).iter() if isinstance(e.tag, str)]
    return " ".join(plain_text(" \n ".join(parts)).split())


def _needles(value: Any) -> list[str]:
    if isinstance(value, bool):
        return []  # carried as a choice (which element, "the default"), not as a word
    if isinstance(value, dict):
        return [n for item in value.values() for n in _needles(item)]
    if isinstance(value, int | float):
        return [fmt_number(float(value))]
    return [" ".join(plain_text(_text(value)).split())]


def carried_but_absent(source: Source, fmt: str, text: str, losses: Iterable[Loss]) -> dict[str, list[str]]:
    """Values of fields the format's MAPPING carries that are not in the export and not named by the report."""
    mapping = import_module(f"compiler.interop.{fmt}").MAPPING
    carried, named, found = [field for field, _ in mapping], _named(losses), export_text(fmt, text)
    absent: dict[str, list[str]] = defaultdict(list)
    for path, value in walk(source):
        if covered(path, carried) and not covered(path, named):
            absent[path] += [n for n in _needles(value) if n not in found]
    return {path: values for path, values in absent.items() if values}


@pytest.mark.parametrize("fmt", ["cyclonedx", "chai"])
@pytest.mark.parametrize(("name", "make"), sources(), ids=[name for name, _ in sources()])
def test_every_carried_value_is_in_the_export_or_in_the_report(name: str, make: Any, fmt: str) -> None:
    source = make()
    if fmt == "chai" and source.model.domain != "health":
        pytest.skip("CHAI cards are for health models")
    result = export(source, fmt)
    assert carried_but_absent(source, fmt, result.text, result.losses) == {}


def test_a_carried_value_missing_from_the_export_is_found() -> None:
    source = Source.model_validate(full_source(minimal_source("cxr")))
    result = export(source, "cyclonedx")
    bom = json.loads(result.text)
    bom["components"][0]["modelCard"]["considerations"]["technicalLimitations"] = []
    absent = carried_but_absent(source, "cyclonedx", json.dumps(bom), result.losses)
    assert set(absent) == {"risk.limitations[]", "risk.failure_modes[]"}
