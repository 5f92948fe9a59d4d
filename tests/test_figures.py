"""Figures: every kind renders at the right size, is not blank, is byte-deterministic,
and reports bad parameters as located problems."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pydantic import TypeAdapter

from pipeline.build import BuildOptions, build_project
from pipeline.check import check_project
from pipeline.figures.kinds.schedules import LrScheduleSpec, learning_rate
from pipeline.figures.registry import (
    DuplicateKindError,
    FigureSpecBase,
    figure_kind,
    get_kind,
    load_builtin_kinds,
)
from pipeline.figures.render import DESIGN_WIDTH, render_figure
from pipeline.figures.specs import FigureSpec
from pipeline.figures.theme import rc_params
from pipeline.model import Series
from pipeline.project import Project
from tests.conftest import edit_episode

SERIES = Series()
EXAMPLES = {
    "card": {"kind": "card", "heading": "Tool Use", "text": "AI calling external tools"},
    "lr_schedule": {
        "kind": "lr_schedule",
        "schedules": [
            {"type": "constant"},
            {"type": "step"},
            {"type": "exponential"},
            {"type": "linear_warmup", "warmup_steps": 20},
            {"type": "cosine"},
            {"type": "cosine_restarts", "period": 20, "period_mult": 2},
        ],
    },
    "loss_landscape": {"kind": "loss_landscape"},
    "scaling_curve": {"kind": "scaling_curve", "curve": {"threshold": 1e10}},
    "rollout": {"kind": "rollout", "incident_stage": 3},
    "flow": {"kind": "flow", "steps": ["Model", "Call", "Tool", "Result", "Model"]},
    "line": {"kind": "line", "series": [{"x": [1, 2, 3], "y": [3, 1, 2], "label": "a"}]},
    "bar": {"kind": "bar", "categories": ["a", "b"], "values": [1, 2]},
    "scatter": {"kind": "scatter", "x_log": True, "series": [{"x": [1, 10, 100], "y": [1, 2, 3]}]},
}
ADAPTER = TypeAdapter(FigureSpec)


def test_every_kind_has_an_example() -> None:
    assert set(EXAMPLES) == set(load_builtin_kinds())


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_kind_renders_at_video_size_and_is_not_blank(kind: str) -> None:
    spec = ADAPTER.validate_python(EXAMPLES[kind])
    files = render_figure(spec, SERIES)
    image = Image.open(io.BytesIO(files["png"]))
    assert image.size == (1280, 720)
    pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 5, "the figure is (nearly) blank"
    assert files["svg"].startswith(b"<?xml")
    assert spec.alt_text(), "every built-in kind describes itself"


@pytest.mark.parametrize("kind", ["lr_schedule", "rollout", "card"])
def test_same_spec_gives_identical_bytes(kind: str) -> None:
    spec = ADAPTER.validate_python(EXAMPLES[kind])
    first, second = render_figure(spec, SERIES), render_figure(spec, SERIES)
    assert first["png"] == second["png"]
    assert first["svg"] == second["svg"]
    assert b"<dc:date>" not in first["svg"]


@contextlib.contextmanager
def drawn(spec: FigureSpecBase) -> Iterator[Any]:
    """The spec drawn on a video-sized figure, as `render_figure` draws it, to inspect."""
    import matplotlib.pyplot as plt

    with plt.rc_context(rc_params(SERIES.theme)):
        fig = plt.figure(figsize=(DESIGN_WIDTH, DESIGN_WIDTH * 720 / 1280), dpi=1280 / DESIGN_WIDTH)
        try:
            get_kind(spec.kind).draw(spec, fig, SERIES)  # type: ignore[attr-defined]
            fig.canvas.draw()
            yield fig
        finally:
            plt.close(fig)


def test_flow_labels_fit_their_boxes_and_arrows_show_between_them() -> None:
    long_words = ["Prompt", "Tokenization", "Language model", "Structured call", "Tool runtime"]
    spec = ADAPTER.validate_python(
        {
            "kind": "flow",
            "steps": [*long_words, "Result", "Answer"],
            "edge_labels": ["reads", "writes", "runs", "returns", "reads", "says"],
        }
    )
    with drawn(spec) as fig:
        ax = fig.axes[0]
        renderer = fig.canvas.get_renderer()
        boxes = [
            p.get_window_extent(renderer)
            for p in ax.patches
            if type(p).__name__ == "FancyBboxPatch"
        ]
        arrows = [
            p.get_window_extent(renderer)
            for p in ax.patches
            if type(p).__name__ == "FancyArrowPatch"
        ]
        labels = [t for t in ax.texts if t.get_text().replace("\n", " ") in spec.steps]
        assert len(boxes) == len(labels) == 7 and len(arrows) == 6
        for box, label in zip(boxes, labels, strict=True):
            text = label.get_window_extent(renderer)
            assert box.x0 < text.x0 and text.x1 < box.x1, label.get_text()
        assert "Tokenization" in [t.get_text() for t in labels]  # long words are not broken
        assert len({t.get_fontsize() for t in labels}) == 1  # one size for every box
        joins = [t for t in ax.texts if t.get_text() in spec.edge_labels]
        assert len(joins) == 6
        assert max(t.get_fontsize() for t in joins) <= labels[0].get_fontsize()
        for left, arrow, right in zip(boxes, arrows, boxes[1:], strict=False):
            assert left.x1 - 2 <= arrow.x0 and arrow.x1 <= right.x0 + 2
            assert arrow.width > 20, "an arrow too short to see"


@pytest.mark.parametrize("stage", [1, 2, 3, 4])
def test_rollout_label_sits_beside_the_drop_inside_the_plot(stage: int) -> None:
    spec = ADAPTER.validate_python(
        {"kind": "rollout", "stages": [1, 5, 25, 50, 100], "incident_stage": stage}
    )
    with drawn(spec) as fig:
        traffic = fig.axes[0]
        renderer = fig.canvas.get_renderer()
        [note] = [t for t in traffic.texts if t.get_text() == "rollback"]
        word = note.get_window_extent(renderer)
        plot = traffic.get_window_extent(renderer)
        drop = traffic.transData.transform((stage * spec.stage_minutes, 0))[0]
        assert plot.x0 <= word.x0 and word.x1 <= plot.x1
        assert word.x1 < drop or word.x0 > drop, "the traffic line's drop runs through it"


def test_lr_schedule_legend_sits_above_the_plot() -> None:
    spec = ADAPTER.validate_python({**EXAMPLES["lr_schedule"], "caption": "Six schedules"})
    with drawn(spec) as fig:
        ax = fig.axes[0]
        renderer = fig.canvas.get_renderer()
        legend = ax.get_legend().get_window_extent(renderer)
        assert legend.y0 >= ax.get_window_extent(renderer).y1 - 1
        assert legend.y1 <= fig.bbox.y1


def test_sgdr_restarts_at_the_top_and_cycles_grow() -> None:
    spec = LrScheduleSpec.model_validate(EXAMPLES["lr_schedule"])
    sgdr = spec.schedules[5]
    values = [learning_rate(sgdr, i, 200) for i in range(200)]
    assert values[0] == pytest.approx(0.1)
    assert values[20] == pytest.approx(0.1)  # first restart after T_0 = 20
    assert values[60] == pytest.approx(0.1)  # second after 20 + 40 (T_mult = 2)
    assert values[19] < 0.001
    warmup = spec.schedules[3]
    assert learning_rate(warmup, 0, 200) == pytest.approx(0.005)


def test_registry_rejects_two_kinds_with_one_name() -> None:
    from typing import Literal

    class Impostor(FigureSpecBase):
        kind: Literal["flow"]

    with pytest.raises(DuplicateKindError, match="figure kind 'flow' is registered twice"):
        figure_kind(Impostor)(lambda spec, fig, series: None)


def _episode_line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "period_mult: 2}",
            "period_mult: 0.5}",
            "concepts[3].figure.schedules[2].period_mult",
            "Input should be greater than or equal to 1 (got 0.5)",
        ),
        (
            "sharp_curvature: 8",
            "sharp_curvature: 0.1",
            "concepts[2].figure",
            "sharp_curvature must be larger than flat_curvature",
        ),
        (
            "incident_stage: 3",
            "incident_stage: 9",
            "concepts[4].figure",
            "incident_stage is at most the number of stages (5)",
        ),
        (
            "kind: flow",
            "kind: flowchart",
            "concepts[1].figure",
            "unknown kind 'flowchart'; choose one of:",
        ),
        (
            "highlight: [3]",
            "highlite: [3]",
            "concepts[1].figure.highlite",
            "unknown field 'highlite'; did you mean 'highlight'?",
        ),
    ],
)
def test_bad_figure_parameters_are_located_problems(
    project: Project, old: str, new: str, field: str, message: str
) -> None:
    path = project.episodes_dir / "023.yaml"
    edit_episode(path, old, new)
    result = check_project(project)
    [problem] = result.problems
    assert problem.field == field
    assert message in problem.message
    edited = _episode_line(path, new)
    assert edited - 6 <= problem.line <= edited  # the field, or the start of its figure


def test_episode_without_figures_gets_title_cards(project: Project) -> None:
    path = project.episodes_dir / "023.yaml"
    text = path.read_text()
    # Drop every figure block (they all sit between one_liner and reference).
    import re

    path.write_text(re.sub(r"    figure:\n(?:      .*\n)+", "", text))
    assert check_project(project).problems == []
    build_project(project, BuildOptions(only=("figures",), quiet=True, jobs=1))
    figures = sorted(p.name for p in (project.build_dir / "023" / "figures").iterdir())
    assert len(figures) == 10
    svg = (project.build_dir / "023" / "figures" / "tool-use.svg").read_bytes()
    assert b"<svg" in svg


def test_episode_23_builds_ten_figure_files(project: Project) -> None:
    build_project(project, BuildOptions(only=("figures",), quiet=True))
    folder = project.build_dir / "023" / "figures"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{slug}.{ext}"
        for slug in (
            "emergent-behavior",
            "tool-use",
            "loss-surface-sharpness",
            "learning-rate-schedules",
            "canary-deployment",
        )
        for ext in ("png", "svg")
    )
