"""Editor schemas (compiler/schema/editor.py): the committed schemas/ is current, every example file names the right
schema and has no error in it read as an editor reads it, `$include` is accepted wherever the loader accepts it, and
every property has its own description and an example."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.project import REPO
from jsonschema import Draft202012Validator

from compiler.commands.init import scaffold
from compiler.load import reader
from compiler.schema import json_schema
from compiler.schema.editor import (
    INCLUDE_KEY,
    PART_KINDS,
    PARTS,
    REGENERATE,
    SCHEMAS_DIR,
    model_schema,
    part_schema,
    schema_line,
    schema_text,
    write_schemas,
)

SCHEMAS = REPO / SCHEMAS_DIR
MODELS = sorted(REPO.glob("content/*/model.yaml")) + sorted(REPO.glob("examples/*/model.yaml"))
NOT_SOURCES = ("examples/ci/",)
"""YAML files under content/ and examples/ that are not model sources (CI workflows) and carry no source schema."""
SOURCES = sorted(
    path
    for folder in ("content", "examples")
    for path in (REPO / folder).rglob("*.y*ml")
    if not path.relative_to(REPO).as_posix().startswith(NOT_SOURCES)
)
LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


class Yaml12Loader(yaml.SafeLoader):
    """YAML as yaml-language-server reads it (YAML 1.2 core schema): a date stays text, and so do yes/no/on/off."""


Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("null", r"~|null|Null|NULL|", "~nN"),
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
        "-+.0123456789",
    ),
):
    Yaml12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_pattern})$"), [*_first, ""])


def _int12(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    base = {"0o": 8, "0x": 16}.get(text[:2], 10)
    return int(text[2:] if base != 10 else text, base)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int12)


def read12(text: str) -> Any:
    return yaml.load(text, Loader=Yaml12Loader)


def errors(schema: dict[str, Any], data: Any) -> list[str]:
    found = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:300]}" for e in found]


def _schema_of(path: Path) -> Path:
    first = path.read_text(encoding="utf-8").partition("\n")[0]
    found = LINE.match(first)
    assert found, f"{path.relative_to(REPO)}: first line is not `# yaml-language-server: $schema=…`: {first!r}"
    return (path.parent / found.group(1)).resolve()


# --- the committed schemas/ ------------------------------------------------------------------------------


def test_the_committed_schemas_are_what_the_code_generates(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert [p.name for p in written] == [f"{kind}.schema.json" for kind in PART_KINDS]
    present = sorted(p.name for p in SCHEMAS.iterdir()) if SCHEMAS.is_dir() else []
    assert present == sorted(p.name for p in written), (
        f"{SCHEMAS_DIR}/ holds other files than the parts; regenerate it: {REGENERATE}"
    )
    for path in written:
        assert (SCHEMAS / path.name).read_bytes() == path.read_bytes(), (
            f"{SCHEMAS_DIR}/{path.name} is out of date with compiler/schema/; regenerate it: {REGENERATE}"
        )


def test_writing_twice_gives_the_same_bytes_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in write_schemas(tmp_path)}
    second = {p.name: p.read_bytes() for p in write_schemas(tmp_path)}
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(first)


@pytest.mark.parametrize("kind", PART_KINDS)
def test_each_part_is_a_valid_self_contained_draft_2020_12_schema(kind: str) -> None:
    schema = json.loads(schema_text(kind))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    refs = set(re.findall(r'"\$ref": "([^"]+)"', schema_text(kind)))
    assert refs and all(ref.startswith("#/$defs/") and ref[8:] in schema["$defs"] for ref in refs), refs
    assert len({json.loads(schema_text(k))["$id"] for k in PART_KINDS}) == len(PART_KINDS)


def test_the_include_key_is_the_loaders() -> None:
    assert INCLUDE_KEY == reader.INCLUDE_KEY


# --- the example files -----------------------------------------------------------------------------------


def test_every_example_source_is_listed() -> None:
    names = {p.relative_to(REPO).as_posix() for p in SOURCES}
    assert {"content/chest-xray-triage/model.yaml", "examples/mlflow/model.yaml"} <= names
    assert "content/chest-xray-triage/datasets/train.yaml" in names
    assert "content/chest-xray-triage/evaluation/results.yaml" in names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_example_file_has_no_error_under_the_schema_its_first_line_names(path: Path) -> None:
    schema_file = _schema_of(path)
    assert schema_file.parent == SCHEMAS and schema_file.is_file(), f"names {schema_file}, not a file of {SCHEMAS_DIR}/"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert errors(schema, read12(path.read_text(encoding="utf-8"))) == []


def _includes(data: Any, at: str = "") -> Iterator[tuple[str, list[str]]]:
    """(field path with [] for list items, file names) of every `$include` in raw data."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == INCLUDE_KEY:
                yield at, [value] if isinstance(value, str) else value
            else:
                yield from _includes(value, f"{at}.{key}" if at else key)
    elif isinstance(data, list):
        for item in data:
            yield from _includes(item, f"{at}[]")


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_file_is_checked_against_the_part_it_fills(model: Path) -> None:
    """A model names the model schema; each included file names the part of the value its `$include` fills."""
    parts = {p.fills: p for p in PARTS}
    assert _schema_of(model) == SCHEMAS / "model.schema.json"
    for at, names in _includes(read12(model.read_text(encoding="utf-8"))):
        assert at in parts, f"{model.relative_to(REPO)} includes a file at {at}: add a Part for it to PARTS"
        for name in names:
            assert _schema_of(model.parent / name) == SCHEMAS / parts[at].file_name, name


