"""`flow`: a small block diagram of steps joined by arrows."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from pipeline.figures.registry import FigureSpecBase, figure_kind

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from pipeline.model import Series


class FlowSpec(FigureSpecBase):
    kind: Literal["flow"]
    steps: list[str] = Field(min_length=2, max_length=7, description="Box labels, in order.")
    edge_labels: list[str] = Field(
        default_factory=list, description="Optional labels on the arrows between steps."
    )
    highlight: list[int] = Field(
        default_factory=list, description="1-based steps drawn in the accent colour."
    )

    def describe(self) -> str:
        return "Diagram: " + " → ".join(self.steps) + "."


@figure_kind(FlowSpec)
def draw_flow(spec: FlowSpec, fig: Figure, series: Series) -> None:
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    theme = series.theme
    ax = fig.add_axes((0.02, 0.05, 0.96, 0.8))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    count = len(spec.steps)
    # The rounded border is drawn `pad` outside each box; the arrows run between borders,
    # so the gap leaves them room to be seen (at 0.04 they were stubs under their heads).
    pad = 0.01
    gap = 0.06 if count <= 5 else 0.045
    width = (1 - gap * (count + 1)) / count
    height = 0.36
    font = theme.base_font_size * (1.3 if count <= 3 else 1.15 if count <= 5 else 0.95)
    labels: list[Text] = []
    edge_labels: list[Text] = []
    for i, label in enumerate(spec.steps):
        x = gap + i * (width + gap)
        accent = (i + 1) in spec.highlight
        colour = theme.palette[1] if accent else theme.palette[0]
        ax.add_patch(
            FancyBboxPatch(
                (x, 0.5 - height / 2),
                width,
                height,
                boxstyle=f"round,pad={pad},rounding_size=0.03",
                linewidth=3,
                edgecolor=colour,
                facecolor=theme.background,
            )
        )
        wrapped = "\n".join(
            textwrap.wrap(
                label,
                16 if count <= 4 else 12 if count <= 5 else 9,
                break_long_words=False,  # a long word shrinks the font instead
            )
        )
        text = ax.text(
            x + width / 2,
            0.5,
            wrapped,
            ha="center",
            va="center",
            fontsize=font,
            color=theme.foreground,
            fontweight="bold",
        )
        labels.append(text)
        if i + 1 < count:
            start, end = x + width + pad, x + width + gap - pad
            ax.add_patch(
                FancyArrowPatch(
                    (start, 0.5),
                    (end, 0.5),
                    arrowstyle="-|>",
                    mutation_scale=18,
                    linewidth=2.5,
                    color=theme.muted,
                    shrinkA=0,
                    shrinkB=0,
                )
            )
            if i < len(spec.edge_labels) and spec.edge_labels[i]:
                edge_labels.append(
                    ax.text(
                        (start + end) / 2,
                        0.5 + height / 2 + 0.06,
                        spec.edge_labels[i],
                        ha="center",
                        fontsize=theme.base_font_size,
                        color=theme.muted,
                    )
                )
    size = _fit_labels(labels, ax, width)
    for text in edge_labels:  # never larger than the steps they join
        text.set_fontsize(min(text.get_fontsize(), size))


def _fit_labels(labels: list[Text], ax: Axes, width: float) -> float:
    """One font size for every box label, small enough that the widest fits its box (a
    long word cannot wrap); returns that size."""
    renderer = ax.figure.canvas.get_renderer()
    room = ax.transData.transform((width * 0.9, 0))[0] - ax.transData.transform((0, 0))[0]
    size = labels[0].get_fontsize()
    while size > 6 and max(t.get_window_extent(renderer).width for t in labels) > room:
        size *= 0.92
        for text in labels:
            text.set_fontsize(size)
    return size
