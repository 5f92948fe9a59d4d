"""The series theme applied to every figure kind, so all figures look like one series."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pipeline.model import ThemeSettings


def rc_params(theme: ThemeSettings) -> dict[str, Any]:
    """matplotlib settings for the theme; fonts are the ones matplotlib ships."""
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [theme.font, "DejaVu Sans"],
        "font.size": theme.base_font_size,
        "axes.titlesize": theme.base_font_size * 1.5,
        "axes.labelsize": theme.base_font_size * 1.15,
        "xtick.labelsize": theme.base_font_size,
        "ytick.labelsize": theme.base_font_size,
        "legend.fontsize": theme.base_font_size,
        "text.color": theme.foreground,
        "axes.labelcolor": theme.foreground,
        "axes.edgecolor": theme.muted,
        "xtick.color": theme.muted,
        "ytick.color": theme.muted,
        "axes.facecolor": theme.background,
        "figure.facecolor": theme.background,
        "savefig.facecolor": theme.background,
        "axes.prop_cycle": __import__("cycler").cycler(color=theme.palette),
        "lines.linewidth": 3.0,
        "axes.grid": True,
        "grid.color": theme.muted,
        "grid.alpha": 0.25,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "svg.hashsalt": "fiveml",  # fixed ids in SVG output: byte-identical files
        "svg.fonttype": "path",  # text as paths: no font needed where the SVG is shown
        "path.simplify": True,
    }


def style_axes(ax: Axes, theme: ThemeSettings) -> None:
    ax.set_facecolor(theme.background)
    ax.tick_params(length=0, pad=8)
