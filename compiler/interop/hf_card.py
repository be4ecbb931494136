"""Import stage, Hugging Face: the structure of a model card README.md — front matter, heading sections, tables.

What the sections mean for a source is `hf_import`'s concern; this module only takes the card apart.
"""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
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
    if text.lstrip("\n").startswith("---"):  # blank lines above the front matter, as the Hub allows
        text = text.lstrip("\n")
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
    """A row of the results table as a result (metric names -> ids in `names`); None when it does not parse.

    The table has an SD column before n only when a result has a standard deviation."""
    cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
    if len(cells) not in (7, 8) or cells[0] not in names or not is_number(yaml_scalar(cells[4])):
        return None
    metric, dataset, subgroup, op, value, ci, *sd, n = cells
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
    if sd and is_number(yaml_scalar(sd[0])):
        row["sd"] = float(yaml_scalar(sd[0]))
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


# --- tables -----------------------------------------------------------------------------------------

Table = list[list[str]]
"""A table as rows of cell texts, the header row first."""

_MD_ROW = re.compile(r"^\s*\|?(.+?)\|?\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HTML_TABLE = re.compile(r"<table\b.*?</table>", re.I | re.S)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def tables(text: str) -> tuple[list[Table], str]:
    """The Markdown and HTML tables of a section, and the section's text without them."""
    found: list[Table] = []

    def html(match: re.Match[str]) -> str:
        table = _HtmlTable.parse(match.group(0))
        if table:
            found.append(table)
        return ""

    lines, rest, i = _HTML_TABLE.sub(html, text).split("\n"), [], 0
    while i < len(lines):
        if "|" in lines[i] and i + 1 < len(lines) and _MD_RULE.match(lines[i + 1]) and "-" in lines[i + 1]:
            rows = [_md_cells(lines[i])]
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(_md_cells(lines[i]))
                i += 1
            found.append(rows)
        else:
            rest.append(lines[i])
            i += 1
    return found, "\n".join(rest).strip()


def _md_cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell_text(c) for c in re.split(r"(?<!\\)\|", inner)]


def cell_text(cell: str) -> str:
    """A cell as plain text: links by their text, no emphasis or code marks, single spaces."""
    text = _LINK.sub(r"\1", cell.replace("\\|", "|"))
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(re.sub(r"[*`]", "", text).split())


class _HtmlTable(HTMLParser):
    """Rows of one HTML <table> (th and td alike); nested tables are read as text of their cell."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: Table = []
        self.cell: list[str] | None = None

    @classmethod
    def parse(cls, markup: str) -> Table:
        parser = cls()
        parser.feed(markup)
        parser.close()
        return [row for row in parser.rows if any(row)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(cell_text("".join(self.cell)))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_facts(table: Table) -> list[tuple[str, str | None, float]]:
    """(metric, dataset or None, value) for each number of a results table. Rows name datasets and the header
    metrics ("testset | BLEU | chr-F"); in a two-column "name | score" table the rows name metrics (no dataset)."""
    if len(table) < 2 or len(table[0]) < 2:
        return []
    header, rows = table[0], table[1:]
    pairs = len(header) == 2 and header[1].strip().lower() in ("score", "value", "result", "results")
    found: list[tuple[str, str | None, float]] = []
    for row in rows:
        label = row[0] if row else ""
        if not label or number(label) is not None:
            continue
        for col, cell in enumerate(row[1 : len(header)], start=1):
            value = number(cell)
            if value is not None and header[col]:
                found.append((label, None, value) if pairs else (header[col], label, value))
    return found


_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])[ \t]+(.*)$")


def items(text: str) -> list[str]:
    """A section as list items: its bullets, or else its paragraphs."""
    bullets = [m.group(1).strip() for line in text.split("\n") if (m := _BULLET.match(line))]
    if bullets:
        return bullets
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


_MODEL_COLUMN = re.compile(r"^(models?|model name)$", re.I)
_SUBJECT = re.compile(r"^\s*([A-Za-z][\w.+-]*)\s+(?:is|are)\s+(?:a|an|the)\b")


def subject(text: str) -> str | None:
    """The model a card's prose introduces by name ("CodeQwen1.5 is the Code-Specific version of …"); only a
    name-like word (two capitals, or a digit), never "This" or "It"."""
    found = _SUBJECT.match(text)
    word = found.group(1) if found else ""
    return word if sum(c.isupper() for c in word) >= 2 or any(c.isdigit() for c in word) else None


def own_rows(table: Table, name: str | None) -> list[tuple[str, float]] | None:
    """(metric, value) of the card's own rows of a table that compares models ("Model | Size | HumanEval | …"):
    rows whose label begins with the model's name, the column naming the metric (and the row, when it names a
    variant, e.g. "-Chat", or the card has several). None when the table compares no models. Other models' rows are
    never the card's results."""
    if len(table) < 2 or not _MODEL_COLUMN.match(table[0][0].strip()):
        return None
    header, own = table[0], name.lower() if name else None
    found: list[tuple[str, str, float]] = []
    for row in table[1:]:
        if not own or not row or not row[0].lower().startswith(own):
            continue
        for col, cell in enumerate(row[1 : len(header)], start=1):
            value = number(cell)
            if value is not None and header[col]:
                found.append((row[0], header[col], value))
    variants = len({label for label, _, _ in found}) > 1
    named = [(f"{column} ({label})" if variants or label.lower() != own else column, v) for label, column, v in found]
    return named


