"""Property-based fuzzing of load → validate → render: no exception but the project's own error types.

Three properties, 2,150 examples in a normal run (about 30 s on two cores):

- mutated YAML text (bytes flipped, YAML syntax inserted, lines cut) loads and validates or fails
  with a `CompilerError` (1,200 examples);
- structured mutations of a valid source (any value replaced by a value of any type, keys renamed
  or removed) validate or fail with a `CompilerError` (650 examples);
- valid sources whose texts are random (Markdown, HTML, Jinja, control characters) render for the
  technical and leadership audiences, and the HTML carries no script or event handler (300 examples).

`DOCS_COMPILE_FUZZ=long` selects a profile with 20 times as many examples, for occasional runs:
    DOCS_COMPILE_FUZZ=long python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import os
import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.project import AUDIENCES, minimal_source
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.errors import CompilerError

SCALE = 20 if os.environ.get("DOCS_COMPILE_FUZZ") == "long" else 1
COMMON = {
    "deadline": None,  # a shared machine has slow moments; the bounds tests measure time, not these
    "derandomize": SCALE == 1,  # the normal run is reproducible; the long run explores
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    "database": None,
}
BASE_TEXT = yaml.safe_dump(minimal_source("demo"), sort_keys=False, allow_unicode=True)
YAML_BITS = [
    ":", "- ", "? ", "&a ", "*a", "!!python/object/apply:os.system ['true']", "!tag ", "<<: *a", "---\n",
    "...\n", "{", "}", "[", "]", "|", ">", "#", "'", '"', "\t", "\r\n", "\x00", "\x07", "\ufeff", "%YAML 1.1\n",
    "$include: ../x.yaml", "$include: /etc/passwd", "\\", "@", "`", ".nan", "-.inf", "0x1F", "1e999", "~", "null",
]  # fmt: skip
HOSTILE_TEXT = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[a](javascript:alert(1))", "{{ 7*7 }}",
    "{% for x in y %}", "<iframe src=//evil>", "![i](file:///etc/passwd)", "<svg onload=alert(1)>", "|a|b|\n|-|-|",
    "```mermaid\ngraph TD\nA-->B\n```", "[x]: http://evil", "<!--", "]]>", "&#106;avascript:", "*" * 40, "\\",
    "</title><script>alert(1)</script>", "<style>@import url(//e)</style>", "{: onclick=alert(1) }",
]  # fmt: skip


def _load_validate(root: Path, text: str | bytes) -> Any:
    from compiler.load.reader import load_project
    from compiler.validate.project import validate_project

    path = root / "content" / "demo" / "model.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return validate_project(load_project(root / "content"))


# --- 1. mutated YAML text ------------------------------------------------------------------------------

edit = st.tuples(
    st.sampled_from(["insert", "delete", "replace", "cut-line", "flip"]),
    st.integers(min_value=0, max_value=len(BASE_TEXT)),
    st.one_of(st.sampled_from(YAML_BITS), st.text(max_size=8)),
)


@settings(max_examples=1200 * SCALE, **COMMON)
@given(edits=st.lists(edit, min_size=1, max_size=4))
def test_mutated_yaml_loads_or_fails_cleanly(tmp_path_factory: pytest.TempPathFactory, edits: list[Any]) -> None:
    raw = BASE_TEXT.encode()
    for kind, at, bit in edits:
        at = min(at, len(raw))
        piece = bit.encode("utf-8", "surrogatepass")
        if kind == "insert":
            raw = raw[:at] + piece + raw[at:]
        elif kind == "delete":
            raw = raw[:at] + raw[at + len(piece) :]
        elif kind == "replace":
            raw = raw[:at] + piece + raw[at + len(piece) :]
        elif kind == "cut-line":
            start = raw.rfind(b"\n", 0, at) + 1
            end = raw.find(b"\n", at)
            raw = raw[:start] + (raw[end + 1 :] if end >= 0 else b"")
        else:
            raw = raw[:at] + bytes([(raw[at] if at < len(raw) else 0) ^ 0x80]) + raw[at + 1 :]
    _expect_clean(lambda: _load_validate(tmp_path_factory.mktemp("y"), raw))


# --- 2. structured mutations of a valid source ------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["mlflow://", "mlflow://r/metrics/auc", "computed://x", "2025-02-30", "1.2.3", "", " "]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


ALL_PATHS = _paths(minimal_source("demo"))
mutation = st.tuples(st.sampled_from(["replace", "remove", "rename"]), st.sampled_from(ALL_PATHS), values)


@settings(max_examples=650 * SCALE, **COMMON)
@given(mutations=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_source_validates_or_fails_cleanly(
    tmp_path_factory: pytest.TempPathFactory, mutations: list[Any]
) -> None:
    source: Any = minimal_source("demo")
    for kind, path, value in mutations:
        parent = source
        try:
            for part in path[:-1]:
                parent = parent[part]
            key = path[-1]
            if kind == "replace":
                parent[key] = value
            elif kind == "remove":
                del parent[key]
            elif isinstance(parent, dict):
                parent[str(key) + "x"] = parent.pop(key)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    text = yaml.safe_dump(source, sort_keys=False, allow_unicode=True)
    _expect_clean(lambda: _load_validate(tmp_path_factory.mktemp("s"), text))


# --- 3. rendering valid sources with hostile texts ------------------------------------------------------

TEXT_FIELDS = [
    ("model", "name"),
    ("model", "summary"),
    ("model", "type"),
    ("intended_use", "purpose"),
    ("system", "ai_statement"),
    ("datasets", 0, "name"),
    ("evaluation", "metrics", 0, "name"),
    ("risk", "limitations", 0),
]
texts = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60),
    st.lists(st.sampled_from(HOSTILE_TEXT + list(string.punctuation)), min_size=1, max_size=5).map(" ".join),
)


@pytest.fixture(scope="module")
def audiences() -> list[Any]:
    from compiler.config.audiences import load_audiences

    return [a for a in load_audiences(AUDIENCES) if a.name in ("technical", "leadership")]


@settings(max_examples=300 * SCALE, **COMMON)
@given(changes=st.lists(st.tuples(st.sampled_from(TEXT_FIELDS), texts), min_size=1, max_size=4))
def test_hostile_texts_render_safely(
    tmp_path_factory: pytest.TempPathFactory, audiences: list[Any], changes: list[Any]
) -> None:
    from compiler.build import render_input
    from compiler.render.engine import render_document
    from compiler.render.markup import to_html

    source: Any = minimal_source("demo")
    for path, text in changes:
        parent = source
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = text
    yaml_text = yaml.safe_dump(source, sort_keys=False, allow_unicode=True)

    def run() -> None:
        catalog = _load_validate(tmp_path_factory.mktemp("r"), yaml_text)
        model = render_input(catalog.models[0])
        for audience in audiences:
            html = to_html(render_document(model, audience, audiences).markdown)
            assert not re.search(r"<(script|iframe|object|embed|style)\b", html, re.IGNORECASE), html
            assert not re.search(r"<[^>]+\son\w+\s*=", html, re.IGNORECASE), html
            assert not re.search(r"(href|src)=\"\s*(javascript|data|file|vbscript):", html, re.IGNORECASE), html

    _expect_clean(run)


def _expect_clean(action: Any) -> None:
    """The action succeeds or raises the project's own error with at least one placed problem."""
    try:
        action()
    except CompilerError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.message
            assert "Traceback" not in problem.format()
