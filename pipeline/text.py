"""Word counts, reading and speaking time, and the narration script of a concept."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.model import Concept, Episode, Series

# A word starts with a letter or digit and may hold inner apostrophes and hyphens.
_WORD = re.compile(r"[^\W_][\w’'-]*")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(.+?)\1")
_MARKDOWN_CHARS = re.compile(r"[*_`\[]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“‘(])")


def strip_inline_markdown(text: str) -> str:
    """'*Flat* [minima](https://x)' -> 'Flat minima': what a reader or a listener gets."""
    if not _MARKDOWN_CHARS.search(text):
        return text
    text = _LINK.sub(r"\1", text)
    previous = None
    while previous != text:
        previous = text
        text = _EMPHASIS.sub(r"\2", text)
    return text


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters/digits, with inner ' and -."""
    return len(_WORD.findall(text))


def reading_minutes(words: int, words_per_minute: int) -> int:
    """Whole minutes, rounded up, at least one."""
    return max(1, math.ceil(words / words_per_minute))


def speaking_seconds(words: int, words_per_minute: int) -> float:
    return words * 60.0 / words_per_minute


def split_sentences(text: str) -> list[str]:
    """Sentences of plain text, split after . ! or ? followed by a capital."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def spoken_parts(concept: Concept) -> list[str]:
    """What is spoken for a concept: its name, explanation, takeaway and analogy."""
    return [concept.name.rstrip(".") + ".", concept.explanation, concept.takeaway, concept.analogy]


def concept_script(concept: Concept) -> list[str]:
    """The sentences spoken for a concept (`spoken_parts`), as plain text."""
    sentences: list[str] = []
    for part in spoken_parts(concept):
        sentences.extend(split_sentences(strip_inline_markdown(part)))
    return sentences


def concept_speaking_seconds(concept: Concept, series: Series) -> float:
    # The words of the script (`concept_script`), without splitting it into sentences.
    words = sum(count_words(strip_inline_markdown(part)) for part in spoken_parts(concept))
    return speaking_seconds(words, series.narration_words_per_minute)


def intro_script(episode: Episode, series: Series) -> list[str]:
    names = ", ".join(c.name for c in episode.concepts[:-1]) + f", and {episode.concepts[-1].name}"
    if len(episode.concepts) == 1:
        names = episode.concepts[0].name
    return [f"{series.title}, part {episode.number}.", f"Today: {names}."]