_PAIR_LINE = re.compile(r"^\s*[-*+][ \t]+(?:\*\*)?([A-Za-z][\w .()/-]{0,40}?)(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.+?)\s*$")


def labelled(text: str) -> list[tuple[str, str]]:
    """(label, value) pairs a card lists: the rows of its two-column tables and its `- label: value` bullets."""
    found, _ = tables(text)
    pairs = [(row[0], row[1]) for table in found if len(table[0]) == 2 for row in table[1:] if len(row) == 2]
    pairs += [(m.group(1), m.group(2)) for line in text.split("\n") if (m := _PAIR_LINE.match(line))]
    return [(label, value) for label, value in pairs if label.strip() and value.strip()]


_NUMBER = re.compile(r"^[-+]?(\d+([.,]\d+)?|\.\d+)(e[-+]?\d+)?\s*%?$", re.I)


def number(text: Any) -> float | None:
    """A number as cards write it: 0.912, "0.9", "0,912" (decimal comma), "21.48%"; None for anything else."""
    if is_number(text):
        return float(text)
    if not isinstance(text, str):
        return None
    raw = text.strip().split(" ")[0] if text.strip() else ""
    if not _NUMBER.match(raw):
        return None
    raw = raw.rstrip("%").strip()
    thousands = re.match(r"^[-+]?[1-9]\d{0,2}(,\d{3})+$", raw)  # "1,000"; "0,912" is a decimal comma
    value = float(raw.replace(",", "") if thousands else raw.replace(",", "."))
    return value if is_number(value) else None


# --- values as cards write them ------------------------------------------------------------------

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$")


def iso_date(text: str) -> str | None:
    """A date as cards write it (2020-02-02, 2020/02/02, 08/28/2020, 2020-02-02T10:00) in ISO form; None when
    the text is no date. Month and day are read month first (the US order MCT's examples use) unless the first
    number cannot be a month."""
    found, text = None, text.strip()
    if m := _YEAR_FIRST.match(text):
        found = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    elif m := _DAY_FIRST.match(text):
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        found = (year, b, a) if a > 12 else (year, a, b)
    if found is None:
        return None
    try:
        return date(*found).isoformat()
    except ValueError:
        return None


_LICENSE_NAMES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.I), spdx_id)
    for p, spdx_id in (
        (r"\bapache(?: software)?(?: license)?,?(?: version| v)?[ -]?2(?:\.0)?\b", "Apache-2.0"),
        (r"\bcc[- ]by[- ]nc[- ]sa[- ]4\.0\b|licenses/by-nc-sa/4\.0", "CC-BY-NC-SA-4.0"),
        (r"\bcc[- ]by[- ]nc[- ]4\.0\b|licenses/by-nc/4\.0", "CC-BY-NC-4.0"),
        (r"\bcc[- ]by[- ]sa[- ]4\.0\b|licenses/by-sa/4\.0", "CC-BY-SA-4.0"),
        (r"\bcc[- ]by[- ]4\.0\b|licenses/by/4\.0", "CC-BY-4.0"),
        (r"\bmit(?: license)?\b", "MIT"),
        (r"\bbsd[- ]3[- ]clause\b", "BSD-3-Clause"),
        (r"\bgpl[- ]?v?3(?:\.0)?\b", "GPL-3.0"),
    )
]
_SPDX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")


def spdx(text: str) -> str | None:
    """The SPDX id a licence name or text gives ("Apache 2.0", "apache-2.0", "CC-BY-4.0"), or None."""
    from compiler.interop.hf import HF_LICENSES  # the export's table of Hub licence ids

    name = text.strip()
    if name.lower() in HF_LICENSES:
        return HF_LICENSES[name.lower()]
    for pattern, spdx_id in _LICENSE_NAMES:
        if pattern.search(name):
            return spdx_id
    if _SPDX_ID.match(name) and name.lower() not in ("other", "unknown", "proprietary", "custom"):
        return name
    return None
