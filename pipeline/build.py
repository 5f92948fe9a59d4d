"""The build: load, check, plan targets, render what is stale, write atomically.

Reads top to bottom like the architecture:

    check_project   load series + episodes, validate, content rules (nothing is written
                    when any error is found: the previous good build stays as it is)
    plan            one Target per output group, each with a hash of exactly its inputs
    render          stale targets only, in a process pool when there is enough work
    write           every file to a temporary name, then renamed; the manifest last

Stages do not know about caching, processes or files on disk: each is a pure function
from validated models to {relative path: bytes}, looked up by name in `STAGES`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from pipeline.cache import code_version
from pipeline.check import check_project
from pipeline.errors import ContentError, UsageError
from pipeline.load import LoadedEpisode
from pipeline.model import Episode, Series
from pipeline.problems import Problem, Severity
from pipeline.project import Project
from pipeline.stamp import all_on_disk

ALL_STAGES = ("blog", "figures", "video", "site")
MANIFEST = "manifest.json"
LOCK = ".lock"  # held by the build in progress (see _one_build_at_a_time)
MANIFEST_VERSION = 1
MANIFEST_SAVE_SECONDS = 0.5


@dataclass(frozen=True)
class BuildOptions:
    only: tuple[str, ...] = ()
    jobs: int | None = None
    force: bool = False
    shard: str | None = None
    aspect: str = "16:9"
    final: bool = False
    quiet: bool = False


@dataclass
class BuildReport:
    built: int = 0
    skipped: int = 0
    failed: int = 0
    removed: int = 0
    seconds: float = 0.0
    stages: tuple[str, ...] = ()
    built_targets: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "blog/023 failed: why", per target
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (--timings)

    @property
    def ok(self) -> bool:
        return self.failed == 0


@dataclass(frozen=True)
class Target:
    """One unit of work: a stage applied to its inputs, producing a group of files."""

    key: str  # e.g. "blog/023", "site"
    stage: str
    inputs_hash: str
    payload: dict[str, Any]  # what the stage's render function receives (picklable)
    heavy: bool = False  # worth a worker process even when there is little else to do


# --- Stage registry --------------------------------------------------------------------


def _render_blog(payload: dict[str, Any]) -> dict[str, bytes]:
    from pipeline.blog import Assets, Neighbours, render_episode

    episode: Episode = payload["episode"].episode
    series: Series = payload["series"]
    env = _environment(payload["templates"], payload["compiled"])
    files = render_episode(
        env, episode, series, Neighbours(*payload["neighbours"]), Assets(**payload["assets"])
    )
    return {path: text.encode("utf-8") for path, text in files.items()}


def _render_site(payload: dict[str, Any]) -> dict[str, bytes]:
    from pipeline.site import render_page

    env = _environment(payload["templates"], payload["compiled"])
    page = payload["page"]
    return {page: render_page(env, page, payload["summaries"], payload["series"]).encode()}


def _render_figures(payload: dict[str, Any]) -> dict[str, bytes]:
    from pipeline.figures.render import render_concept_figure

    episode: Episode = payload["episode"].episode
    series: Series = payload["series"]
    return render_concept_figure(episode, payload["index"], series)


def _render_video(payload: dict[str, Any]) -> dict[str, bytes]:
    from pipeline.video.assemble import render_episode_video

    episode: Episode = payload["episode"].episode
    series: Series = payload["series"]
    return render_episode_video(episode, series, Path(payload["cache"]), payload["options"])


STAGES: dict[str, Callable[[dict[str, Any]], dict[str, bytes]]] = {
    "blog": _render_blog,
    "figures": _render_figures,
    "video": _render_video,
    "site": _render_site,
}


@lru_cache(maxsize=4)
def _environment(templates: str, compiled: str | None = None) -> Any:
    from pipeline.render import make_environment

    return make_environment(Path(templates), Path(compiled) if compiled else None)


def run_target(stage: str, payload: dict[str, Any]) -> dict[str, bytes]:
    """Render one target (in this process or a worker)."""
    return STAGES[stage](payload)


@dataclass(frozen=True)
class TargetOutcome:
    files: list[str]
    error: str | None = None


def render_and_write(job: tuple[str, dict[str, Any], str]) -> TargetOutcome:
    """Render a target and write its files atomically, in whichever process runs it, so
    the writing is parallel too. A stage bug becomes an error message, not a crash."""
    stage, payload, build_dir = job
    try:
        files = run_target(stage, payload)
    except Exception as exc:
        return TargetOutcome([], _failure_message(exc))
    root = Path(build_dir)
    for relative, data in files.items():
        path = safe_output_path(root, relative)
        if not _holds(path, data):
            write_atomic(path, data)
    return TargetOutcome(sorted(files))


def _failure_message(exc: Exception) -> str:
    """What went wrong, led by the template file and line when a template raised it
    (a filter that does not exist, a name that is not defined)."""
    from pipeline.render import template_error_place

    message = f"{type(exc).__name__}: {exc}"
    place = template_error_place(exc)
    if place is None:
        return message
    file, line = place
    if os.path.isabs(file) and file.startswith(os.getcwd() + os.sep):
        file = os.path.relpath(file)
    return f"{file}:{line}: {message}"


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file already holds exactly these bytes. Such a file is left alone: its
    modification time stays (rsync and browser caches see no change), and no inode is
    replaced (creating files right after deleting as many is slow on some file systems)."""
    try:
        with open(path, "rb") as existing:
            return existing.read(len(data) + 1) == data
    except OSError:
        return False


