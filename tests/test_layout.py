"""The package's shape (docs/architecture.md): stage packages import one way, modules and functions stay small."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from helpers.project import REPO

PACKAGE = REPO / "compiler"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_only(path: Path) -> set[int]:
    """Line numbers of imports under `if TYPE_CHECKING:` (they do not run)."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            lines.update(n.lineno for child in node.body for n in ast.walk(child) if hasattr(n, "lineno"))
    return lines


def _graph(level: int | None) -> dict[str, set[str]]:
    """Import graph between modules (level None) or between packages `compiler.<x>` (level 2)."""
    modules = _modules()

    def group(name: str) -> str:
        return ".".join(name.split(".")[:level]) if level else name

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        skip = _type_checking_only(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = {
            t
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.lineno not in skip
            for t in _imports_of(node, modules)
        }
        graph.setdefault(group(name), set()).update(group(t) for t in targets if group(t) != group(name))
    return graph


def _imports_of(node: ast.ImportFrom, modules: dict[str, Path]) -> Iterator[str]:
    if node.module and node.level == 0 and node.module.startswith("compiler"):
        for alias in node.names:
            name = f"{node.module}.{alias.name}"
            yield name if name in modules else node.module


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    assert _cycles(_graph(None)) == []


def test_no_stage_package_imports_itself_back_through_others() -> None:
    assert _cycles(_graph(2)) == []


def test_render_never_calls_back_into_resolve() -> None:
    """Monitoring histories and facts arrive in the render input; render does not read evidence itself."""
    graph = _graph(2)
    assert "compiler.resolve" not in graph["compiler.render"]


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines")
    assert too_long == [], f"over {MAX_MODULE_LINES} lines a module or {MAX_FUNCTION_LINES} a function"


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The checks above would pass on any graph if the finder were wrong."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
