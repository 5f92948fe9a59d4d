"""Checking a project: load the series and episodes, validate, run the content rules.

This is the shared first half of `fiveml check` and `fiveml build`; it collects every
problem of every episode before anything stops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.load import LoadedEpisode, load_episode, load_series
from pipeline.model import Series
from pipeline.problems import Problem, sort_key
from pipeline.project import Project
from pipeline.rules import run_rules


@dataclass
class CheckResult:
    series: Series | None
    files: int = 0
    episodes: list[LoadedEpisode] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def check_project(
    project: Project, selected: list[Path] | None = None, today: date | None = None
) -> CheckResult:
    """Load and check the selected episodes (all by default) against each other and the rest.

    Series-wide rules (a concept covered by another episode) always see every episode,
    but only the selected episodes' problems are reported.
    """
    series, problems = load_series(project.series_file, project.display(project.series_file))
    result = CheckResult(series=series, problems=list(problems))
    if series is None:
        return result
    all_files = project.episode_files()
    selected_files = set(selected) if selected is not None else set(all_files)
    result.files = len(selected_files)
    loaded_all: list[LoadedEpisode] = []
    for path in sorted(set(all_files) | selected_files):
        loaded, episode_problems = load_episode(path, project.display(path))
        if path in selected_files:
            result.problems.extend(episode_problems)
        if loaded is not None:
            loaded_all.append(loaded)
    result.episodes = sorted(
        (e for e in loaded_all if e.path in selected_files), key=lambda e: e.episode.number
    )
    result.problems.extend(run_rules(result.episodes, loaded_all, series, today or date.today()))
    result.problems.sort(key=sort_key)
    return result
