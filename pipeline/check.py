"""Checking a project: load the series and episodes, validate, run the content rules.

This is the shared first half of `fiveml check` and `fiveml build`; it collects every
problem of every episode before anything stops.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.cache import code_version, store
from pipeline.load import LoadedEpisode, SourceMap, load_episode, load_series
from pipeline.model import Episode, Series
from pipeline.problems import Problem, sort_key
from pipeline.project import Project
from pipeline.rules import run_rules


@dataclass
class CheckResult:
    series: Series | None
    files: int = 0
    # Every episode of the series that loaded, selected or not (series-wide rules and
    # the site need them all).
    everyone: list[LoadedEpisode] = field(default_factory=list)
    episodes: list[LoadedEpisode] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def load_episode_cached(
    path: Path, display: str, cache: Path | None
) -> tuple[LoadedEpisode | None, list[Problem]]:
    """`load_episode`, remembering clean files by content so unchanged ones skip the parse."""
    if cache is None:
        return load_episode(path, display)
    data = path.read_bytes()
    key = hashlib.sha256(
        code_version("load.py", "model.py", "figures").encode() + display.encode() + data
    ).hexdigest()
    entry = cache / "episodes" / f"{key}.json"
    try:
        stored = json.loads(entry.read_text(encoding="utf-8"))
        source = SourceMap(display, reparse_from=path)
        episode = Episode.model_validate(stored["episode"])
        return LoadedEpisode(episode, source, path, content_key=key), []
    except (OSError, ValueError, KeyError):
        pass
    loaded, problems = load_episode(path, display)
    if loaded is not None:
        loaded.content_key = key
    if loaded is not None and not problems:
        record = {"episode": loaded.episode.model_dump(mode="json", exclude_unset=True)}
        store(entry, json.dumps(record).encode())
    return loaded, problems


def check_project(
    project: Project,
    selected: list[Path] | None = None,
    today: date | None = None,
    cache: Path | None = None,
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
        loaded, episode_problems = load_episode_cached(path, project.display(path), cache)
        if path in selected_files:
            result.problems.extend(episode_problems)
        if loaded is not None:
            loaded_all.append(loaded)
    result.everyone = sorted(loaded_all, key=lambda e: e.episode.number)
    result.episodes = sorted(
        (e for e in loaded_all if e.path in selected_files), key=lambda e: e.episode.number
    )
    result.problems.extend(
        run_rules(result.episodes, loaded_all, series, today or date.today(), cache=cache)
    )
    result.problems.sort(key=sort_key)
    return result
