"""The `fiveml` command: exit codes, output formats, `new`, `schema`, start-up cost."""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pipeline.cli import build_parser
from tests.conftest import EPISODE_23, REPO, edit_episode, heavy_modules_after

Run = Callable[..., tuple[int, str, str]]
ANALOGY_LINE = next(
    i
    for i, line in enumerate(EPISODE_23.read_text().splitlines(), 1)
    if "analogy: Like asking" in line
)


def test_check_passes_on_episode_23(fiveml: Run) -> None:
    code, _, err = fiveml("check")
    assert code == 0
    assert "checked 1 episode file(s): 0 error(s), 0 warning(s)" in err


def test_check_text_format_and_exit_1(fiveml: Run, series_dir: Path) -> None:
    edit_episode(series_dir / "episodes" / "023.yaml", "analogy: Like asking", "analogy: Asking")
    code, out, _ = fiveml("check", "23")
    assert code == 1
    [error] = [line for line in out.splitlines() if ": error:" in line]
    assert error.startswith(
        f"episodes/023.yaml:{ANALOGY_LINE}:14: error: concepts[1].analogy: an analogy starts"
    )


def test_check_json_format(fiveml: Run, series_dir: Path) -> None:
    edit_episode(series_dir / "episodes" / "023.yaml", "analogy: Like asking", "analogy: Asking")
    code, out, _ = fiveml("check", "--format", "json")
    assert code == 1
    problems = [p for p in json.loads(out) if p["severity"] != "info"]
    assert problems == [
        {
            "severity": "error",
            "file": "episodes/023.yaml",
            "line": ANALOGY_LINE,
            "column": 14,
            "field": "concepts[1].analogy",
            "message": "an analogy starts with 'Like' (got 'Asking a librarian to look …'); "
            "e.g. 'Like tasting food before serving it to all your guests.'",
        }
    ]


def test_check_github_format(fiveml: Run, series_dir: Path) -> None:
    edit_episode(series_dir / "episodes" / "023.yaml", "analogy: Like asking", "analogy: Asking")
    code, out, _ = fiveml("check", "--format", "github")
    assert code == 1
    [first] = [line for line in out.splitlines() if line.startswith("::error")]
    assert first.startswith(
        f"::error file=episodes/023.yaml,line={ANALOGY_LINE},col=14,title=concepts[1].analogy::"
        "an analogy starts with 'Like'"
    )


def test_strict_turns_warnings_into_failure(fiveml: Run, series_dir: Path) -> None:
    second = series_dir / "episodes" / "024.yaml"
    second.write_text(
        (series_dir / "episodes" / "023.yaml").read_text().replace("number: 23", "number: 24")
    )
    assert fiveml("check", "23")[0] == 0
    code, out, _ = fiveml("check", "23", "--strict")
    assert code == 1
    assert "warning: concepts[0].name: 'Emergent Behavior' is already covered by episode 24" in out


def test_unknown_episode_is_a_usage_error(fiveml: Run) -> None:
    code, _, err = fiveml("check", "99")
    assert code == 2
    assert (
        err == "fiveml: error: no episode file episodes/099.yaml; the episodes are in episodes/\n"
    )


def test_version(fiveml: Run) -> None:
    from pipeline import __version__

    assert fiveml("--version") == (0, f"fiveml {__version__}\n", "")


def test_every_command_and_option_is_described_in_its_help() -> None:
    def commands(parser: argparse.ArgumentParser, name: str):
        yield name, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    yield from commands(child, f"{name} {sub}")

    undescribed = []
    for name, parser in commands(build_parser(), "fiveml"):
        if parser.description is None and name != "fiveml refs":  # that one only groups two
            undescribed.append(name)
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction) and not action.help:
                undescribed.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert undescribed == []


def test_bad_option_is_a_usage_error(fiveml: Run) -> None:
    code, _, err = fiveml("check", "--format", "xml")
    assert code == 2
    assert "invalid choice: 'xml'" in err


def test_new_scaffold_fails_check_with_placeholders(fiveml: Run, series_dir: Path) -> None:
    code, out, _ = fiveml("new", "24")
    assert code == 0
    assert out == "wrote episodes/024.yaml; fill in every TODO, then run `fiveml check 24`\n"
    text = (series_dir / "episodes" / "024.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../episode.schema.json\n")
    code, out, _ = fiveml("check", "24")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 5 * 9  # every required field of every concept
    assert all("still a placeholder" in line for line in lines)
    assert "episodes/024.yaml:19:13: error: concepts[0].reference.year: still a placeholder" in out


