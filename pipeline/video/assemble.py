"""Assembling the slideshow video: slides + narration -> timeline -> captions -> MP4.

Stills do not need thousands of encoded frames. The draft is a variable-frame-rate H.264
stream with one frame per slide (each shown for its narration's length); the final is a
constant-frame-rate render (frames converted to yuv420p once, then repeated by the fps
filter). Both are encoded by the ffmpeg binary that moviepy itself uses (imageio-ffmpeg);
`encoder: moviepy` in series.yaml uses moviepy's own clip pipeline instead, which is much
slower (see the README's figures).

Slides and narration clips are cached under .cache/ by a hash of their content, so an
edit to one concept redraws one slide and re-speaks one clip.
"""

from __future__ import annotations

import array
import hashlib
import itertools
import json
import re
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.cache import code_version, store
from pipeline.errors import BuildError
from pipeline.model import Episode, Series
from pipeline.video.captions import (
    Cue,
    TimedSentence,
    cues_for,
    to_chapters,
    to_description,
    to_srt,
    to_vtt,
)
from pipeline.video.slides import Slide, draw_slide, layout_for, plan_slides
from pipeline.video.speech import Speech, Voice, default_voice

SENTENCE_GAP = 0.25  # seconds of silence between narrated sentences
FINAL_SIZES = {"16:9": (1920, 1080), "9:16": (1080, 1920)}


@dataclass
class Narration:
    """A slide's narration: its samples and where each sentence and word falls."""

    samples: array.array
    sample_rate: int
    sentences: list[TimedSentence]  # times relative to the slide's start

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass
class VideoStats:
    slides_drawn: int = 0
    slides_cached: int = 0
    clips_spoken: int = 0
    clips_cached: int = 0
    voice: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class VideoResult:
    files: dict[str, bytes]
    stats: VideoStats
    slide_starts: list[float]
    slide_durations: list[float]
    cues: list[Cue]
    text_boxes: dict[str, list[tuple[str, tuple[int, int, int, int]]]]


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def frame_size(series: Series, aspect: str, final: bool) -> tuple[int, int]:
    if final or aspect == "9:16":  # the vertical variant is always 1080x1920, for shorts
        return FINAL_SIZES[aspect]
    return series.video.width, series.video.height


# --- Narration -------------------------------------------------------------------------


def narrate(slide: Slide, voice: Voice, pause: float) -> Narration:
    """Speak each sentence, join them with short gaps, end with the slide's pause."""
    hints = dict(slide.pronunciations)
    rate = voice.sample_rate
    gap = array.array("h", bytes(2 * int(SENTENCE_GAP * rate)))
    samples = array.array("h")
    sentences: list[TimedSentence] = []
    for sentence in slide.narration:
        speech: Speech = voice.speak(sentence, hints)
        start = len(samples) / rate
        samples.extend(speech.samples)
        end = len(samples) / rate
        sentences.append(
            TimedSentence(sentence, start, end, tuple(start + w for w in speech.word_starts))
        )
        samples.extend(gap)
    if slide.narration:  # the slide's pause replaces the gap after its last sentence
        del samples[len(samples) - len(gap) :]
    total = max(len(samples) + int(pause * rate), int(slide.min_seconds * rate))
    samples.extend(array.array("h", bytes(2 * (total - len(samples)))))
    return Narration(samples, rate, sentences)


def _cached_narration(
    slide: Slide, voice: Voice, pause: float, cache: Path, stats: VideoStats
) -> Narration:
    key = _digest(
        "narration-2",
        voice.name,
        slide.narration,
        slide.pronunciations,
        pause,
        SENTENCE_GAP,
        slide.min_seconds,
    )
    audio, meta = cache / "speech" / f"{key}.pcm", cache / "speech" / f"{key}.json"
    if audio.is_file() and meta.is_file():
        stats.clips_cached += 1
        info = json.loads(meta.read_text())
        samples = array.array("h")
        samples.frombytes(audio.read_bytes())
        sentences = [
            TimedSentence(s["text"], s["start"], s["end"], tuple(s["words"]))
            for s in info["sentences"]
        ]
        return Narration(samples, info["rate"], sentences)
    stats.clips_spoken += 1
    narration = narrate(slide, voice, pause)
    store(audio, narration.samples.tobytes())
    store(
        meta,
        json.dumps(
            {
                "rate": narration.sample_rate,
                "sentences": [
                    {"text": s.text, "start": s.start, "end": s.end, "words": list(s.word_starts)}
                    for s in narration.sentences
                ],
            }
        ).encode(),
    )
    return narration


# --- Slides ----------------------------------------------------------------------------


