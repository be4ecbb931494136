"""Resolve stage: the lock file `content/<id>/facts.lock.json` — read, write, and compare."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.errors import EvidenceError

LOCK_FILE = "facts.lock.json"
LOCK_VERSION = 1
# Provenance fields that change when the source changes even if the value does not.
TRACKED = ("sha256", "run_end_time", "step", "timestamp", "version", "run_id")


@dataclass
class Lock:
    """Every resolved fact of one model, and the results computed from its predictions files."""

    model: str
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    computed: list[dict[str, Any]] = field(default_factory=list)
    readers: dict[str, str] = field(default_factory=dict)
    resolved_at: str = ""
    # Monitoring series keyed by their history reference; left out of the file when there are none,
    # so locks of models without monitoring histories keep their form.
    histories: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        found = {
            "lock_version": LOCK_VERSION,
            "model": self.model,
            "resolved_at": self.resolved_at,
            "readers": self.readers,
            "facts": self.facts,
            "computed": self.computed,
        }
        if self.histories:
            found["histories"] = self.histories
        return found

    def text(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"

    def same_facts(self, other: Lock) -> bool:
        """Equal in everything but the time of resolution."""
        mine, theirs = self.as_dict(), other.as_dict()
        mine.pop("resolved_at")
        theirs.pop("resolved_at")
        return json.dumps(mine, sort_keys=True) == json.dumps(theirs, sort_keys=True)


def resolution_time() -> str:
    """Now in UTC, or SOURCE_DATE_EPOCH when set, so reproducible pipelines get reproducible locks."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), tz=UTC) if epoch.isdigit() else datetime.now(tz=UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def lock_path(folder: Path) -> Path:
    return folder / LOCK_FILE


_REWRITE = "run `docs-compile resolve` to rewrite it"


def read_lock(folder: Path) -> Lock | None:
    """The model's lock, or None when there is none; a damaged lock is an error naming the file."""
    path = lock_path(folder)
    if not path.is_file():
        return None
    shown = display_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EvidenceError.at(
            shown, f"cannot read the lock: {exc.msg}", line=exc.lineno, column=exc.colno, hint=_REWRITE
        ) from None
    except RecursionError:  # the lock is in the repository, so anyone may have written it
        raise EvidenceError.at(
            shown, "cannot read the lock: nested too deeply", line=1, column=1, hint=_REWRITE
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError.at(shown, f"cannot read the lock: {exc}", line=1, column=1, hint=_REWRITE) from None
    if not isinstance(data, dict) or data.get("lock_version") != LOCK_VERSION:
        raise EvidenceError.at(
            shown,
            f"not a version {LOCK_VERSION} lock file",
            line=1,
            column=1,
            hint="run `docs-compile resolve` with this version to rewrite it",
        )
    try:
        lock = Lock(
            model=str(data["model"]),
            facts=dict(data["facts"]),
            computed=list(data["computed"]),
            readers=dict(data.get("readers", {})),
            resolved_at=str(data.get("resolved_at", "")),
            histories=dict(data.get("histories", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise EvidenceError.at(shown, f"the lock is incomplete ({exc})", hint=_REWRITE) from None
    damage = _damage(lock)
    if damage:
        raise EvidenceError.at(shown, f"the lock is damaged: {damage}", hint=_REWRITE)
    return lock


def _damage(lock: Lock) -> str:
    """What in a parsed lock has the wrong shape for the stages that use it ("" when nothing)."""
    for ref, fact in lock.facts.items():
        if not isinstance(fact, dict):
            return f"fact '{ref}' is not an object with a value"
        if "value" not in fact:
            return f"fact '{ref}' has no value"
    for i, entry in enumerate(lock.computed):
        if not isinstance(entry, dict) or not isinstance(entry.get("results", []), list):
            return f"computed entry {i} is not an object"
        if not all(isinstance(r, dict) for r in entry.get("results", [])):
            return f"computed entry {i} has a result that is not an object"
    for ref, history in lock.histories.items():
        if not isinstance(history, dict):
            return f"history '{ref}' is not an object"
    return ""


def write_lock(folder: Path, lock: Lock) -> None:
    """Write atomically: a reader never sees half a lock."""
    atomic_write(lock_path(folder), lock.text())


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


def fact_drift(ref: str, old: dict[str, Any] | None, new: dict[str, Any]) -> str | None:
    """How a fact differs from its locked form, or None when it does not."""
    if old is None:
        return "not in the lock"
    if old.get("value") != new.get("value") or type(old.get("value")) is not type(new.get("value")):
        return f"locked {_shown(old.get('value'))}, now {_shown(new.get('value'))}"
    changed = [k for k in TRACKED if k in new and old.get(k) != new.get(k)]
    if changed:
        return "source changed since the lock (" + ", ".join(f"{k}: {old.get(k)} -> {new[k]}" for k in changed) + ")"
    return None


def gone_drift(old: dict[str, Any] | None, reason: str) -> str:
    """How a locked fact or history whose evidence vanished (deleted, archived, removed) is reported."""
    if old is None:
        return f"not in the lock, and {reason}"
    if "value" in old:
        return f"locked {_shown(old.get('value'))}, but now {reason}"
    return f"history locked ({old.get('points', 0)} points), but now {reason}"


def _result_key(r: dict[str, Any]) -> str:
    slice_ = ",".join(f"{k}={v}" for k, v in sorted(r.get("slice", {}).items())) or "overall"
    op = f"@{r['operating_point']}" if r.get("operating_point") else ""
    return f"{r['metric']}{op} [{slice_}]"


def computed_drift(old: dict[str, Any] | None, new: dict[str, Any], limit: int = 8) -> list[str]:
    """How one computed entry differs from its locked form."""
    if old is None:
        return ["not in the lock"]
    if old.get("spec") != new.get("spec"):
        return ["the declaration changed since the lock"]
    lines = []
    if old.get("sha256") != new.get("sha256"):
        lines.append(f"{new['path']} changed since the lock (sha256 differs)")
    if old.get("thresholds") != new.get("thresholds"):
        lines.append(f"operating point thresholds changed: {old.get('thresholds')} -> {new.get('thresholds')}")
    before = {_result_key(r): r for r in old.get("results", [])}
    after = {_result_key(r): r for r in new.get("results", [])}
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        if a != b:
            was = "absent" if a is None else f"{a['value']} [{a.get('ci_low')}, {a.get('ci_high')}] n={a['n']}"
            now = "absent" if b is None else f"{b['value']} [{b.get('ci_low')}, {b.get('ci_high')}] n={b['n']}"
            lines.append(f"{key}: locked {was}, now {now}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"… and {len(lines) - limit} more"]
    return lines
