"""`rollout`: canary traffic share over time in stages, with an error-rate guard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from pipeline.figures.registry import FigureSpecBase, figure_kind
from pipeline.figures.theme import style_axes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pipeline.model import Series


class RolloutSpec(FigureSpecBase):
    kind: Literal["rollout"]
    stages: list[float] = Field(
        default_factory=lambda: [1, 5, 25, 50, 100],
        min_length=2,
        description="Traffic share (%) of the new version at each stage, increasing.",
    )
    stage_minutes: float = Field(30, gt=0, description="How long each stage runs.")
    baseline_error: float = Field(0.5, ge=0, description="Error rate (%) of a healthy model.")
    error_threshold: float = Field(2.0, gt=0, description="Error rate (%) that stops rollout.")
    incident_stage: int | None = Field(
        None,
        ge=1,
        description="Stage (1-based) at which errors exceed the threshold; none: a clean rollout.",
    )
    on_incident: Literal["halt", "rollback"] = Field(
        "rollback", description="What the guard does: hold traffic, or send it back to 0%."
    )

    @field_validator("stages")
    @classmethod
    def _increasing_percentages(cls, stages: list[float]) -> list[float]:
        if any(not 0 < s <= 100 for s in stages) or stages != sorted(set(stages)):
            raise ValueError("stages are increasing percentages between 0 and 100")
        return stages

    @model_validator(mode="after")
    def _incident_in_range(self) -> RolloutSpec:
        if self.incident_stage is not None and self.incident_stage > len(self.stages):
            raise ValueError(f"incident_stage is at most the number of stages ({len(self.stages)})")
        return self

    def timeline(self) -> tuple[list[float], list[float], list[float]]:
        """Minutes, traffic share (%) and error rate (%) at each stage boundary."""
        minutes, share, errors = [], [], []
        for i, stage in enumerate(self.stages, start=1):
            minutes.append((i - 1) * self.stage_minutes)
            share.append(stage)
            bad = self.incident_stage is not None and i >= self.incident_stage
            errors.append(self.error_threshold * 2 if bad else self.baseline_error)
            if bad:
                minutes.append(i * self.stage_minutes)
                share.append(0.0 if self.on_incident == "rollback" else stage)
                errors.append(
                    self.baseline_error
                    if self.on_incident == "rollback"
                    else self.error_threshold * 2
                )
                # Hold the final state for half a stage so the drop is visible.
                minutes.append((i + 0.5) * self.stage_minutes)
                share.append(share[-1])
                errors.append(errors[-1])
                break
        else:
            minutes.append(len(self.stages) * self.stage_minutes)
            share.append(self.stages[-1])
            errors.append(self.baseline_error)
        return minutes, share, errors

    def describe(self) -> str:
        stages = ", ".join(f"{s:g}%" for s in self.stages)
        text = f"Canary rollout in stages of {stages} of traffic"
        if self.incident_stage is None:
            return text + f", with error rate staying under the {self.error_threshold:g}% guard."
        verb = "rolled back to 0%" if self.on_incident == "rollback" else "halted"
        return (
            text + f"; at stage {self.incident_stage} errors cross the "
            f"{self.error_threshold:g}% guard and the rollout is {verb}."
        )


@figure_kind(RolloutSpec)
def draw_rollout(spec: RolloutSpec, fig: Figure, series: Series) -> None:
    theme = series.theme
    traffic, errors = fig.subplots(
        2,
        1,
        sharex=True,
        gridspec_kw={
            "left": 0.1,
            "right": 0.96,
            "bottom": 0.13,
            "top": 0.9,
            "hspace": 0.25,
            "height_ratios": [3, 2],
        },
    )
    minutes, share, error = spec.timeline()
    for ax in (traffic, errors):
        style_axes(ax, theme)
    traffic.step(minutes, share, where="post", color=theme.palette[0])
    traffic.fill_between(minutes, share, step="post", color=theme.palette[0], alpha=0.2)
    traffic.set_ylabel("traffic %")
    traffic.set_ylim(0, 105)
    errors.step(minutes, error, where="post", color=theme.palette[3])
    errors.axhline(spec.error_threshold, linestyle="--", color=theme.palette[1], linewidth=2)
    errors.annotate(
        "guard",
        (0, spec.error_threshold),
        xytext=(4, 6),
        textcoords="offset points",
        color=theme.palette[1],
    )
    errors.set_ylabel("errors %")
    errors.set_ylim(0, spec.error_threshold * 2.5)
    errors.set_xlabel("minutes since release")
    if spec.incident_stage is not None:
        at = spec.incident_stage * spec.stage_minutes
        label = "rollback" if spec.on_incident == "rollback" else "halt"
        # Beside the drop, not centred on it (the traffic line would run through the word):
        # to its right, where only the flat line after it runs; to its left when the word
        # would leave the axes there.
        note = traffic.annotate(
            label,
            (at, share[-1]),
            xytext=(12, 24),
            textcoords="offset points",
            ha="left",
            color=theme.palette[1],
            fontweight="bold",
            arrowprops={"arrowstyle": "->", "color": theme.palette[1]},
        )
        renderer = fig.canvas.get_renderer()
        if note.get_window_extent(renderer).x1 > traffic.get_window_extent(renderer).x1:
            note.set_position((-12, 24))
            note.set_horizontalalignment("right")
