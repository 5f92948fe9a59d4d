"""Drawing figures: each concept's spec (or a title card) to PNG and SVG bytes.

PNG for the video and social cards (the series' video size), SVG for the web page. Files
are deterministic: no timestamps, a fixed SVG id salt, fixed seeds in the kinds.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display here, and the same raster everywhere

import matplotlib.pyplot as plt

from pipeline.figures.kinds.card import CardSpec
from pipeline.figures.registry import FigureSpecBase, get_kind
from pipeline.figures.theme import rc_params

if TYPE_CHECKING:
    from pipeline.model import Concept, Episode, Series

DPI = 100
DESIGN_WIDTH = 12.8  # inches: every figure is laid out at 1280 px wide and scaled from that
# Metadata matplotlib would otherwise stamp into files (dates, versions): left out.
_PNG_METADATA = {"Software": None}
_SVG_METADATA = {"Date": None, "Creator": None}


def spec_for(concept: Concept) -> FigureSpecBase:
    """The concept's figure, or the title card when it names none."""
    if concept.figure is not None:
        return concept.figure
    return CardSpec(heading=concept.name, text=concept.one_liner)


def render_figure(
    spec: FigureSpecBase,
    series: Series,
    size: tuple[int, int] | None = None,
    design_width: float = DESIGN_WIDTH,
) -> dict[str, bytes]:
    """One figure as {'png': bytes, 'svg': bytes}. A smaller `design_width` (inches) makes
    the text larger relative to the figure, for small frames such as a phone's."""
    width, height = size or (series.video.width, series.video.height)
    kind = get_kind(spec.kind)  # type: ignore[attr-defined]
    # Lay out at the design width and scale by dpi, so text keeps its proportions at
    # any output size (a slide's figure box, a social card, the video frame).
    dpi = width / design_width
    with plt.rc_context(rc_params(series.theme)):
        fig = plt.figure(figsize=(design_width, design_width * height / width), dpi=dpi)
        try:
            kind.draw(spec, fig, series)
            if spec.caption:
                fig.suptitle(
                    spec.caption,
                    fontsize=series.theme.base_font_size * 1.6,
                    color=series.theme.foreground,
                    fontweight="bold",
                )
            png, svg = io.BytesIO(), io.BytesIO()
            fig.savefig(png, format="png", dpi=dpi, metadata=_PNG_METADATA)
            fig.savefig(svg, format="svg", metadata=_SVG_METADATA)
        finally:
            plt.close(fig)
    return {"png": png.getvalue(), "svg": svg.getvalue()}


def render_concept_figure(episode: Episode, index: int, series: Series) -> dict[str, bytes]:
    """The PNG and SVG of one concept, keyed by their paths relative to build/."""
    concept = episode.concepts[index]
    files = render_figure(spec_for(concept), series)
    base = f"{episode.slug}/figures/{concept.slug}"
    return {f"{base}.{ext}": data for ext, data in files.items()}