# --- Planning --------------------------------------------------------------------------


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


BLOG_TEMPLATES = ("post.md.j2", "post.html.j2", "quick-reference.md.j2", "quick-reference.html.j2")


class TemplateHasher:
    """Hashes of the templates a page renders, with everything they extend or include
    (found by Jinja's own parser), so a template edit rebuilds only the pages using it.
    One per plan: each template is read once."""

    def __init__(self, templates: Path, display: Callable[[Path], str] = str) -> None:
        self.templates = templates
        self.display = display  # how a template's path is shown in a problem
        self._bytes: dict[str, bytes] = {}

    def _read(self, name: str) -> bytes:
        if name not in self._bytes:
            self._bytes[name] = (self.templates / name).read_bytes()
        return self._bytes[name]

    def _referenced(self, name: str) -> tuple[str, ...]:
        if not name.endswith(".j2"):  # static assets such as style.css reference nothing
            return ()
        return _references_in(name, self._read(name), self.display(self.templates / name))

    def digest(self, roots: Iterable[str]) -> str:
        seen: set[str] = set()
        pending = list(roots)
        while pending:
            name = pending.pop()
            if name not in seen:
                seen.add(name)
                pending += self._referenced(name)
        return _digest(*(f"{n}\n".encode() + self._read(n) for n in sorted(seen)))


@lru_cache(maxsize=64)
def _references_in(name: str, source: bytes, where: str) -> tuple[str, ...]:
    """The templates a template's source extends, includes or imports, by Jinja's own
    parser; memoised by content, since `serve` plans again after every change. A template
    that does not parse is a problem at its line (`where`), found before any rendering."""
    import jinja2
    from jinja2 import meta

    try:
        tree = jinja2.Environment().parse(source.decode("utf-8"), name)
    except jinja2.TemplateSyntaxError as exc:
        message = (
            f"template syntax error: {exc.message}; check the {{% %}} and {{{{ }}}} "
            "tags on this line"
        )
        raise ContentError([Problem(Severity.ERROR, where, exc.lineno, 1, "", message)]) from None
    except UnicodeDecodeError as exc:
        message = f"the template is not UTF-8 (byte {exc.object[exc.start]:#x}); save it as UTF-8"
        raise ContentError([Problem(Severity.ERROR, where, 1, 1, "", message)]) from None
    return tuple(n for n in meta.find_referenced_templates(tree) if n)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard takes K/N, e.g. 1/4 (got '{text}')") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard K/N needs 1 <= K <= N (got '{text}')")
    return k, n


