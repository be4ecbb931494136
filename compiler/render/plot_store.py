"""Render stage helper: plots drawn once for the same data, kept in this process and in the build cache.

A plot is a pure function of its data and the compiler's code (matplotlib's version included), so its SVG is
found by the sha256 of both. Audiences of one model share their plots within a process; the build cache
(compiler/cache.py) keeps them across builds, so a document re-rendered for a change that leaves its numbers
alone (a summary, a template) draws no plot and does not even import matplotlib.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compiler.cache import Cache, code_fingerprint, digest

PLOT_KIND = "plot"
_SEEN: dict[str, tuple[bytes, str]] = {}
_MAX_SEEN = 64
_STORE: list[Cache] = []


def use_cache(cache: Cache | Path | None) -> None:
    """Keep plots in this build cache (a Cache, or its folder, as a worker process is given it) from now on."""
    _STORE.clear()
    if isinstance(cache, Path):
        cache = Cache(cache)
    if cache is not None:
        _STORE.append(cache)


def stored_plot(parts: Any, draw: Callable[[], tuple[bytes, str]]) -> tuple[bytes, str]:
    """The (SVG, text) that draw() makes for the data in parts (anything with a stable repr), drawn only once."""
    key = hashlib.sha256(repr(parts).encode()).hexdigest()
    if key in _SEEN:
        return _SEEN[key]
    entry = _STORE[0].get(PLOT_KIND, digest(PLOT_KIND, code_fingerprint(), key)) if _STORE else None
    if entry is not None and "plot.svg" in entry.files and isinstance(entry.meta.get("text"), str):
        found = (entry.files["plot.svg"], str(entry.meta["text"]))
    else:
        found = draw()
        if _STORE:
            _STORE[0].put(
                PLOT_KIND, digest(PLOT_KIND, code_fingerprint(), key), {"plot.svg": found[0]}, {"text": found[1]}
            )
    if len(_SEEN) >= _MAX_SEEN:
        _SEEN.clear()
    _SEEN[key] = found
    return found


__all__ = ["PLOT_KIND", "stored_plot", "use_cache"]
