"""Render stage: subgroup results pivoted into tables (compiler/render/tables.py) — group-by, de-duplication,
ordering, operating points, plot placement and empty input."""

from __future__ import annotations

from typing import Any

from helpers.project import minimal_source

from compiler.render.tables import SubgroupLayout, SubgroupPlot, SubgroupRow, subgroup_layout
from compiler.schema import Result, Source


def _source(results: list[dict[str, Any]], default_point: str = "sensitive") -> Source:
    data = minimal_source()
    data["factors"]["relevant"] = [
        {"id": "sex", "name": "Sex", "kind": "demographic", "levels": ["female", "male"]},
        {"id": "age", "name": "Age band", "kind": "demographic", "levels": ["young", "old"]},
    ]
    data["system"]["outputs"][0]["operating_points"] = [
        {"id": "sensitive", "threshold": 0.3, "rationale": "few misses", "default": default_point == "sensitive"},
        {"id": "specific", "threshold": 0.6, "rationale": "few alarms", "default": default_point == "specific"},
    ]
    data["datasets"].append({**data["datasets"][0], "id": "test", "name": "Held-out test set", "role": "test"})
    data["evaluation"]["results"] = results
    return Source.model_validate(data)


def _r(metric: str, value: float, dataset: str | None = "test", op: str | None = None, **slice: str) -> dict[str, Any]:
    return {"metric": metric, "value": value, "n": 100, "slice": slice, "dataset": dataset, "operating_point": op}


def _values(row: SubgroupRow) -> list[float | None]:
    return [None if cell is None else float(cell.value) for cell in row.cells]


def test_no_subgroup_results_give_no_tables() -> None:
    assert subgroup_layout(_source([])) == SubgroupLayout((), ())
    assert subgroup_layout(_source([_r("accuracy", 0.9), _r("accuracy", 0.8, dataset="train")])) == SubgroupLayout(
        (), ()
    )


def test_results_are_grouped_by_dataset_then_by_factors_in_source_order() -> None:
    layout = subgroup_layout(
        _source(
            [
                _r("accuracy", 0.9, sex="female"),
                _r("accuracy", 0.7, dataset="train", age="old"),
                _r("accuracy", 0.8, age="young"),
                _r("accuracy", 0.6, dataset=None, sex="male"),
                _r("accuracy", 0.5, dataset="elsewhere", sex="male"),
                _r("accuracy", 0.85, sex="male", age="old"),
                _r("accuracy", 0.95, sex="male"),
            ]
        )
    )
    assert [(d.dataset, d.title, d.anchor) for d in layout.datasets] == [
        ("test", "Held-out test set", "test"),
        ("train", "TODO training data", "train"),
        ("", "Dataset not named", "unnamed"),
        ("elsewhere", "elsewhere", "elsewhere"),
    ]
    test = layout.datasets[0]
    assert [t.factors for t in test.tables] == [("Sex",), ("Age band",), ("Sex", "Age band")]
    assert [(row.group, _values(row)) for row in test.tables[0].rows] == [("female", [0.9]), ("male", [0.95])]
    assert [row.group for row in test.tables[2].rows] == ["male × old"]


def test_a_table_has_a_column_per_metric_and_a_row_per_group_with_gaps_left_empty() -> None:
    (dataset,) = subgroup_layout(
        _source(
            [
                _r("sensitivity", 0.91, sex="female"),
                _r("auroc", 0.95, sex="male"),
                _r("sensitivity", 0.88, sex="male"),
                _r("auroc", 0.94, sex="female"),
                _r("specificity", 0.80, sex="male"),
            ]
        )
    ).datasets
    (table,) = dataset.tables
    assert table.metrics == ("sensitivity", "auroc", "specificity")
    assert [(row.group, _values(row)) for row in table.rows] == [
        ("female", [0.91, 0.94, None]),
        ("male", [0.88, 0.95, 0.80]),
    ]


def test_a_repeated_result_keeps_the_first_and_makes_no_second_row() -> None:
    (dataset,) = subgroup_layout(
        _source([_r("auroc", 0.95, sex="female"), _r("auroc", 0.50, sex="female"), _r("auroc", 0.93, sex="male")])
    ).datasets
    assert [(row.group, _values(row)) for row in dataset.tables[0].rows] == [("female", [0.95]), ("male", [0.93])]


