"""Export loss report: which given fields a format leaves out, grouped at the widest section lost whole."""

from __future__ import annotations

from pydantic import BaseModel, Field

from compiler.interop.losses import (
    CHANGED,
    MISSING,
    NOT_CARRIED,
    UNRESOLVED,
    Collector,
    Loss,
    covered,
    fact_refs,
    fmt_number,
    leaves,
    sort_losses,
    uncarried,
)


class _Item(BaseModel):
    name: str
    note: str | None = None


class _Part(BaseModel):
    title: str = ""
    items: list[_Item] = Field(default_factory=list)
    extra: dict[str, object] = Field(default_factory=dict)


class _Card(BaseModel):
    id: str
    about: _Part = Field(default_factory=_Part)
    risk: _Part = Field(default_factory=_Part)
    score: float | str | None = None


CARD = _Card(
    id="m",
    about=_Part(title="About", items=[_Item(name="a"), _Item(name="b", note="n")]),
    risk=_Part(items=[_Item(name="r")], extra={"auroc": "mlflow://0a1b/metrics/auroc", "kept": 1}),
    score="file://evidence/eval.json#/score",
)


def test_only_values_the_author_gave_are_leaves_with_list_items_as_brackets() -> None:
    assert list(leaves(CARD)) == [
        "id",
        "about.title",
        "about.items[].name",
        "about.items[].name",
        "about.items[].note",
        "risk.items[].name",
        "risk.extra",
        "score",
    ]
    assert list(leaves(_Card(id="x"))) == ["id"]  # defaults and empty sections are not the author's


def test_fact_references_are_found_in_fields_and_in_mappings() -> None:
    assert list(fact_refs(CARD)) == [
        ("risk.extra.auroc", "mlflow://0a1b/metrics/auroc"),
        ("score", "file://evidence/eval.json#/score"),
    ]


def test_a_pattern_covers_itself_and_what_lies_inside_it_only() -> None:
    assert covered("about", ["about"]) and covered("about.items[].name", ["about"])
    assert covered("about.items[].name", ["about.items"])
    assert not covered("about_more", ["about"]) and not covered("about", ["about.items"])


def test_uncarried_fields_are_counted_and_reported_at_the_widest_section_lost_whole() -> None:
    losses = uncarried(CARD, ["id", "about.title", "about.items[].name"], "Format X")
    assert sorted(losses) == [
        Loss("about.items[].note", NOT_CARRIED, "Format X has no place for it"),
        Loss("risk", NOT_CARRIED, "Format X has no place for it", 2),
        Loss("score", NOT_CARRIED, "Format X has no place for it"),
    ]
    assert [loss.format() for loss in sorted(losses)][1] == "risk (2 values): Format X has no place for it"
    assert uncarried(CARD, ["id", "about", "risk", "score"], "Format X") == []


def test_the_collector_notes_unresolved_numbers_and_invented_required_fields() -> None:
    notes = Collector("CHAI")
    assert notes.number(0.91, "evaluation.results[].value") == 0.91
    assert notes.number(None, "x") is None
    assert notes.number("mlflow://0a1b/metrics/auroc", "evaluation.results[].value") is None
    notes.missing("Model Card > Owner", "model.owner")
    notes.missing("Model Card > Owner", "model.owner")
    assert [loss.as_dict() for loss in sort_losses(notes.losses)] == [
        {
            "field": "model.owner",
            "kind": MISSING,
            "reason": "CHAI requires Model Card > Owner; written as 'Not stated in the source.'",
            "count": 1,
        },
        {
            "field": "evaluation.results[].value",
            "kind": UNRESOLVED,
            "reason": "unresolved fact reference mlflow://0a1b/metrics/auroc left out; run `docs-compile resolve` first",
            "count": 1,
        },
    ]


def test_numbers_are_written_in_their_shortest_exact_form() -> None:
    assert [fmt_number(v) for v in (120.0, 0.91, 1e-07, -3.0)] == ["120", "0.91", "1e-07", "-3"]


def test_a_changed_field_is_reported_between_unresolved_and_not_carried() -> None:
    notes = Collector("CHAI")
    notes.changed("evaluation.results[].value", "proportions are written in percent", 3)
    notes.missing("Model Card > Owner", "model.owner")
    lost = Loss("lifecycle", NOT_CARRIED, "CHAI has no place for it", 2)
    ordered = sort_losses([lost, *notes.losses])
    assert [loss.kind for loss in ordered] == [MISSING, CHANGED, NOT_CARRIED]
    assert ordered[1].format() == "evaluation.results[].value (3 values): proportions are written in percent"
