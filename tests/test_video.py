"""The video stage: real encodes probed with ffprobe, captions, chapters, cache, layout."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.load import load_episode
from pipeline.model import Episode, Series
from pipeline.project import Project
from pipeline.video.assemble import build_video
from pipeline.video.slides import common_size, fit_text, layout_for, plan_slides
from pipeline.video.speech import SilentVoice, default_voice
from tests.conftest import EPISODE_23, edit_episode, heavy_modules_after

FFPROBE = shutil.which("ffprobe")
pytestmark = [
    pytest.mark.video,
    pytest.mark.skipif(FFPROBE is None, reason="no ffprobe on PATH (apt-get install ffmpeg)"),
]
SERIES = Series()


def episode_23() -> Episode:
    loaded, _ = load_episode(EPISODE_23, "episodes/023.yaml")
    assert loaded is not None
    return loaded.episode


def probe(data: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "probe.mp4"
    path.write_bytes(data)
    done = subprocess.run(
        [FFPROBE, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def srt_cues(text: str) -> list[tuple[float, float, str]]:
    def seconds(stamp: str) -> float:
        h, m, rest = stamp.split(":")
        s, ms = rest.split(",")
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    cues = []
    for block in text.strip().split("\n\n"):
        number, times, *lines = block.split("\n")
        assert number.isdigit()
        start, end = times.split(" --> ")
        cues.append((seconds(start), seconds(end), " ".join(lines)))
    return cues


@pytest.fixture(scope="module")
def draft(tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("cache")
    return build_video(episode_23(), SERIES, cache, {"aspect": "16:9", "next": 24}), cache


def test_draft_is_h264_aac_of_the_summed_duration(draft, tmp_path: Path) -> None:
    result, _ = draft
    info = probe(result.files["023/video/draft.mp4"], tmp_path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["width"], video["height"], video["pix_fmt"]) == (
        "h264",
        1280,
        720,
        "yuv420p",
    )
    if not isinstance(default_voice("en-us", 160), SilentVoice):
        audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
        assert audio["codec_name"] == "aac"
    assert float(info["format"]["duration"]) == pytest.approx(sum(result.slide_durations), abs=0.1)
    assert int(video["nb_frames"]) == len(result.slide_durations)  # one frame per still


def test_faststart_puts_the_index_first(draft) -> None:
    data = draft[0].files["023/video/draft.mp4"]
    assert data.index(b"moov") < data.index(b"mdat")


def test_captions_are_ordered_cover_the_script_and_match_it(draft) -> None:
    result, _ = draft
    cues = srt_cues(result.files["023/video/captions.srt"].decode())
    for (start, end, _), (next_start, _, _) in itertools.pairwise(cues):
        assert start < end <= next_start
    slides = plan_slides(episode_23(), SERIES, 24)
    script = " ".join(sentence for slide in slides for sentence in slide.narration)
    assert " ".join(text for _, _, text in cues) == script
    assert cues[-1][1] <= sum(result.slide_durations) + 0.01
    vtt = result.files["023/video/captions.vtt"].decode()
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert vtt.count(" --> ") == len(cues)


def test_each_cue_falls_within_its_slide(draft) -> None:
    result, _ = draft
    cues = srt_cues(result.files["023/video/captions.srt"].decode())
    bounds = list(
        zip(
            result.slide_starts,
            [s + d for s, d in zip(result.slide_starts, result.slide_durations, strict=True)],
            strict=True,
        )
    )
    for start, end, text in cues:
        assert any(a - 0.002 <= start and end <= b + 0.002 for a, b in bounds), text


def test_chapters_start_where_their_slides_start(draft) -> None:
    result, _ = draft
    lines = result.files["023/video/chapters.txt"].decode().splitlines()
    assert lines[0] == "0:00 Intro"
    assert [line.split(" ", 1)[1] for line in lines] == [
        "Intro",
        "Emergent Behavior",
        "Tool Use",
        "Loss Surface Sharpness",
        "Learning Rate Schedules",
        "Canary Deployment",
        "Quick Reference",
        "Outro",
    ]
    for line, start in zip(lines, result.slide_starts, strict=True):
        minutes, seconds = line.split(" ")[0].split(":")
        assert int(minutes) * 60 + int(seconds) == int(start)


def test_description_has_abstract_chapters_and_links(draft) -> None:
    text = draft[0].files["023/video/description.txt"].decode()
    assert "5 machine learning concepts. Under 30 seconds each." in text
    assert "0:00 Intro" in text
    assert (
        "- Tool Use: Toolformer: Language Models Can Teach Themselves to Use Tools "
        "(Schick et al. 2023) https://arxiv.org/abs/2302.04761"
    ) in text


def test_editing_one_concept_redraws_one_slide_and_respeaks_one_clip(draft) -> None:
    _, cache = draft
    episode = episode_23()
    data = episode.model_dump()
    data["concepts"][2]["analogy"] = "Like resting in a wide valley instead of a narrow ditch."
    edited = Episode.model_validate(data)
    again = build_video(edited, SERIES, cache, {"aspect": "16:9", "next": 24})
    assert (again.stats.slides_drawn, again.stats.clips_spoken) == (1, 1)
    assert (again.stats.slides_cached, again.stats.clips_cached) == (7, 7)


def test_silent_fallback_times_from_words_per_minute(tmp_path: Path) -> None:
    voice = SilentVoice(150)
    result = build_video(episode_23(), SERIES, tmp_path, {"aspect": "16:9"}, voice=voice)
    info = probe(result.files["023/video/draft.mp4"], tmp_path)
    assert [s["codec_type"] for s in info["streams"]] == ["video"]
    assert result.stats.voice == "silent-150"
    emergent = plan_slides(episode_23(), SERIES, None)[1]
    words = len(" ".join(emergent.narration).split())
    expected = words * 60 / 150 + SERIES.video.pause_seconds + 0.25 * (len(emergent.narration) - 1)
    assert result.slide_durations[1] == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize("aspect", ["16:9", "9:16"])
def test_long_text_stays_inside_the_frame_and_safe_area(tmp_path: Path, aspect: str) -> None:
    data = episode_23().model_dump()
    data["concepts"][0]["name"] = "Extraordinarily Long Concept Name For Testing Wrapping Limits"
    data["concepts"][0]["analogy"] = "Like " + "a very long analogy that keeps going " * 8
    data["concepts"][1]["one_liner"] = "Supercalifragilisticexpialidociousness everywhere"
    episode = Episode.model_validate(data)
    result = build_video(episode, SERIES, tmp_path, {"aspect": aspect}, voice=SilentVoice(150))
    size = (1280, 720) if aspect == "16:9" else (1080, 1920)
    safe = layout_for(*size).safe
    info = probe(
        result.files[f"023/video/draft{'-vertical' if aspect == '9:16' else ''}.mp4"], tmp_path
    )
    assert (info["streams"][0]["width"], info["streams"][0]["height"]) == size
    for slide, boxes in result.text_boxes.items():
        for label, (left, top, right, bottom) in boxes:
            assert safe[0] <= left and right <= safe[2], (slide, label)
            assert safe[1] <= top and bottom <= safe[3], (slide, label)


def test_a_list_of_rows_is_set_in_one_size_the_largest_that_fits_them_all() -> None:
    from PIL import Image, ImageDraw

    draw = ImageDraw.Draw(Image.new("RGB", (600, 400)))
    short = ("Tool Use — AI calling external tools", (0, 0, 600, 60))
    long = ("Learning Rate Schedules — Adjusting learning rate during training", (0, 60, 600, 120))

    def size(*rows: tuple[str, tuple[int, int, int, int]]) -> int:
        return common_size(draw, list(rows), bold=False, max_size=48, min_size=12)

    assert size(short) > size(long)  # fitted one by one, the short row came out larger
    assert size(short, long) == size(long)
    font, lines = fit_text(draw, long[0], long[1], bold=False, max_size=size(long), min_size=12)
    assert len(lines) * font.size * 1.25 <= 60 and not lines[-1].endswith("…")


def test_final_render_is_constant_30_fps_full_hd(tmp_path: Path) -> None:
    data = episode_23().model_dump()
    data["concepts"] = data["concepts"][:1]
    short = Episode.model_validate(data)
    result = build_video(
        short,
        Series(concepts_per_episode=1),
        tmp_path,
        {"aspect": "16:9", "final": True},
        voice=SilentVoice(400),
    )
    info = probe(result.files["023/video/final.mp4"], tmp_path)
    video = info["streams"][0]
    assert (video["width"], video["height"], video["r_frame_rate"]) == (1920, 1080, "30/1")
    assert video["avg_frame_rate"] == "30/1"
    expected_frames = round(sum(result.slide_durations) * 30)
    assert int(video["nb_frames"]) == expected_frames
    assert consecutive_frame_stamps(result.files["023/video/final.mp4"], tmp_path)


def consecutive_frame_stamps(data: bytes, tmp_path: Path) -> bool:
    """Every frame exactly 1/30 s after the last (timestamps in a 1/30 time base)."""
    path = tmp_path / "stamps.mp4"
    path.write_bytes(data)
    done = subprocess.run(
        [
            FFPROBE,
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "stream=time_base:packet=pts",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(done.stdout)
    stamps = sorted(int(p["pts"]) for p in info["packets"])
    return info["streams"][0]["time_base"] == "1/30" and all(
        b - a == 1 for a, b in itertools.pairwise(stamps)
    )


def test_plain_constant_rate_encode_matches(tmp_path: Path) -> None:
    """The fallback that encodes every frame gives the same frame count and rate."""
    from PIL import Image

    from pipeline.video.assemble import _encode_every_frame

    stills = []
    for i, colour in enumerate(("#0f172a", "#38bdf8")):
        still = tmp_path / f"{i}.png"
        Image.new("RGB", (1920, 1080), colour).save(still)
        stills.append(still)
    output = tmp_path / "plain.mp4"
    _encode_every_frame(stills, [1.5, 2.2], None, output, fps=30)
    info = probe(output.read_bytes(), tmp_path)
    video = info["streams"][0]
    assert (video["width"], video["avg_frame_rate"]) == (1920, "30/1")
    assert int(video["nb_frames"]) == round(3.7 * 30)


def test_build_writes_the_video_folder_and_the_page_plays_it(project: Project) -> None:
    from pipeline.build import BuildOptions, build_project

    build_project(project, BuildOptions(quiet=True))
    video = project.build_dir / "023" / "video"
    for name in (
        "draft.mp4",
        "captions.srt",
        "captions.vtt",
        "chapters.txt",
        "description.txt",
        "slides/00-title.png",
    ):
        assert (video / name).is_file(), name
    page = (project.build_dir / "023" / "index.html").read_text()
    assert '<source src="video/draft.mp4" type="video/mp4">' in page
    assert '<track kind="captions" src="video/captions.vtt"' in page


def test_check_speech_reports_narration_over_budget(fiveml, series_dir: Path) -> None:
    if isinstance(default_voice("en-us", 160), SilentVoice):
        pytest.skip("no speech engine")
    path = series_dir / "episodes" / "023.yaml"
    edit_episode(
        path,
        "takeaway: Warm restarts can help escape local minima.",
        "takeaway: Warm restarts can help escape local minima, and " + "then more "
        "and more words keep coming, " * 6 + "until it ends.",
    )
    code, out, _ = fiveml("check", "--speech")
    assert code == 1
    assert re.search(
        r"concepts\[3\]: the synthesized narration runs \d+\.\d s; the series "
        r"promises under 30 s",
        out,
    ), out


def test_moviepy_encoder_gives_the_same_timeline(tmp_path: Path) -> None:
    data = episode_23().model_dump()
    data["concepts"] = data["concepts"][:1]
    short = Episode.model_validate(data)
    series = Series.model_validate({"concepts_per_episode": 1, "video": {"encoder": "moviepy"}})
    voice = default_voice("en-us", 160)
    result = build_video(short, series, tmp_path, {"aspect": "16:9"}, voice=voice)
    info = probe(result.files["023/video/draft.mp4"], tmp_path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["width"], video["pix_fmt"]) == ("h264", 1280, "yuv420p")
    assert float(info["format"]["duration"]) == pytest.approx(sum(result.slide_durations), abs=0.1)


def test_video_variants_live_side_by_side(project: Project) -> None:
    from pipeline.build import BuildOptions, build_project

    build_project(project, BuildOptions(only=("video",), quiet=True))
    build_project(project, BuildOptions(only=("video",), aspect="9:16", quiet=True))
    video = project.build_dir / "023" / "video"
    assert (video / "draft.mp4").is_file()
    assert (video / "draft-vertical.mp4").is_file()
    assert (video / "slides" / "00-title.png").is_file()
    assert (video / "slides-vertical" / "00-title.png").is_file()


def test_a_text_edit_redraws_its_slide_without_drawing_its_figure(
    project: Project, series_dir: Path
) -> None:
    """The slide's figure comes from the cache: no plotting library is even imported."""
    from pipeline.build import BuildOptions, build_project

    build_project(project, BuildOptions(only=("video",), quiet=True))
    edit_episode(project.episodes_dir / "023.yaml", "analogy: Like standing", "analogy: Like being")
    args = ["build", "--only", "video", "--quiet"]
    assert heavy_modules_after(args, ("matplotlib", "numpy"), series_dir) == []
    slide = project.build_dir / "023" / "video" / "slides"
    assert len(list(slide.glob("*.png"))) == 8
