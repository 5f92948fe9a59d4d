"""The typed models of the series settings and of an episode.

Every field carries a description: the JSON Schema (`fiveml schema`), the scaffold of
`fiveml new` and the README's field reference all come from these descriptions.
Unknown fields are forbidden everywhere, so a typo is reported instead of ignored.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from pipeline.figures.specs import FigureSpec


class StrictModel(BaseModel):
    """Base of every model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- Series settings -------------------------------------------------------------------


class VideoSettings(StrictModel):
    width: int = Field(1280, ge=320, le=3840, description="Video width in pixels.")
    height: int = Field(720, ge=320, le=3840, description="Video height in pixels.")
    draft_fps: int = Field(
        24, ge=1, le=60, description="Nominal frame rate of the draft (stills, so cheap)."
    )
    final_fps: int = Field(30, ge=1, le=60, description="Constant frame rate of the final render.")
    pause_seconds: float = Field(
        0.6, ge=0, le=5, description="Silence after each slide's narration."
    )
    encoder: Literal["ffmpeg", "moviepy"] = Field(
        "ffmpeg",
        description=(
            "'ffmpeg' encodes the stills directly (fast); 'moviepy' uses moviepy's clip "
            "pipeline (every frame through Python; much slower)."
        ),
    )


class ThemeSettings(StrictModel):
    background: str = Field("#0f172a", description="Figure and slide background colour.")
    foreground: str = Field("#f8fafc", description="Main text colour.")
    muted: str = Field("#94a3b8", description="Secondary text and grid colour.")
    palette: list[str] = Field(
        default_factory=lambda: ["#38bdf8", "#f97316", "#a3e635", "#f472b6", "#facc15", "#c084fc"],
        min_length=2,
        description="Series colours, used in order for lines, bars and highlights.",
    )
    font: str = Field("DejaVu Sans", description="Font family; one of the fonts matplotlib ships.")
    base_font_size: float = Field(
        15, ge=6, le=40, description="Base font size of figures, in points at 100 dpi."
    )

    @field_validator("background", "foreground", "muted")
    @classmethod
    def _hex_colour(cls, value: str) -> str:
        return _check_hex(value)

    @field_validator("palette")
    @classmethod
    def _hex_palette(cls, values: list[str]) -> list[str]:
        return [_check_hex(v) for v in values]


class VoiceSettings(StrictModel):
    voice: str = Field("en-us", description="eSpeak NG voice name.")
    words_per_minute: int = Field(
        160, ge=80, le=400, description="Speaking rate of the synthesized narration."
    )
    pronunciations: dict[str, str] = Field(
        default_factory=dict,
        description="Series-wide spoken forms, e.g. {'SGDR': 'S G D R'}; episodes add their own.",
    )


class Series(StrictModel):
    """Settings shared by every episode (`series.yaml`)."""

    title: str = Field("Five ML Concepts", description="Series title.")
    tagline: str = Field(
        "Short, accurate ML explainers. Follow for more.",
        description="Closing line of every post and video.",
    )
    abstract: str = Field(
        "5 machine learning concepts. Under 30 seconds each.",
        description="The abstract line under each post's title.",
    )
    concepts_per_episode: int = Field(5, ge=1, le=20, description="Concepts in every episode.")
    seconds_per_concept: int = Field(
        30, ge=5, le=300, description="Speaking-time budget of one concept, in seconds."
    )
    narration_words_per_minute: int = Field(
        150, ge=60, le=400, description="Narration rate used to estimate speaking time."
    )
    reading_words_per_minute: int = Field(
        200, ge=60, le=1000, description="Reading rate for the post's 'N min read'."
    )
    max_one_liner_words: int = Field(
        8, ge=2, le=30, description="Longest allowed one-liner, in words."
    )
    base_url: str = Field(
        "https://fiveml.example.org/",
        description="Public URL of the built site (canonical links, feed, sitemap).",
    )
    author: str = Field("Five ML Concepts", description="Author named in the feed and pages.")
    contact_email: str = Field(
        "fiveml@example.org",
        description="Contact address sent to Crossref as `mailto` by the online reference check.",
    )
    language: str = Field("en", description="Language of the posts (HTML lang, feed).")
    video: VideoSettings = Field(default_factory=VideoSettings, description="Video settings.")
    theme: ThemeSettings = Field(
        default_factory=ThemeSettings, description="Figure and slide theme."
    )
    voice: VoiceSettings = Field(default_factory=VoiceSettings, description="Narration voice.")

    @field_validator("base_url")
    @classmethod
    def _base_url_ends_with_slash(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("base_url must start with https:// (or http://)")
        return value if value.endswith("/") else value + "/"


# --- References ------------------------------------------------------------------------


class Paper(StrictModel):
    """A cited paper. The short citation ("Wei et al. 2022") is derived, never typed."""

    title: str = Field(min_length=1, description="Title as cited in the post.")
    authors: list[str] = Field(
        min_length=1,
        description=(
            "Every author's full name, in the paper's order: 'Given Family', "
            "or 'Family, Given' when the family name has several words (e.g. 'Le Cun, Yann')."
        ),
    )
    year: int = Field(ge=1900, le=2100, description="Year as cited (arXiv first version or venue).")
    arxiv: str | None = Field(None, description="arXiv identifier, e.g. '2206.07682'.")
    doi: str | None = Field(None, description="DOI, e.g. '10.1000/xyz123'.")
    url: str | None = Field(None, description="Another https link to the paper.")
    title_form: Literal["canonical", "without_subtitle", "earlier_version"] = Field(
        "canonical",
        description=(
            "How the cited title relates to the paper's current title: 'without_subtitle' "
            "or 'earlier_version' say on purpose that it differs."
        ),
    )

    @property
    def family_names(self) -> list[str]:
        return [family_name(a) for a in self.authors]

    @property
    def short_citation(self) -> str:
        """'Wei et al. 2022', 'Loshchilov & Hutter 2016' or 'Keskar 2016'."""
        names = self.family_names
        if len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} & {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who} {self.year}"

    @property
    def link(self) -> str | None:
        """The paper's landing page: arXiv first, then DOI, then the given URL."""
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.url


