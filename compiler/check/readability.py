"""Readability (check stage): Flesch–Kincaid grade of an audience's plain-language fields, hardest sentences
first, and the gate that holds it to the audience's target.

Words and sentences are counted with textstat; syllables with the Pyphen hyphenation dictionary that
textstat ships with. textstat's own English syllable counter downloads the CMU dictionary on first use,
and a build must not touch the network, so the grade is computed here from the published formula:
0.39 × words per sentence + 11.8 × syllables per word − 15.59.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from compiler._util.fieldpath import FieldPath, dotted
from compiler.check.findings import Raw
from compiler.config.audiences import Audience
from compiler.schema.paths import select

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_MARKDOWN = re.compile(r"[*_`#>|]+|\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a scored field, with its own grade."""

    text: str
    grade: float
    path: FieldPath


@dataclass(frozen=True)
class Score:
    """Grade of a body of text, and its hardest sentences."""

    grade: float
    words: int
    sentences: int
    hardest: tuple[Sentence, ...]


@lru_cache(maxsize=1)
def _hyphenator() -> Any:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def syllables(word: str) -> int:
    """Syllables of one word: hyphenation points + 1 (at least 1)."""
    return len(_hyphenator().positions(word.lower())) + 1


def fk_grade(text: str) -> float:
    """Flesch–Kincaid grade level of a text (0.0 for text without words)."""
    import textstat

    text = _MARKDOWN.sub(lambda m: m.group(1) or " ", text)
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, textstat.sentence_count(text))
    per_word = sum(syllables(w) for w in words) / len(words)
    return round(0.39 * len(words) / sentences + 11.8 * per_word - 15.59, 1)


def _clean(text: str) -> str:
    text = _MARKDOWN.sub(lambda m: m.group(1) or " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    # List items and labels often lack a full stop; without one they would merge into one long sentence.
    return text if text.endswith((".", "!", "?")) else text + "."


def collect(data: dict[str, Any], fields: list[str]) -> list[tuple[FieldPath, str]]:
    """Every text under the given source paths, with where it is; fact references and ids are skipped."""
    found: list[tuple[FieldPath, str]] = []

    def walk(where: FieldPath, node: Any) -> None:
        if isinstance(node, str):
            if " " in node.strip() and "://" not in node:
                found.append((where, node))
        elif isinstance(node, dict):
            for key in sorted(node):
                walk((*where, key), node[key])
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk((*where, i), item)

    for path in fields:
        for where, value in select(data, path):
            walk(where, value)
    return found


def score(texts: list[tuple[FieldPath, str]], top: int = 3) -> Score:
    """Grade of all texts taken together, and the `top` hardest sentences (ties: first written first)."""
    cleaned = [(where, _clean(text)) for where, text in texts]
    sentences = [
        Sentence(s, fk_grade(s), where) for where, text in cleaned for s in _SENTENCE_END.split(text) if s.strip()
    ]
    whole = " ".join(text for _, text in cleaned)
    hardest = sorted(sentences, key=lambda s: -s.grade)[:top]
    return Score(fk_grade(whole), len(_WORD.findall(whole)), len(sentences), tuple(hardest))


def above_target(audience: Audience, data: dict[str, Any]) -> list[Raw]:
    """The audience's plain-language fields taken together, when their grade is above its reading-grade target."""
    target = audience.config.readability
    if target is None:
        return []
    texts = collect(data, target.fields)
    if not texts:
        return []
    result = score(texts)
    if result.grade <= target.max_grade:
        return []
    hardest = "; ".join(f'"{s.text}" (grade {s.grade:g}, {dotted(s.path)})' for s in result.hardest)
    return [
        Raw(
            audience.name,
            f"Flesch-Kincaid grade {result.grade:g} is above the {audience.name} target of {target.max_grade:g} "
            f"({result.words} words, {result.sentences} sentences); hardest: {hardest}",
            result.hardest[0].path if result.hardest else (),
            "use shorter sentences and everyday words",
        )
    ]
