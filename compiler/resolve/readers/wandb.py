"""Resolve stage: the Weights & Biases reader — summary and config values and metric histories of a run.

    wandb://[<source>@]<run>/summary/<key>[#<json-pointer>]    final summary value (keys may contain '/')
    wandb://[<source>@]<run>/config/<key>[#<json-pointer>]     a config value
    wandb://[<source>@]<run>/history/<key>?step=<n>            the value logged at step n
    wandb://[<source>@]<run>/history/<key>                     a logged metric's history (monitoring signals)

A summary value is the run's own: the last value logged unless the run set it otherwise (an explicit
`run.summary[...]`, or `define_metric(..., summary="max")`). `?step=<n>` pins a logged value instead.

`<run>` is a run id or the name of an offline run directory (`latest-run`, the link wandb keeps to the
newest run, included; a run is counted once however many links lead to it). The source's `path` is
either a folder inside the model's folder — a run directory, or a `wandb/` folder holding several — or
`<entity>/<project>` on a server, read through the public API when an API key is configured, under the
deadline of `trackers:` (compiler/resolve/trackers.py).

An offline run is read from its files, without a server and without the network: the `.wandb`
transaction log (a LevelDB-style log of protobuf records, decoded with the `wandb` package's own
record definitions), or, for a run directory without one, `files/wandb-summary.json` and
`files/config.yaml`.
"""

from __future__ import annotations

import importlib
import json
import netrc
import os
import struct
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from compiler import __version__
from compiler._util.hashing import sha256_file
from compiler._util.text import closest
from compiler.resolve.paths import inside
from compiler.resolve.readers.base import Fact, Reader
from compiler.resolve.readers.files import scalar
from compiler.resolve.refs import FactError, Reference, Unreachable, Vanished, json_pointer, pinned_step
from compiler.resolve.trackers import TrackerDown, bounded
from compiler.schema.governance import WandbSource

INSTALL_HINT = "pip install 'docs-compile[wandb]'"
SECTIONS = ("summary", "config", "history")
LATEST = "latest-run"

# The transaction log: a 7-byte file header, then 32 KiB blocks of records, each with a 7-byte header
# (CRC-32 of type byte + data, length, type); a record that does not fit a block is split FIRST/MIDDLE/LAST.
_FILE_HEADER = struct.Struct("<4sHB")
_RECORD_HEADER = struct.Struct("<IHB")
_IDENT, _MAGIC, _LOG_VERSION = b":W&B", 0xBEE1, 0
_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


@dataclass
class WandbRun:
    """What a run holds, read once: identity, state, final summary, config and logged history."""

    run_id: str
    project: str
    entity: str
    name: str
    state: str  # finished | failed (exit code N) | running or crashed | unknown
    started: str | None
    summary: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    origin: dict[str, Any] = field(default_factory=dict)  # where it was read: files and sha256, or server


