"""Readability: Flesch–Kincaid grade bands on known texts, hardest sentences, and which text is scored."""

from __future__ import annotations

import pytest

from compiler.check.readability import collect, fk_grade, score, syllables

PRIMER = "The cat sat on the mat. It was a sunny day. The dog ran to the park."
LEAFLET = (
    "This tool looks at chest X-rays. It flags scans that may show a collapsed lung. "
    "A radiologist still reads every scan, flagged or not. Do not use it for children."
)
NEWS = (
    "The hospital said the new software helps radiologists decide which scans to read first. "
    "Doctors reviewed the results of the study before the system was installed in the department."
)
ACADEMIC = (
    "The retrospective multicentre evaluation demonstrated statistically significant improvements in "
    "diagnostic sensitivity across heterogeneous institutional populations, notwithstanding considerable "
    "interobserver variability in the adjudicated reference standard."
)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [(PRIMER, -4, 1), (LEAFLET, 0, 6), (NEWS, 6, 12), (ACADEMIC, 25, 40)],
)
def test_known_texts_fall_in_their_grade_band(text: str, low: float, high: float) -> None:
    assert low <= fk_grade(text) <= high


def test_grades_are_ordered_by_difficulty() -> None:
    grades = [fk_grade(t) for t in (PRIMER, LEAFLET, NEWS, ACADEMIC)]
    assert grades == sorted(grades)


def test_syllables() -> None:
    assert [syllables(w) for w in ("cat", "table", "hospital", "radiologist")] == [1, 2, 3, 5]


def test_no_words_is_grade_zero() -> None:
    assert fk_grade("") == 0.0
    assert fk_grade("123 456") == 0.0


def test_hardest_sentences_come_first_with_their_place() -> None:
    data = {"plain": {"summary": LEAFLET, "how_it_works": ACADEMIC, "warnings": ["Do not use it on children"]}}
    result = score(collect(data, ["plain"]), top=2)
    assert result.hardest[0].text == ACADEMIC
    assert result.hardest[0].path == ("plain", "how_it_works")
    assert len(result.hardest) == 2
    assert result.sentences == 6  # four in the leaflet, one academic, one warning without a full stop
    assert LEAFLET in " ".join(t for _, t in collect(data, ["plain.summary"]))


def test_collect_skips_references_and_identifiers() -> None:
    data = {
        "plain": {
            "summary": "A plain sentence here.",
            "per_1000": {"operating_point": "high-sensitivity"},
            "ref": "file://x.json#/a b",
        }
    }
    assert collect(data, ["plain"]) == [(("plain", "summary"), "A plain sentence here.")]


def test_markdown_is_stripped_before_scoring() -> None:
    assert fk_grade("The **cat** sat on the [mat](https://example.org).") == fk_grade("The cat sat on the mat.")
