"""Sign-offs (check stage helper): canonical section hashes, the approval status of each section, and
recording a new approval in the source as a text edit of its `reviews:` block.

A section's canonical form is its data as loaded, serialised as JSON with sorted keys, so key order,
comments, quoting and number formatting in the YAML do not change the hash; any change of content does.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compiler._util.paths import display_path
from compiler._util.text import closest
from compiler.config.audiences import Audience
from compiler.errors import CompilerError, UsageError
from compiler.load.reader import LoadedModel, load_project
from compiler.schema import Source

if TYPE_CHECKING:
    from compiler.validate.project import ValidModel


@dataclass(frozen=True)
class SignoffRow:
    """One approval a document shows: who approved which section, and whether it still holds."""

    section: str
    role: str
    reviewer: str
    date: str
    status: str
    """approved (the section is unchanged since), stale (changed since) or missing (required, absent)."""


def section_data(data: dict[str, Any], section: str) -> Any:
    """The raw data at a dotted path such as `plain` or `datasets[0].composition`; KeyError if absent."""
    node: Any = data
    for part in re.findall(r"[^.\[\]]+", section):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(section)
    return node


def canonical_sha256(data: dict[str, Any], section: str) -> str:
    """sha256 of the canonical JSON form of a section."""
    canonical = json.dumps(
        section_data(data, section), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def signoff_rows(loaded: LoadedModel, source: Source, audience: Audience | None = None) -> list[SignoffRow]:
    """Every recorded review with its status, plus a 'missing' row per approval the audience requires."""
    rows: list[SignoffRow] = []
    for review in source.reviews:
        try:
            fresh = canonical_sha256(loaded.data, review.section) == review.sha256
        except KeyError:
            fresh = False
        rows.append(
            SignoffRow(
                review.section, review.role, review.reviewer, review.date.isoformat(), "approved" if fresh else "stale"
            )
        )
    if audience is not None:
        for need in audience.config.signoffs:
            for section in need.sections:
                if not any(r.role == need.role and r.section == section for r in source.reviews):
                    rows.append(SignoffRow(section, need.role, "", "", "missing"))
    return sorted(rows, key=lambda r: (r.section, r.role, r.date, r.reviewer))


# --- recording a sign-off in the source ------------------------------------------------------------

_REVIEWS_KEY = re.compile(r"^reviews[ \t]*:[ \t]*(?P<empty>\[[ \t]*\])?[ \t]*(?P<comment>#.*)?$")
_ITEM = re.compile(r"^(?P<indent>[ \t]*)-(?:[ \t]|$)")


def render_review(review: dict[str, str], indent: str) -> str:
    """One `reviews:` list item as YAML text; text values are double-quoted so YAML keeps them as written."""
    quoted = {k: v if k == "date" else json.dumps(v, ensure_ascii=False) for k, v in review.items()}
    keys = ["section", "reviewer", "role", "date", "sha256"]
    lines = [f"{indent}- {keys[0]}: {quoted[keys[0]]}"] + [f"{indent}  {k}: {quoted[k]}" for k in keys[1:]]
    return "\n".join(lines) + "\n"


def _same_review(item_text: str, indent: str, review: dict[str, str]) -> bool:
    import yaml

    body = "".join(line[len(indent) :] if line.startswith(indent) else line for line in item_text.splitlines(True))
    try:
        parsed = yaml.safe_load(body)
    except yaml.YAMLError:
        return False
    entry = parsed[0] if isinstance(parsed, list) and parsed else None
    return isinstance(entry, dict) and all(str(entry.get(k)) == review[k] for k in ("section", "role", "reviewer"))


def upsert_review(text: str, review: dict[str, str]) -> str:
    """The file text with the review added to (or replacing the same reviewer's entry in) `reviews:`.

    Only the reviews block is touched, so comments and formatting elsewhere survive. ValueError when the
    file has a `reviews:` value that is not a block list (e.g. an include) and cannot be edited as text.
    """
    # Lines end at '\n' only: str.splitlines() also breaks at U+0085, U+2028… inside a quoted reviewer
    # name, which would cut an entry in two and make every later sign-off edit the wrong lines.
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]] + ([parts[-1] + "\n"] if parts[-1] else [])
    start = next((i for i, line in enumerate(lines) if _REVIEWS_KEY.match(line.rstrip("\r\n"))), None)
    if start is None:
        gap = "" if not lines or lines[-1].strip() == "" else "\n"
        return "".join(lines) + gap + "reviews:\n" + render_review(review, "  ")
    header = _REVIEWS_KEY.match(lines[start].rstrip("\r\n"))
    assert header is not None
    if header["empty"] is not None:
        comment = f"  {header['comment']}" if header["comment"] else ""
        lines[start] = f"reviews:{comment}\n" + render_review(review, "  ")
        return "".join(lines)
    end = start + 1
    while end < len(lines) and (lines[end][:1] in (" ", "\t", "-", "#") or not lines[end].strip()):
        end += 1
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1  # trailing blank lines and comments belong to what follows the block
    items = [i for i in range(start + 1, end) if _ITEM.match(lines[i])]
    if not items:
        if any(lines[i].strip() and not lines[i].lstrip().startswith("#") for i in range(start + 1, end)):
            raise ValueError("`reviews:` is not a list of entries")
        return "".join([*lines[: start + 1], render_review(review, "  "), *lines[start + 1 :]])
    indent = _ITEM.match(lines[items[0]])["indent"]  # type: ignore[index]
    tops = [i for i in items if _ITEM.match(lines[i])["indent"] == indent]  # type: ignore[index]
    for n, first in enumerate(tops):
        last = tops[n + 1] if n + 1 < len(tops) else end
        if _same_review("".join(lines[first:last]), indent, review):
            return "".join([*lines[:first], render_review(review, indent), *lines[last:]])
    return "".join([*lines[:end], render_review(review, indent), *lines[end:]])


# Control (Cc), format (Cf: bidi overrides, zero-width characters) and line/paragraph separators (Zl, Zp):
# invisible or reordering in a document, and line breaks to YAML 1.1 and to str.splitlines().
_INVISIBLE = ("Cc", "Cf", "Zl", "Zp")


def _refuse_invisible(option: str, value: str) -> None:
    bad = [c for c in value if unicodedata.category(c) in _INVISIBLE]
    if bad:

        def shown(text: str) -> str:
            return "".join(repr(c)[1:-1] if unicodedata.category(c) in _INVISIBLE else c for c in text)

        raise UsageError.at(
            option,
            f"'{shown(value)}' holds a control or format character ({shown(bad[0])})",
            hint="type the name as it should be shown, without line breaks or invisible characters",
        )


def record_signoff(model: ValidModel, section: str, reviewer: str, role: str, on: date) -> tuple[Path, str]:
    """Record (or renew) a reviewer's approval of a section in the model's source, in place and atomically.

    Returns the file written and the section's sha256. The file is re-validated after writing and restored
    when it no longer validates, so a sign-off never leaves a broken source behind.
    """
    loaded = model.loaded
    for option, value in (("--reviewer", reviewer), ("--role", role)):
        _refuse_invisible(option, value)
    if re.findall(r"[^.\[\]]+", section)[:1] == ["reviews"]:
        raise UsageError.at(section, "the reviews themselves cannot be signed off", hint="name a section such as plain")
    try:
        sha256 = canonical_sha256(loaded.data, section)
    except KeyError:
        hint = (
            closest(section.split(".")[0].split("[")[0], sorted(loaded.data)) or "name a key path such as intended_use"
        )
        raise UsageError.at(
            display_path(loaded.source_file), f"section '{section}' does not exist", hint=hint
        ) from None
    where = loaded.key_positions.get(("reviews",))
    target = Path(where.file) if where is not None else loaded.source_file
    original = target.read_text(encoding="utf-8")
    review = {"section": section, "reviewer": reviewer, "role": role, "date": on.isoformat(), "sha256": sha256}
    try:
        updated = upsert_review(original, review)
    except ValueError as exc:
        raise UsageError.at(
            display_path(target), str(exc), field="reviews", hint="write reviews as a block list"
        ) from None
    _replace(target, updated)
    from compiler.validate.project import validate_project

    try:
        validate_project(load_project(loaded.folder.parent, [loaded.id]))
    except CompilerError:
        _replace(target, original)
        raise
    return target, sha256


def _replace(path: Path, text: str) -> None:
    """Write text to path atomically: a temporary file beside it, then a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
