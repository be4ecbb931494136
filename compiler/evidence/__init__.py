"""Resolve stage: evidence sources, fact references, computed metrics and the lock file.

`compiler.resolve` is the stage; this package holds its parts. Only `refs` and `lock` are imported
by a build; readers (MLflow, files, predictions) load when `docs-compile resolve` needs them.
"""

from __future__ import annotations

from .lock import LOCK_FILE, Lock, read_lock
from .refs import FactError, Occurrence, Reference, find_references, parse

__all__ = ["LOCK_FILE", "FactError", "Lock", "Occurrence", "Reference", "find_references", "parse", "read_lock"]
