"""Resolve stage: the Neptune reader — a run's fields: parameters, single values, series and tags.

    neptune://[<source>@]<run>/<field/path>              an atom's value, or a float series' last value
    neptune://[<source>@]<run>/<field/path>?step=<n>     the value a float series logged at step n
    neptune://[<source>@]<run>/sys/tags                  the run's tags, sorted, joined with ', '

A monitoring signal's `history: neptune://<run>/<field/path>` is the whole float series (`history`).

`<run>` is the run's id: its custom run id when it set one (`sys/custom_run_id`), else the id Neptune gave
it (an offline run's container id, `sys/id` on a server). The source's `path` is a `.neptune` folder
inside the model's folder (or one offline run folder in it), or `<workspace>/<project>` on a server.

An offline run is read from its own files, without the client and without the network: the folder
`.neptune/offline/run__<id>__…/` holds `metadata.json` and `data-<n>.log`, JSON lines of the operations
the client queued (assign a value, add tags, append to a series, delete a field), replayed in order.
A server run is read through the client in read-only mode when NEPTUNE_API_TOKEN is set (the token
names the server), under the deadline of `trackers:`, into the same structure, so every rule below the
read is the same for both.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from compiler import __version__
from compiler._util.text import closest
from compiler.resolve.paths import inside
from compiler.resolve.readers.base import Fact, Reader
from compiler.resolve.readers.files import scalar
from compiler.resolve.refs import FactError, Reference, Unreachable, Vanished, pinned_step
from compiler.resolve.trackers import TrackerDown, bounded
from compiler.schema.governance import NeptuneSource

INSTALL_HINT = "pip install 'docs-compile[neptune]'"
_ASSIGN = ("AssignString", "AssignFloat", "AssignInt", "AssignBool", "AssignDatetime")


@dataclass
class NeptuneRun:
    """A run's fields, read once: single values by path, float series as (step, value), tags."""

    run_id: str
    values: dict[str, Any] = field(default_factory=dict)
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    origin: dict[str, Any] = field(default_factory=dict)  # where it was read: files and sha256, or server


