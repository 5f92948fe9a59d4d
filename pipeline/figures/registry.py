"""The registry of figure kinds.

A kind is a pydantic spec class (its `kind` field is a Literal naming it) plus a draw
function. A module under `pipeline/figures/kinds/` registers its kind with the
`@figure_kind(SpecClass)` decorator on the draw function; nothing else needs changing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pipeline.model import Series


class FigureSpecBase(BaseModel):
    """Fields every figure kind has."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    alt: str | None = Field(
        None,
        description=(
            "Alt text for the figure; generated from the spec when the kind can describe "
            "itself, otherwise required."
        ),
    )
    caption: str | None = Field(None, description="Short title drawn above the figure.")

    def describe(self) -> str | None:
        """Alt text generated from the spec; None when the kind cannot describe itself."""
        return None

    def alt_text(self) -> str | None:
        return self.alt or self.describe()


DrawFunction = Callable[[Any, "Figure", "Series"], None]


@dataclass(frozen=True)
class FigureKind:
    name: str
    spec: type[FigureSpecBase]
    draw: DrawFunction


_KINDS: dict[str, FigureKind] = {}


class DuplicateKindError(ValueError):
    """Two modules registered a figure kind under the same name."""


def figure_kind(spec: type[FigureSpecBase]) -> Callable[[DrawFunction], DrawFunction]:
    """Register `spec` and the decorated draw function as a figure kind."""
    annotation = spec.model_fields["kind"].annotation
    names = get_args(annotation)
    if len(names) != 1 or not isinstance(names[0], str):
        raise TypeError(f"{spec.__name__}.kind must be a Literal of one name")
    name = names[0]

    def register(draw: DrawFunction) -> DrawFunction:
        existing = _KINDS.get(name)
        if existing is not None and existing.spec is not spec:
            raise DuplicateKindError(
                f"figure kind '{name}' is registered twice "
                f"({existing.spec.__module__} and {spec.__module__})"
            )
        _KINDS[name] = FigureKind(name=name, spec=spec, draw=draw)
        return draw

    return register


def load_builtin_kinds() -> dict[str, FigureKind]:
    """Import every module under `kinds/` so that each registers itself."""
    from pipeline.figures import kinds

    for module in pkgutil.iter_modules(kinds.__path__):
        importlib.import_module(f"{kinds.__name__}.{module.name}")
    return dict(_KINDS)


def get_kind(name: str) -> FigureKind:
    return load_builtin_kinds()[name]
