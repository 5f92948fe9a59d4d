"""`FigureSpec`: the discriminated union of every registered figure kind's spec."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from pipeline.figures.registry import load_builtin_kinds


def _figure_spec_union() -> object:
    specs = tuple(kind.spec for kind in sorted(load_builtin_kinds().values(), key=lambda k: k.name))
    return Annotated[Union[specs], Field(discriminator="kind")]  # noqa: UP007 - built at run time


FigureSpec = _figure_spec_union()