class PracticeNote(StrictModel):
    """A concept with no canonical paper, cited by a note."""

    note: str = Field(min_length=1, description="E.g. 'MLOps best practice (no canonical paper)'.")


def _reference_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "note" if "note" in value else "paper"
    return "note" if isinstance(value, PracticeNote) else "paper"


Reference = Annotated[
    Annotated[Paper, Tag("paper")] | Annotated[PracticeNote, Tag("note")],
    Discriminator(_reference_kind),
]


# --- Episodes --------------------------------------------------------------------------


class Concept(StrictModel):
    """One concept: under 30 seconds of explanation."""

    name: str = Field(min_length=1, description="Concept name, e.g. 'Tool Use'.")
    explanation: str = Field(min_length=1, description="What it is, in two or three sentences.")
    takeaway: str = Field(min_length=1, description="Why it matters, in one sentence.")
    analogy: str = Field(min_length=1, description="An everyday analogy starting with 'Like'.")
    one_liner: str = Field(
        min_length=1, description="The quick-reference summary: a few words, no closing period."
    )
    reference: Reference = Field(description="A paper, or a practice note.")
    figure: FigureSpec | None = Field(
        None, description="The figure to draw for this concept; a title card when absent."
    )
    pronunciations: dict[str, str] = Field(
        default_factory=dict,
        description="Spoken forms for the narration, e.g. {'SGDR': 'S G D R'}.",
    )

    @cached_property
    def slug(self) -> str:
        return slugify(self.name)


class Episode(StrictModel):
    """One episode: five concepts, their references and their one-liners."""

    number: int = Field(ge=1, le=9999, description="Episode number; the file is NNN.yaml.")
    title: str | None = Field(
        None, description="Title; 'Five ML Concepts - #23' (from the series) when absent."
    )
    date: dt.date | None = Field(None, description="Publication date (YYYY-MM-DD).")
    video_url: str | None = Field(None, description="Link to the published video.")
    video_thumbnail: str | None = Field(None, description="Link to the video's thumbnail image.")
    concepts: list[Concept] = Field(description="The concepts, in the order they are presented.")

    @property
    def slug(self) -> str:
        return f"{self.number:03d}"

    def display_title(self, series: Series) -> str:
        return display_title(self.title, self.number, series)


def display_title(title: str | None, number: int, series: Series) -> str:
    """An episode's own title, or the series' '<title> - #<number>'."""
    return title or f"{series.title} - #{number}"


def family_name(author: str) -> str:
    """'Nitish Shirish Keskar' -> 'Keskar'; 'Le Cun, Yann' -> 'Le Cun'."""
    if "," in author:
        return author.split(",", 1)[0].strip()
    return author.split()[-1] if author.split() else author


def slugify(text: str) -> str:
    """A stable ASCII slug: 'Loss Surface Sharpness' -> 'loss-surface-sharpness'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "concept"


def _check_hex(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError(f"'{value}' is not a colour like '#38bdf8'")
    return value.lower()


def episode_json_schema() -> dict[str, Any]:
    schema = Episode.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Five ML Concepts episode"
    return schema


def series_json_schema() -> dict[str, Any]:
    schema = Series.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Five ML Concepts series settings"
    return schema
