"""Load stage: read content/<model-id>/model.yaml (and its includes) into plain data with positions.

Safe YAML only. Every value keeps the file, line and column it came from so that later stages can
point at the exact place of a mistake. Includes (`$include: other.yaml`) stay inside the content root.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from compiler._util.fieldpath import FieldPath, dotted
from compiler._util.paths import display_path
from compiler._util.safe_open import contained, read_bytes
from compiler._util.text import closest, short
from compiler.errors import ConfigError, Location, Problem
from compiler.load.limits import Limits, current, hint
from compiler.load.parse import compose
from compiler.load.yaml_errors import syntax_problem

MODEL_FILE = "model.yaml"
INCLUDE_KEY = "$include"
MAX_FILE_BYTES = Limits.file_bytes
MAX_NODES = Limits.values
MAX_DEPTH = Limits.depth
"""Defaults; the bounds in force come from `limits.current()` (environment variables can change them)."""
_OUTSIDE_HINT = (
    "put the model's files in the content folder itself: files are never read through a link that leads outside it"
)


@dataclass
class LoadedModel:
    """One model's raw source: data as read, where every value came from, and the files read."""

    id: str
    folder: Path
    data: dict[str, Any]
    positions: dict[FieldPath, Location] = field(default_factory=dict)
    key_positions: dict[FieldPath, Location] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    file_name: str = MODEL_FILE
    reads: list[tuple[Path, Path, str]] = field(default_factory=list)
    """Every file read, in order: the path it was opened by, where that path led (links resolved), and the
    sha256 of its bytes. The same reads give the same model (`compiler.validate.cached`)."""

    @property
    def source_file(self) -> Path:
        return self.folder / self.file_name

    def locate(self, path: FieldPath, *, key: bool = False) -> Location:
        """Closest known position of a field path (walking up to a parent when needed)."""
        probe = tuple(path)
        while True:
            if key and probe in self.key_positions:
                return self.key_positions[probe]
            if probe in self.positions:
                return self.positions[probe]
            if not probe:
                return Location(display_path(self.source_file), 1, 1)
            probe = probe[:-1]


@dataclass
class Project:
    """Everything the loader read: the models that loaded, and the problems found on the way."""

    root: Path
    content_root: Path
    models: list[LoadedModel] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def discover(content_root: Path) -> list[Path]:
    """Model folders under the content root: every sub-folder that has a model.yaml, sorted."""
    if not content_root.is_dir():
        return []
    return sorted(
        p
        for p in content_root.iterdir()
        if p.is_dir() and not p.name.startswith((".", "_")) and (p / MODEL_FILE).is_file()
    )


ModelLoader = Callable[[Path, Path, list[Problem]], LoadedModel | None]
"""Reads one model folder (folder, content root, problems found): `load_model`, or one that keeps results."""


def load_project(content_root: Path, model_ids: list[str] | None = None, load: ModelLoader | None = None) -> Project:
    """Read every model (or the chosen ones) under the content root; collect problems, never stop early.

    No model at all is a problem too: an empty catalog is a wrong --content or a failed import, and a build
    from it would replace the last output with an empty site.
    """
    content_root = Path(content_root)
    project = Project(root=Path.cwd(), content_root=content_root)
    shown = display_path(content_root)
    folders = discover(content_root)
    if not content_root.is_dir() or not folders:
        message, hint = (
            ("content folder not found", "pass --content DIR")
            if not content_root.is_dir()
            else (
                f"no models in {shown}: no folder in it holds a {MODEL_FILE}",
                "check --content, or: docs-compile init ID",
            )
        )
        project.problems.append(Problem(Location(shown), message, hint=hint))
        return project
    known = {f.name: f for f in folders}
    for model_id in [i for i in model_ids or [] if i not in known]:
        hint = closest(model_id, list(known)) or f"models here: {', '.join(sorted(known))}"
        where = Location(display_path(content_root / model_id / MODEL_FILE))
        project.problems.append(Problem(where, f"no model '{model_id}' under {shown}", hint=hint))
    for folder in [known[i] for i in model_ids if i in known] if model_ids else folders:
        model = (load or load_model)(folder, content_root, project.problems)
        if model is not None:
            project.models.append(model)
    return project


def load_model(folder: Path, content_root: Path, problems: list[Problem]) -> LoadedModel | None:
    """Load one model folder; append problems and return None when it cannot be read.

    A folder that is a link leading outside the content root is refused before anything in it is read:
    every file of a model folder is hashed, listed in manifest.json and embedded in archival PDFs.
    """
    try:
        contained(folder, [content_root], hint=_OUTSIDE_HINT)
    except ConfigError as error:
        problems.extend(error.problems)
        return None
    return load_yaml(folder / MODEL_FILE, content_root, problems)


