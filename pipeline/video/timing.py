"""`fiveml check --speech`: measure each concept's synthesized narration against the budget."""

from __future__ import annotations

from pipeline.load import LoadedEpisode
from pipeline.model import Series
from pipeline.problems import Problem, Severity
from pipeline.video.assemble import SENTENCE_GAP
from pipeline.video.slides import plan_slides
from pipeline.video.speech import SilentVoice, Voice, default_voice


def check_narration_lengths(
    episodes: list[LoadedEpisode], series: Series, voice: Voice | None = None
) -> list[Problem]:
    voice = voice or default_voice(series.voice.voice, series.voice.words_per_minute)
    if isinstance(voice, SilentVoice):
        return [
            Problem(
                Severity.WARNING,
                "series.yaml",
                1,
                1,
                "voice",
                "no speech engine found (espeakng-loader or espeak-ng); narration "
                "lengths were not measured",
            )
        ]
    problems = []
    for loaded in episodes:
        concept_slides = [
            s for s in plan_slides(loaded.episode, series, None) if s.kind == "concept"
        ]
        for index, slide in enumerate(concept_slides):
            hints = dict(slide.pronunciations)
            seconds = sum(voice.speak(s, hints).seconds for s in slide.narration)
            seconds += SENTENCE_GAP * (len(slide.narration) - 1)
            if seconds > series.seconds_per_concept:
                problems.append(
                    loaded.source.problem(
                        Severity.ERROR,
                        ("concepts", index),
                        f"the synthesized narration runs {seconds:.1f} s; the series promises "
                        f"under {series.seconds_per_concept} s: shorten the explanation, takeaway "
                        "or analogy",
                    )
                )
    return problems