def _cached_slide(
    slide: Slide, series: Series, size: tuple[int, int], cache: Path, stats: VideoStats
) -> tuple[bytes, list[Any]]:
    figure_json = slide.figure.model_dump_json() if slide.figure is not None else None
    key = _digest(
        code_version("video/slides.py", "figures"),
        slide.key,
        slide.kind,
        slide.heading,
        slide.body,
        slide.number,
        figure_json,
        size,
        series.theme.model_dump_json(),
    )
    png, meta = cache / "slides" / f"{key}.png", cache / "slides" / f"{key}.json"
    if png.is_file() and meta.is_file():
        stats.slides_cached += 1
        return png.read_bytes(), json.loads(meta.read_text())
    stats.slides_drawn += 1
    figure_png = _figure_for(slide, series, size, cache) if slide.kind == "concept" else None
    drawn = draw_slide(slide, series, size, figure_png)
    store(png, drawn.png)
    store(meta, json.dumps(drawn.text_boxes).encode())
    return drawn.png, [list(x) for x in drawn.text_boxes]


def _figure_for(slide: Slide, series: Series, size: tuple[int, int], cache: Path) -> bytes:
    """The concept's figure at the slide's figure box, from the cache when it was drawn
    before: editing a concept's text redraws its slide, not its figure (and so needs
    neither matplotlib nor its import time)."""
    from pipeline.figures.kinds.card import CardSpec

    layout = layout_for(*size)
    box = layout.figure
    spec = slide.figure or CardSpec(heading=slide.heading, text=slide.body[0])
    # On a phone the figure spans the whole width of a small screen: lay it out narrower
    # so that its text comes out larger.
    design_width = 9.0 if layout.vertical else 12.8
    box_size = (box[2] - box[0], box[3] - box[1])
    key = _digest(
        code_version("figures"),
        spec.model_dump_json(),
        box_size,
        design_width,
        series.theme.model_dump_json(),
    )
    entry = cache / "slide-figures" / f"{key}.png"
    try:
        return entry.read_bytes()
    except OSError:
        pass
    from pipeline.figures.render import render_figure

    png = render_figure(spec, series, size=box_size, design_width=design_width)["png"]
    store(entry, png)
    return png


# --- Encoding --------------------------------------------------------------------------


