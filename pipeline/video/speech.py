"""Speech synthesis behind one small interface, `Voice`.

- `EspeakVoice` drives the eSpeak NG library through ctypes: the copy bundled in the
  `espeakng-loader` wheel (nothing to install by hand), else the system's libespeak-ng.
- `SilentVoice` is the fallback with no engine: silence, timed from words per minute.

A better voice only needs another `Voice` implementation. Each call synthesizes one
sentence and reports where each word starts in the audio, from the engine's own word
events, so captions are timed from the speech and not guessed.
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from pipeline.text import count_words

SAMPLE_RATE_SILENT = 22050
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Speech:
    """One synthesized sentence: mono 16-bit samples and the start of each script word."""

    samples: array.array  # 'h' (int16)
    sample_rate: int
    word_starts: tuple[float, ...]  # seconds, one per word of the original sentence

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


class Voice(Protocol):
    """A speech engine. `name` identifies it (and its settings) in cache keys."""

    name: str
    sample_rate: int

    def speak(self, sentence: str, pronunciations: dict[str, str]) -> Speech: ...


def spoken_form(sentence: str, pronunciations: dict[str, str]) -> tuple[str, list[int]]:
    """The sentence as it is to be spoken, and where each original word starts in it.

    Pronunciation hints replace whole words ('SGDR' -> 'S G D R'), keeping punctuation.
    """
    spoken_parts: list[str] = []
    starts: list[int] = []
    position = 0
    for match in _WORD.finditer(sentence):
        word = match.group()
        core = word.strip(".,;:!?()\"'“”‘’")
        replacement = pronunciations.get(core)
        if replacement:
            word = word.replace(core, replacement, 1)
        starts.append(position)
        spoken_parts.append(word)
        position += len(word) + 1
    return " ".join(spoken_parts), starts


class SilentVoice:
    """No speech engine: silence as long as the narration would take at `wpm`."""

    def __init__(self, words_per_minute: int) -> None:
        self.words_per_minute = words_per_minute
        self.sample_rate = SAMPLE_RATE_SILENT
        self.name = f"silent-{words_per_minute}"

    def speak(self, sentence: str, pronunciations: dict[str, str]) -> Speech:
        words = max(1, count_words(sentence))
        seconds = words * 60.0 / self.words_per_minute
        total = int(seconds * self.sample_rate)
        count = len(_WORD.findall(sentence))
        starts = tuple(seconds * i / max(1, count) for i in range(count))
        return Speech(array.array("h", bytes(2 * total)), self.sample_rate, starts)


class _EspeakEvent(ctypes.Structure):
    # espeak_EVENT from speak_lib.h
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_EspeakEvent)
)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_RATE = 1
_CHARS_UTF8 = 1
_EVENT_WORD = 1
_EVENT_END_OF_LIST = 0


class EspeakVoice:
    """eSpeak NG through ctypes. The library keeps global state: one instance a process."""

    def __init__(
        self, library: ctypes.CDLL, data_path: str | None, voice: str, wpm: int, origin: str
    ) -> None:
        self._lib = library
        self._lock = threading.Lock()
        rate = library.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS,
            0,
            data_path.encode() if data_path else None,
            _INITIALIZE_DONT_EXIT,
        )
        if rate <= 0:
            raise OSError(f"eSpeak NG did not initialise (data: {data_path})")
        self.sample_rate = rate
        self._samples = array.array("h")
        self._events: list[tuple[int, int]] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced while the lib holds it
        library.espeak_SetSynthCallback(self._callback)
        if library.espeak_SetVoiceByName(voice.encode()) != 0:
            raise OSError(f"eSpeak NG has no voice '{voice}'")
        library.espeak_SetParameter(_RATE, wpm, 0)
        self.name = f"espeak-ng-{origin}-{voice}-{wpm}"

    def _collect(self, wav: ctypes.Array, count: int, events: ctypes.Array) -> int:
        if count > 0:
            self._samples.frombytes(ctypes.string_at(wav, count * 2))
        i = 0
        while events[i].type != _EVENT_END_OF_LIST:
            if events[i].type == _EVENT_WORD:
                self._events.append((events[i].text_position, events[i].sample))
            i += 1
        return 0

    def speak(self, sentence: str, pronunciations: dict[str, str]) -> Speech:
        spoken, word_offsets = spoken_form(sentence, pronunciations)
        data = spoken.encode("utf-8")
        with self._lock:
            self._samples = array.array("h")
            self._events = []
            self._lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _CHARS_UTF8, None, None)
            self._lib.espeak_Synchronize()
            samples, events = self._samples, self._events
        return Speech(
            samples, self.sample_rate, _word_starts(spoken, word_offsets, events, self.sample_rate)
        )


def _word_starts(
    spoken: str, word_offsets: list[int], events: list[tuple[int, int]], rate: int
) -> tuple[float, ...]:
    """Seconds at which each original word starts, from the engine's word events.

    Events carry 1-based character positions in the text; a script word starts when
    the first event at or after its offset starts. Words with no event (punctuation) take
    the next word's start.
    """
    timed = sorted((pos - 1, sample) for pos, sample in events)
    starts: list[float] = []
    last = 0.0
    for offset in word_offsets:
        sample = next((s for pos, s in timed if pos >= offset), None)
        seconds = sample / rate if sample is not None else last
        last = max(last, seconds)
        starts.append(last)
    return tuple(starts)


@lru_cache(maxsize=4)
def default_voice(voice: str, words_per_minute: int, silent_ok: bool = True) -> Voice:
    """The best engine available: the bundled eSpeak NG, the system's, else silence."""
    for loader in (_bundled_espeak, _system_espeak):
        found = loader()
        if found is not None:
            library, data_path, origin = found
            try:
                return EspeakVoice(library, data_path, voice, words_per_minute, origin)
            except OSError:
                continue
    if not silent_ok:
        raise OSError("no speech engine: install espeakng-loader or espeak-ng")
    return SilentVoice(words_per_minute)


def _bundled_espeak() -> tuple[ctypes.CDLL, str | None, str] | None:
    try:
        import espeakng_loader

        return (
            ctypes.CDLL(espeakng_loader.get_library_path()),
            espeakng_loader.get_data_path(),
            "bundled",
        )
    except (ImportError, OSError, RuntimeError):
        return None


def _system_espeak() -> tuple[ctypes.CDLL, str | None, str] | None:
    name = ctypes.util.find_library("espeak-ng")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name), None, "system"
    except OSError:
        return None
