"""Generic charts from data in the YAML: `line`, `bar` and `scatter`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from pipeline.figures.kinds._common import Params, single_axes
from pipeline.figures.registry import FigureSpecBase, figure_kind

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from pipeline.model import Series


class DataSeries(Params):
    label: str | None = Field(None, description="Legend label.")
    x: list[float] = Field(min_length=1, description="x values.")
    y: list[float] = Field(min_length=1, description="y values, as many as x.")

    @model_validator(mode="after")
    def _same_length(self) -> DataSeries:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} values but y has {len(self.y)}")
        return self


class _Axes(FigureSpecBase):
    x_label: str = Field("", description="x axis label (with units).")
    y_label: str = Field("", description="y axis label (with units).")
    x_log: bool = Field(False, description="Logarithmic x axis.")
    y_log: bool = Field(False, description="Logarithmic y axis.")

    def _describe_series(self, what: str, series: list[DataSeries]) -> str:
        axes = f"{self.y_label or 'y'} against {self.x_label or 'x'}"
        labels = ", ".join(d.label for d in series if d.label)
        return f"{what} of {axes}" + (f": {labels}." if labels else ".")

    def _label_axes(self, ax: Axes) -> None:
        ax.set_xlabel(self.x_label)
        ax.set_ylabel(self.y_label)
        if self.x_log:
            ax.set_xscale("log")
        if self.y_log:
            ax.set_yscale("log")


class LineSpec(_Axes):
    kind: Literal["line"]
    series: list[DataSeries] = Field(min_length=1, max_length=6, description="Lines to draw.")

    def describe(self) -> str:
        return self._describe_series("Line chart", self.series)


class ScatterSpec(_Axes):
    kind: Literal["scatter"]
    series: list[DataSeries] = Field(min_length=1, max_length=6, description="Point sets.")

    def describe(self) -> str:
        return self._describe_series("Scatter plot", self.series)


class BarSpec(_Axes):
    kind: Literal["bar"]
    categories: list[str] = Field(min_length=1, description="Bar labels.")
    values: list[float] = Field(min_length=1, description="Bar heights, one per category.")

    @model_validator(mode="after")
    def _one_value_per_category(self) -> BarSpec:
        if len(self.categories) != len(self.values):
            raise ValueError(f"{len(self.categories)} categories but {len(self.values)} values")
        return self

    def describe(self) -> str:
        pairs = ", ".join(f"{c} {v:g}" for c, v in zip(self.categories, self.values, strict=True))
        return f"Bar chart of {self.y_label or 'values'}: {pairs}."


@figure_kind(LineSpec)
def draw_line(spec: LineSpec, fig: Figure, series: Series) -> None:
    ax = single_axes(fig, series)
    for data in spec.series:
        ax.plot(data.x, data.y, label=data.label)
    spec._label_axes(ax)
    if any(d.label for d in spec.series):
        ax.legend()


@figure_kind(ScatterSpec)
def draw_scatter(spec: ScatterSpec, fig: Figure, series: Series) -> None:
    ax = single_axes(fig, series)
    for data in spec.series:
        ax.scatter(data.x, data.y, label=data.label, s=60)
    spec._label_axes(ax)
    if any(d.label for d in spec.series):
        ax.legend()


@figure_kind(BarSpec)
def draw_bar(spec: BarSpec, fig: Figure, series: Series) -> None:
    ax = single_axes(fig, series)
    palette = series.theme.palette
    ax.bar(
        spec.categories,
        spec.values,
        color=[palette[i % len(palette)] for i in range(len(spec.values))],
    )
    ax.grid(axis="x", visible=False)
    spec._label_axes(ax)
