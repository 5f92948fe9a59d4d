"""Shared fixtures: scratch series built in tmp_path from the real episode 23."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.project import Project

REPO = Path(__file__).resolve().parent.parent
EPISODE_23 = REPO / "episodes" / "023.yaml"
# Episode 23 as published (a copy of shared/seeds/five-ml-concepts-23.txt).
SEED = REPO / "tests" / "fixtures" / "five-ml-concepts-23.txt"


@pytest.fixture
def series_dir(tmp_path: Path) -> Path:
    """A project folder with the repository's series.yaml and episode 23."""
    (tmp_path / "episodes").mkdir()
    shutil.copy(REPO / "series.yaml", tmp_path / "series.yaml")
    shutil.copy(EPISODE_23, tmp_path / "episodes" / "023.yaml")
    if (REPO / "references.lock.json").exists():
        shutil.copy(REPO / "references.lock.json", tmp_path / "references.lock.json")
    return tmp_path


@pytest.fixture
def project(series_dir: Path) -> Project:
    return Project(series_dir)


def edit_episode(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace `old` by `new` in a YAML file, failing loudly when `old` is absent."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.fixture
def fiveml(
    series_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run the real `fiveml` entry point in the scratch series; returns (code, out, err)."""
    monkeypatch.chdir(series_dir)
    monkeypatch.delenv("FIVEML_ROOT", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def heavy_modules_after(args: list[str], modules: tuple[str, ...], cwd: Path) -> list[str]:
    """Run `fiveml ARGS` in a fresh interpreter; which of `modules` it ended up importing."""
    code = (
        "import sys; from pipeline.cli import main;"
        f"rc = main({args!r});"
        f"print([m for m in {modules!r} if m in sys.modules]); sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def count_calls(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[str]:
    """Wrap `module.name` so that each call records its second argument (the file's
    display name) and then runs the real function unchanged."""
    real = getattr(module, name)
    calls: list[str] = []

    def counting(first: object, display: str, *rest: object) -> object:
        calls.append(display)
        return real(first, display, *rest)

    monkeypatch.setattr(module, name, counting)
    return calls
