"""Captions (SRT, WebVTT), chapters and the video description.

Cues come from the narration timeline: one per sentence, or shorter pieces of a long
sentence split at word boundaries, each timed from where the engine said its first word
started. The cue texts, joined, are exactly the narration script.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pipeline.model import Episode, Paper, Series

MAX_CUE_WORDS = 14


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class TimedSentence:
    """A narrated sentence placed on the video's timeline."""

    text: str
    start: float
    end: float
    word_starts: tuple[float, ...]  # absolute seconds, one per word of `text`


def cues_for(sentence: TimedSentence) -> list[Cue]:
    """One cue for a short sentence; pieces of at most MAX_CUE_WORDS words otherwise."""
    words = sentence.text.split()
    if len(words) <= MAX_CUE_WORDS or len(sentence.word_starts) != len(words):
        return [Cue(sentence.start, sentence.end, sentence.text)]
    pieces = -(-len(words) // MAX_CUE_WORDS)
    size = -(-len(words) // pieces)
    bounds = [*list(range(0, len(words), size)), len(words)]
    cues = []
    for a, b in itertools.pairwise(bounds):
        start = sentence.start if a == 0 else sentence.word_starts[a]
        end = sentence.end if b == len(words) else sentence.word_starts[b]
        cues.append(Cue(start, end, " ".join(words[a:b])))
    return cues


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(cues: list[Cue]) -> str:
    blocks = [
        f"{i}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{c.text}\n"
        for i, c in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    blocks = [f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{c.text}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def chapter_clock(seconds: float) -> str:
    """'0:00', '1:05', '1:02:03': the form video platforms read from descriptions."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def to_chapters(chapters: list[tuple[float, str]]) -> str:
    return "".join(f"{chapter_clock(start)} {title}\n" for start, title in chapters)


def to_description(episode: Episode, series: Series, chapters_text: str) -> str:
    lines = [
        f"{episode.display_title(series)}",
        "",
        series.abstract,
        "",
        chapters_text.rstrip(),
        "",
        "References:",
    ]
    for concept in episode.concepts:
        ref = concept.reference
        if isinstance(ref, Paper):
            link = f" {ref.link}" if ref.link else ""
            lines.append(f"- {concept.name}: {ref.title} ({ref.short_citation}){link}")
        else:
            lines.append(f"- {concept.name}: {ref.note}")
    lines += ["", series.tagline, ""]
    return "\n".join(lines)
