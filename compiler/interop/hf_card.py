"""Import stage, Hugging Face: the structure of a model card README.md — front matter, heading sections, tables.

What the sections mean for a source is `hf_import`'s concern; this module only takes the card apart.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from compiler._util.paths import display_path
from compiler.errors import SourceError

_FRONT_START = re.compile(r"\A---[ \t]*\n")
_FRONT_END = re.compile(r"^---[ \t]*$", re.M)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^(```|~~~)")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def read_card(path: Path) -> tuple[dict[str, Any], str]:
    """The card's front matter (as data) and its Markdown body; invalid front matter names line and column."""
    text = _card_text(path).replace("\r\n", "\n").removeprefix("\ufeff")
    return split_front_matter(text, display_path(path))


def _card_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError.at(display_path(path), "file not found") from None
    except UnicodeDecodeError as exc:
        raise SourceError.at(
            display_path(path), f"not UTF-8 text ({exc.reason})", hint="save the card as UTF-8"
        ) from None


def split_front_matter(text: str, shown: str) -> tuple[dict[str, Any], str]:
    """Front matter (as data) and body text."""
    start = _FRONT_START.match(text)
    if not start:
        return {}, text
    end = _FRONT_END.search(text, start.end())
    if not end:
        raise SourceError.at(
            shown,
            "front matter opened with --- is never closed",
            line=1,
            column=1,
            hint="end it with a line holding only ---",
        )
    raw = text[start.end() : end.start()]
    try:
        data = _bounded_load(raw, shown)
    except RecursionError:  # PyYAML composes nested collections recursively
        raise SourceError.at(shown, "front matter is nested too deeply", line=2, column=1, hint=_DEPTH_HINT) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 2, mark.column + 1) if mark else (2, 1)
        message = exc.problem or "invalid YAML"
        raise SourceError.at(
            shown,
            f"invalid YAML front matter: {message}",
            line=line,
            column=column,
            hint="fix the YAML between the --- lines",
        ) from None
    except yaml.YAMLError as exc:
        raise SourceError.at(shown, f"invalid YAML front matter: {exc}", line=2, column=1) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SourceError.at(shown, "front matter must be a mapping (key: value)", line=2, column=1)
    return data, text[end.end() :].lstrip("\n")


# A card comes from outside (the Hub, another team): its front matter is read with bounded size, so an
# alias bomb (`tags:` repeating aliases of aliases, gigabytes from a few hundred bytes) is refused after
# counting, before anything is built from it.
MAX_FRONT_VALUES = 100_000
"""Values a card's front matter may expand to, every alias counted each time it is used."""
MAX_FRONT_DEPTH = 64
"""Nesting of mappings and lists in a card's front matter."""
_DEPTH_HINT = f"a card's front matter is nested at most {MAX_FRONT_DEPTH} levels; flatten it"


def _bounded_load(raw: str, shown: str) -> Any:
    """Compose the YAML (aliases stay shared nodes), count what it expands to, and only then construct it."""
    loader = yaml.SafeLoader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, shown)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_size(root: yaml.Node, shown: str) -> None:
    values = 0
    pending: list[tuple[yaml.Node, int]] = [(root, 0)]
    while pending:  # iterative: a deep document must not exhaust the Python stack here either
        node, depth = pending.pop()
        values += 1
        line, column = node.start_mark.line + 2, node.start_mark.column + 1
        if values > MAX_FRONT_VALUES:
            raise SourceError.at(
                shown,
                f"front matter expands to more than {MAX_FRONT_VALUES:,} values",
                line=line,
                column=column,
                hint="aliases that repeat other aliases multiply (a 'billion laughs' document); write the values out",
            )
        if depth > MAX_FRONT_DEPTH:
            raise SourceError.at(shown, "front matter is nested too deeply", line=line, column=column, hint=_DEPTH_HINT)
        if isinstance(node, yaml.SequenceNode):
            pending += [(item, depth + 1) for item in node.value]
        elif isinstance(node, yaml.MappingNode):
            pending += [(part, depth + 1) for pair in node.value for part in pair]


def sections(body: str) -> list[tuple[int, str, str]]:
    """(level, heading, text) for every heading outside code fences; text before the first heading gets level 0."""
    out: list[tuple[int, str, list[str]]] = [(0, "", [])]
    fenced = False
    for line in _COMMENT.sub("", body).split("\n"):
        if _FENCE.match(line.strip()):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            out.append((len(match.group(1)), match.group(2).strip(), []))
        else:
            out[-1][2].append(line)
    return [(level, title, "\n".join(lines).strip()) for level, title, lines in out]


def section_key(title: str) -> str:
    """A heading as the template names it: lower case, without the template's '[optional]' marker."""
    return re.sub(r"\s*\[optional\]\s*", "", title, flags=re.I).strip().lower()


def table_row(line: str, names: dict[str, str]) -> dict[str, Any] | None:
    """A row of the results table as a result (metric names -> ids in `names`); None when it does not parse."""
    cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
    if len(cells) != 7 or cells[0] not in names or not is_number(yaml_scalar(cells[4])):
        return None
    metric, dataset, subgroup, op, value, ci, n = cells
    row: dict[str, Any] = {"metric": names[metric], "value": float(yaml_scalar(value))}
    if dataset:
        row["dataset"] = dataset
    if subgroup != "overall":
        pairs = [p.split("=", 1) for p in subgroup.split(", ")]
        if not all(len(p) == 2 for p in pairs):
            return None
        row["slice"] = {k: v for k, v in pairs}
    if op:
        row["operating_point"] = op
    bounds = ci.split(" – ")
    if len(bounds) == 2 and all(is_number(yaml_scalar(b)) for b in bounds):
        row["ci_low"], row["ci_high"] = (float(yaml_scalar(b)) for b in bounds)
    if n.isdigit():
        row["n"] = int(n)
    return row


def yaml_scalar(text: str) -> Any:
    """The text read as a YAML value (number, boolean, …), or the text itself when it is not valid YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def is_number(value: Any) -> TypeGuard[float]:
    """A finite int or float, not a bool."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and value == value
        and abs(value) != float("inf")
    )


def as_list(value: Any) -> list[Any]:
    """A front-matter value that may be one item or a list, as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
