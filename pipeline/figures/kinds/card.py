"""`card`: the title card drawn when a concept names no figure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from pipeline.figures.registry import FigureSpecBase, figure_kind

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pipeline.model import Series


class CardSpec(FigureSpecBase):
    kind: Literal["card"] = "card"
    heading: str = Field(description="Large text: the concept's name.")
    text: str = Field("", description="Smaller text under it: the one-liner.")

    def describe(self) -> str:
        return f"Title card: {self.heading}" + (f" — {self.text}" if self.text else "")


@figure_kind(CardSpec)
def draw_card(spec: CardSpec, fig: Figure, series: Series) -> None:
    theme = series.theme
    fig.text(
        0.5,
        0.56,
        spec.heading,
        ha="center",
        va="center",
        fontsize=theme.base_font_size * 3,
        fontweight="bold",
        color=theme.foreground,
        wrap=True,
    )
    if spec.text:
        fig.text(
            0.5,
            0.36,
            spec.text,
            ha="center",
            va="center",
            fontsize=theme.base_font_size * 1.6,
            color=theme.palette[0],
            wrap=True,
        )