def in_shard(number: int, shard: tuple[int, int] | None) -> bool:
    """Stable: an episode's shard depends only on its number."""
    return shard is None or (number % shard[1]) == shard[0] - 1


def plan(
    project: Project,
    series: Series,
    episodes: list[LoadedEpisode],
    all_numbers: list[int],
    stages: tuple[str, ...],
    options: BuildOptions,
    all_episodes: list[LoadedEpisode] | None = None,
    manifest: dict[str, Any] | None = None,
) -> list[Target]:
    """The targets of this build, each keyed by a hash of exactly what it depends on.

    Text targets are planned from the episodes' summaries (the digest of each validated
    episode), so unchanged episodes of a large series need no model until rendered."""
    templates = project.templates_dir
    template_hasher = TemplateHasher(templates, project.display)
    blog_templates = template_hasher.digest(BLOG_TEMPLATES)
    series_json = series.model_dump_json()
    cache_dir = str(project.cache_dir)
    compiled = str(project.cache_dir / "templates")
    targets: list[Target] = []
    numbers = sorted(all_numbers)
    built = (manifest or read_manifest(project.build_dir))["targets"]
    assets = {
        "figures": "figures" in stages or _already_built(built, "figures"),
        # The page embeds the 16:9 draft; other variants are extra files beside it.
        "video": ("video" in stages and not _video_variant(options))
        or _already_built(built, "video"),
    }
    code = {name: code_version(*mods) for name, mods in _STAGE_CODE.items()}
    everyone = all_episodes if all_episodes is not None else episodes
    position_of = {number: i for i, number in enumerate(numbers)}
    assets_json = json.dumps(assets, sort_keys=True)
    for loaded in episodes:
        number = loaded.summary.number
        episode_digest = loaded.summary.digest
        position = position_of[number]
        neighbours = (
            numbers[position - 1] if position > 0 else None,
            numbers[position + 1] if position + 1 < len(numbers) else None,
        )
        if "blog" in stages:
            payload = {
                "episode": loaded,
                "series": series,
                "templates": str(templates),
                "compiled": compiled,
                "neighbours": neighbours,
                "assets": assets,
            }
            targets.append(
                Target(
                    f"blog/{number:03d}",
                    "blog",
                    _digest(
                        code["blog"],
                        blog_templates,
                        episode_digest,
                        series_json,
                        json.dumps(neighbours),
                        assets_json,
                    ),
                    payload,
                )
            )
        if "figures" in stages:
            theme_json = series.theme.model_dump_json()
            size_json = json.dumps([series.video.width, series.video.height])
            episode = loaded.episode  # figure specs are not in the summary
            for index, concept in enumerate(episode.concepts):
                # A figure depends on its spec (or, for a title card, name and one-liner).
                if concept.figure is not None:
                    inputs = concept.figure.model_dump_json()
                else:
                    inputs = json.dumps([concept.name, concept.one_liner])
                targets.append(
                    Target(
                        f"figures/{episode.slug}/{concept.slug}",
                        "figures",
                        _digest(code["figures"], inputs, theme_json, size_json),
                        {"episode": loaded, "series": series, "index": index},
                        heavy=True,
                    )
                )
        if "video" in stages:
            video_options = {
                "aspect": options.aspect,
                "final": options.final,
                "next": neighbours[1],
            }
            targets.append(
                Target(
                    f"video/{number:03d}{_video_variant(options)}",
                    "video",
                    _digest(
                        code["video"],
                        code["figures"],
                        episode_digest,
                        series_json,
                        json.dumps(video_options, sort_keys=True),
                        json.dumps(neighbours),
                    ),
                    {
                        "episode": loaded,
                        "series": series,
                        "cache": cache_dir,
                        "options": video_options,
                    },
                    heavy=True,
                )
            )
    if "site" in stages:
        from pipeline.site import SITE_PAGES, page_inputs

        projected: dict[object, str] = {}
        summaries = sorted((loaded.summary for loaded in everyone), key=lambda s: s.number)
        for page in SITE_PAGES:
            projection = SITE_PAGES[page][1]
            if projection not in projected:  # index, feed and sitemap read the same fields
                projected[projection] = json.dumps(page_inputs(page, summaries))
            inputs = projected[projection]
            targets.append(
                Target(
                    f"site/{page}",
                    "site",
                    _digest(
                        code["site"],
                        template_hasher.digest([SITE_PAGES[page][0]]),
                        series_json,
                        inputs,
                    ),
                    {
                        "summaries": summaries,
                        "series": series,
                        "templates": str(templates),
                        "compiled": compiled,
                        "page": page,
                    },
                )
            )
    return targets


