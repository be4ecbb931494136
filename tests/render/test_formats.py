"""Numbers on the page: as written when printed plainly, with the digits they need through `num`, never a non-zero as 0."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from helpers.project import CONTENT, REPO
from hypothesis import given
from hypothesis import strategies as st

from compiler.build import render_input
from compiler.load.reader import load_project
from compiler.render.formats import as_written, finalize, number
from compiler.validate.project import validate_project


@pytest.mark.parametrize(
    ("value", "plain", "quantity"),
    [
        (0.0003, "0.0003", "0.0003"),
        (0.0001, "0.0001", "0.0001"),
        (2e-05, "2e-05", "2e-05"),
        (1729, "1729", "1,729"),
        (20250331, "20250331", "20,250,331"),
        (0.912, "0.912", "0.912"),
        (0.05, "0.05", "0.050"),
        (0.00912, "0.00912", "0.00912"),
        (1204.0, "1204", "1,204"),
        (-0.0042, "-0.0042", "-0.0042"),
        (0, "0", "0"),
        (0.0, "0", "0.000"),
    ],
)
def test_plain_numbers_print_as_written_and_num_prints_quantities(value: float, plain: str, quantity: str) -> None:
    assert as_written(value) == plain
    assert number(value) == quantity


def test_explicit_decimals_never_round_a_non_zero_value_to_zero() -> None:
    assert number(0.004, 2) == "0.004"
    assert number(0.0449, 1) == "0.0449"
    assert number(0.912, 2) == "0.91"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_a_plain_number_reads_back_exactly(value: float) -> None:
    assert float(as_written(value)) == value


@given(st.floats(min_value=1e-12, max_value=1e6), st.sampled_from([None, 1, 2, 3]))
def test_num_keeps_two_significant_digits_or_the_decimals_asked_for(value: float, digits: int | None) -> None:
    printed = number(value, digits)
    back = float(printed.replace(",", ""))
    assert back != 0
    places = 3 if digits is None else digits
    assert abs(back - value) <= max(0.5 * 10**-places, 0.05 * abs(value)) + 1e-15


def _numbers(data: Any, path: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _numbers(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _numbers(value, f"{path}[{i}]")
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield path, data


def _examples() -> list[Any]:
    catalog = validate_project(load_project(CONTENT))
    return [render_input(m) for m in catalog.models]


def test_every_number_of_the_examples_prints_as_its_source_value() -> None:
    checked = 0
    for model in _examples():
        for path, value in _numbers(model.source.model_dump(mode="python")):
            plain = str(finalize(value)).replace("\\", "")
            assert float(plain) == value, (model.source.model.id, path, plain)
            quantity = number(value).replace(",", "")
            assert (float(quantity) == 0) == (value == 0), (model.source.model.id, path, quantity)
            assert math.isclose(float(quantity), value, rel_tol=0.05, abs_tol=5e-4), (path, quantity)
            checked += 1
    assert checked > 1000


def test_hyperparameters_appear_in_the_technical_card_exactly_as_written() -> None:
    for model in _examples():
        training = model.source.system.training if model.source.system else None
        golden = (REPO / "tests/render/golden" / model.source.model.id / "technical.md").read_text()
        for key, value in ((training.hyperparameters or {}) if training else {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                name = re.escape(key).replace("_", "&#95;")  # the golden escapes underscores in code spans
                row = re.search(rf"<code>{name}</code> \| ([^|]+) \|", golden)
                assert row, (model.source.model.id, key)
                assert float(row.group(1).strip()) == value, (model.source.model.id, key, row.group(1))