def ffmpeg_binary() -> str:
    """The ffmpeg that moviepy uses (shipped in the imageio-ffmpeg wheel)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _write_wav(path: Path, samples: array.array, rate: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())


def _run_ffmpeg(arguments: list[str]) -> None:
    command = [ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-y", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"ffmpeg failed ({done.returncode}): {done.stderr.strip()[-400:]}")


def _write_listing(path: Path, stills: list[tuple[Path, float]]) -> None:
    """An ffconcat list: each still held for its seconds."""
    lines = ["ffconcat version 1.0"]
    for still, seconds in stills:
        lines += [f"file '{still.as_posix()}'", f"duration {seconds:.6f}"]
    lines.append(f"file '{stills[-1][0].as_posix()}'")  # the concat demuxer's last-entry rule
    path.write_text("\n".join(lines) + "\n")


def _audio_arguments(audio: Path | None) -> list[str]:
    if audio is None:
        return []
    # Pre-encoded AAC is copied; a WAV is encoded here.
    return ["-c:a", "copy"] if audio.suffix == ".m4a" else ["-c:a", "aac", "-b:a", "128k"]


X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", "-pix_fmt", "yuv420p"]


def encode_ffmpeg(
    slide_files: list[Path],
    durations: list[float],
    audio: Path | None,
    output: Path,
    *,
    fps: int,
    final: bool,
) -> None:
    if final:
        encode_constant_rate(slide_files, durations, audio, output, fps=fps)
        return
    # The draft: one frame per slide, each held for its duration (variable frame rate).
    _encode_stills(
        slide_files,
        durations,
        audio,
        output,
        ["-vf", "format=yuv420p", "-fps_mode", "vfr", "-enc_time_base", "1/1000"],
    )


def encode_constant_rate(
    slide_files: list[Path],
    durations: list[float],
    audio: Path | None,
    output: Path,
    *,
    fps: int,
) -> None:
    """A constant-frame-rate H.264 stream of stills, encoding each still only once.

    A still held for 17 s is 510 identical frames. Each slide's first second (fps frames,
    starting with a keyframe) and the remainder of its last second are encoded once, in
    one x264 run; the stream is cut into those pieces at their sequence headers and the
    pieces are repeated to fill each slide. The muxer then stamps frame n at n/fps, so
    the result is exactly constant-rate. Trade-off: a keyframe every second makes the
    file several times larger than one long encode would, for an encode about six times
    faster. If the cut does not find one piece per keyframe, it falls back to encoding
    every frame.
    """
    frames = _frames_per_slide(durations, fps)
    pieces: list[tuple[Path, int]] = []  # (still, frame count), each encoded once
    sequence: list[int] = []  # indexes into pieces, in playing order
    for still, count in zip(slide_files, frames, strict=True):
        whole, rest = divmod(count, fps)
        if whole:
            pieces.append((still, fps))
            sequence += [len(pieces) - 1] * whole
        if rest:
            pieces.append((still, rest))
            sequence.append(len(pieces) - 1)
    listing = output.with_suffix(".pieces.ffconcat")
    _write_listing(listing, [(still, n / fps) for still, n in pieces])
    starts = [sum(n for _, n in pieces[:i]) / fps for i in range(len(pieces))]
    elementary = output.with_suffix(".pieces.h264")
    _run_ffmpeg(
        [
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-vf",
            f"format=yuv420p,fps={fps}",
            "-fps_mode",
            "cfr",
            "-frames:v",
            str(sum(n for _, n in pieces)),
            "-force_key_frames",
            ",".join(f"{t:.6f}" for t in starts),
            *X264,
            "-x264-params",
            "keyint=infinite:repeat-headers=1",
            "-f",
            "h264",
            str(elementary),
        ]
    )
    cut = split_at_sequence_headers(elementary.read_bytes())
    if len(cut) != len(pieces):
        _encode_every_frame(slide_files, durations, audio, output, fps=fps)
        return
    stream = output.with_suffix(".h264")
    stream.write_bytes(b"".join(cut[i] for i in sequence))
    _run_ffmpeg(
        [
            "-framerate",
            str(fps),
            "-i",
            str(stream),
            *(["-i", str(audio)] if audio is not None else []),
            "-c:v",
            "copy",
            *_audio_arguments(audio),
            "-video_track_timescale",
            str(fps),
            "-movflags",
            "+faststart",
            str(output),
        ]
    )


def _encode_every_frame(
    slide_files: list[Path],
    durations: list[float],
    audio: Path | None,
    output: Path,
    *,
    fps: int,
) -> None:
    """The plain constant-rate encode (frames converted once, repeated by the fps filter)."""
    _encode_stills(
        slide_files,
        durations,
        audio,
        output,
        ["-vf", f"format=yuv420p,fps={fps}", "-fps_mode", "cfr", "-x264-params", "keyint=infinite"],
    )


def _encode_stills(
    slide_files: list[Path],
    durations: list[float],
    audio: Path | None,
    output: Path,
    video_arguments: list[str],
) -> None:
    """Stills held for their durations, one encode, with a keyframe at every slide so
    that seeking to a chapter lands on it."""
    listing = output.with_suffix(".ffconcat")
    _write_listing(listing, list(zip(slide_files, durations, strict=True)))
    starts = [sum(durations[:i]) for i in range(len(durations))]
    _run_ffmpeg(
        [
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            *(["-i", str(audio)] if audio is not None else []),
            "-force_key_frames",
            ",".join(f"{t:.3f}" for t in starts),
            *video_arguments,
            *X264,
            "-t",
            f"{sum(durations):.3f}",
            *_audio_arguments(audio),
            "-movflags",
            "+faststart",
            str(output),
        ]
    )


def _frames_per_slide(durations: list[float], fps: int) -> list[int]:
    """Whole frames per slide, rounded on the running total so the video never drifts
    from the narration by more than half a frame."""
    edges = [round(sum(durations[:i]) * fps) for i in range(len(durations) + 1)]
    return [b - a for a, b in itertools.pairwise(edges)]


_SEQUENCE_HEADER = re.compile(rb"\x00\x00\x00\x01[\x07\x27\x47\x67]|\x00\x00\x01[\x07\x27\x47\x67]")


def split_at_sequence_headers(stream: bytes) -> list[bytes]:
    """An Annex B H.264 stream cut before each sequence parameter set (NAL type 7); with
    x264's repeat-headers each keyframe carries one, so each piece starts decodable."""
    starts = [m.start() for m in _SEQUENCE_HEADER.finditer(stream)]
    if not starts:
        return []
    return [stream[a:b] for a, b in zip(starts, [*starts[1:], len(stream)], strict=True)]


def encode_moviepy(
    slide_files: list[Path],
    durations: list[float],
    audio: Path | None,
    output: Path,
    *,
    fps: int,
    final: bool,
) -> None:
    from moviepy import AudioFileClip, ImageClip, concatenate_videoclips

    clips = [
        ImageClip(str(p)).with_duration(d) for p, d in zip(slide_files, durations, strict=True)
    ]
    video = concatenate_videoclips(clips, method="chain")
    if audio is not None:
        video = video.with_audio(AudioFileClip(str(audio)))
    video.write_videofile(
        str(output),
        fps=fps,
        codec="libx264",
        audio_codec="aac",
        audio_bitrate="128k",
        preset="ultrafast",
        ffmpeg_params=["-pix_fmt", "yuv420p", "-movflags", "+faststart"],
        logger=None,
    )


