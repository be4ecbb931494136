"""Shared helpers short and closest: message text cut to a length, "did you mean" hints."""

from __future__ import annotations

from compiler._util.text import closest, short


def test_short_keeps_text_up_to_the_limit_and_cuts_longer_text_to_exactly_the_limit() -> None:
    assert short("a" * 40) == "a" * 40
    assert short("a" * 41) == "a" * 39 + "…"
    assert len(short("x" * 500, 12)) == 12
    assert short("", 1) == ""


def test_closest_names_the_nearest_option_or_nothing() -> None:
    options = ["intended_use", "evaluation", "model"]
    assert closest("intended_uses", options) == "did you mean 'intended_use'?"
    assert closest("evalution", options) == "did you mean 'evaluation'?"
    assert closest("zzz", options) == ""
    assert closest("model", []) == ""