def load_yaml(path: Path, root: Path, problems: list[Problem]) -> LoadedModel | None:
    """Load one YAML mapping file (includes confined to root) with positions; None when unreadable."""
    reader = _Reader(root.resolve(), problems)
    model = LoadedModel(id=path.parent.name, folder=path.parent, data={}, file_name=path.name)
    before = len(problems)
    data = reader.read_file(path, (), model)
    if len(problems) > before:
        return None
    if not isinstance(data, dict):
        problems.append(
            Problem(
                model.locate(()),
                f"expected a mapping (key: value) at the top of the file, found {kind_of(data)}",
                hint="write `key: value` lines"
                if path.name != MODEL_FILE
                else "start with `model:`; run `docs-compile init ID` for a template",
            )
        )
        return None
    model.data = data
    model.files = sorted(set(model.files))
    return model


class _Reader:
    def __init__(self, content_root: Path, problems: list[Problem]) -> None:
        self.content_root = content_root
        self.problems = problems
        self.stack: list[Path] = []
        self.nodes = 0
        self.bytes = 0
        self.limits: Limits = current()

    # --- files -------------------------------------------------------------------------------

    def read_file(self, path: Path, at: FieldPath, model: LoadedModel, origin: Location | None = None) -> Any:
        shown = display_path(path)
        real = path.resolve()
        if real in self.stack:
            chain = " -> ".join(display_path(p) for p in [*self.stack, real])
            self._fail(origin or Location(shown, 1, 1), f"include cycle: {chain}", hint="remove one of the includes")
            return None
        read = self._read_text(path, origin)
        if read is None:
            return None
        text, sha = read
        try:
            node, loader = compose(text)
        except yaml.MarkedYAMLError as exc:
            self.problems.append(syntax_problem(shown, text, exc))
            return None
        except yaml.reader.ReaderError as exc:  # a character YAML forbids; it knows only the offset
            before = text[: exc.position]
            line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            self._fail(
                Location(shown, line, column),
                f"YAML cannot contain the control character U+{code:04X}",
                hint="remove it, or write it as an escape such as \\x07 inside double quotes",
            )
            return None
        except yaml.YAMLError as exc:
            self._fail(Location(shown, 1, 1), f"YAML error: {exc}")
            return None
        if node is None:
            self._fail(Location(shown, 1, 1), "file is empty", hint="a model source starts with `model:`")
            return None
        model.files.append(real)
        model.reads.append((path, real, sha))
        self.stack.append(real)
        try:
            return self._construct(node, at, model, shown, loader, depth=0)
        finally:
            self.stack.pop()

    def _read_text(self, path: Path, origin: Location | None) -> tuple[str, str] | None:
        """The file's text, and the sha256 of its bytes."""
        if not self._inside(path):
            return None
        shown = display_path(path)
        where = origin or Location(shown)
        try:
            size = path.stat().st_size
        except OSError as exc:
            self._fail(where, f"cannot read {shown}: {exc.strerror or exc}")
            return None
        if not path.is_file():
            self._fail(where, f"{shown} is not a file")
            return None
        if size > self.limits.file_bytes:
            self._fail(
                Location(shown, 1, 1),
                f"file is too large ({size:,} bytes; the limit is {self.limits.file_bytes:,})",
                hint="split it with `$include` or move data into an evidence file",
            )
            return None
        self.bytes += size
        if self.bytes > self.limits.source_bytes:
            self._fail(
                where,
                f"the model's files add up to more than {self.limits.source_bytes:,} bytes",
                hint=f"move data into evidence files, {hint('source_bytes')}",
            )
            return None
        raw = self._read_bytes(path)
        if raw is None:
            return None
        if b"\x00" in raw:
            line = raw[: raw.index(b"\x00")].count(b"\n") + 1
            self._fail(Location(shown, line, 1), "binary file: found a NUL byte", hint="a source must be UTF-8 text")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            self._fail(
                Location(shown, line, column),
                f"not valid UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
                hint="save the file as UTF-8",
            )
            return None
        return text.removeprefix("\ufeff").replace("\r\n", "\n"), hashlib.sha256(raw).hexdigest()

    def _inside(self, path: Path) -> bool:
        """Whether the file, every link resolved, lies inside the root; a link leading out is a problem.

        Checked before anything is read, so that not even a message about the file can show what it holds.
        """
        try:
            contained(path, [self.content_root])
        except ConfigError as error:
            self.problems.extend(error.problems)
            return False
        return True

    def _read_bytes(self, path: Path) -> bytes | None:
        # Opens the checked real path without following links: one put in its place since is refused.
        try:
            return read_bytes(path, [self.content_root])
        except ConfigError as error:
            self.problems.extend(error.problems)
            return None

    # --- nodes -------------------------------------------------------------------------------

    def _construct(self, node: Node, at: FieldPath, model: LoadedModel, shown: str, loader: Any, depth: int) -> Any:
        self.nodes += 1
        here = _loc(shown, node)
        if self.nodes > self.limits.values:
            if self.nodes == self.limits.values + 1:
                self._fail(
                    here,
                    f"the source expands to more than {self.limits.values:,} values",
                    hint="aliases that repeat other aliases multiply (a 'billion laughs' document); write values out",
                )
            return None
        if depth > self.limits.depth:
            self._fail(here, f"nested deeper than {self.limits.depth} levels", hint="flatten the structure")
            return None
        model.positions.setdefault(at, here)
        if isinstance(node, ScalarNode):
            try:
                return loader.construct_object(node, deep=True)
            except ConstructorError as exc:
                self._fail(
                    here,
                    f"YAML error: {exc.problem}",
                    hint="tags such as !!python/object are not allowed; write plain values",
                )
                return None
            except ValueError as exc:
                self._fail(here, f"YAML value cannot be read: {exc}")
                return None
        if isinstance(node, SequenceNode):
            if node.tag not in ("tag:yaml.org,2002:seq",):
                self._fail(here, f"unsupported YAML tag {node.tag}", hint="remove the tag")
                return None
            return [
                self._construct(item, (*at, i), model, shown, loader, depth + 1) for i, item in enumerate(node.value)
            ]
        if isinstance(node, MappingNode):
            return self._mapping(node, at, model, shown, loader, depth)
        self._fail(here, "unsupported YAML node")
        return None

    def _mapping(
        self, node: MappingNode, at: FieldPath, model: LoadedModel, shown: str, loader: Any, depth: int
    ) -> Any:
        if node.tag != "tag:yaml.org,2002:map":
            self._fail(_loc(shown, node), f"unsupported YAML tag {node.tag}", hint="remove the tag")
            return None
        result: dict[str, Any] = {}
        first_seen: dict[str, Location] = {}
        include: tuple[Node, Location] | None = None
        for key_node, value_node in node.value:
            key_loc = _loc(shown, key_node)
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                hint = "merge keys (<<) are not supported: use `$include`" if key_node.tag.endswith("merge") else ""
                self._fail(key_loc, "keys must be plain text", hint=hint or "write the key as text")
                continue
            key = str(key_node.value)
            if key in first_seen:
                prev = first_seen[key]
                self._fail(
                    key_loc,
                    f"duplicate key '{key}' (first defined at line {prev.line})",
                    field=dotted((*at, key)),
                    hint="remove one of them; YAML would silently keep only the last",
                )
                continue
            first_seen[key] = key_loc
            if key == INCLUDE_KEY:
                include = (value_node, key_loc)
                continue
            model.key_positions[(*at, key)] = key_loc
            result[key] = self._construct(value_node, (*at, key), model, shown, loader, depth + 1)
        if include is None:
            return result
        included = self._include(include[0], include[1], at, model, shown, loader)
        if included is None:
            return result
        if not result and not isinstance(included, dict):
            return included
        if not isinstance(included, dict):
            self._fail(
                include[1],
                f"included file holds {kind_of(included)}, but keys stand beside `$include`",
                hint="include a mapping",
            )
            return result
        for key, value in included.items():
            if key in result:
                self._fail(
                    first_seen[key],
                    f"key '{key}' is defined both here and in an included file",
                    field=dotted((*at, key)),
                    hint="keep one of them",
                )
            else:
                result[key] = value
        return result

    def _include(self, value: Node, where: Location, at: FieldPath, model: LoadedModel, shown: str, loader: Any) -> Any:
        names = self._construct(value, (*at, INCLUDE_KEY), model, shown, loader, 0)
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
            self._fail(
                where,
                "`$include` takes a file name or a list of file names",
                hint="e.g. `$include: datasets/train.yaml`",
            )
            return None
        merged: Any = None
        for name in names:
            target = self._confine(name, where)
            if target is None:
                continue
            data = self.read_file(target, at, model, origin=where)
            if data is None:
                continue
            if merged is None:
                merged = data
            elif isinstance(merged, dict) and isinstance(data, dict):
                for key in data:
                    if key in merged:
                        self._fail(where, f"key '{key}' is defined by two included files", field=dotted((*at, key)))
                merged = {**data, **merged}
            else:
                self._fail(where, "several included files must each hold a mapping")
        return merged

    def _confine(self, name: str, where: Location) -> Path | None:
        """Resolve an include relative to the including file, refusing anything outside the content root."""
        if os.path.isabs(name) or name.startswith("~"):
            self._fail(
                where,
                f"include '{name}' is an absolute path",
                hint="use a path relative to this file inside the content folder",
            )
            return None
        if "://" in name:
            self._fail(where, f"include '{name}' is a URL; only files inside the content folder can be included")
            return None
        candidate = self.stack[-1].parent / name
        real = candidate.resolve()
        if not real.is_relative_to(self.content_root):
            self._fail(
                where,
                f"include '{name}' leaves the content folder ({display_path(real)})",
                hint="includes (and symlinks they follow) must stay inside the content folder",
            )
            return None
        if not real.is_file():
            self._fail(where, f"included file '{name}' not found", hint=f"looked for {display_path(candidate)}")
            return None
        if real.suffix.lower() not in (".yaml", ".yml"):
            self._fail(where, f"include '{name}' is not a .yaml file")
            return None
        return candidate

    def _fail(self, where: Location, message: str, *, field: str = "", hint: str = "") -> None:
        self.problems.append(Problem(where, message, field, hint))


def _loc(shown: str, node: Node) -> Location:
    return Location(shown, node.start_mark.line + 1, node.start_mark.column + 1)


def kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    return f"text ({short(str(value))!r})"
