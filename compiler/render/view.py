"""Render stage helper: a read-only view of the source that knows the path of every value.

Templates read the source through these views, so that a missing value can be reported with its
field path (`model.regulatory.file_number`), and so that the render stage knows which fields each
section of a document shows (the section anchors of the requirements cross-reference).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel


class FieldError(Exception):
    """A template asked for a field the source does not have, or printed a missing one."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class Tracker:
    """Records which source paths each section read (indexes normalised to `[]`)."""

    def __init__(self) -> None:
        self.section = ""
        self.reads: dict[str, set[str]] = {}

    def read(self, path: str) -> None:
        self.reads.setdefault(self.section, set()).add(re.sub(r"\[\d+\]", "[]", path))


def wrap(value: Any, path: str, tracker: Tracker | None) -> Any:
    """A view of value at path: models, lists and mappings are wrapped, None becomes Missing."""
    if tracker is not None and path:
        tracker.read(path)
    if value is None:
        return Missing(path)
    if isinstance(value, BaseModel):
        return View(value, path, tracker)
    if isinstance(value, list):
        return ListView(value, path, tracker)
    if isinstance(value, dict):
        return DictView(value, path, tracker)
    return value


def unwrap(value: Any) -> Any:
    """The plain value behind a view, for Jinja's own filters and tests; none for a field the source leaves out.

    Reads through the plain value are not recorded for the requirements cross-reference.

    Example:
        {% for r in source.evaluation.results | raw if r.operating_point %}{{ metric(r) }}{% endfor %}
    """
    if isinstance(value, Missing):
        return None
    if isinstance(value, (View, ListView, DictView)):
        return value._value
    return value


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class View:
    """A source section; attribute access yields views of its fields."""

    __slots__ = ("_path", "_tracker", "_value")

    def __init__(self, value: BaseModel, path: str, tracker: Tracker | None) -> None:
        self._value = value
        self._path = path
        self._tracker = tracker

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in type(self._value).model_fields:
            where = _join(self._path, name)
            raise FieldError(where, f"the source has no field '{where}'")
        return wrap(getattr(self._value, name), _join(self._path, name), self._tracker)

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        raise FieldError(self._path, f"'{self._path}' is a section, not a value; print one of its fields")

    def __repr__(self) -> str:
        return f"View({self._path})"


class ListView:
    """A list field; items are views whose paths carry their index."""

    __slots__ = ("_path", "_tracker", "_value")

    def __init__(self, value: list[Any], path: str, tracker: Tracker | None) -> None:
        self._value = value
        self._path = path
        self._tracker = tracker

    def __iter__(self) -> Iterator[Any]:
        for i, item in enumerate(self._value):
            yield wrap(item, f"{self._path}[{i}]", self._tracker)

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __contains__(self, item: object) -> bool:
        return unwrap(item) in self._value

    def __getitem__(self, index: int) -> Any:
        return wrap(self._value[index], f"{self._path}[{index}]", self._tracker)

    def __str__(self) -> str:
        raise FieldError(self._path, f"'{self._path}' is a list; loop over it or use the `join_list` filter")


class DictView:
    """A mapping field (slices, hyperparameters, subpopulations)."""

    __slots__ = ("_path", "_tracker", "_value")

    def __init__(self, value: dict[str, Any], path: str, tracker: Tracker | None) -> None:
        self._value = value
        self._path = path
        self._tracker = tracker

    def items(self) -> list[tuple[str, Any]]:
        return [(k, wrap(v, f"{self._path}.{k}", self._tracker)) for k, v in self._value.items()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __contains__(self, key: object) -> bool:
        return key in self._value

    def __eq__(self, other: object) -> bool:
        return bool(self._value == unwrap(other))

    __hash__ = None  # type: ignore[assignment]

    def __getitem__(self, key: str) -> Any:
        return wrap(self._value[key], f"{self._path}.{key}", self._tracker)

    def __str__(self) -> str:
        raise FieldError(self._path, f"'{self._path}' is a mapping; loop over its items")


class Missing:
    """An optional field the source leaves out: falsy, and an error if a template prints it."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Missing:
        if name.startswith("_"):
            raise AttributeError(name)
        return Missing(_join(self.path, name))

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __str__(self) -> str:
        raise FieldError(self.path, f"source field '{self.path}' is missing")

    def __repr__(self) -> str:
        return f"Missing({self.path})"
