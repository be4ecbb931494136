"""Shared helper dotted: a field path written the way users write it in messages."""

from __future__ import annotations

from compiler._util.fieldpath import dotted


def test_keys_are_dotted_and_indexes_bracketed() -> None:
    assert dotted(("evaluation", "results", 0, "value")) == "evaluation.results[0].value"
    assert dotted(("datasets", 2, "splits", 0, 1)) == "datasets[2].splits[0][1]"
    assert dotted(("model",)) == "model"


def test_a_path_may_start_with_an_index_or_be_empty() -> None:
    assert dotted((3, "id")) == "[3].id"
    assert dotted(()) == ""
