"""The pipeline's exceptions.

    PipelineError            base of everything the CLI reports without a traceback
    ├── UsageError           the command line or a path is wrong (exit code 2)
    ├── ContentError         episodes have problems; carries the Problems (exit code 1)
    └── BuildError           a stage failed while rendering (exit code 1)

Bad *content* is never an exception inside a stage: it is a Problem. ContentError
only carries the collected Problems up to the CLI when a command cannot go on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.problems import Problem


class PipelineError(Exception):
    """Base of every error the CLI reports as a message, never as a traceback."""

    exit_code = 1


class UsageError(PipelineError):
    """The command was called wrongly: a bad argument, a missing file."""

    exit_code = 2


class ContentError(PipelineError):
    """Episodes have errors; the Problems say where and how to fix them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the episodes")


class BuildError(PipelineError):
    """A stage could not produce its output."""
