"""`scaling_curve`: a metric against model scale (log axis) with an emergent jump."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from pipeline.figures.kinds._common import Params, single_axes
from pipeline.figures.registry import FigureSpecBase, figure_kind

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pipeline.model import Series


class Point(Params):
    scale: float = Field(gt=0, description="Model scale (e.g. parameters or FLOPs).")
    value: float = Field(description="Metric at that scale.")


class Emergence(Params):
    threshold: float = Field(gt=0, description="Scale at the middle of the jump.")
    low: float = Field(0.0, description="Metric before the jump (e.g. chance).")
    high: float = Field(0.8, description="Metric after the jump.")
    sharpness: float = Field(6.0, gt=0, description="How abrupt the jump is.")
    min_scale: float = Field(1e7, gt=0, description="Smallest scale drawn.")
    max_scale: float = Field(1e12, gt=0, description="Largest scale drawn.")

    def value(self, scale: float) -> float:
        z = self.sharpness * (math.log10(scale) - math.log10(self.threshold))
        return self.low + (self.high - self.low) / (1 + math.exp(-z))


class ScalingCurveSpec(FigureSpecBase):
    kind: Literal["scaling_curve"]
    points: list[Point] | None = Field(None, description="Measured points, smallest first.")
    curve: Emergence | None = Field(None, description="A parametric emergent curve.")
    x_label: str = Field("Model parameters", description="x axis label.")
    y_label: str = Field("Accuracy", description="y axis label.")
    chance: float | None = Field(None, description="Draw a dashed chance-level line here.")

    @model_validator(mode="after")
    def _points_or_curve(self) -> ScalingCurveSpec:
        if (self.points is None) == (self.curve is None):
            raise ValueError("give either 'points' or 'curve'")
        if self.points is not None and len(self.points) < 2:
            raise ValueError("'points' needs at least two points")
        return self

    def describe(self) -> str:
        if self.curve is not None:
            return (
                f"{self.y_label} against {self.x_label.lower()} on a log scale: flat near "
                f"{self.curve.low:g} until about {self.curve.threshold:.0e}, then a sharp "
                f"jump to {self.curve.high:g}."
            )
        return f"{self.y_label} against {self.x_label.lower()} on a log scale."

    def samples(self) -> tuple[list[float], list[float]]:
        if self.points is not None:
            return [p.scale for p in self.points], [p.value for p in self.points]
        assert self.curve is not None
        lo, hi = math.log10(self.curve.min_scale), math.log10(self.curve.max_scale)
        xs = [10 ** (lo + (hi - lo) * i / 199) for i in range(200)]
        return xs, [self.curve.value(x) for x in xs]


@figure_kind(ScalingCurveSpec)
def draw_scaling_curve(spec: ScalingCurveSpec, fig: Figure, series: Series) -> None:
    ax = single_axes(fig, series)
    xs, ys = spec.samples()
    ax.plot(xs, ys, marker="o" if spec.points else None, markersize=8)
    if spec.chance is not None:
        ax.axhline(spec.chance, linestyle="--", color=series.theme.muted, linewidth=2)
        ax.annotate(
            "chance",
            (xs[0], spec.chance),
            xytext=(4, 6),
            textcoords="offset points",
            color=series.theme.muted,
        )
    if spec.curve is not None:
        ax.axvline(spec.curve.threshold, linestyle=":", color=series.theme.palette[1])
    ax.set_xscale("log")
    ax.set_xlabel(spec.x_label)
    ax.set_ylabel(spec.y_label)