_STAGE_CODE = {
    "blog": ("blog.py", "render.py", "text.py", "model.py"),
    "site": ("site.py", "render.py", "blog.py", "model.py"),
    "figures": ("figures", "model.py"),
    "video": ("video", "text.py", "model.py"),
}


def _already_built(built: dict[str, Any], stage: str) -> bool:
    """Whether an earlier build made this stage's main output (for video: the 16:9 draft)."""
    if stage == "video":
        return any(re.fullmatch(r"video/\d+", key) for key in built)
    return any(key.startswith(f"{stage}/") for key in built)


def _video_variant(options: BuildOptions) -> str:
    """'' for the 16:9 draft; '/final', '/vertical' or '/final-vertical' otherwise, so that
    each variant is its own target and building one never removes another."""
    parts = (["final"] if options.final else []) + (
        ["vertical"] if options.aspect == "9:16" else []
    )
    return "/" + "-".join(parts) if parts else ""


# --- Writing ---------------------------------------------------------------------------


def safe_output_path(build_dir: Path, relative: str) -> Path:
    """The absolute path of an output, refusing anything that would leave build/: an
    absolute path, a '..' part, or a folder inside build/ that links to somewhere else.

    Checked by the path's parts and one realpath per folder (not per file): a thousand
    episodes write five thousand files into a thousand folders."""
    parts = PurePosixPath(relative).parts
    if not parts or relative.startswith("/") or ".." in parts or "\\" in relative:
        raise UsageError(f"refusing to write outside build/: {relative}")
    path = build_dir.joinpath(*parts)
    if not _folder_inside(str(build_dir), str(path.parent)):
        raise UsageError(f"refusing to write outside build/: {relative}")
    return path


@lru_cache(maxsize=8192)
def _folder_inside(build_dir: str, folder: str) -> bool:
    root = os.path.realpath(build_dir)
    real = os.path.realpath(folder)
    return real == root or real.startswith(root + os.sep)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name beside the file, then rename: readers never see half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        handle = open(temporary, "wb")  # noqa: SIM115 - closed below
    except FileNotFoundError:  # the folder is new: make it only then (mkdir per file is slow)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(temporary, "wb")  # noqa: SIM115
    with handle:
        handle.write(data)
    os.replace(temporary, path)


