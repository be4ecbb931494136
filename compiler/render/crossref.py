"""Render stage helper: the requirements cross-reference — which heading of a document shows which field.

The template API records the source fields each part of a document reads (`Reads`): a part is a section,
or the stretch under a heading that `heading()` wrote. A part *shows* a value when it read the value or
one below it; reading `system` on the way to `system.inputs` shows neither `system` nor `system.hardware`.
Values are concrete (`datasets[2].composition.count`), so a requirement on some elements of a list
(`datasets[role=test]`) points to the part that shows those elements. A requirement points to the one part
that shows every value its fields select (the part whose reads are most about them, when several do), or
else to the fewest parts that together show them.

Whether a field is filled is `schema.paths.satisfied`, the one definition that `check` uses too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, get_args

from markupsafe import Markup
from pydantic import BaseModel

from compiler.check.coverage import (
    Applicability,
    CoverageRow,
    Place,
    applicability,
    assess,
    condition_reason,
    coverage,
    summarise,
)
from compiler.config.audiences import Audience
from compiler.config.frameworks import load_framework
from compiler.errors import ConfigError
from compiler.render import formats
from compiler.render.markup import escape_markdown
from compiler.render.view import FieldError, Tracker, unwrap
from compiler.schema import Source
from compiler.schema.paths import holds, satisfied, select

_LEVEL = re.compile(r"^#{1,6}$")
_ANCHOR = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Heading:
    """A heading written by `heading()`: where the cross-reference may point, by number and title."""

    anchor: str
    number: str
    title: str

    @property
    def text(self) -> str:
        """'1. General description' for an item number, '1(a) Intended purpose' for a lettered one."""
        if not self.number:
            return self.title
        return f"{self.number}. {self.title}" if self.number.isdigit() else f"{self.number} {self.title}"


class Reads(Tracker):
    """A tracker that also keeps the concrete paths each part read (`datasets[2].name`, not `datasets[].name`)."""

    def __init__(self) -> None:
        super().__init__()
        self.concrete: dict[str, set[str]] = {}

    def read(self, path: str) -> None:
        super().read(path)
        self.concrete.setdefault(self.section, set()).add(path)


def requirement_rows(
    source: Source, audience: Audience, reads: Mapping[str, set[str]], headings: Mapping[str, Heading] | None = None
) -> list[CoverageRow]:
    """One row per field the audience requires: covered or missing, and the headings that show it.

    `reads` maps each part of the document (a section or a heading's anchor) to the paths it read.
    """
    data = source.model_dump(mode="json")
    parts = Parts(reads)
    rows = []
    for i, path in enumerate(audience.config.requires):
        covered = satisfied(data, path)
        places = parts.places(headings or {}, (path,), data) if covered else ()
        rows.append(
            CoverageRow(
                framework=f"audience:{audience.name}",
                requirement_id=f"{audience.name}-{i + 1:02d}",
                text=path,
                citation=f"audiences/{audience.name}/audience.yaml",
                fields=(path,),
                status="covered" if covered else "missing",
                section=places[0].anchor if places else "",
                places=places,
            )
        )
    return rows


def places_showing(
    reads: Mapping[str, set[str]], headings: Mapping[str, Heading], fields: tuple[str, ...], data: dict[str, Any]
) -> tuple[Place, ...]:
    """The headings that show the values the fields select, in document order: one when one part shows
    them all, else a cover; values no part shows are left out."""
    return Parts(reads).places(headings, fields, data)


class Parts:
    """The parts of a rendered document with, for each, how many of its reads lie at or below each path."""

    def __init__(self, reads: Mapping[str, set[str]]) -> None:
        self.order = [name for name, paths in reads.items() if name and paths]
        self.size = {name: len(reads[name]) for name in self.order}
        self.below: dict[str, Counter[str]] = {
            name: Counter(prefix for path in reads[name] for prefix in _prefixes(path)) for name in self.order
        }

    def places(
        self, headings: Mapping[str, Heading], fields: tuple[str, ...], data: dict[str, Any]
    ) -> tuple[Place, ...]:
        """See `places_showing`."""
        selected = {_concrete(where) for field in fields for where, _ in select(data, field)}
        # A value inside another selected value adds nothing to show, and would count reads twice.
        wanted = {w for w in selected if not any(p in selected for p in list(_prefixes(w))[1:])}
        shown = {name: {w for w in wanted if self.below[name][w]} for name in self.order}
        focus = {name: sum(self.below[name][w] for w in wanted) / self.size[name] for name in self.order}
        chosen: list[str] = []
        left = set(wanted)
        while left:
            # max() keeps the first of equals: document order breaks the last ties.
            name = max(self.order, key=lambda n: (len(shown[n] & left), focus[n]), default="")
            if not name or not shown[name] & left:
                break
            chosen.append(name)
            left -= shown[name]
        return tuple(Place(n, _heading_text(n, headings)) for n in sorted(chosen, key=self.order.index))


def _prefixes(path: str) -> Iterator[str]:
    """The path, then every path above it: `a.b[2].c`, `a.b[2]`, `a.b`, `a`."""
    yield path
    for i in range(len(path) - 1, 0, -1):
        if path[i] in ".[":
            yield path[:i]


def _concrete(where: tuple[str | int, ...]) -> str:
    """`("datasets", 2, "name")` as the view writes it: `datasets[2].name`."""
    text = ""
    for step in where:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else step
    return text


def field_title(model: type[BaseModel], path: str) -> str:
    """The readers' name of a source path: each named step's `title` in the schema (or its name in words),
    joined by ' › '; list indices and selectors are skipped."""
    names = []
    current: Any = model
    for step in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"\[[^\]]*\]", "", path)):
        info = current.model_fields.get(step) if isinstance(current, type) and issubclass(current, BaseModel) else None
        names.append(info.title if info and info.title else step.replace("_", " ").capitalize())
        current = _inner_model(info.annotation) if info else None
    return " › ".join(names)


def _leaves(data: dict[str, Any], path: str) -> Iterator[tuple[str | int, ...]]:
    """Every scalar value at or below the values a path selects, as concrete steps."""
    stack = [(tuple(where), value) for where, value in select(data, path)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*where, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*where, i), v) for i, v in enumerate(value))
        elif value is not None:
            yield where


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `Plain | None` or `list[Dataset]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_inner_model, get_args(annotation)) if m is not None), None)


def _heading_text(anchor: str, headings: Mapping[str, Heading]) -> str:
    found = headings.get(anchor)
    return found.text if found else formats.label(anchor)


class CrossReference:
    """The template functions of coverage and applicability (part of `TemplateAPI`)."""

    source: Source
    audience: Audience
    audiences: list[Audience]
    tracker: Reads
    headings: dict[str, Heading]

    @cached_property
    def _data(self) -> dict[str, Any]:
        return self.source.model_dump(mode="json")

    def requirement_rows(self) -> list[CoverageRow]:
        """The fields this audience requires (`requires:` in audience.yaml) as coverage rows.

        Each row has `requirement_id`, `text` (the field path), `status` (covered or missing) and
        `places`: the headings of this document that show the field, each with `anchor` and `text`, for
        links. Call it in the last section, after the sections that show the fields have been rendered.

        Example:
            {% for row in requirement_rows() %}| {{ row.text | code }} | {{ row.status | label }} |
            {% endfor %}
        """
        return requirement_rows(self.source, self.audience, self.tracker.concrete, self.headings)

    def framework_rows(self) -> list[CoverageRow]:
        """Coverage of this audience's frameworks (`frameworks:`), a row per requirement.

        Each row has `framework`, `requirement_id`, `text`, `citation`, `fields`, `status` (covered,
        partial, missing or not-applicable), `reason` (why it does not apply) and `places`: the headings of
        this document that show its fields (`anchor`, `text`), in document order.

        Example:
            {% for row in framework_rows() if row.status == "missing" %}- {{ row.requirement_id }}: {{ row.text }}
            {% endfor %}
        """
        parts = Parts(self.tracker.concrete)
        rows = []
        for row in coverage(self.source, self.audience.config.frameworks):
            if row.status in ("covered", "partial"):
                places = parts.places(self.headings, row.fields, self._data)
                row = replace(row, places=places, section=places[0].anchor if places else "")
            else:
                row = replace(row, section="")
            rows.append(row)
        return rows

    def framework_summary(self, name: str | None = None) -> list[dict[str, Any]]:
        """Per framework of an audience (this one by default): `framework`, `title`, `applies`, `reason`,
        `covered`, `partial`, `missing`, `not_applicable`, `applicable`, `percent` and `open` (the missing and
        partial rows).

        Example:
            {% for fw in framework_summary("regulatory") if fw.applies %}{{ fw.title }}: {{ fw.percent }}%
            {% endfor %}
        """
        audience = self._audience(name)
        found = assess(self.source, audience.config.frameworks)
        scope = {a.framework: a for a in applicability(self.source, audience.config.frameworks)}
        summaries = []
        for summary in summarise(found):
            open_rows = [
                a.row for a in found if a.row.framework == summary.framework and a.row.status in ("missing", "partial")
            ]
            fits = scope[summary.framework]
            summaries.append(
                {**summary.as_dict(), "applicable": summary.applicable, "open": open_rows}
                | {"applies": fits.applies, "reason": fits.reason}
            )
        return summaries

    def coverage_of(self, name: str) -> list[CoverageRow]:
        """The fields another audience requires, as coverage rows (without places: that document is not this one).

        Example:
            {% set reg = coverage_of("regulatory") %}{{ reg | selectattr("status", "eq", "covered") | list | length }} of {{ reg | length }}
        """
        return requirement_rows(self.source, self._audience(name), {})

    def applicability(self) -> list[Applicability]:
        """Whether each framework of this audience applies to the model: `framework`, `title`, `applies` and
        `reason`, in words from the framework's condition and the model's values ("applies to medical
        devices; this model: not a medical device").

        Example:
            {% for a in applicability() if not a.applies %}- {{ a.title }}: not applicable, because {{ a.reason }}.
            {% endfor %}
        """
        return applicability(self.source, self.audience.config.frameworks)

    def applies(self, framework_id: str) -> bool:
        """Whether a framework (any shipped one, by id) applies to the model: its `when:` holds.

        Example:
            {% if applies("fda-ai-dsf-2025") %}*FDA guidance section XII.*{% endif %}
        """
        return self._applicability(framework_id).applies

    def not_applicable(self, framework_id: str) -> str:
        """Why a framework does not apply to the model, as a sentence naming it; empty when it applies.

        Example:
            {% set why = not_applicable("eu-ai-act-annex-iv") %}{% if why %}Not applicable: {{ why }}.{% endif %}
        """
        found = self._applicability(framework_id)
        return "" if found.applies else f"{found.title} {found.reason}"

    def heading(self, level: str, number: str, title: str, anchor: str) -> Markup:
        """A heading the cross-reference can point to: `level` is `#`…`######`, `number` the item number
        ('1', '2(h)', or empty), `anchor` its id. The fields read under it, up to the next `heading()` or
        section, count as shown by it.

        Example:
            {{ heading("###", "1(a)", "Intended purpose, provider and version", "intended-purpose") }}
        """
        level, number, title, anchor = (str(unwrap(v)) for v in (level, number, title, anchor))
        if not _LEVEL.match(level) or not _ANCHOR.match(anchor):
            raise FieldError(
                "", f"heading(): expected a level like '###' and an anchor like 'item-1a', found {level!r}, {anchor!r}"
            )
        if anchor in self.headings:
            raise FieldError("", f"heading(): the anchor '{anchor}' is used twice in this document")
        found = Heading(anchor, number, title)
        self.headings[anchor] = found
        self.tracker.section = anchor
        return Markup(f"{level} {escape_markdown(found.text)} {{ #{anchor} }}")

    def shown_in(self, path: str) -> tuple[Place, ...]:
        """The headings of this document that show a source path (`risk`, `plain`, `datasets[0].composition`),
        each with `anchor` and `text`; empty when no part shows it. Call it after the sections that show it.

        Example:
            {% for p in shown_in("risk") %}[{{ p.text }}](#{{ p.anchor }}){ .xref }{% endfor %}
        """
        leaves = tuple(_concrete(where) for where in _leaves(self._data, str(unwrap(path))))
        return Parts(self.tracker.concrete).places(self.headings, leaves, self._data)

    def section_title(self, path: str) -> str:
        """A source path's name for readers, from the schema: 'Risk management' for `risk`, 'Datasets ›
        Composition' for `datasets[0].composition`.

        Example:
            {{ section_title("plain") }}
        """
        return field_title(Source, str(unwrap(path)))

    def _applicability(self, framework_id: str) -> Applicability:
        wanted = str(unwrap(framework_id))
        try:
            framework = load_framework(wanted)
        except ConfigError as exc:
            raise FieldError("", f"no framework '{wanted}' ({exc.problems[0].hint})") from None
        reason = condition_reason(framework.when, framework.applies_to, self._data)
        return Applicability(framework.id, framework.title, holds(framework.when, self._data), reason)

    def _audience(self, name: str | None) -> Audience:
        if name is None:
            return self.audience
        found = next((a for a in self.audiences if a.name == name), None)
        if found is None:
            raise FieldError("", f"no audience '{name}' to report coverage of")
        return found
