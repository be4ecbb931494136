"""Field paths and conditions (check stage): a small path language over the source, used by frameworks.

Grammar, written against the schema's own names:

    path    := step ("." step)*
    step    := NAME | NAME "[" "]" | NAME "[" filter ("," filter)* "]" | NAME "[" INDEX "]"
    filter  := ["!"] fpath ["=" VALUE ("|" VALUE)* | "#" COUNT]

`datasets[].composition.count` selects the count of every dataset; `datasets[role=test]` only the test
datasets; `evaluation.results[slice]` the results that have a slice (subgroups), `evaluation.results[!slice]`
those without (overall); `evaluation.results[slice.sex]` those sliced by sex, and `evaluation.results[slice#2]` those whose slice has two or more entries
(intersections). A name after a mapping field
(`slice`, `software_versions`, `subpopulations`) is a key of that mapping.

A path is *satisfied* when it selects at least one value and every selected value is filled: present, not
empty and not a placeholder ("TBD", "TODO …", "[More Information Needed]", a bare "N/A").
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

_STEP = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)(?:\[(?P<sel>[^\[\]]*)\])?$")
_FILTER = re.compile(r"^(?P<neg>!?)(?P<path>[a-z_][a-z0-9_.]*)(?:=(?P<values>[^,\[\]#]*)|#(?P<count>\d+))?$")

# Text that stands in for content not written yet. "N/A" alone is a placeholder; "N/A: not collected
# because …" is an explanation and counts as content.
_PLACEHOLDER = re.compile(
    r"^\s*(tbd|tbc|tba|todo\b.*|fixme\b.*|xxx+|\?+|\.\.\.|…|-+|n/?a\.?|not applicable\.?"
    r"|\[more information needed\]|more information needed\.?|lorem ipsum\b.*)\s*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Filter:
    path: tuple[str, ...]
    values: tuple[str, ...] | None
    negate: bool = False
    count: int | None = None


@dataclass(frozen=True)
class Step:
    name: str
    each: bool = False
    index: int | None = None
    filters: tuple[Filter, ...] = ()


class PathSyntaxError(ValueError):
    """A field path or condition that does not follow the grammar."""


def parse(path: str) -> tuple[Step, ...]:
    """Parse a field path into steps; PathSyntaxError when it does not follow the grammar."""
    steps = []
    for part in _split(path):
        match = _STEP.match(part)
        if not match:
            raise PathSyntaxError(f"'{path}': cannot read '{part}'")
        sel = match["sel"]
        if sel is None:
            steps.append(Step(match["name"]))
        elif sel == "":
            steps.append(Step(match["name"], each=True))
        elif sel.isdigit():
            steps.append(Step(match["name"], index=int(sel)))
        else:
            steps.append(Step(match["name"], each=True, filters=tuple(_filter(path, f) for f in sel.split(","))))
    if not steps:
        raise PathSyntaxError("empty path")
    return tuple(steps)


def _split(path: str) -> list[str]:
    """Split on dots outside brackets."""
    parts, depth, current = [], 0, ""
    for char in path.strip():
        depth += (char == "[") - (char == "]")
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _filter(path: str, text: str) -> Filter:
    match = _FILTER.match(text.strip())
    if not match:
        raise PathSyntaxError(f"'{path}': cannot read filter '{text}'")
    values = None if match["values"] is None else tuple(v.strip() for v in match["values"].split("|"))
    count = int(match["count"]) if match["count"] else None
    return Filter(tuple(match["path"].split(".")), values, bool(match["neg"]), count)


# --- values ------------------------------------------------------------------------------------------


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and bool(_PLACEHOLDER.match(value))


def filled(value: Any) -> bool:
    """Present, not empty, not a placeholder; containers need at least one filled member."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip()) and not is_placeholder(value)
    if isinstance(value, dict):
        return any(filled(v) for v in value.values())
    if isinstance(value, list):
        return any(filled(v) for v in value)
    return True