def _iso(seconds: float | None) -> str | None:
    if not seconds:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _put(target: dict[str, Any], key: str, nested: list[str], value_json: str) -> None:
    keys = list(nested) or [key]
    node = target
    for part in keys[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[keys[-1]] = json.loads(value_json) if value_json else None


def _remove(target: dict[str, Any], key: str, nested: list[str]) -> None:
    keys = list(nested) or [key]
    node: Any = target
    for part in keys[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(keys[-1], None)


def _history_value(item: Any) -> Any:
    try:
        which = item.WhichOneof("value")
    except ValueError:  # older record definitions have only value_json
        which = None
    if which is None:
        return json.loads(item.value_json) if item.value_json else None
    if which == "none":
        return None
    if which == "json":
        return json.loads(item.json)
    return getattr(item, which)


def _log_blocks(data: bytes, shown: str) -> list[bytes]:
    """The payloads of a transaction log, reassembled and checked against their CRC."""
    if len(data) < _FILE_HEADER.size:
        raise FactError(f"{shown} is empty or truncated", "the run may still be starting; resolve after it ends")
    ident, magic, version = _FILE_HEADER.unpack_from(data)
    if ident != _IDENT or magic != _MAGIC or version != _LOG_VERSION:
        raise FactError(f"{shown} is not a W&B transaction log (or a version this reader does not know)")
    payloads: list[bytes] = []
    pending = b""
    pos = _FILE_HEADER.size
    while pos < len(data):
        room = _BLOCK - pos % _BLOCK
        if room < _RECORD_HEADER.size:  # block trailer: zero padding
            pos += room
            continue
        if pos + _RECORD_HEADER.size > len(data):
            break  # a record header cut off by a crash: the log ends here
        checksum, length, kind = _RECORD_HEADER.unpack_from(data, pos)
        body = data[pos + _RECORD_HEADER.size : pos + _RECORD_HEADER.size + length]
        if kind == 0 and length == 0:
            break  # preallocated, never written
        if len(body) < length or zlib.crc32(body, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != checksum:
            raise FactError(f"{shown} is damaged at byte {pos} (checksum mismatch)", "re-copy the run directory")
        pos += _RECORD_HEADER.size + length
        if kind == _FULL:
            payloads.append(body)
        elif kind == _FIRST:
            pending = body
        elif kind == _MIDDLE:
            pending += body
        elif kind == _LAST:
            payloads.append(pending + body)
            pending = b""
    return payloads


def read_transaction_log(path: Path, shown: str, pb: Any) -> WandbRun:
    """Replay a run's `.wandb` log: config and summary updates in order, history rows, the exit record."""
    run = WandbRun(run_id="", project="", entity="", name="", state="running or crashed (no exit record)", started=None)
    for payload in _log_blocks(path.read_bytes(), shown):
        record = pb.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            r = record.run
            run.run_id, run.project, run.entity, run.name = r.run_id, r.project, r.entity, r.display_name
            run.started = _iso(r.start_time.seconds + r.start_time.nanos / 1e9) if r.HasField("start_time") else None
            for item in r.config.update:
                _put(run.config, item.key, list(item.nested_key), item.value_json)
        elif kind == "config":
            for item in record.config.update:
                _put(run.config, item.key, list(item.nested_key), item.value_json)
            for item in record.config.remove:
                _remove(run.config, item.key, list(item.nested_key))
        elif kind == "summary":
            for item in record.summary.update:
                _put(run.summary, item.key, list(item.nested_key), item.value_json)
            for item in record.summary.remove:
                _remove(run.summary, item.key, list(item.nested_key))
        elif kind == "history":
            row = {(".".join(i.nested_key) or i.key): _history_value(i) for i in record.history.item}
            if record.history.HasField("step"):
                row.setdefault("_step", record.history.step.num)
            run.history.append(row)
        elif kind == "exit":
            code = record.exit.exit_code
            run.state = "finished" if code == 0 else f"failed (exit code {code})"
    run.config.pop("_wandb", None)
    return run


def read_files(folder: Path) -> WandbRun | None:
    """A run directory without a transaction log: `files/wandb-summary.json` and `files/config.yaml`."""
    summary_file, config_file = folder / "files" / "wandb-summary.json", folder / "files" / "config.yaml"
    if not summary_file.is_file() and not config_file.is_file():
        return None
    run = WandbRun(run_id=folder.name.rsplit("-", 1)[-1], project="", entity="", name="", state="unknown", started=None)
    try:
        if summary_file.is_file():
            run.summary = json.loads(summary_file.read_text(encoding="utf-8"))
        if config_file.is_file():
            raw = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
            run.config = {
                k: (v.get("value") if isinstance(v, dict) and "value" in v else v)
                for k, v in raw.items()
                if k != "_wandb"
            }
    except (ValueError, yaml.YAMLError) as exc:
        raise FactError(f"run directory {folder.name}: cannot read its files ({exc})") from None
    return run


class WandbReader(Reader):
    """Facts from Weights & Biases runs: offline run directories, or a server through the public API."""

    scheme = "wandb"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._runs: dict[tuple[str, str], WandbRun] = {}
        self._down: dict[str, str] = {}  # source id -> why reading from its server failed

    def _wandb(self, module: str = "wandb") -> Any:
        try:
            return importlib.import_module(module)
        except ImportError:
            raise FactError(
                "reading Weights & Biases evidence needs the wandb package, which is not installed", INSTALL_HINT
            ) from None

    def reader_version(self) -> str:
        return f"docs-compile {__version__}, wandb {self._wandb().__version__}"

    # --- references --------------------------------------------------------------------------

    def _parse(self, ref: Reference, sections: tuple[str, ...]) -> tuple[WandbSource, str, str, str]:
        source = self.context.pick(ref, "wandb")
        assert isinstance(source, WandbSource)
        parts = ref.parts
        if len(parts) < 3 or parts[1] not in sections or not all(parts[2:]):
            shapes = "|".join(sections)
            raise FactError(f"expected wandb://<run>/{shapes}/<key>", "see the reference syntax in the README")
        return source, parts[0], parts[1], "/".join(parts[2:])

    def resolve(self, ref: Reference) -> Fact:
        source, run_ref, section, key = self._parse(ref, SECTIONS)
        run = self.run(source, run_ref)
        if run.state not in ("finished", "unknown"):
            raise FactError(
                f"W&B run {run.run_id} is {run.state}, not finished",
                "facts come only from finished runs; wait for the run to end or reference another run",
            )
        if section == "history":
            return self._logged_at(source, run, key)
        values = run.summary if section == "summary" else run.config
        if key not in values:
            known = sorted(k for k in values if not k.startswith("_"))
            hint = closest(key, known) or f"{section} keys in this run: {', '.join(known) or 'none'}"
            raise FactError(f"W&B run {run.run_id} has no {section} key '{key}'", hint)
        where = f"#{ref.fragment}" if ref.fragment else f"{section} key '{key}'"
        value = scalar(json_pointer(values[key], ref.fragment), where)
        provenance = self._provenance(source, run) | {"kind": f"wandb.{section}", "key": key}
        if ref.fragment:
            provenance["pointer"] = ref.fragment
        if section == "summary" and isinstance(run.summary.get("_step"), int):
            provenance["step"] = run.summary["_step"]
        return Fact(value, provenance)

    def history(self, ref: Reference) -> tuple[list[int], list[float], dict[str, Any]]:
        """A metric's logged history: steps, values and provenance (any run state; monitoring runs go on)."""
        source, run_ref, _, key = self._parse(ref, ("history",))
        if "?" in key:
            raise FactError("a monitoring history is the whole series", f"leave out '?{key.partition('?')[2]}'")
        run = self.run(source, run_ref)
        steps, values = _series(run, key)
        return steps, [float(v) for v in values], self._provenance(source, run) | {"kind": "wandb.history", "key": key}

    def _logged_at(self, source: WandbSource, run: WandbRun, pinned: str) -> Fact:
        """The value a run logged at one step (`history/<key>?step=<n>`)."""
        key, step = pinned_step(pinned)
        if step is None:
            raise FactError(
                f"a history reference names one value only with ?step=<n> (found '{pinned}')",
                f"write wandb://{run.run_id}/history/{key}?step=<n>, or wandb://{run.run_id}/summary/{key} "
                "for the run's summary value",
            )
        steps, values = _series(run, key)
        at = [v for s, v in zip(steps, values, strict=True) if s == step]
        if not at:
            shown = ", ".join(map(str, steps[:12])) + (", …" if len(steps) > 12 else "")
            raise FactError(f"W&B run {run.run_id} logged no value of '{key}' at step {step}", f"steps: {shown}")
        provenance = self._provenance(source, run) | {"kind": "wandb.history", "key": key, "step": step}
        return Fact(scalar(at[-1], f"'{key}' at step {step}"), provenance)

    def _provenance(self, source: WandbSource, run: WandbRun) -> dict[str, Any]:
        found = {
            "source": source.id,
            "run_id": run.run_id,
            "project": run.project,
            "entity": run.entity,
            "run_name": run.name,
            "run_state": run.state,
            "run_start_time": run.started,
            "reader": self.reader_version(),
        }
        return {k: v for k, v in (found | run.origin).items() if v not in ("", None)}

    # --- runs ----------------------------------------------------------------------------------

    def run(self, source: WandbSource, run_ref: str) -> WandbRun:
        """The run a reference names, read once per resolve."""
        if (source.id, run_ref) not in self._runs:
            base = inside(self.context.folder, source.path, "W&B run directory")
            if base.is_dir():
                self._runs[(source.id, run_ref)] = self._offline(self._run_dir(source, base, run_ref))
            elif _is_server_path(source.path):
                self._runs[(source.id, run_ref)] = self._server(source, run_ref)
            else:
                raise FactError(
                    f"W&B run directory '{source.path}' not found in the model's folder",
                    "set path to an offline run directory (or its wandb/ folder) inside the model's folder, "
                    "or to <entity>/<project> for a server",
                )
        return self._runs[(source.id, run_ref)]

    def _run_dir(self, source: WandbSource, base: Path, run_ref: str) -> Path:
        if _is_run_dir(base):
            if run_ref in (base.name, _run_id(base)):
                return base
            raise FactError(
                f"W&B source '{source.id}' is the run directory of run {_run_id(base)}, not '{run_ref}'",
                f"write wandb://{_run_id(base)}/…",
            )
        entries = [p for f in (base, base / "wandb") if f.is_dir() for p in sorted(f.iterdir())]
        named = [p for p in entries if p.name == run_ref and p.is_dir()]
        if named:
            return self._confined(source, named[0])
        # A link (wandb's latest-run) leads to a run directory that is listed too: one run, counted once.
        # A copy that resolved the link holds the same run again under the link's name: the original counts.
        runs = {p.resolve(): p for p in entries if p.is_dir() and _is_run_dir(p) and self._contained(p)}
        matches = sorted({real for real in runs if _run_id(real) == run_ref})
        if len(matches) > 1:
            matches = [real for real in matches if real.name != LATEST] or matches
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches)
            raise FactError(f"{len(matches)} run directories hold W&B run '{run_ref}' ({names})", "name the directory")
        ids = sorted({_run_id(p) for p in runs})
        hint = closest(run_ref, ids) or f"runs in '{source.path}': {', '.join(ids) or 'none'}"
        raise Vanished(f"no W&B run '{run_ref}' in '{source.path}'", hint)

    def _contained(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.context.folder.resolve())

    def _confined(self, source: WandbSource, path: Path) -> Path:
        """A run directory named in a reference, through any link, that must stay inside the model's folder."""
        if not self._contained(path):
            raise FactError(
                f"'{path.name}' in '{source.path}' leads outside the model's folder (through a symbolic link)",
                "copy the run directory into the model's folder instead of linking it",
            )
        if not _is_run_dir(path):
            raise FactError(
                f"'{path.name}' in '{source.path}' is not a W&B run directory",
                "it holds neither a .wandb transaction log nor files/wandb-summary.json",
            )
        return path.resolve()

    def _offline(self, folder: Path) -> WandbRun:
        shown = folder.relative_to(self.context.folder.resolve()).as_posix()
        logs = sorted(folder.glob("run-*.wandb"))
        if logs:
            pb = self._wandb("wandb.proto.wandb_internal_pb2")
            run = read_transaction_log(logs[0], f"{shown}/{logs[0].name}", pb)
            read = [logs[0]]
        else:
            found = read_files(folder)
            if found is None:
                raise FactError(
                    f"run directory '{shown}' holds neither a .wandb transaction log nor files/wandb-summary.json",
                    "copy the whole run directory written by wandb",
                )
            run = found
            read = [p for p in (folder / "files/wandb-summary.json", folder / "files/config.yaml") if p.is_file()]
        run.run_id = run.run_id or _run_id(folder)
        run.origin = {
            "run_dir": shown,
            "files": {p.relative_to(folder).as_posix(): sha256_file(p) for p in read},
            "sha256": sha256_file(read[0]),
        }
        return run

    def _server(self, source: WandbSource, run_ref: str) -> WandbRun:
        """A run on a W&B server through the public API (only when a source names entity/project)."""
        base_url = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
        if not _api_key_configured(base_url):
            raise FactError(
                f"W&B source '{source.id}' names the server project '{source.path}', but no W&B API key is configured",
                "set WANDB_API_KEY (and WANDB_BASE_URL for a self-hosted server), or point path at an offline run "
                "directory inside the model's folder",
            )
        wandb = self._wandb()
        where = f"W&B run '{source.path}/{run_ref}' of source '{source.id}'"
        if source.id in self._down:
            raise Unreachable(
                f"{where}: {base_url} failed earlier in this run ({self._down[source.id]}); not contacted again"
            )

        def fetch(seconds: float) -> tuple[Any, list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
            remote = wandb.Api(timeout=max(1, int(seconds))).run(f"{source.path}/{run_ref}")
            history = [dict(row) for row in remote.scan_history()]
            config = {k: v for k, v in dict(remote.config).items() if k != "_wandb"}
            return remote, history, dict(remote.summary._json_dict), config

        # The public API retries within its own timeout; the deadline bounds the whole read.
        limits = replace(self.context.limits, retries=0)
        try:
            remote, history, summary, config = bounded(limits, fetch, lambda exc: None)
        except TrackerDown as down:
            self._down[source.id] = down.reason
            raise Unreachable(f"{where} cannot be read from {base_url}: {down}", self.context.limits.hint()) from None
        except Exception as exc:  # the public API raises several unrelated exception types
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "could not find" in first.lower() or "not found" in first.lower():
                raise Vanished(f"{where} cannot be read from {base_url}: {first}") from None
            self._down[source.id] = first  # the server, the key or the network: other runs would fail alike
            raise FactError(f"{where} cannot be read from {base_url}: {first}", self.context.limits.hint()) from None
        entity, project = source.path.split("/")
        state = "finished" if remote.state == "finished" else str(remote.state)
        run = WandbRun(remote.id, project, entity, remote.name or "", state, str(remote.created_at), summary, config)
        run.history = history
        run.origin = {"server": urlsplit(base_url).netloc or base_url}
        return run


def _series(run: WandbRun, key: str) -> tuple[list[int], list[int | float]]:
    """The steps and numeric values a run logged for one key, as logged."""
    rows = [row for row in run.history if isinstance(row.get(key), (int, float)) and not isinstance(row[key], bool)]
    if not rows:
        logged = sorted({k for row in run.history for k in row if not k.startswith("_")})
        hint = closest(key, logged) or f"metrics logged in this run: {', '.join(logged) or 'none'}"
        raise FactError(f"W&B run {run.run_id} has no logged history of '{key}'", hint)
    return [int(row.get("_step", i)) for i, row in enumerate(rows)], [row[key] for row in rows]


def _is_run_dir(folder: Path) -> bool:
    return any(folder.glob("run-*.wandb")) or (folder / "files" / "wandb-summary.json").is_file()


def _run_id(folder: Path) -> str:
    logs = sorted(folder.glob("run-*.wandb"))
    if logs:
        return logs[0].stem.removeprefix("run-")
    return folder.name.rsplit("-", 1)[-1]


def _is_server_path(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and all(p and p.replace("-", "").replace("_", "").replace(".", "").isalnum() for p in parts)


def _api_key_configured(base_url: str) -> bool:
    if os.environ.get("WANDB_API_KEY", "").strip():
        return True
    host = urlsplit(base_url).hostname or ""
    try:
        entry = netrc.netrc().authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return False
    return bool(entry and entry[2])