def test_build_with_errors_says_why_it_wrote_nothing(fiveml: Run, series_dir: Path) -> None:
    assert fiveml("build", "--only", "blog", "--quiet")[0] == 0
    post = series_dir / "build" / "023" / "post.md"
    before = post.read_bytes()
    fiveml("new", "24")
    edit_episode(series_dir / "episodes" / "023.yaml", "analogy: Like asking", "analogy: Asking")
    code, out, err = fiveml("build", "--only", "blog")
    assert code == 1
    assert "episodes/023.yaml:" in out and "episodes/024.yaml:" in out
    assert err.splitlines()[-1] == (
        "build: 46 error(s) in 2 files; nothing was written and the previous build stays"
    )
    assert post.read_bytes() == before
    assert not (series_dir / "build" / "024").exists()
    # While 024 is a draft, 023 still builds alone.
    edit_episode(series_dir / "episodes" / "023.yaml", "analogy: Asking", "analogy: Like asking")
    assert fiveml("build", "23", "--only", "blog", "--force", "--quiet")[0] == 0
    assert not (series_dir / "build" / "024").exists()


def break_post_template(series_dir: Path, replacement: str) -> int:
    """Give the series its own templates (without, the package's are used), with the
    post's `{{ series.tagline }}` replaced; returns that line's number."""
    shutil.copytree(REPO / "templates", series_dir / "templates")
    template = series_dir / "templates" / "post.html.j2"
    lines = template.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "{{ series.tagline }}" in line)
    lines[index] = lines[index].replace("{{ series.tagline }}", replacement, 1)
    template.write_text("".join(lines))
    return index + 1


def test_a_template_that_does_not_parse_is_a_problem_at_its_line(
    fiveml: Run, series_dir: Path
) -> None:
    line = break_post_template(series_dir, "{% if %}")
    code, out, err = fiveml("build", "--only", "blog")
    assert code == 1
    assert out == (
        f"templates/post.html.j2:{line}:1: error: template syntax error: Expected an "
        "expression, got 'end of statement block'; check the {% %} and {{ }} tags on this line\n"
    )
    assert "nothing was written" in err and "Traceback" not in err
    assert not (series_dir / "build" / "023").exists()


def test_a_template_error_while_rendering_names_the_template_line(
    fiveml: Run, series_dir: Path
) -> None:
    line = break_post_template(series_dir, "{{ series.no_such_field }}")
    code, _, err = fiveml("build", "--only", "blog")
    assert code == 1
    assert f"fiveml: blog/023 failed: templates/post.html.j2:{line}: UndefinedError: " in err
    assert "no attribute 'no_such_field'" in err


def test_a_refusing_disk_is_an_error_message_not_a_traceback(fiveml: Run, series_dir: Path) -> None:
    (series_dir / "build").write_text("a file where the build folder goes")
    code, _, err = fiveml("build", "--only", "blog", "--quiet")
    assert code == 1
    assert err.startswith("fiveml: error: [Errno 20] Not a directory: ")
    assert "Traceback" not in err


def test_serve_on_a_port_in_use_is_a_usage_error(fiveml: Run) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = fiveml("serve", "--port", str(port))
    assert code == 2
    assert err == (
        f"fiveml: error: port {port} on 127.0.0.1 is in use (another fiveml serve?); "
        "choose another with --port N, or --port 0 for any free port\n"
    )


def test_new_refuses_to_overwrite(fiveml: Run) -> None:
    code, _, err = fiveml("new", "23")
    assert code == 2
    assert "episodes/023.yaml already exists; use --force to overwrite it" in err


def test_filled_scaffold_passes(fiveml: Run, series_dir: Path) -> None:
    fiveml("new", "24")
    path = series_dir / "episodes" / "024.yaml"
    text = path.read_text()
    for i in range(1, 6):
        text = text.replace(f"TODO name of concept {i}", f"Concept Number {i}", 1)
    text = (
        text.replace("TODO two or three sentences", "It does a thing. It helps.")
        .replace("TODO one sentence", "It matters.")
        .replace("TODO Like ...", "Like a thing.")
        .replace("TODO a few words", "A short summary")
        .replace("TODO paper title", "A Paper")
        .replace("TODO First Author", "Ann Author")
        .replace("year: TODO", "year: 2020")
        .replace("arxiv: TODO", 'arxiv: "2001.00001"')
    )
    path.write_text(text)
    _, out, _ = fiveml("check", "24")
    errors = [line for line in out.splitlines() if ": error:" in line]
    # Content is complete; what is left is verifying the (made-up) papers online.
    assert len(errors) == 5
    assert all("arxiv:2001.00001 is not in references.lock.json" in e for e in errors)


def test_schema_matches_the_committed_file(fiveml: Run) -> None:
    code, out, _ = fiveml("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["additionalProperties"] is False
    assert "analogy" in schema["$defs"]["Concept"]["properties"]
    assert out == (REPO / "episode.schema.json").read_text(), "run `make schema`"
    assert fiveml("schema", "--series")[1] == (REPO / "series.schema.json").read_text()


def test_check_does_not_import_heavy_libraries(series_dir: Path) -> None:
    heavy = ("matplotlib", "moviepy", "numpy", "jinja2")
    assert heavy_modules_after(["check"], heavy, series_dir) == []


def test_python_dash_m_pipeline_works(series_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "check"],
        cwd=series_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