def read_manifest(build_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": MANIFEST_VERSION, "targets": {}}
    if data.get("version") != MANIFEST_VERSION:
        return {"version": MANIFEST_VERSION, "targets": {}}
    return data


def write_manifest(build_dir: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, separators=(",", ":"), sort_keys=True) + "\n"
    write_atomic(build_dir / MANIFEST, text.encode("utf-8"))


def _is_fresh(build_dir: str, entry: dict[str, Any] | None, target: Target) -> bool:
    if entry is None or entry.get("hash") != target.inputs_hash:
        return False
    return all_on_disk(build_dir, entry.get("files", []))


# --- The build -------------------------------------------------------------------------


def build_project(
    project: Project, options: BuildOptions, selected: list[Path] | None = None
) -> BuildReport:
    started = time.perf_counter()
    _environment.cache_clear()  # templates are read afresh by every build (`serve` runs many)
    stages = options.only or ALL_STAGES
    unknown = [s for s in stages if s not in ALL_STAGES]
    if unknown:
        raise UsageError(f"unknown stage '{unknown[0]}'; stages are {', '.join(ALL_STAGES)}")
    shard = parse_shard(options.shard)
    with _one_build_at_a_time(project.build_dir):
        return _build_locked(project, options, selected, stages, shard, started)


def _build_locked(
    project: Project,
    options: BuildOptions,
    selected: list[Path] | None,
    stages: tuple[str, ...],
    shard: tuple[int, int] | None,
    started: float,
) -> BuildReport:
    phases = _PhaseClock()
    result = check_project(project, selected, cache=project.cache_dir, jobs=options.jobs)
    phases.done("load and check")
    errors = [p for p in result.problems if p.severity == Severity.ERROR]
    if errors or result.series is None:
        raise ContentError(errors or result.problems)
    series = result.series
    all_episodes = result.everyone
    chosen = [loaded for loaded in result.episodes if in_shard(loaded.summary.number, shard)]
    numbers = [loaded.summary.number for loaded in all_episodes]

    build_dir = project.build_dir
    build_dir.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(build_dir)
    targets = plan(project, series, chosen, numbers, stages, options, all_episodes, manifest)
    known = manifest["targets"]
    root = os.fspath(build_dir)
    stale = [t for t in targets if options.force or not _is_fresh(root, known.get(t.key), t)]
    report = BuildReport(stages=stages, skipped=len(targets) - len(stale), phases=phases.seconds)
    phases.done("plan")

    progress = _Progress(
        len(stale), quiet=options.quiet or (not any(t.heavy for t in stale) and len(stale) < 2)
    )
    last_save = time.perf_counter()
    for target, outcome in _render_all(stale, options.jobs, build_dir, progress):
        if outcome.error is not None:
            _report_failure(report, target, outcome.error)
            continue
        files = outcome.files
        old_files = set(known.get(target.key, {}).get("files", []))
        for gone in old_files - set(files):
            (build_dir / gone).unlink(missing_ok=True)
        known[target.key] = {"hash": target.inputs_hash, "files": sorted(files)}
        report.built += 1
        report.built_targets.append(target.key)
        # Saved now and then, not after every target (that is quadratic in the series'
        # size). An interrupted build leaves older hashes for targets written since the
        # last save; they differ from the inputs, so the next build redoes them.
        if time.perf_counter() - last_save > MANIFEST_SAVE_SECONDS:
            write_manifest(build_dir, manifest)
            last_save = time.perf_counter()
    progress.close()
    phases.done("render and write")

    if selected is None and shard is None:
        report.removed = _remove_deleted_episodes(build_dir, manifest, set(numbers))
    write_manifest(build_dir, manifest)
    phases.done("manifest")
    report.seconds = time.perf_counter() - started
    if not options.quiet:
        print(_summary(report), file=sys.stderr)
    return report


@contextmanager
def _one_build_at_a_time(build_dir: Path) -> Iterator[None]:
    """Hold `build/.lock` for the whole build. A second build of the same folder (a
    `fiveml build` while `fiveml serve` rebuilds, say) waits instead of interleaving its
    writes and manifest with the first one's. Released when the process ends, however."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: builds are not serialised
        yield
        return
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                "build: waiting for another build of this project to finish …",
                file=sys.stderr,
                flush=True,
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # the lock goes with the file's closing


# The stale targets of the build in progress, set just before the worker processes are
# forked: a forked worker finds its target's payload here by index, instead of receiving
# a pickled copy (the site pages alone would otherwise pickle every episode five times).
_FORKED_TARGETS: list[Target] = []


def _render_forked(job: tuple[int, str]) -> TargetOutcome:
    index, build_dir = job
    target = _FORKED_TARGETS[index]
    return render_and_write((target.stage, target.payload, build_dir))


def _render_all(
    stale: list[Target], jobs: int | None, build_dir: Path, progress: _Progress
) -> Iterable[tuple[Target, TargetOutcome]]:
    """Render and write stale targets, in a process pool when it pays."""
    workers = jobs or os.cpu_count() or 1
    pooled = workers > 1 and (len(stale) >= 8 or sum(t.heavy for t in stale) >= 2)
    if not pooled:
        for target in stale:
            progress.step(target.key)
            yield target, render_and_write((target.stage, target.payload, str(build_dir)))
        return
    # Heavy targets (figures, video) and the site pages, which each list the whole series,
    # go one per task and first, so that none is left running alone at the end; the
    # posts go in chunks, so that a thousand small pages do not pay a round trip each.
    alone = [i for i, t in enumerate(stale) if t.heavy or t.stage == "site"]
    chunked = [i for i, t in enumerate(stale) if not (t.heavy or t.stage == "site")]
    chunk = max(1, len(chunked) // (workers * 8))
    from concurrent.futures import ProcessPoolExecutor  # only a pooled build pays the import

    context, render, work = _pool_context(stale, str(build_dir))
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(render, work[i]) for i in alone]
            outcomes = pool.map(render, [work[i] for i in chunked], chunksize=chunk)
            for i, future in zip(alone, futures, strict=True):
                progress.step(stale[i].key)
                yield stale[i], future.result()
            for i, outcome in zip(chunked, outcomes, strict=True):
                progress.step(stale[i].key)
                yield stale[i], outcome
    finally:
        _FORKED_TARGETS.clear()
        gc.unfreeze()  # `serve` builds again and again in one process


def _compile_templates_before_fork(stale: list[Target]) -> None:
    """Import the text stages and compile their templates once, here, rather than once in
    every worker."""
    text_payloads = {
        (t.payload["templates"], t.payload["compiled"]) for t in stale if "templates" in t.payload
    }
    for templates, compiled in sorted(text_payloads):
        import pipeline.blog
        import pipeline.site  # noqa: F401

        env = _environment(templates, compiled)
        for name in env.list_templates(filter_func=lambda name: name.endswith(".j2")):
            env.get_template(name)


def _pool_context(stale: list[Target], build_dir: str) -> tuple[Any, Callable[..., Any], list]:
    """Fork where it is safe (workers inherit the payloads); otherwise spawn workers and
    pickle each payload to them (see `pipeline/workers.py`)."""
    from pipeline.workers import can_fork, pool_context

    if can_fork():
        _FORKED_TARGETS[:] = stale
        _compile_templates_before_fork(stale)
        # Frozen objects are never scanned by a worker's collector, so their pages stay
        # shared with this process instead of being copied into each worker.
        gc.freeze()
        return pool_context(), _render_forked, [(i, build_dir) for i in range(len(stale))]
    work = [(t.stage, t.payload, build_dir) for t in stale]
    return pool_context(), render_and_write, work


def _report_failure(report: BuildReport, target: Target, error: str) -> None:
    report.failed += 1
    report.failures.append(f"{target.key} failed: {error}")
    print(f"fiveml: {target.key} failed: {error}", file=sys.stderr)


def _remove_deleted_episodes(build_dir: Path, manifest: dict[str, Any], numbers: set[int]) -> int:
    """Outputs of episodes whose YAML was removed are removed too."""
    removed = 0
    for key in list(manifest["targets"]):
        slug = key.split("/")[1] if "/" in key else ""
        if slug.isdigit() and int(slug) not in numbers:
            for relative in manifest["targets"][key]["files"]:
                (build_dir / relative).unlink(missing_ok=True)
            del manifest["targets"][key]
            removed += 1
    return removed


class _PhaseClock:
    """Wall time of each phase of a build, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = now - self._last
        self._last = now


def _summary(report: BuildReport) -> str:
    return (
        f"build ({', '.join(report.stages)}): {report.built} built, {report.skipped} up to date, "
        f"{report.failed} failed, {report.removed} removed in {report.seconds:.2f} s"
    )


class _Progress:
    """A progress bar (rich) on a terminal, for builds of several targets or a heavy one
    (figures, video); quiet when output is not a terminal."""

    def __init__(self, total: int, quiet: bool) -> None:
        self._bar: Any = None
        self._total = total
        self._shown = not (quiet or total < 1 or not sys.stderr.isatty())

    def step(self, label: str) -> None:
        if self._shown and self._bar is None:
            # Started at the first step, after the workers are forked: rich refreshes
            # from a thread, and a fork should not copy a thread's half-held locks.
            from rich.progress import Progress

            self._bar = Progress(transient=True)
            self._bar.start()
            self._task = self._bar.add_task("building", total=self._total)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=label)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
