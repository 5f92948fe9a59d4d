"""Pieces shared by the kinds: the strict base for nested parameter models, axes helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from pipeline.figures.theme import style_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from pipeline.model import Series


class Params(BaseModel):
    """Nested parameters of a figure kind: unknown fields are errors, like everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def single_axes(fig: Figure, series: Series, *, top: float = 0.86) -> Axes:
    ax = fig.add_axes((0.1, 0.14, 0.86, top - 0.14))
    style_axes(ax, series.theme)
    return ax
