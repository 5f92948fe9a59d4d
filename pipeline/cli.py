"""The `fiveml` command. Thin: parse arguments, call the library, print, pick an exit code.

Heavy libraries (matplotlib, moviepy) are imported only by the commands that draw or
encode, so `fiveml check` starts fast. Exit codes: 0 all good, 1 problems in the
content (or a failed build), 2 usage error.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.errors import ContentError, PipelineError, UsageError

if TYPE_CHECKING:
    from pipeline.problems import Problem

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors, as we want
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"fiveml: error: {message}\n")


EPISODE_HELP = "episode numbers (23) or files (default: every episode)"
FORMAT_HELP = "how problems are printed: text (file:line:col), json, or github (annotations)"


def _add_episodes(p: argparse.ArgumentParser) -> None:
    p.add_argument("episodes", nargs="*", metavar="EPISODE", help=EPISODE_HELP)


def _add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "json", "github"], default="text", help=FORMAT_HELP)


def _add_check(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "check",
        help="validate episodes and their references",
        description="Validate episodes: the schema, the content rules and the references "
        "(offline, against references.lock.json). Every problem is listed with its "
        "file:line:col, its field and how to fix it. Exit 1 when there are errors.",
    )
    _add_episodes(p)
    _add_format(p)
    p.add_argument("--strict", action="store_true", help="warnings fail too (for CI)")
    p.add_argument(
        "--online",
        action="store_true",
        help="also verify references against arXiv and Crossref (network)",
    )
    p.add_argument(
        "--speech",
        action="store_true",
        help="also synthesize each concept's narration and check its length",
    )
    p.set_defaults(run=_run_check)


def _add_build(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "build",
        help="render episodes into build/",
        description="Check, then render what changed into build/: posts, tables, figures, "
        "video drafts and the site. Nothing is written when an episode has errors.",
    )
    _add_episodes(p)
    p.add_argument("--only", default="", help="comma-separated stages: blog,figures,video,site")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    p.add_argument("--force", action="store_true", help="rebuild everything, ignoring the cache")
    p.add_argument("--shard", default=None, metavar="K/N", help="build only shard K of N")
    p.add_argument("--aspect", choices=["16:9", "9:16"], default="16:9", help="video shape")
    p.add_argument("--final", action="store_true", help="final-quality video (constant fps)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--timings", action="store_true", help="print the seconds of each phase")
    p.set_defaults(run=_run_build)


def _add_new(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "new",
        help="scaffold episodes/NNN.yaml",
        description="Write episodes/NNN.yaml with every field present, commented, and a "
        "TODO placeholder where the content goes; `fiveml check NNN` lists what is left.",
    )
    p.add_argument("number", type=int, help="the episode number (1 to 9999)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(run=_run_new)


def _add_schema(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "schema",
        help="print the episode JSON Schema",
        description="Print the JSON Schema of episode files (editors use it for completion "
        "and checking; `make schema` refreshes the committed copy).",
    )
    p.add_argument("--series", action="store_true", help="the series.yaml schema instead")
    p.set_defaults(run=_run_schema)


def _add_refs(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("refs", help="manage references.lock.json")
    actions = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    update = actions.add_parser(
        "update",
        help="verify references online and write the lock",
        description="Verify every reference against arXiv and Crossref (network) and write "
        "references.lock.json, which offline checks compare against.",
    )
    _add_episodes(update)
    _add_format(update)
    update.set_defaults(run=_run_refs_update)
    fill = actions.add_parser(
        "fill",
        help="find arXiv ids and full author lists for TODO references, by title",
        description="For each reference still marked TODO, search arXiv by title and fill "
        "in the identifier and authors when exactly one paper matches (network).",
    )
    _add_episodes(fill)
    fill.set_defaults(run=_run_refs_fill)


def _add_import(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "import",
        help="turn published posts into episodes/NNN.yaml",
        description="Turn published posts (plain-text copies, or post.md) into episode "
        "files; what a post does not carry is left as TODO for `refs fill` and `check`.",
    )
    p.add_argument("posts", nargs="+", metavar="POST", help="plain-text copies or post.md files")
    p.add_argument("--force", action="store_true", help="overwrite existing episode files")
    p.set_defaults(run=_run_import)


def _add_serve(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "serve",
        help="preview build/ with live reload",
        description="Build, serve build/ on 127.0.0.1, rebuild on every change to the "
        "episodes, templates or settings, and reload the open page once a rebuild is done; "
        "problems are listed on the page.",
    )
    p.add_argument("--port", type=int, default=8000, help="the port (default 8000; 0: any free)")
    p.add_argument(
        "--only",
        default="",
        help="comma-separated stages to rebuild (default: all), e.g. blog,site",
    )
    p.set_defaults(run=_run_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fiveml",
        description="The Five ML Concepts content pipeline.",
        epilog="Exit codes: 0 all good, 1 problems in the content (or a failed build), "
        "2 usage error.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--version", action="version", version=f"fiveml {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_add_check, _add_build, _add_new, _add_schema, _add_refs, _add_import, _add_serve):
        add(commands)
    return parser


# A command allocates many long-lived objects (a thousand validated episodes) and few
# cycles; with the default threshold (700) the collector rescans them all again and again,
# which cost about a third of loading a large series.
GC_THRESHOLD = (50_000, 20, 20)


def main(argv: Sequence[str] | None = None) -> int:
    gc.set_threshold(*GC_THRESHOLD)
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except ContentError as exc:
        _print_problems(exc.problems, getattr(args, "format", "text"))
        return EXIT_PROBLEMS
    except PipelineError as exc:
        if args.debug:
            raise
        print(f"fiveml: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fiveml: interrupted; finished outputs were kept", file=sys.stderr)
        return 130
    except OSError as exc:  # the disk or the network refused (full, read-only, unreachable)
        if args.debug:
            raise
        print(f"fiveml: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS


def _print_problems(problems: list, fmt: str) -> None:
    from pipeline.problems import format_problems

    text = format_problems(problems, fmt)
    if text:
        print(text)


def _project():
    from pipeline.project import find_project

    return find_project()


def _run_check(args: argparse.Namespace) -> int:
    from pipeline.check import check_project
    from pipeline.problems import Severity, has_failures

    project = _project()
    selected = project.select(args.episodes) if args.episodes else None
    result = check_project(project, selected, cache=project.cache_dir)
    problems = list(result.problems)
    if result.series is not None:
        from pipeline.references.check import check_references

        problems += check_references(
            project, result.episodes, online=args.online, series=result.series
        )
    if args.speech and result.series is not None:
        from pipeline.video.timing import check_narration_lengths

        problems += check_narration_lengths(result.episodes, result.series)
    _print_problems(problems, args.format)
    counts = {s: sum(p.severity == s for p in problems) for s in Severity}
    if args.format == "text":
        print(
            f"checked {result.files} episode file(s): {counts[Severity.ERROR]} error(s), "
            f"{counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} note(s)",
            file=sys.stderr,
        )
    return EXIT_PROBLEMS if has_failures(problems, args.strict) else EXIT_OK


def _run_build(args: argparse.Namespace) -> int:
    from pipeline.project import find_project
    from pipeline.stamp import inputs_digest, is_up_to_date

    project = find_project()
    # Fast path before the heavy imports: nothing changed since the last good build.
    fingerprint = {
        "only": args.only,
        "shard": args.shard,
        "aspect": args.aspect,
        "final": args.final,
        "episodes": args.episodes,
    }
    digest = inputs_digest(project.root, fingerprint)
    if not args.force and is_up_to_date(project.build_dir, digest):
        if not args.quiet:
            print("build: nothing changed since the last build", file=sys.stderr)
        return EXIT_OK

    from pipeline.build import BuildOptions, build_project
    from pipeline.stamp import clear_stamp, write_stamp

    options = BuildOptions(
        only=tuple(s for s in args.only.split(",") if s),
        jobs=args.jobs,
        force=args.force,
        shard=args.shard,
        aspect=args.aspect,
        final=args.final,
        quiet=args.quiet,
    )
    selected = project.select(args.episodes) if args.episodes else None
    clear_stamp(project.build_dir)
    try:
        report = build_project(project, options, selected)
    except ContentError as exc:
        _print_problems(exc.problems, "text")
        if not args.quiet:
            print(_refusal(exc.problems), file=sys.stderr)
        return EXIT_PROBLEMS
    if args.timings:
        for phase, seconds in report.phases.items():
            print(f"  {phase:<18} {seconds:6.3f} s", file=sys.stderr)
    if report.ok:
        write_stamp(project.build_dir, digest)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _refusal(problems: list[Problem]) -> str:
    """The last line of a build that found errors before writing anything."""
    errors = [p for p in problems if p.severity == "error"] or problems
    files = sorted({p.file for p in errors})
    where = files[0] if len(files) == 1 else f"{len(files)} files"
    return (
        f"build: {len(errors)} error(s) in {where}; nothing was written "
        "and the previous build stays"
    )


def _run_new(args: argparse.Namespace) -> int:
    from pipeline.load import load_series
    from pipeline.scaffold import episode_scaffold

    project = _project()
    series, problems = load_series(project.series_file, project.display(project.series_file))
    if series is None:
        raise ContentError(problems)
    if not 1 <= args.number <= 9999:
        raise UsageError("an episode number is between 1 and 9999")
    path = project.episode_path(args.number)
    if path.exists() and not args.force:
        raise UsageError(f"{project.display(path)} already exists; use --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(episode_scaffold(args.number, series), encoding="utf-8")
    print(
        f"wrote {project.display(path)}; fill in every TODO, then run `fiveml check {args.number}`"
    )
    return EXIT_OK


def _run_refs_update(args: argparse.Namespace) -> int:
    from pipeline.check import check_project
    from pipeline.problems import has_failures
    from pipeline.references.check import update_lock

    project = _project()
    result = check_project(project, project.select(args.episodes) if args.episodes else None)
    if result.series is None or has_failures(result.problems, strict=False):
        raise ContentError(result.problems)
    lock, problems = update_lock(project, result.episodes, result.series)
    _print_problems(problems, args.format)
    print(
        f"wrote {project.display(project.lock_file)}: {len(lock.papers)} paper(s), "
        f"{len(lock.links)} link(s)",
        file=sys.stderr,
    )
    return EXIT_PROBLEMS if has_failures(problems, strict=False) else EXIT_OK


def _run_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.importer import import_posts

    project = _project()
    posts = [Path(p) for p in args.posts]
    missing = [str(p) for p in posts if not p.is_file()]
    if missing:
        raise UsageError(f"no such post: {missing[0]}")
    result = import_posts(posts, project.episodes_dir, project.display, args.force)
    if result.problems:
        raise ContentError(result.problems)
    for path in result.written:
        number = path.stem.lstrip("0")
        print(
            f"wrote {project.display(path)}; `fiveml refs fill {number}` looks up its TODO "
            f"references, then `fiveml check {number}` lists what is left to fill in"
        )
    return EXIT_OK


def _run_refs_fill(args: argparse.Namespace) -> int:
    from pipeline.references.fill import fill_references

    project = _project()
    paths = project.select(args.episodes) if args.episodes else project.episode_files()
    report = fill_references(paths, project.display)
    _print_problems(report.problems, "text")
    print(report.summary(), file=sys.stderr)
    return EXIT_PROBLEMS if any(p.severity == "error" for p in report.problems) else EXIT_OK


def _run_schema(args: argparse.Namespace) -> int:
    from pipeline.model import episode_json_schema, series_json_schema

    schema = series_json_schema() if args.series else episode_json_schema()
    print(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True))
    return EXIT_OK


def _run_serve(args: argparse.Namespace) -> int:
    from pipeline.serve import serve

    serve(_project(), port=args.port, stages=tuple(s for s in args.only.split(",") if s))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
