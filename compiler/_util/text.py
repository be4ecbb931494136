"""Shared helper: short text for messages and "did you mean" suggestions."""

from __future__ import annotations

import difflib


def short(text: str, limit: int = 40) -> str:
    """`text`, cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def closest(word: str, options: list[str]) -> str:
    """A "did you mean '…'?" hint naming the option closest to `word`, or "" when none is close."""
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else ""
