"""Resolve stage: the reader for evaluation files (`file://<path>#<json-pointer>`, JSON or CSV)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from compiler._util.hashing import sha256_file
from compiler.resolve.paths import inside
from compiler.resolve.readers.base import Fact, Reader
from compiler.resolve.refs import FactError, Reference, Vanished, json_pointer

MAX_EVIDENCE_BYTES = 64 * 1024 * 1024


def scalar(value: Any, where: str) -> Any:
    """A value that can stand in a source field: text, a finite number or a boolean."""
    if isinstance(value, (dict, list)):
        kind = "a mapping" if isinstance(value, dict) else "a list"
        raise FactError(f"{where} is {kind}, not a single value", "extend the pointer down to one value")
    if value is None:
        raise FactError(f"{where} is null", "point at a value that is set")
    if isinstance(value, float) and not math.isfinite(value):
        raise FactError(f"{where} is {value}, not a finite number", "fix the evidence file")
    return value


def number_or_text(text: str) -> Any:
    """CSV cells are text; numbers are read as numbers so they can fill numeric fields."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def read_document(path: Path, shown: str) -> Any:
    """Parse a JSON file, or a CSV file into a list of rows (mappings of column → value)."""
    if path.stat().st_size > MAX_EVIDENCE_BYTES:
        raise FactError(
            f"{shown} is larger than {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB", "point at a smaller summary file"
        )
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise FactError(f"{shown} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
        except RecursionError:
            raise FactError(f"{shown} is nested too deeply to read", "point at a flatter summary file") from None
    if suffix in (".csv", ".tsv"):
        rows = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        try:
            return [{k: number_or_text(v or "") for k, v in row.items() if k is not None} for row in rows]
        except csv.Error as exc:  # e.g. a field longer than csv.field_size_limit()
            raise FactError(f"{shown} is not valid CSV (line {rows.line_num + 1}: {exc})") from None
    raise FactError(f"{shown}: unsupported evaluation file type '{suffix}'", "use a .json or .csv file")


class FileReader(Reader):
    """JSON and CSV evaluation files inside the model's folder."""

    scheme = "file"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._documents: dict[Path, tuple[Any, str]] = {}

    def resolve(self, ref: Reference) -> Fact:
        relative, source_id = self._path(ref)
        path = inside(self.context.folder, relative, "evaluation file")
        if not path.is_file():  # a file locked once and removed since is drift for `resolve --check`
            raise Vanished(
                f"evaluation file '{relative}' not found in the model's folder",
                "check the path; it is relative to the model's folder",
            )
        if path not in self._documents:
            self._documents[path] = (read_document(path, relative), sha256_file(path))
        document, digest = self._documents[path]
        pointer = ref.fragment
        value = scalar(json_pointer(document, pointer), f"#{pointer}" if pointer else relative)
        provenance = {
            "kind": "file",
            "path": relative,
            "pointer": pointer,
            "sha256": digest,
            "reader": self.reader_version(),
        }
        if source_id:
            provenance["source"] = source_id
        return Fact(value, provenance)

    def _path(self, ref: Reference) -> tuple[str, str | None]:
        body = "/".join(ref.parts)
        declared = self.context.sources.get(body)
        if declared is not None:
            if declared.kind != "file":
                raise FactError(f"evidence source '{body}' is a {declared.kind} source, not a file", "")
            return declared.path, declared.id
        return body, None
