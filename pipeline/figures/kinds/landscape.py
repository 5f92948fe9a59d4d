"""`loss_landscape`: a sharp and a flat minimum side by side under the same perturbation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from pipeline.figures.registry import FigureSpecBase, figure_kind
from pipeline.figures.theme import style_axes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pipeline.model import Series


class LossLandscapeSpec(FigureSpecBase):
    kind: Literal["loss_landscape"]
    view: Literal["1d", "2d"] = Field("1d", description="A 1-D curve or 2-D contours.")
    sharp_curvature: float = Field(8.0, gt=0, description="Curvature of the sharp minimum.")
    flat_curvature: float = Field(0.5, gt=0, description="Curvature of the flat minimum.")
    perturbation: float = Field(
        0.5, gt=0, le=2, description="The same weight change applied at both minima."
    )

    @model_validator(mode="after")
    def _sharp_is_sharper(self) -> LossLandscapeSpec:
        if self.sharp_curvature <= self.flat_curvature:
            raise ValueError("sharp_curvature must be larger than flat_curvature")
        return self

    def loss_increase(self, curvature: float) -> float:
        return 0.5 * curvature * self.perturbation**2

    def describe(self) -> str:
        sharp = self.loss_increase(self.sharp_curvature)
        flat = self.loss_increase(self.flat_curvature)
        return (
            f"A sharp and a flat minimum side by side: the same weight change of "
            f"{self.perturbation:g} raises the loss by {sharp:.2f} at the sharp minimum "
            f"but only {flat:.2f} at the flat one."
        )


@figure_kind(LossLandscapeSpec)
def draw_loss_landscape(spec: LossLandscapeSpec, fig: Figure, series: Series) -> None:
    import numpy as np

    theme = series.theme
    panels = [
        ("Sharp minimum", spec.sharp_curvature, theme.palette[1]),
        ("Flat minimum", spec.flat_curvature, theme.palette[0]),
    ]
    axes = fig.subplots(
        1, 2, gridspec_kw={"left": 0.07, "right": 0.97, "bottom": 0.14, "top": 0.84, "wspace": 0.18}
    )
    w = np.linspace(-2, 2, 401)
    d = spec.perturbation
    for ax, (title, curvature, colour) in zip(axes, panels, strict=True):
        style_axes(ax, theme)
        ax.set_title(title, color=theme.foreground)
        if spec.view == "2d":
            x, y = np.meshgrid(w, w)
            z = 0.5 * curvature * x**2 + 0.5 * curvature * 0.6 * y**2
            ax.contourf(x, y, z, levels=np.linspace(0, 8, 12), cmap="Blues_r", alpha=0.9)
            ax.contour(x, y, z, levels=[spec.loss_increase(curvature)], colors=[colour])
            ax.plot([0, d], [0, 0], color=theme.foreground, linewidth=2)
            ax.set_aspect("equal")
            ax.set_xlabel("weight 1")
            ax.set_ylabel("weight 2")
            continue
        loss = 0.5 * curvature * w**2
        ax.plot(w, loss, color=colour)
        rise = spec.loss_increase(curvature)
        ax.axvspan(-d, d, color=theme.muted, alpha=0.15)
        ax.plot([d], [rise], "o", color=theme.foreground, markersize=9)
        ax.annotate(
            f"+{rise:.2f} loss",
            (d, rise),
            # Up and to the left, inside the bowl: to the right the curve runs through it.
            xytext=(-10, 14),
            textcoords="offset points",
            horizontalalignment="right",
            color=theme.foreground,
        )
        ax.set_ylim(0, 0.5 * spec.sharp_curvature * 1.2)
        ax.set_xlabel("weight change")
        ax.set_ylabel("loss")