def test_the_scaffold_names_the_model_schema_and_has_no_error_under_it() -> None:
    text = scaffold("demo")
    assert (
        text.partition("\n")[0]
        == schema_line("model", 2)
        == ("# yaml-language-server: $schema=../../schemas/model.schema.json")
    )
    assert errors(model_schema(), read12(text)) == []


def test_schema_lines_count_the_folders_up_to_the_repository() -> None:
    assert schema_line("dataset", 3) == "# yaml-language-server: $schema=../../../schemas/dataset.schema.json"
    assert schema_line("results", 0) == "# yaml-language-server: $schema=schemas/results.schema.json"


def test_yaml_is_read_as_an_editor_reads_it() -> None:
    data = read12("a: 2025-03-31\nb: no\nc: on\nd: 0o17\ne: 017\nf: 1e3\ng: ~\nh: True\ni: .inf\n")
    assert data == {
        **{"a": "2025-03-31", "b": "no", "c": "on", "d": 15, "e": 17, "f": 1000.0},
        **{"g": None, "h": True, "i": float("inf")},
    }


# --- the schema finds mistakes, and accepts $include where the loader does ------------------------------

TRAIN = REPO / "content/chest-xray-triage/datasets/train.yaml"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("\n  count: ", "\n  cuont: ", "composition: Additional properties are not allowed ('cuont' was unexpected)"),
        ("\n  count: ", "\n  count: many # ", "composition.count: 'many' is not valid under any of the given schemas"),
        ("\nrole: train", "\nrole: training", "role: 'training' is not valid under any of the given schemas"),
        ("\n  synthetic: false", "\n  synthetic: no", "collection.synthetic: 'no' is not valid under any of"),
    ],
    ids=["misspelt-key", "text-for-a-count", "unknown-role", "yes-no-is-text-in-yaml-1.2"],
)
def test_a_mistake_in_an_included_dataset_file_is_reported(old: str, new: str, expected: str) -> None:
    text = TRAIN.read_text(encoding="utf-8")
    assert old in text
    found = errors(part_schema("dataset"), read12(text.replace(old, new, 1)))
    assert found and all(e.startswith(expected.split(":")[0]) for e in found), found
    assert any(e.startswith(expected) for e in found), found