def _get(node: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _keep(element: Any, filters: tuple[Filter, ...]) -> bool:
    for f in filters:
        value = _get(element, f.path)
        if f.count is not None:
            members = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
            ok = sum(1 for m in members if filled(m)) >= f.count
        elif f.values is None:
            ok = filled(value)
        else:
            text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            ok = text in f.values
        if ok == f.negate:
            return False
    return True


Selected = list[tuple[tuple[str | int, ...], Any]]


def select(data: Any, path: str | tuple[Step, ...]) -> Selected:
    """Every (concrete path, value) the path reaches in plain data; absent values are (path, None)."""
    steps = parse(path) if isinstance(path, str) else path
    current: Selected = [((), data)]
    for step in steps:
        nxt: Selected = []
        for where, node in current:
            value = node.get(step.name) if isinstance(node, dict) else None
            here = (*where, step.name)
            if step.index is not None:
                items = value if isinstance(value, list) else []
                nxt.append(((*here, step.index), items[step.index] if step.index < len(items) else None))
            elif step.each:
                items = value if isinstance(value, list) else []
                nxt.extend(((*here, i), item) for i, item in enumerate(items) if _keep(item, step.filters))
            else:
                nxt.append((here, value))
        current = nxt
    return current


def satisfied(data: Any, path: str) -> bool:
    """Whether the path selects at least one value and every selected value is filled."""
    found = select(data, path)
    return bool(found) and all(filled(value) for _, value in found)


def unfilled(data: Any, path: str) -> list[tuple[str | int, ...]]:
    """Concrete paths the path selects that are not filled (the path itself when it selects nothing)."""
    found = select(data, path)
    if not found:
        return [tuple(s.name for s in parse(path))]
    return [where for where, value in found if not filled(value)]


# --- schema ------------------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """Strip Optional and Annotated down to the type that carries the structure."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            structured = [a for a in args if _is_structured(a)]
            annotation = structured[0] if structured else args[0]
        else:
            return annotation


def _is_structured(annotation: Any) -> bool:
    inner = _unwrap(annotation) if get_origin(annotation) is typing.Annotated else annotation
    return get_origin(inner) in (list, dict) or (isinstance(inner, type) and issubclass(inner, BaseModel))


def _child(annotation: Any, name: str, path: str) -> Any:
    """Type of `name` under a type: a model field, or any key of a mapping."""
    annotation = _unwrap(annotation)
    if get_origin(annotation) is dict:
        return get_args(annotation)[1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields
        if name not in fields:
            from compiler._util.text import closest

            hint = closest(name, sorted(fields))
            raise PathSyntaxError(
                f"'{path}': {annotation.__name__} has no field '{name}'" + (f" ({hint})" if hint else "")
            )
        return fields[name].annotation
    raise PathSyntaxError(f"'{path}': '{name}' is below a value that has no fields")


def _element(annotation: Any, name: str, path: str) -> Any:
    annotation = _unwrap(annotation)
    if get_origin(annotation) is not list:
        raise PathSyntaxError(f"'{path}': '{name}' is not a list, so it takes no [...]")
    return get_args(annotation)[0]


def check_path(path: str, root: type[BaseModel] | None = None) -> None:
    """Raise PathSyntaxError unless every step (and filter) of the path exists in the schema."""
    if root is None:
        from compiler.schema import Source

        root = Source
    current: Any = root
    for step in parse(path):
        current = _child(current, step.name, path)
        if step.each or step.index is not None:
            current = _element(current, step.name, path)
            for f in step.filters:
                probe = current
                for name in f.path:
                    probe = _child(probe, name, path)


# --- conditions --------------------------------------------------------------------------------------

_COMPARE = re.compile(r"^(?P<path>[a-z_][a-z0-9_.]*)\s*(?:(?P<op>==|!=)\s*(?P<value>[A-Za-z0-9_.+-]+))?$")


def _condition_path(name: str) -> str:
    """Bare names are fields of `model` (medical_device, domain, risk_class); dotted names are full paths."""
    return name if "." in name else f"model.{name}"


def check_condition(text: str) -> None:
    """Raise PathSyntaxError unless the condition follows the grammar and names existing fields."""
    for disjunct in re.split(r"\s+or\s+", text.strip()):
        for term in re.split(r"\s+and\s+", disjunct):
            match = _COMPARE.match(re.sub(r"^not\s+", "", term.strip()))
            if not match:
                raise PathSyntaxError(f"condition '{text}': cannot read '{term}'")
            check_path(_condition_path(match["path"]))


def holds(text: str | None, data: dict[str, Any]) -> bool:
    """Evaluate a condition such as `medical_device`, `domain == health` or `not medical_device and x`."""
    if not text:
        return True
    return any(all(_term(term, data) for term in re.split(r"\s+and\s+", d)) for d in re.split(r"\s+or\s+", text))


def _term(term: str, data: dict[str, Any]) -> bool:
    term = term.strip()
    negate = term.startswith("not ")
    match = _COMPARE.match(term[4:].strip() if negate else term)
    if not match:
        raise PathSyntaxError(f"cannot read condition '{term}'")
    value = _get(data, tuple(_condition_path(match["path"]).split(".")))
    if match["op"] is None:
        result = filled(value) and value is not False
    else:
        text = str(value).lower() if isinstance(value, bool) else ("" if value is None else str(value))
        result = (text == match["value"]) == (match["op"] == "==")
    return result != negate
