"""Checking a project: load the series and episodes, validate, run the content rules.

This is the shared first half of `fiveml check` and `fiveml build`; it collects every
problem of every episode before anything stops.

With a cache folder, a large series is checked incrementally:

- `.cache/snapshot.json` remembers, for each episode file, the hash of its bytes, the
  episode's summary and its findings (load problems and local rules). A file whose bytes,
  the series settings and the code are unchanged is neither parsed nor validated;
- `.cache/entries.sqlite` holds each validated episode as JSON, from which a stage that
  needs the model gets it (`LoadedEpisode.episode`), and the source positions of the
  episodes whose problems had to be located;
- files that did change are parsed in worker processes when there are many of them.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.cache import EntryStore, code_version, file_digest, store
from pipeline.load import EpisodeSummary, LoadedEpisode, SourceMap, load_episode, load_series
from pipeline.model import Series
from pipeline.problems import Problem, sort_key
from pipeline.project import Project
from pipeline.rules import SERIES_RULES, RuleContext, local_findings, rules_salt
from pipeline.workers import can_fork, pool_context

SNAPSHOT = "snapshot.json"
ENTRIES = "entries.sqlite"
# Below this many changed files, starting worker processes costs more than it saves.
PARALLEL_LOAD_MIN = 48


@dataclass
class CheckResult:
    series: Series | None
    files: int = 0
    # Every episode of the series that loaded, selected or not (series-wide rules and
    # the site need them all).
    everyone: list[LoadedEpisode] = field(default_factory=list)
    episodes: list[LoadedEpisode] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def check_project(
    project: Project,
    selected: list[Path] | None = None,
    today: date | None = None,
    cache: Path | None = None,
    jobs: int | None = None,
) -> CheckResult:
    """Load and check the selected episodes (all by default) against each other and the rest.

    Series-wide rules (a concept covered by another episode) always see every episode,
    but only the selected episodes' problems are reported.
    """
    series, problems = load_series(project.series_file, project.display(project.series_file))
    result = CheckResult(series=series, problems=list(problems))
    if series is None:
        return result
    today = today or date.today()
    all_files = project.episode_files()
    selected_files = set(selected) if selected is not None else set(all_files)
    result.files = len(selected_files)
    salt = rules_salt(series, today)
    snapshot = Snapshot.read(cache, salt)
    entries = EntryStore(cache / ENTRIES) if cache is not None else None

    loaded_all: list[LoadedEpisode] = []
    findings: dict[Path, list[Problem]] = {}
    changed: list[tuple[Path, str, str]] = []
    displays: set[str] = set()
    for path in sorted(set(all_files) | selected_files, key=str):
        display = project.display(path)
        displays.add(display)
        key = _content_key(path, display)
        hit = snapshot.lookup(display, key, path, entries)
        if hit is None:
            changed.append((path, display, key))
        else:
            loaded_all.append(hit[0])
            findings[path] = hit[1]
    fresh: list[tuple[str, bytes]] = []
    for path, display, key, loaded, problems in _load_changed(
        changed, series, today, entries, jobs
    ):
        findings[path] = problems
        if loaded is not None:
            loaded_all.append(loaded)
            fresh.append((key, loaded.episode_json.encode("utf-8")))
        snapshot.remember(display, key, loaded, problems)
    snapshot.forget_all_but(displays)
    snapshot.save(cache)
    if entries is not None and fresh:
        entries.put("episode", fresh)
        entries.keep_only({entry["key"] for entry in snapshot.entries.values()})

    result.everyone = sorted(loaded_all, key=lambda e: e.summary.number)
    result.episodes = [e for e in result.everyone if e.path in selected_files]
    for path in selected_files:
        result.problems += findings.get(path, [])
    context = RuleContext.build(result.everyone, today)
    for loaded in result.episodes:
        result.problems += [p for rule in SERIES_RULES for p in rule(loaded, series, context)]
    result.problems.sort(key=sort_key)
    return result


def _content_key(path: Path, display: str) -> str:
    """What an episode's loaded form depends on: its bytes, its name and the loader's code."""
    data = file_digest(path) or b"\0unreadable"  # an unreadable file is reported by the loader
    return hashlib.sha256(
        code_version("load.py", "model.py", "figures").encode() + display.encode() + data
    ).hexdigest()


# --- Loading changed files, in parallel when there are many ------------------------------

_Changed = tuple[Path, str, str, LoadedEpisode | None, list[Problem]]


def _load_changed(
    changed: list[tuple[Path, str, str]],
    series: Series,
    today: date,
    entries: EntryStore | None,
    jobs: int | None,
) -> list[_Changed]:
    workers = jobs or os.cpu_count() or 1
    # Only forked workers pay off here (spawning one costs more than it would parse).
    if workers < 2 or len(changed) < PARALLEL_LOAD_MIN or not can_fork():
        return [_load_one(*item, series, today) for item in changed]
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(changed) // (workers * 4))
    with ProcessPoolExecutor(workers, mp_context=pool_context()) as pool:
        sent = pool.map(
            _load_in_worker,
            changed,
            [series] * len(changed),
            [today] * len(changed),
            chunksize=chunk,
        )
        return [
            _received(item, result, entries) for item, result in zip(changed, sent, strict=True)
        ]


def _load_one(path: Path, display: str, key: str, series: Series, today: date) -> _Changed:
    """Parse and validate a changed file and run the local rules."""
    loaded, problems = load_episode(path, display)
    if loaded is not None:
        loaded.content_key = key
        problems = problems + local_findings(loaded, series, today)
    return path, display, key, loaded, problems


def _load_in_worker(
    item: tuple[Path, str, str], series: Series, today: date
) -> tuple[EpisodeSummary | None, str | None, list[Problem]]:
    """In a worker: only the summary, the JSON and the problems travel back (a pickled
    model costs about as much as parsing the file again)."""
    _, _, _, loaded, problems = _load_one(*item, series, today)
    if loaded is None:
        return None, None, problems
    return loaded.summary, loaded.episode_json, problems


def _received(
    item: tuple[Path, str, str],
    sent: tuple[EpisodeSummary | None, str | None, list[Problem]],
    entries: EntryStore | None,
) -> _Changed:
    path, display, key = item
    summary, episode_json, problems = sent
    if summary is None:
        return path, display, key, None, problems
    loaded = _known_episode(path, display, key, summary, entries, episode_json)
    return path, display, key, loaded, problems


def _known_episode(
    path: Path,
    display: str,
    key: str,
    summary: EpisodeSummary,
    entries: EntryStore | None,
    episode_json: str | None = None,
) -> LoadedEpisode:
    """An episode known by its summary (and maybe its JSON), not parsed here: its model
    and its source positions come from the entry store or, failing that, the file."""
    store_slot = (entries, key) if entries is not None else None
    return LoadedEpisode(
        None,
        SourceMap(display, reparse_from=path, positions=store_slot),
        path,
        key,
        summary=summary,
        episode_json=episode_json,
        cached=store_slot,
    )


# --- The snapshot ------------------------------------------------------------------------


class Snapshot:
    """Per episode file: the hash of its bytes, its summary and its findings, valid for
    one version of the loader and rules and one set of series settings (`salt`)."""

    def __init__(self, version: str, entries: dict[str, Any]) -> None:
        self.version = version
        self.entries = entries
        self.dirty = False

    @classmethod
    def read(cls, cache: Path | None, salt: str) -> Snapshot:
        version = hashlib.sha256(
            (code_version("load.py", "model.py", "figures", "check.py") + salt).encode()
        ).hexdigest()
        if cache is None:
            return cls(version, {})
        try:
            data = json.loads((cache / SNAPSHOT).read_text(encoding="utf-8"))
            if data["version"] == version:
                return cls(version, data["episodes"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return cls(version, {})

    def lookup(
        self, display: str, key: str, path: Path, entries: EntryStore | None
    ) -> tuple[LoadedEpisode, list[Problem]] | None:
        entry = self.entries.get(display)
        if entries is None or entry is None or entry["key"] != key:
            return None
        summary = EpisodeSummary.from_json(entry["summary"])
        loaded = _known_episode(path, display, key, summary, entries)
        return loaded, [Problem.from_json(p) for p in entry["problems"]]

    def remember(
        self, display: str, key: str, loaded: LoadedEpisode | None, problems: list[Problem]
    ) -> None:
        if loaded is None:
            self.entries.pop(display, None)  # a file that does not load is read every time
        else:
            self.entries[display] = {
                "key": key,
                "summary": loaded.summary.to_json(),
                "problems": [p.to_json() for p in problems],
            }
        self.dirty = True

    def forget_all_but(self, displays: set[str]) -> None:
        for gone in set(self.entries) - displays:
            del self.entries[gone]
            self.dirty = True

    def save(self, cache: Path | None) -> None:
        if cache is not None and self.dirty:
            data = {"version": self.version, "episodes": self.entries}
            store(cache / SNAPSHOT, json.dumps(data, sort_keys=True).encode("utf-8"))