def replay(lines: list[str], run: NeptuneRun, shown: str) -> None:
    """Apply an offline run's queued operations in order."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            op = json.loads(line)["obj"]
            path, kind = "/".join(op["path"]), op["type"]
        except (ValueError, KeyError, TypeError):
            raise FactError(f"{shown}: line {number} is not a Neptune operation", "re-copy the run folder") from None
        if kind in _ASSIGN:
            run.values[path] = op["value"]
        elif kind == "AddStrings" and path == "sys/tags":
            run.tags.update(op["values"])
        elif kind == "RemoveStrings" and path == "sys/tags":
            run.tags.difference_update(op["values"])
        elif kind == "ClearStringSet" and path == "sys/tags":
            run.tags.clear()
        elif kind == "LogFloats":
            points = run.series.setdefault(path, [])
            for item in op["values"]:
                step = item.get("step")
                points.append((float(step) if step is not None else float(len(points)), item["value"]))
        elif kind == "ClearFloatLog":
            run.series[path] = []
        elif kind == "DeleteAttribute":
            run.values.pop(path, None)
            run.series.pop(path, None)


def read_offline(folder: Path, shown: str) -> NeptuneRun:
    """An offline run folder: its metadata and every `data-<n>.log`, in order."""
    try:
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FactError(f"{shown}: cannot read metadata.json ({exc})", "re-copy the run folder") from None
    logs = sorted(folder.glob("data-*.log"), key=lambda p: int(p.stem.removeprefix("data-") or 0))
    run = NeptuneRun(run_id=str(metadata.get("containerId", "")))
    digest = hashlib.sha256()
    for log in logs:
        data = log.read_bytes()
        digest.update(data)
        replay(data.decode("utf-8").splitlines(), run, f"{shown}/{log.name}")
    run.run_id = str(run.values.get("sys/custom_run_id") or run.run_id)
    run.origin = {"run_dir": shown, "sha256": digest.hexdigest(), "client": metadata.get("neptuneClientVersion")}
    return run


class NeptuneReader(Reader):
    """Facts from Neptune runs: offline run folders, or a project on a server through the client."""

    scheme = "neptune"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._runs: dict[tuple[str, str], NeptuneRun] = {}
        self._down: dict[str, str] = {}

    def reader_version(self) -> str:
        try:
            import neptune

            return f"docs-compile {__version__}, neptune {neptune.__version__}"
        except ImportError:  # offline runs are read without the client
            return f"docs-compile {__version__}"

    def resolve(self, ref: Reference) -> Fact:
        source = self.context.pick(ref, "neptune")
        assert isinstance(source, NeptuneSource)
        parts = ref.parts
        if len(parts) < 2 or not all(parts):
            raise FactError("expected neptune://<run>/<field/path>", "see the reference syntax in docs/evidence.md")
        run = self.run(source, parts[0])
        if run.values.get("sys/failed") is True:
            raise FactError(
                f"Neptune run {run.run_id} failed", "facts come only from runs that did not fail; reference another run"
            )
        path, step = pinned_step("/".join(parts[1:]))
        provenance = self._provenance(source, run) | {"key": path}
        if path == "sys/tags" and step is None:
            return Fact(", ".join(sorted(run.tags)), provenance | {"kind": "neptune.tags"})
        if path in run.series:
            return self._series_value(run, path, step, provenance)
        if step is not None:
            raise FactError(f"'{path}' of Neptune run {run.run_id} is a single value, not a series", "leave out ?step")
        if path not in run.values:
            known = sorted([*run.values, *run.series])
            known = [k for k in known if not k.startswith(("sys/", "source_code/"))]
            hint = closest(path, known) or f"fields of this run: {', '.join(known) or 'none'}"
            raise FactError(f"Neptune run {run.run_id} has no field '{path}'", hint)
        return Fact(scalar(run.values[path], f"field '{path}'"), provenance | {"kind": "neptune.field"})

    def history(self, ref: Reference) -> tuple[list[int | float], list[float], dict[str, Any]]:
        """A float series, every logged value: steps, values and provenance (a monitoring history)."""
        source = self.context.pick(ref, "neptune")
        assert isinstance(source, NeptuneSource)
        parts = ref.parts
        if len(parts) < 2 or not all(parts):
            raise FactError("expected neptune://<run>/<field/path> for a history", "name a float series of the run")
        run = self.run(source, parts[0])
        path = "/".join(parts[1:])
        if "?" in path:
            raise FactError("a monitoring history is the whole series", f"leave out '?{path.partition('?')[2]}'")
        if not run.series.get(path):
            known = sorted(run.series)
            hint = closest(path, known) or f"float series of this run: {', '.join(known) or 'none'}"
            what = "a single value, not a float series" if path in run.values else "no float series with values"
            raise FactError(f"'{path}' of Neptune run {run.run_id} is {what}", hint)
        steps = [int(s) if float(s).is_integer() else s for s, _ in run.series[path]]
        values = [float(v) for _, v in run.series[path]]
        provenance = self._provenance(source, run) | {"kind": "neptune.history", "key": path, "step": steps[-1]}
        return steps, values, provenance

    def _series_value(self, run: NeptuneRun, path: str, step: int | None, provenance: dict[str, Any]) -> Fact:
        points = run.series[path]
        if not points:
            raise FactError(f"series '{path}' of Neptune run {run.run_id} is empty")
        if step is None:
            chosen = points[-1]  # the series' last value, as Neptune shows it
        else:
            at = [p for p in points if p[0] == step]
            if not at:
                shown = ", ".join(f"{p[0]:g}" for p in points[:12]) + (", …" if len(points) > 12 else "")
                raise FactError(
                    f"Neptune run {run.run_id} logged no value of '{path}' at step {step}", f"steps: {shown}"
                )
            chosen = at[-1]
        whole = int(chosen[0]) if float(chosen[0]).is_integer() else chosen[0]
        return Fact(scalar(chosen[1], f"'{path}'"), provenance | {"kind": "neptune.series", "step": whole})

    def _provenance(self, source: NeptuneSource, run: NeptuneRun) -> dict[str, Any]:
        found = {
            "source": source.id,
            "run_id": run.run_id,
            "run_name": run.values.get("sys/name"),
            "reader": self.reader_version(),
        }
        return {k: v for k, v in (found | run.origin).items() if v not in ("", None)}

    # --- runs ----------------------------------------------------------------------------------

    def run(self, source: NeptuneSource, run_ref: str) -> NeptuneRun:
        if (source.id, run_ref) not in self._runs:
            base = inside(self.context.folder, source.path, "Neptune folder")
            if base.is_dir():
                self._runs[(source.id, run_ref)] = self._offline(source, base, run_ref)
            elif _is_project(source.path):
                self._runs[(source.id, run_ref)] = self._server(source, run_ref)
            else:
                raise FactError(
                    f"Neptune folder '{source.path}' not found in the model's folder",
                    "set path to the .neptune folder inside the model's folder, or to <workspace>/<project>",
                )
        return self._runs[(source.id, run_ref)]

    def _offline(self, source: NeptuneSource, base: Path, run_ref: str) -> NeptuneRun:
        root = self.context.folder.resolve()
        folders = [base] if (base / "metadata.json").is_file() else sorted(base.glob("offline/run__*"))
        runs = []
        for folder in folders:
            if not folder.resolve().is_relative_to(root) or not (folder / "metadata.json").is_file():
                continue
            runs.append(read_offline(folder, folder.resolve().relative_to(root).as_posix()))
        matches = [r for r in runs if run_ref in (r.run_id, Path(r.origin["run_dir"]).name)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(r.origin["run_dir"] for r in matches)
            raise FactError(f"{len(matches)} offline runs are Neptune run '{run_ref}' ({names})", "keep one of them")
        ids = sorted(r.run_id for r in runs)
        hint = closest(run_ref, ids) or f"runs in '{source.path}': {', '.join(ids) or 'none'}"
        raise Vanished(f"no Neptune run '{run_ref}' in '{source.path}'", hint)

    def _server(self, source: NeptuneSource, run_ref: str) -> NeptuneRun:
        """A run of a project on a server, read-only through the client, into the offline run's structure."""
        if not os.environ.get("NEPTUNE_API_TOKEN", "").strip():
            raise FactError(
                f"Neptune source '{source.id}' names the project '{source.path}', but NEPTUNE_API_TOKEN is not set",
                "set NEPTUNE_API_TOKEN, or point path at the .neptune folder of offline runs",
            )
        try:
            import neptune
        except ImportError:
            raise FactError("reading a Neptune server needs the neptune client, not installed", INSTALL_HINT) from None
        where = f"Neptune run '{run_ref}' of project '{source.path}'"
        if source.id in self._down:
            raise Unreachable(f"{where}: the server failed earlier in this run ({self._down[source.id]})")

        def fetch(_left: float) -> NeptuneRun:
            remote = neptune.init_run(project=source.path, with_id=run_ref, mode="read-only")
            try:
                return _fetched(remote, run_ref)
            finally:
                remote.stop()

        try:
            return bounded(replace(self.context.limits, retries=0), fetch, lambda exc: None)
        except TrackerDown as down:
            self._down[source.id] = down.reason
            raise Unreachable(f"{where} cannot be read: {down}", self.context.limits.hint()) from None
        except Exception as exc:  # the client raises many unrelated exception types
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "not found" in first.lower() or "does not exist" in first.lower():
                raise Vanished(f"{where} cannot be read: {first}") from None
            self._down[source.id] = first
            raise FactError(f"{where} cannot be read: {first}", self.context.limits.hint()) from None


def _fetched(remote: Any, run_ref: str) -> NeptuneRun:
    """Every field of a read-only run handle: atoms by value, float series as (step, value), tags."""
    run = NeptuneRun(run_id=run_ref, origin={"server": "neptune"})
    stack: list[tuple[str, Any]] = [("", remote.get_structure())]
    while stack:
        prefix, node = stack.pop()
        for name, child in node.items():
            path = f"{prefix}{name}"
            if isinstance(child, dict):
                stack.append((path + "/", child))
            elif type(child).__name__ == "FloatSeries":
                frame = child.fetch_values(include_timestamp=False)
                run.series[path] = [(float(s), float(v)) for s, v in zip(frame["step"], frame["value"], strict=True)]
            elif type(child).__name__ == "StringSet" and path == "sys/tags":
                run.tags = set(child.fetch())
            elif type(child).__name__ in ("String", "Float", "Integer", "Boolean", "Datetime"):
                value = child.fetch()
                run.values[path] = value if isinstance(value, (str, int, float, bool)) else str(value)
    run.run_id = str(run.values.get("sys/custom_run_id") or run.values.get("sys/id") or run_ref)
    return run


def _is_project(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and all(p and p.replace("-", "").replace("_", "").replace(".", "").isalnum() for p in parts)
