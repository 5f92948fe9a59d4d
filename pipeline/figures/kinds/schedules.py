"""`lr_schedule`: learning-rate schedules over training steps, several overlaid."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from pipeline.figures.kinds._common import Params, single_axes
from pipeline.figures.registry import FigureSpecBase, figure_kind

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pipeline.model import Series

ScheduleType = Literal[
    "constant", "step", "exponential", "linear_warmup", "cosine", "cosine_restarts"
]
_NAMES = {
    "constant": "constant",
    "step": "step decay",
    "exponential": "exponential decay",
    "linear_warmup": "linear warm-up",
    "cosine": "cosine annealing",
    "cosine_restarts": "cosine with warm restarts",
}


class Schedule(Params):
    type: ScheduleType = Field(description="Schedule family.")
    label: str | None = Field(None, description="Legend label; the family's name when absent.")
    lr: float = Field(0.1, gt=0, description="Initial (peak) learning rate.")
    min_lr: float = Field(0.0, ge=0, description="Floor for cosine schedules.")
    step_size: int = Field(50, ge=1, description="Steps between decays (step).")
    gamma: float = Field(0.5, gt=0, lt=1, description="Decay factor (step, exponential).")
    warmup_steps: int = Field(0, ge=0, description="Linear warm-up steps before the schedule.")
    period: int = Field(50, ge=1, description="First cycle length (cosine_restarts, SGDR T_0).")
    period_mult: float = Field(
        1.0, ge=1, description="Cycle length multiplier (cosine_restarts, SGDR T_mult)."
    )

    @model_validator(mode="after")
    def _floor_below_peak(self) -> Schedule:
        if self.min_lr >= self.lr:
            raise ValueError("min_lr must be below lr")
        return self

    def display_name(self) -> str:
        return self.label or _NAMES[self.type]


class LrScheduleSpec(FigureSpecBase):
    kind: Literal["lr_schedule"]
    steps: int = Field(200, ge=10, le=100_000, description="Training steps on the x axis.")
    schedules: list[Schedule] = Field(min_length=1, max_length=6, description="Curves to draw.")

    def describe(self) -> str:
        names = ", ".join(s.display_name() for s in self.schedules)
        return f"Learning rate over {self.steps} training steps: {names}."


def learning_rate(schedule: Schedule, step: int, total: int) -> float:
    """The learning rate at `step` (0-based) of a run of `total` steps."""
    s = schedule
    if step < s.warmup_steps:
        return s.lr * (step + 1) / s.warmup_steps
    t = step - s.warmup_steps
    span = max(1, total - s.warmup_steps)
    if s.type in ("constant", "linear_warmup"):
        return s.lr
    if s.type == "step":
        return s.lr * s.gamma ** (t // s.step_size)
    if s.type == "exponential":
        return s.lr * s.gamma ** (t / s.step_size)
    if s.type == "cosine":
        return s.min_lr + 0.5 * (s.lr - s.min_lr) * (1 + math.cos(math.pi * t / span))
    # SGDR (Loshchilov & Hutter): restart at the top after each cycle, cycles grow by T_mult.
    length = float(s.period)
    while t >= length:
        t -= length
        length *= s.period_mult
    return s.min_lr + 0.5 * (s.lr - s.min_lr) * (1 + math.cos(math.pi * t / length))


@figure_kind(LrScheduleSpec)
def draw_lr_schedule(spec: LrScheduleSpec, fig: Figure, series: Series) -> None:
    # The legend goes above the plot, three to a row (every schedule starts at the top, so
    # inside the axes it always sat on some curve); the plot makes room for its rows and
    # for a caption above them.
    columns = min(len(spec.schedules), 3)
    rows = -(-len(spec.schedules) // columns)
    top = 0.86 - 0.05 * (rows - 1) - (0.06 if spec.caption else 0.0)
    ax = single_axes(fig, series, top=top)
    steps = range(spec.steps)
    for schedule in spec.schedules:
        ax.plot(
            steps,
            [learning_rate(schedule, i, spec.steps) for i in steps],
            label=schedule.display_name(),
        )
    ax.set_xlabel("Training step")
    ax.set_ylabel("Learning rate")
    ax.set_xlim(0, spec.steps - 1)
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=columns, borderaxespad=0.4)