def test_one_operating_point_is_named_once_and_several_get_a_column() -> None:
    one = subgroup_layout(
        _source([_r("auroc", 0.95, sex="female"), _r("sensitivity", 0.9, op="sensitive", sex="female")])
    )
    (table,) = one.datasets[0].tables
    assert (table.point, table.by_point, table.threshold_free) == ("sensitive", False, True)
    assert [(row.group, row.operating_point, _values(row)) for row in table.rows] == [("female", "", [0.95, 0.9])]

    several = subgroup_layout(
        _source(
            [
                _r("sensitivity", 0.9, op="sensitive", sex="female"),
                _r("sensitivity", 0.7, op="specific", sex="female"),
                _r("specificity", 0.95, op="specific", sex="female"),
            ]
        )
    )
    (table,) = several.datasets[0].tables
    assert (table.point, table.by_point, table.threshold_free) == ("", True, False)
    assert [(row.group, row.operating_point, _values(row)) for row in table.rows] == [
        ("female", "sensitive", [0.9, None]),
        ("female", "specific", [0.7, 0.95]),
    ]


def test_each_factor_is_plotted_once_after_the_table_on_its_overall_results_dataset() -> None:
    layout = subgroup_layout(
        _source(
            [
                _r("auroc", 0.96, dataset="test"),
                _r("auroc", 0.90, dataset="train", sex="female"),
                _r("accuracy", 0.80, dataset="train", sex="female"),
                _r("auroc", 0.95, dataset="test", sex="female"),
                _r("auroc", 0.94, dataset="test", sex="male", age="old"),
                _r("auroc", 0.93, dataset="test", age="old"),
            ]
        )
    )
    train, test = layout.datasets
    # auroc's overall result is on the test set: its plot by sex follows the test table, not the train one.
    assert [t.plots for t in train.tables] == [(SubgroupPlot("accuracy", "sex"),)]
    assert [t.plots for t in test.tables] == [(SubgroupPlot("auroc", "sex"),), (), (SubgroupPlot("auroc", "age"),)]
    assert layout.plots == ()


def test_plots_whose_overall_is_on_a_dataset_without_subgroups_come_last() -> None:
    layout = subgroup_layout(_source([_r("auroc", 0.96, dataset="train"), _r("auroc", 0.95, sex="female")]))
    assert [d.dataset for d in layout.datasets] == ["test"]
    assert layout.datasets[0].tables[0].plots == ()
    assert layout.plots == (SubgroupPlot("auroc", "sex"),)


def test_cells_hold_the_results_themselves() -> None:
    (dataset,) = subgroup_layout(_source([{**_r("auroc", 0.95, sex="female"), "flag": "small cell (n < 30)"}])).datasets
    (cell,) = dataset.tables[0].rows[0].cells
    assert isinstance(cell, Result) and cell.flag == "small cell (n < 30)" and cell.n == 100


def test_undefined_computed_metrics_print_their_reason_and_keep_their_group() -> None:
    data = _source([_r("auroc", 0.95, sex="male"), _r("sensitivity", 0.9, sex="male")]).model_dump(mode="json")
    data["evaluation"]["undefined"] = [
        {"metric": "auroc", "slice": {"sex": "female"}, "dataset": "test", "n": 12,
         "reason": "AUROC is undefined: one class in this cell (no positives)"},
        {"metric": "sensitivity", "slice": {"sex": "female"}, "dataset": "test", "n": 0,
         "reason": "sensitivity is undefined: no positives in this cell"},
        {"metric": "auroc", "slice": {"sex": "female"}, "dataset": "train", "n": 3, "reason": "other dataset"},
        {"slice": {"sex": "female"}, "dataset": "test", "n": 0, "reason": "no rows"},
    ]  # fmt: skip
    (dataset,) = subgroup_layout(Source.model_validate(data)).datasets
    (table,) = dataset.tables
    assert [(row.group, _values(row), row.reasons) for row in table.rows] == [
        ("male", [0.95, 0.9], ("", "")),
        ("female", [None, None], ("undefined: one class in this cell (no positives)", "undefined: no positives in this cell")),
    ]  # fmt: skip
