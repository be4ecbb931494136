"""Load stage (YAML parser): libyaml and the pure-Python parser give the same nodes, and the same errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.project import REPO

from compiler.load.parse import WITH_LIBYAML, PythonLoader, compose

pytestmark = pytest.mark.skipif(not WITH_LIBYAML, reason="PyYAML was built without libyaml")

SOURCES = sorted(
    path
    for folder in ("content", "audiences", "compiler/config", "examples", "tests/corpus", "tests/fixtures")
    for path in (REPO / folder).rglob("*.y*ml")
    if path.suffix in (".yaml", ".yml")
)


def _tree(node: Any, seen: dict[int, int] | None = None) -> Any:
    """A node as comparable data: kind, tag, value, where it starts; a node met again (an alias) by its number."""
    seen = {} if seen is None else seen
    if id(node) in seen:
        return ("alias", seen[id(node)])
    seen[id(node)] = len(seen)
    where = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value, node.style or None, where)  # plain: None or ""
    if isinstance(node, yaml.SequenceNode):
        return ("seq", node.tag, [_tree(item, seen) for item in node.value], where)
    return ("map", node.tag, [(_tree(k, seen), _tree(v, seen)) for k, v in node.value], where)


def test_the_repository_sources_are_many() -> None:
    assert len(SOURCES) > 60


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_both_parsers_give_the_same_nodes(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        slow, _ = compose(text, fast=False)
    except yaml.YAMLError as error:  # hostile or broken on purpose: the same error either way
        with pytest.raises(type(error)) as caught:
            compose(text)
        assert str(caught.value) == str(error)
        return
    fast, loader = compose(text)
    assert not isinstance(loader, PythonLoader) or "\t" in text
    assert (fast is None) == (slow is None)
    if fast is not None and slow is not None:
        assert _tree(fast) == _tree(slow)


def test_positions_count_characters_not_bytes() -> None:
    text = "a: é€😀\nb:\n  - ü: [1, 2]\n    😀😀: 'x'\n"
    fast, _ = compose(text)
    slow, _ = compose(text, fast=False)
    assert fast is not None and slow is not None
    assert _tree(fast) == _tree(slow)


@pytest.mark.parametrize(
    "text",
    [
        "model:\n  id: m\n name: x\n",  # a key indented less than its siblings
        "a: [1, 2\nb: 3\n",  # an unclosed bracket
        "a: 'unclosed\n",
        "a: b: c\n",
        "a: \x07\n",  # a control character
        "- a\nb: 1\n",
        "a: 1\n---\nb: 2\n",  # two documents
        "a: *missing\n",
    ],
)
def test_an_error_is_the_pure_python_parsers(text: str) -> None:
    with pytest.raises(yaml.YAMLError) as fast:
        compose(text)
    with pytest.raises(yaml.YAMLError) as slow:
        compose(text, fast=False)
    assert type(fast.value) is type(slow.value)
    assert str(fast.value) == str(slow.value)


def test_a_tab_goes_to_the_pure_python_parser() -> None:
    """libyaml reads `key:<tab>value`; PyYAML refuses it, and the loader words that refusal."""
    with pytest.raises(yaml.MarkedYAMLError):
        compose("model:\n  id:\tm\n")


def test_timestamps_stay_text_and_tags_are_kept() -> None:
    node, loader = compose("day: 2025-03-14\nblob: !!binary aGk=\n")
    assert node is not None
    (_, day), (_, blob) = node.value
    assert loader.construct_object(day) == "2025-03-14"
    assert blob.tag == "tag:yaml.org,2002:binary"


def test_python_tags_are_not_constructed() -> None:
    node, loader = compose("x: !!python/object/apply:os.system ['true']\n")
    assert node is not None
    with pytest.raises(yaml.constructor.ConstructorError):
        loader.construct_object(node.value[0][1], deep=True)
