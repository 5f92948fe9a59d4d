"""Slides: what each slide shows and says, and drawing it with Pillow.

Text is wrapped to its box and shrunk until it fits; it never leaves its box, so it never
leaves the frame or, in the vertical 9:16 variant, the safe area that platforms keep
free of their own buttons. Every drawn text's bounding box is returned for the tests.
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pipeline.figures.registry import FigureSpecBase
from pipeline.model import Episode, Series
from pipeline.text import concept_script, intro_script, split_sentences, strip_inline_markdown

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True)
class Slide:
    """One slide: what it shows and the sentences narrated over it."""

    key: str  # file stem, e.g. "03-loss-surface-sharpness"
    chapter: str  # chapter title in chapters.txt
    kind: str  # "title", "concept", "table" or "end"
    heading: str
    body: tuple[str, ...] = ()
    number: int | None = None
    figure: FigureSpecBase | None = None
    narration: tuple[str, ...] = ()
    pronunciations: tuple[tuple[str, str], ...] = ()
    min_seconds: float = 0.0  # long enough to read, however short the narration


@dataclass
class DrawnSlide:
    png: bytes
    text_boxes: list[tuple[str, Box]] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """Regions of a slide for one frame shape; all inside the safe area."""

    size: tuple[int, int]
    safe: Box
    header: Box
    figure: Box
    text: Box

    @property
    def vertical(self) -> bool:
        return self.size[1] > self.size[0]


def layout_for(width: int, height: int) -> Layout:
    if height > width:  # 9:16: keep clear of the platforms' top bar and bottom buttons
        m = int(width * 0.06)
        safe = (m, int(height * 0.13), width - m, int(height * 0.82))
        left, top, right, bottom = safe
        header = (left, top, right, top + int(height * 0.12))
        fig_h = int((right - left) * 9 / 16)
        figure = (
            left,
            header[3] + int(height * 0.02),
            right,
            header[3] + int(height * 0.02) + fig_h,
        )
        text = (left, figure[3] + int(height * 0.03), right, bottom)
        return Layout((width, height), safe, header, figure, text)
    m = int(width * 0.05)
    safe = (m, m, width - m, height - m)
    left, top, right, bottom = safe
    header = (left, top, right, top + int(height * 0.14))
    fig_w = int(width * 0.58)
    fig_top = header[3] + int(height * 0.04)
    figure = (left, fig_top, left + fig_w, min(bottom, fig_top + int(fig_w * 9 / 16)))
    text = (figure[2] + int(width * 0.03), fig_top, right, bottom)
    return Layout((width, height), safe, header, figure, text)


def plan_slides(episode: Episode, series: Series, next_number: int | None) -> list[Slide]:
    """Title, one slide per concept, the quick reference, and the end slide."""
    hints = dict(series.voice.pronunciations)
    title = f"{series.title} #{episode.number}"
    slides = [
        Slide(
            key="00-title",
            chapter="Intro",
            kind="title",
            heading=title,
            body=tuple(strip_inline_markdown(c.name) for c in episode.concepts),
            narration=tuple(intro_script(episode, series)),
            pronunciations=tuple(sorted(hints.items())),
        )
    ]
    for i, concept in enumerate(episode.concepts, start=1):
        concept_hints = {**hints, **concept.pronunciations}
        slides.append(
            Slide(
                key=f"{i:02d}-{concept.slug}",
                chapter=strip_inline_markdown(concept.name),
                kind="concept",
                heading=strip_inline_markdown(concept.name),
                number=i,
                body=(
                    strip_inline_markdown(concept.one_liner),
                    strip_inline_markdown(concept.analogy),
                ),
                figure=concept.figure,
                narration=tuple(concept_script(concept)),
                pronunciations=tuple(sorted(concept_hints.items())),
            )
        )
    rows = tuple(
        f"{strip_inline_markdown(c.name)} — {strip_inline_markdown(c.one_liner)}"
        for c in episode.concepts
    )
    count = len(episode.concepts)
    slides.append(
        Slide(
            key=f"{count + 1:02d}-quick-reference",
            chapter="Quick Reference",
            kind="table",
            heading="Quick Reference",
            body=rows,
            narration=("Quick reference.",),
            min_seconds=2.0 + 1.0 * len(rows),
        )
    )
    next_line = f"Next: Part {next_number}" if next_number else "View all parts"
    slides.append(
        Slide(
            key=f"{count + 2:02d}-end",
            chapter="Outro",
            kind="end",
            heading=series.tagline,
            body=(next_line,),
            narration=tuple(split_sentences(series.tagline))
            + ((f"Next: part {next_number}.",) if next_number else ()),
        )
    )
    return slides


@lru_cache(maxsize=64)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    # DejaVu ships with matplotlib: the same type as the figures, nothing from the system.
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_matplotlib_data() / "fonts" / "ttf" / name), size)


@lru_cache(maxsize=1)
def _matplotlib_data() -> Path:
    """matplotlib's mpl-data folder (what `matplotlib.get_data_path()` returns), found
    without importing matplotlib: redrawing a slide whose figure is cached needs no
    plotting library, and importing it costs a third of a second."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed; run `make build` to set up .venv")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data"


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while draw.textlength(word, font=font) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and draw.textlength(word[:cut], font=font) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def fit_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    box: Box,
    *,
    bold: bool,
    max_size: int,
    min_size: int,
    spacing: float = 1.25,
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (down to min_size) at which `text` wraps into `box`.

    At the smallest size, lines that still do not fit are dropped and the last shown line
    ends with an ellipsis: text never leaves its box.
    """
    width, height = box[2] - box[0], box[3] - box[1]
    size = max_size
    while True:
        font = _font(bold, size)
        lines = _wrap(draw, text, font, width)
        if len(lines) * size * spacing <= height or size <= min_size:
            break
        size = max(min_size, int(size * 0.9))
    fitting = max(1, int(height // (size * spacing)))
    if len(lines) > fitting:
        lines = lines[:fitting]
        last = lines[-1]
        while last and draw.textlength(last + " …", font=font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + " …"
    return font, lines


def _inset(box: Box, pad: int = 4) -> Box:
    """Glyphs can ink a pixel or two outside their advance box (side bearings)."""
    return (box[0] + pad, box[1] + pad, box[2] - pad, box[3] - pad)


def common_size(
    draw: ImageDraw.ImageDraw,
    rows: list[tuple[str, Box]],
    *,
    bold: bool,
    max_size: int,
    min_size: int,
) -> int:
    """The one font size at which every row fits its box, so that a list of rows is
    set in one size (fitted one by one, a short row came out larger than the rest)."""
    return min(
        fit_text(draw, text, _inset(box), bold=bold, max_size=max_size, min_size=min_size)[0].size
        for text, box in rows
    )


def draw_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    box: Box,
    colour: str,
    *,
    bold: bool,
    max_size: int,
    min_size: int,
    align: str = "left",
    valign: str = "top",
) -> Box:
    """Draw wrapped, fitted text in `box`; returns the box the ink actually covers."""
    box = _inset(box)
    font, lines = fit_text(draw, text, box, bold=bold, max_size=max_size, min_size=min_size)
    line_height = int(font.size * 1.25)
    total = line_height * len(lines)
    y = box[1] if valign == "top" else box[1] + max(0, (box[3] - box[1] - total) // 2)
    ink: list[Box] = []
    for line in lines:
        line_width = draw.textlength(line, font=font)
        x = box[0] if align == "left" else box[0] + (box[2] - box[0] - line_width) / 2
        draw.text((x, y), line, font=font, fill=colour)
        ink.append(tuple(int(v) for v in draw.textbbox((x, y), line, font=font)))  # type: ignore[arg-type]
        y += line_height
    return (
        min(b[0] for b in ink),
        min(b[1] for b in ink),
        max(b[2] for b in ink),
        max(b[3] for b in ink),
    )


@dataclass
class _Canvas:
    """One slide being drawn: the image, its layout and type sizes, the text drawn so far."""

    image: Image.Image
    layout: Layout
    series: Series
    boxes: list[tuple[str, Box]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.draw = ImageDraw.Draw(self.image)
        scale = min(self.layout.size) / (600 if self.layout.vertical else 720)  # phones: larger
        self.big, self.mid, self.small = int(64 * scale), int(40 * scale), int(22 * scale)

    def text(
        self,
        label: str,
        value: str,
        box: Box,
        colour: str,
        *,
        bold: bool,
        max_size: int,
        align: str = "left",
        valign: str = "top",
    ) -> None:
        ink = draw_text(
            self.draw,
            value,
            box,
            colour,
            bold=bold,
            max_size=max_size,
            min_size=self.small,
            align=align,
            valign=valign,
        )
        self.boxes.append((label, ink))


def _centred_heading(c: _Canvas, heading: str, share: float, max_size: int) -> int:
    """The heading centred in the top `share` of the safe area; returns where it ends."""
    left, top, right, bottom = c.layout.safe
    split = top + int((bottom - top) * share)
    c.text(
        "heading",
        heading,
        (left, top, right, split),
        c.series.theme.foreground,
        bold=True,
        max_size=max_size,
        align="center",
        valign="middle",
    )
    return split


def _draw_rows(
    c: _Canvas, texts: list[str], top: int, label: str, *, max_size: int, align: str = "left"
) -> None:
    """One text per row from `top` to the foot of the safe area, each in the next palette
    colour, all in one size (the largest at which every row fits)."""
    palette, (left, _, right, bottom) = c.series.theme.palette, c.layout.safe
    row_h = (bottom - top) // max(1, len(texts))
    rows = [
        (text, (left, top + i * row_h, right, top + (i + 1) * row_h))
        for i, text in enumerate(texts)
    ]
    size = common_size(c.draw, rows, bold=False, max_size=max_size, min_size=c.small)
    for i, (text, box) in enumerate(rows):
        c.text(
            f"{label}{i + 1}",
            text,
            box,
            palette[i % len(palette)],
            bold=False,
            max_size=size,
            align=align,
            valign="middle",
        )


def _draw_title(c: _Canvas, slide: Slide) -> None:
    split = _centred_heading(c, slide.heading, 0.34, int(c.big * 1.2))
    items = [f"{i + 1}. {name}" for i, name in enumerate(slide.body)]
    _draw_rows(c, items, split, "item", max_size=c.mid, align="center")


def _draw_concept(c: _Canvas, slide: Slide, figure_png: bytes | None) -> None:
    theme, layout = c.series.theme, c.layout
    header = layout.header
    number_w = int((header[3] - header[1]) * (0.6 if layout.vertical else 1.1))
    c.text(
        "number",
        str(slide.number),
        (header[0], header[1], header[0] + number_w, header[3]),
        theme.palette[0],
        bold=True,
        max_size=c.big,
        valign="middle",
    )
    c.text(
        "heading",
        slide.heading,
        (header[0] + number_w, header[1], header[2], header[3]),
        theme.foreground,
        bold=True,
        max_size=c.big,
        valign="middle",
    )
    if figure_png is not None:
        figure = Image.open(io.BytesIO(figure_png)).convert("RGB")
        box = layout.figure
        figure.thumbnail((box[2] - box[0], box[3] - box[1]))
        c.image.paste(figure, (box[0], box[1]))
    one_liner, analogy = slide.body
    t = layout.text
    split = t[1] + int((t[3] - t[1]) * 0.42)
    c.text(
        "one_liner",
        one_liner,
        (t[0], t[1], t[2], split),
        theme.palette[0],
        bold=True,
        max_size=c.mid,
    )
    c.text(
        "analogy",
        analogy,
        (t[0], split, t[2], t[3]),
        theme.foreground,
        bold=False,
        max_size=int(c.mid * 0.8),
    )


def _draw_table(c: _Canvas, slide: Slide) -> None:
    header = c.layout.header
    c.text(
        "heading",
        slide.heading,
        header,
        c.series.theme.foreground,
        bold=True,
        max_size=c.big,
        valign="middle",
    )
    row_top = header[3] + int(c.layout.size[1] * 0.02)
    _draw_rows(c, list(slide.body), row_top, "row", max_size=int(c.mid * 0.85))


def _draw_end(c: _Canvas, slide: Slide) -> None:
    left, _, right, bottom = c.layout.safe
    split = _centred_heading(c, slide.heading, 0.6, c.big)
    c.text(
        "next",
        slide.body[0],
        (left, split, right, bottom),
        c.series.theme.palette[0],
        bold=False,
        max_size=c.mid,
        align="center",
        valign="middle",
    )


def draw_slide(
    slide: Slide, series: Series, size: tuple[int, int], figure_png: bytes | None
) -> DrawnSlide:
    """The slide as PNG bytes, with the box of every text drawn on it."""
    canvas = _Canvas(Image.new("RGB", size, series.theme.background), layout_for(*size), series)
    if slide.kind == "title":
        _draw_title(canvas, slide)
    elif slide.kind == "concept":
        _draw_concept(canvas, slide, figure_png)
    elif slide.kind == "table":
        _draw_table(canvas, slide)
    else:
        _draw_end(canvas, slide)
    buffer = io.BytesIO()
    canvas.image.save(buffer, format="PNG", compress_level=1)  # speed over size: re-encoded
    return DrawnSlide(png=buffer.getvalue(), text_boxes=canvas.boxes)
