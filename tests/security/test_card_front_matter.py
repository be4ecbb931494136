"""Issue 14, items 9 and 11 (cards): an imported card's front matter is read with bounded values and depth."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from compiler.errors import SourceError
from compiler.interop.hf_import import read as read_hf


def _bomb(levels: int) -> str:
    """`tags:` whose aliases repeat aliases: 10**levels values from a few hundred bytes."""
    lines = ['a0: &a0 "x"']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "---\n" + "\n".join(lines) + f"\ntags: *a{levels}\n---\n# Model card\n"


def _failure(tmp_path: Path, text: str) -> str:
    card = tmp_path / "README.md"
    card.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_hf(card)
    return caught.value.format()


def test_item9_an_alias_bomb_under_tags_in_a_card(tmp_path: Path) -> None:
    started = time.monotonic()
    message = _failure(tmp_path, _bomb(6))
    assert time.monotonic() - started < 5
    assert message.endswith(
        ": front matter expands to more than 100,000 values (hint: aliases that repeat other aliases multiply "
        "(a 'billion laughs' document); write the values out)"
    )
    assert message.startswith(str(tmp_path / "README.md") + ":")


def test_item9_a_4gb_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    started = time.monotonic()
    assert "expands to more than 100,000 values" in _failure(tmp_path, _bomb(9))
    assert time.monotonic() - started < 5


def test_item11_deep_front_matter_in_an_imported_card(tmp_path: Path) -> None:
    message = _failure(tmp_path, "---\ntags: " + "[" * 200_000 + "]" * 200_000 + "\n---\n")
    assert message == (
        f"{tmp_path / 'README.md'}:2:1: front matter is nested too deeply "
        "(hint: a card's front matter is nested at most 64 levels; flatten it)"
    )


def test_item11_front_matter_nested_just_past_the_bound(tmp_path: Path) -> None:
    message = _failure(tmp_path, "---\ntags: " + "[" * 70 + "]" * 70 + "\n---\n")
    assert "front matter is nested too deeply" in message


def test_a_card_within_the_bounds_reads(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\ntags: [a, b]\nx: &x [1, 2]\ny: *x\n---\n# Card\n", encoding="utf-8")
    assert read_hf(card).unmapped["front matter: y"] == [1, 2]