ENCODERS = {"ffmpeg": encode_ffmpeg, "moviepy": encode_moviepy}


# --- The stage -------------------------------------------------------------------------


def build_video(
    episode: Episode,
    series: Series,
    cache: Path,
    options: dict[str, Any],
    voice: Voice | None = None,
) -> VideoResult:
    """Slides, narration, captions, chapters, description and the encoded MP4."""
    import time

    timings: dict[str, float] = {}
    clock = time.perf_counter()
    aspect = options.get("aspect", "16:9")
    final = bool(options.get("final", False))
    size = frame_size(series, aspect, final)
    fps = series.video.final_fps if final else series.video.draft_fps
    voice = voice or default_voice(series.voice.voice, series.voice.words_per_minute)
    stats = VideoStats(voice=voice.name)
    slides = plan_slides(episode, series, options.get("next"))

    with tempfile.TemporaryDirectory(prefix="fiveml-video-") as scratch:
        folder = Path(scratch)
        narrations = [
            _cached_narration(s, voice, series.video.pause_seconds, cache, stats) for s in slides
        ]
        timings["speech"] = time.perf_counter() - clock
        clock = time.perf_counter()
        # Encode the soundtrack in the background while the slides are drawn.
        audio, audio_job = _start_audio(narrations, folder, series.video.encoder)
        pictures = [_cached_slide(s, series, size, cache, stats) for s in slides]
        timings["slides"] = time.perf_counter() - clock
        clock = time.perf_counter()

        durations = [n.seconds for n in narrations]
        starts = [sum(durations[:i]) for i in range(len(durations))]
        slide_files = []
        for slide, (png, _) in zip(slides, pictures, strict=True):
            path = folder / f"{slide.key}.png"
            path.write_bytes(png)
            slide_files.append(path)
        _finish(audio_job)
        output = folder / "out.mp4"
        ENCODERS[series.video.encoder](slide_files, durations, audio, output, fps=fps, final=final)
        video_bytes = output.read_bytes()
    timings["encode"] = time.perf_counter() - clock

    cues: list[Cue] = []
    for start, narration in zip(starts, narrations, strict=True):
        for sentence in narration.sentences:
            cues += cues_for(
                TimedSentence(
                    sentence.text,
                    start + sentence.start,
                    start + sentence.end,
                    tuple(start + w for w in sentence.word_starts),
                )
            )
    chapters = to_chapters([(start, s.chapter) for start, s in zip(starts, slides, strict=True)])
    prefix = f"{episode.slug}/video/"
    name = "final.mp4" if final else "draft.mp4"
    if aspect == "9:16":
        name = name.replace(".mp4", "-vertical.mp4")
    files: dict[str, bytes] = {
        f"{prefix}{name}": video_bytes,
        f"{prefix}captions.srt": to_srt(cues).encode(),
        f"{prefix}captions.vtt": to_vtt(cues).encode(),
        f"{prefix}chapters.txt": chapters.encode(),
        f"{prefix}description.txt": to_description(episode, series, chapters).encode(),
    }
    slide_folder = "slides-vertical" if aspect == "9:16" else "slides"
    for slide, (png, _) in zip(slides, pictures, strict=True):
        files[f"{prefix}{slide_folder}/{slide.key}.png"] = png
    stats.seconds = timings
    return VideoResult(
        files,
        stats,
        starts,
        durations,
        cues,
        {s.key: p[1] for s, p in zip(slides, pictures, strict=True)},
    )


def _start_audio(
    narrations: list[Narration], folder: Path, encoder: str
) -> tuple[Path | None, subprocess.Popen[bytes] | None]:
    """Write the narration WAV and, for the ffmpeg encoder, start encoding it to AAC."""
    if all(not any(n.samples) for n in narrations):
        return None, None  # no speech engine: a silent draft without an audio track
    joined = array.array("h")
    for narration in narrations:
        joined.extend(narration.samples)
    wav = folder / "narration.wav"
    _write_wav(wav, joined, narrations[0].sample_rate)
    if encoder != "ffmpeg":
        return wav, None
    m4a = folder / "narration.m4a"
    job = subprocess.Popen(
        [
            ffmpeg_binary(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(wav),
            "-c:a",
            "aac",
            "-aac_coder",
            "fast",
            "-b:a",
            "128k",
            str(m4a),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return m4a, job


def _finish(job: subprocess.Popen[bytes] | None) -> None:
    if job is None:
        return
    _, error = job.communicate()
    if job.returncode != 0:
        raise BuildError(f"ffmpeg could not encode the narration: {error.decode()[-400:]}")


def render_episode_video(
    episode: Episode, series: Series, cache: Path, options: dict[str, Any]
) -> dict[str, bytes]:
    return build_video(episode, series, cache, options).files
