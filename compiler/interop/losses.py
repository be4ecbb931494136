"""Export stage, loss report: which source fields a target format cannot carry, so no export looks complete when it is not."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from compiler.schema import is_fact_ref
from compiler.schema.base import is_pending

# Kinds of loss, in the order the report lists them.
NOT_CARRIED = "not-carried"
UNRESOLVED = "unresolved"
MISSING = "missing-required"
CHANGED = "changed"
KINDS = (MISSING, UNRESOLVED, CHANGED, NOT_CARRIED)


@dataclass(frozen=True, order=True)
class Loss:
    """One field (a path with [] for list items) whose values the export leaves out or had to invent."""

    field: str
    kind: str
    reason: str
    count: int = 1

    def format(self) -> str:
        times = f" ({self.count} values)" if self.count > 1 else ""
        return f"{self.field}{times}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "kind": self.kind, "reason": self.reason, "count": self.count}


def sort_losses(losses: Iterable[Loss]) -> list[Loss]:
    """Deduplicated, grouped by kind, then by field."""
    return sorted(set(losses), key=lambda loss: (KINDS.index(loss.kind), loss.field, loss.reason))


def covered(path: str, patterns: Iterable[str]) -> bool:
    """Whether a field path is one of the patterns or lies inside one."""
    return any(path == p or path.startswith((p + ".", p + "[")) for p in patterns)


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every value the author gave (defaults and empty lists left out), list indexes as []."""
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            item = getattr(value, name)
            if item is None or (not info.is_required() and item == info.get_default(call_default_factory=True)):
                continue
            yield from walk(item, f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, f"{path}[]")
    elif isinstance(value, dict):
        if value:
            yield path, value
    else:
        yield path, value


def leaves(value: Any) -> Iterator[str]:
    """Paths of every value the author gave."""
    return (path for path, _ in walk(value))


def fact_refs(value: Any) -> Iterator[tuple[str, str]]:
    """(path, reference) of every fact reference still in the source."""
    for path, item in walk(value):
        if is_fact_ref(item):
            yield path, str(item)
        elif isinstance(item, dict):
            yield from ((f"{path}.{k}", str(v)) for k, v in item.items() if is_fact_ref(v))


def uncarried(source: BaseModel, carried: Iterable[str], target: str) -> list[Loss]:
    """Losses for every given source field outside the carried patterns, reported at the widest wholly-lost section."""
    patterns = tuple(carried)
    counts = Counter(leaves(source))
    lost = {path: n for path, n in counts.items() if not covered(path, patterns)}
    kept = [path for path in counts if path not in lost]
    grouped: Counter[str] = Counter()
    for path, n in lost.items():
        grouped[_widest_lost(path, kept)] += n
    return [Loss(path, NOT_CARRIED, f"{target} has no place for it", n) for path, n in grouped.items()]


def _widest_lost(path: str, kept: list[str]) -> str:
    parts = path.split(".")
    for depth in range(1, len(parts)):
        prefix = ".".join(parts[:depth])
        if not any(k == prefix or k.startswith((prefix + ".", prefix + "[")) for k in kept):
            return prefix
    return path


class Collector:
    """What an exporter notes while it writes: numbers it could not use and required targets it had to fill."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.losses: list[Loss] = []

    def number(self, value: Any, field: str) -> float | None:
        """A number to write, or None (and a loss) when the value is still an unresolved fact reference."""
        if value is None:
            return None
        if is_fact_ref(value):
            self.losses.append(
                Loss(field, UNRESOLVED, f"unresolved fact reference {value} left out; run `docs-compile resolve` first")
            )
            return None
        return float(value)

    def changed(self, field: str, how: str, count: int = 1) -> None:
        """The target carries the field, but not as the source has it (another unit, a default, a shortened form)."""
        self.losses.append(Loss(field, CHANGED, how, count))

    def missing(self, target_field: str, source_fields: str) -> None:
        """The target requires a field that the source does not fill."""
        self.losses.append(
            Loss(
                source_fields, MISSING, f"{self.target} requires {target_field}; written as 'Not stated in the source.'"
            )
        )


NOT_STATED = "Not stated in the source."


def fmt_number(value: float) -> str:
    """Shortest exact text of a number: 0.91 stays 0.91, 120.0 becomes 120."""
    return str(int(value)) if value.is_integer() else repr(value)


_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_CODE = re.compile(r"`+([^`\n]+)`+")
_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)


def plain_text(markdown: str) -> str:
    """Markdown as plain text: emphasis and code marks dropped, links as 'text (url)', headings as their text."""
    text = _LINK.sub(
        lambda m: m.group(2) if m.group(1) in ("", m.group(2)) else f"{m.group(1)} ({m.group(2)})", markdown
    )
    text = _AUTOLINK.sub(r"\1", text)
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    return _HEADING.sub("", text).strip()


def bibtex(s: Any) -> tuple[str, bool]:
    """The model's citation as BibTeX, and whether it had to be wrapped: BibTeX stays, plain text is a @misc `note`."""
    m = s.model
    if not m.citation or m.citation.lstrip().startswith("@"):
        return m.citation or "", False
    title = m.name if is_pending(m.version) else f"{m.name} {m.version}"
    fields = [
        ("author", " and ".join("{" + _bibtex(d.name) + "}" for d in m.developers)),
        ("title", "{" + _bibtex(title) + "}"),
        *([("year", "{" + str(m.release_date.year) + "}")] if m.release_date else []),
        ("note", "{" + _bibtex(m.citation) + "}"),
    ]
    if m.papers:
        fields.append(("url", "{" + _bibtex(m.papers[0]) + "}"))
    body = ",\n".join(
        f"  {name} = {{{value}}}" if name == "author" else f"  {name} = {value}" for name, value in fields
    )
    return f"@misc{{{m.id},\n{body}\n}}", True


def _bibtex(text: str) -> str:
    return " ".join(text.replace("{", "(").replace("}", ")").split())
