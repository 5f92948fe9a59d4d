"""Shared fixtures: scratch series built in tmp_path from the real episode 23."""

from __future__ import annotations

import ast
import contextlib
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


class Served:
    """A running `fiveml serve`: its address and the lines it prints to stderr."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.lines: queue.Queue[str] = queue.Queue()

    def next_line(self, timeout: float = 90) -> str:
        return self.lines.get(timeout=timeout)

    def status_when(self, predicate: Callable[[dict], bool], timeout: float = 90) -> dict:
        """The first `/__fiveml/status` that satisfies `predicate`, polled until `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            status = json.loads(fetch(f"{self.base}/__fiveml/status"))
            if predicate(status):
                return status
            assert time.monotonic() < deadline, f"serve never got there; last status {status}"
            time.sleep(0.1)


@contextlib.contextmanager
def serving(project: Project, *options: str) -> Iterator[Served]:
    """`fiveml serve` of the project in its own process on a free port, from the moment it
    says it is serving; its stderr is read all along (a full pipe would stall it)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--port", str(port), *options],
        env={**os.environ, "FIVEML_ROOT": str(project.root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}")
    said_serving = threading.Event()

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("serving "):
                said_serving.set()
            else:
                served.lines.put(line)

    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        assert said_serving.wait(timeout=120), "fiveml serve never said it was serving"
        yield served
    finally:
        process.terminate()
        process.wait(timeout=10)