def test_the_plain_schema_rejects_the_includes_the_editor_schema_accepts() -> None:
    data = read12((REPO / "content/chest-xray-triage/model.yaml").read_text(encoding="utf-8"))
    assert len(errors(json_schema(), data)) > 10
    assert errors(model_schema(), data) == []


def _replace_every(data: Any, wanted: Any, change: Any) -> Any:
    """A copy of data with every value (below the top) for which wanted(value) holds replaced by change(value)."""

    def walk(value: Any, top: bool) -> Any:
        if not top and wanted(value):
            return change(value)
        if isinstance(value, dict):
            return {k: v if k == INCLUDE_KEY else walk(v, False) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, False) for v in value]
        return value

    return walk(copy.deepcopy(data), True)


def _include(_: Any) -> dict[str, str]:
    return {INCLUDE_KEY: "part.yaml"}


@pytest.mark.parametrize(
    ("wanted", "change"),
    [
        (lambda v: not isinstance(v, (dict, list)), _include),
        (lambda v: isinstance(v, list), _include),
        (lambda v: isinstance(v, dict), _include),
        (lambda v: isinstance(v, dict) and len(v) > 1, lambda v: {**dict(list(v.items())[:1]), INCLUDE_KEY: "a.yaml"}),
        (lambda v: isinstance(v, dict), lambda v: {**v, INCLUDE_KEY: ["a.yaml", "b/c.yml"]}),
    ],
    ids=["every-scalar", "every-list", "every-mapping", "keys-beside-include", "list-of-files"],
)
def test_an_include_is_accepted_at_every_place_the_loader_accepts_one(wanted: Any, change: Any) -> None:
    for path in (REPO / "content/chest-xray-triage/model.yaml", REPO / "content/support-rag-assistant/model.yaml"):
        data = read12(path.read_text(encoding="utf-8"))
        assert errors(model_schema(), _replace_every(data, wanted, change)) == []


@pytest.mark.parametrize(
    "target",
    ["/etc/passwd.yaml", "~/x.yaml", "https://example.org/x.yaml", "notes.json", "", []],
    ids=["absolute", "home", "url", "not-yaml", "empty", "empty-list"],
)
def test_an_include_the_loader_refuses_is_an_error(target: Any) -> None:
    data = read12((REPO / "content/chest-xray-triage/model.yaml").read_text(encoding="utf-8"))
    data["evaluation"]["results"] = {INCLUDE_KEY: target}
    assert [e.split(":")[0] for e in errors(model_schema(), data)] == ["evaluation.results"]


def test_keys_beside_an_include_are_still_checked_and_required_keys_are_not_demanded() -> None:
    assert errors(part_schema("dataset"), {INCLUDE_KEY: "common.yaml", "role": "test"}) == []
    found = errors(part_schema("dataset"), {INCLUDE_KEY: "common.yaml", "notes": "x"})
    assert found == ["(top): Additional properties are not allowed ('notes' was unexpected)"]
    assert errors(part_schema("dataset"), {"role": "test"})[0] == "(top): 'id' is a required property"


# --- descriptions and examples ---------------------------------------------------------------------------

GENERIC = {"Plain text.", "Display name.", "Identifier.", "Title.", "Link.", "Threshold.", "Comparison.", "Warnings."}


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, definition in [("(top)", schema), *schema["$defs"].items()]:
        for key, node in definition.get("properties", {}).items():
            yield f"{name}.{key}", node


def _resolved(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The node a property's schema stands for: references followed, null and include branches left aside."""
    while True:
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
            continue
        branches = [b for b in node.get("anyOf", []) if b.get("type") != "null" and b != {"$ref": "#/$defs/Include"}]
        if len(branches) == 1:
            node = branches[0]
            continue
        return node


def _annotation(node: dict[str, Any], key: str, schema: dict[str, Any]) -> Any:
    """A property's description or examples: its own, or those of the definition it refers to (what hover shows)."""
    return node.get(key) or _resolved(node, schema).get(key)


def _is_leaf(node: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A leaf holds no section: a scalar, a list of scalars or a mapping of scalars (not a list of sections)."""
    node = _resolved(node, schema)
    if "properties" in node and set(node["properties"]) != {INCLUDE_KEY}:
        return False
    if "anyOf" in node:
        return all(_is_leaf(b, schema) for b in node["anyOf"] if b.get("$ref") != "#/$defs/Include")
    children = [node.get("items"), node.get("additionalProperties")]
    return all(_is_leaf(c, schema) for c in children if isinstance(c, dict))


def test_every_property_has_a_description_of_its_own() -> None:
    schema = model_schema()
    assert "Plain text" not in json.dumps(schema)
    missing, generic = [], []
    for name, node in _properties(schema):
        description = node.get("description", "")
        if not description:
            missing.append(name)
        elif description in GENERIC or len(description.split()) < 3:
            generic.append(f"{name}: {description}")
    assert (missing, generic) == ([], [])


def test_a_fields_docstring_is_its_description() -> None:
    dataset = model_schema()["$defs"]["Dataset"]["properties"]
    assert dataset["id"]["description"] == "Identifier used by results and cross-references."
    assert dataset["name"]["description"] == "Name of the dataset shown in the documents."
    creators = model_schema()["$defs"]["Motivation"]["properties"]["creators"]
    assert creators["description"] == "Who created it, on behalf of whom?"


def test_every_leaf_property_has_examples_that_are_valid_values() -> None:
    schema = model_schema()
    leaves = [(name, node) for name, node in _properties(schema) if _is_leaf(node, schema)]
    assert len(leaves) > 300
    assert [name for name, node in leaves if not _annotation(node, "examples", schema)] == []
    invalid = []
    for name, node in leaves:
        validator = Draft202012Validator({**node, "$defs": schema["$defs"]})
        examples = _annotation(node, "examples", schema)
        invalid += [f"{name}: {example!r}" for example in examples if not validator.is_valid(example)]
    assert invalid == []


def test_sections_are_not_leaves() -> None:
    schema = model_schema()
    properties = dict(_properties(schema))
    assert not _is_leaf(properties["(top).datasets"], schema)
    assert not _is_leaf(properties["Composition.subpopulations"], schema)
    assert _is_leaf(properties["Result.slice"], schema)
    assert _is_leaf(properties["Training.hyperparameters"], schema)


# --- the command -----------------------------------------------------------------------------------------


def test_schema_dir_writes_every_part_and_part_prints_one(project: Path, cli: Any) -> None:
    result = cli("schema", "--dir", "schemas")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"wrote schemas/{kind}.schema.json" for kind in PART_KINDS]
    for kind in PART_KINDS:
        assert (project / "schemas" / f"{kind}.schema.json").read_bytes() == (
            SCHEMAS / f"{kind}.schema.json"
        ).read_bytes()
    assert cli("schema").output == schema_text("model")
    assert cli("schema", "--part", "dataset").output == schema_text("dataset")
    assert cli("schema", "--part", "results", "--out", "r.json").exit_code == 0
    assert (project / "r.json").read_text(encoding="utf-8") == schema_text("results")
    assert cli("-q", "schema", "--dir", "quiet").output == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--dir", "s", "--out", "x.json"), "error: --dir writes every part: give it neither --out nor --part"),
        (("--dir", "s", "--part", "model"), "error: --dir writes every part: give it neither --out nor --part"),
        (("--out", "folder"), "error: folder: is a folder (hint: write every part into it with `--dir folder`)"),
        (("--part", "datasets"), "Invalid value for '--part': 'datasets' is not one of 'model', 'dataset', 'results'"),
    ],
    ids=["dir-and-out", "dir-and-part", "out-is-a-folder", "unknown-part"],
)
def test_schema_usage_mistakes_exit_2(project: Path, cli: Any, args: tuple[str, ...], message: str) -> None:
    (project / "folder").mkdir()
    result = cli("schema", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (project / "s").exists() and not (project / "x.json").exists()
