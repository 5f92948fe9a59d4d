"""`make bench`: per-stage timings of whole `fiveml` processes, as a table and as JSON.

Builds a synthetic series of 1,000 episodes (episode 23 with varied text) in a temporary
folder, then times: the cold text build (from a fresh clone, and with the cache kept), the
no-op and forced rebuilds, the rebuild after one edit (as a command and inside `fiveml
serve`), `check`, the five figures of one episode, the video draft cold and after one
edit, and the final render. Every figure is the median wall time of whole processes,
start-up included, except the rebuild inside `serve`, which is the server's own report.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EPISODE_23 = REPO / "episodes" / "023.yaml"
WORDS = ["quickly", "carefully", "reliably", "gradually", "clearly", "often", "usually"]
EPISODE_23_CONCEPTS = (
    "Emergent Behavior",
    "Tool Use",
    "Loss Surface Sharpness",
    "Learning Rate Schedules",
    "Canary Deployment",
)


def as_another_episode(episode_23: str, number: int, suffix: str) -> str:
    """Episode 23's YAML as episode `number`, each concept name followed by `suffix` (so
    that no two episodes of a series cover the same concept)."""
    text = episode_23.replace("number: 23", f"number: {number}")
    for name in EPISODE_23_CONCEPTS:
        text = text.replace(f"name: {name}", f"name: {name} {suffix}")
    return text


def synthetic_series(root: Path, count: int) -> None:
    """`count` episodes made from episode 23: unique numbers, names and varied sentences."""
    (root / "episodes").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "series.yaml", root / "series.yaml")
    shutil.copy(REPO / "references.lock.json", root / "references.lock.json")
    shutil.copytree(REPO / "templates", root / "templates", dirs_exist_ok=True)
    source = EPISODE_23.read_text(encoding="utf-8")
    for number in range(1, count + 1):
        text = as_another_episode(source, number, str(number))
        word = WORDS[number % len(WORDS)]
        text = text.replace("Sharp minima are", f"Sharp minima are {word}")
        (root / "episodes" / f"{number:03d}.yaml").write_text(text, encoding="utf-8")


def fiveml(root: Path, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fiveml {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def median_of(runs: int, action) -> float:
    return statistics.median(action() for _ in range(runs))


def set_analogy(path: Path, index: int, analogy: str) -> None:
    """Give concept `index` a new analogy (each call a different one: a real edit)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    spots = [i for i, line in enumerate(lines) if line.startswith("    analogy: ")]
    lines[spots[index]] = f"    analogy: {analogy}\n"
    path.write_text("".join(lines), encoding="utf-8")


def bench(count: int, runs: int) -> dict[str, float]:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="fiveml-bench-") as scratch:
        big = Path(scratch) / "series"
        synthetic_series(big, count)
        text = ("--only", "blog,site", "--quiet")
        set_aside = _SetAside(Path(scratch) / "set-aside")

        def cold() -> float:
            set_aside(big / "build")
            return fiveml(big, "build", *text)

        def cold_no_cache() -> float:
            set_aside(big / ".cache")
            return cold()

        results[f"text build, {count} episodes, cold, no cache (fresh clone)"] = median_of(
            runs, cold_no_cache
        )
        results[f"text build, {count} episodes, cold (build/ removed, cache kept)"] = median_of(
            runs, cold
        )
        results[f"no-op rebuild, {count} episodes"] = median_of(
            runs, lambda: fiveml(big, "build", *text)
        )
        results[f"forced rebuild, {count} episodes (--force)"] = median_of(
            runs, lambda: fiveml(big, "build", *text, "--force")
        )
        episode = big / "episodes" / f"{count // 2:03d}.yaml"
        edits = iter(range(1, 100_000))

        def one_edit() -> float:
            set_analogy(episode, 0, f"Like a child learning {next(edits)} words at once.")
            return fiveml(big, "build", *text)

        results[f"rebuild after one edit, {count} episodes"] = median_of(runs, one_edit)
        in_serve = serve_one_edit(big, episode, runs, edits)
        results[f"rebuild after one edit, {count} episodes, in `fiveml serve`"] = in_serve[0]
        results[f"edit to reload ready in `fiveml serve`, {count} episodes"] = in_serve[1]
        results[f"check, {count} episodes"] = median_of(runs, lambda: fiveml(big, "check"))

        one = Path(scratch) / "one"
        synthetic_series(one, 0)
        shutil.copy(EPISODE_23, one / "episodes" / "023.yaml")
        results["check, one episode"] = median_of(runs, lambda: fiveml(one, "check", "23"))
        results["figures of episode 23 (5 PNG + 5 SVG)"] = median_of(
            runs, lambda: fiveml(one, "build", "--only", "figures", "--force", "--quiet")
        )

        def video_cold() -> float:
            shutil.rmtree(one / ".cache", ignore_errors=True)
            return fiveml(one, "build", "--only", "video", "--force", "--quiet")

        results["video draft of episode 23, cold cache"] = median_of(runs, video_cold)

        def video_edit() -> float:
            set_analogy(
                one / "episodes" / "023.yaml", 2, f"Like standing on plateau number {next(edits)}."
            )
            return fiveml(one, "build", "--only", "video", "--quiet")

        results["video draft after one concept edit"] = median_of(runs, video_edit)
        results["final render 1920x1080 30 fps"] = fiveml(
            one, "build", "--only", "video", "--final", "--force", "--quiet"
        )
        duration = _video_seconds(one / "build" / "023" / "video" / "final.mp4")
        if duration:
            results["final video running time (s)"] = duration
    results["peak memory of one process (MiB)"] = (
        max(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        )
        / 1024
    )
    return results


class _SetAside:
    """Moves a folder out of the way instead of deleting it.

    On ext4 without a journal (this VM's disk), a new inode is never one freed in the
    last minute or so (`recently_deleted()` in the kernel's inode allocator), so creating
    5,000 files right after deleting 5,000 costs 3-5 times as much system time as on a
    fresh clone. Deleting build/ just before each cold build would measure that, not the
    build; the folders set aside are deleted with the scratch folder at the end.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def __call__(self, path: Path) -> None:
        if path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            self.count += 1
            path.rename(self.folder / f"{path.name.lstrip('.')}-{self.count}")


def serve_one_edit(root: Path, episode: Path, runs: int, edits) -> tuple[float, float]:
    """Median seconds of `fiveml serve --only blog,site`'s rebuild after one edit (its own
    report), and from the edit to the new version being served (watching included)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--only", "blog,site"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_line(process, "serving ")
        builds, latencies = [], []
        for _ in range(runs):
            before = _served_status(port)
            started = time.perf_counter()
            set_analogy(episode, 0, f"Like a child learning {next(edits)} words at once.")
            status = before
            while status["version"] == before["version"]:  # as an open page waits for it
                status = _served_status(port, after=status["rebuilds"])
            latencies.append(time.perf_counter() - started)
            line = _wait_for_line(process, "serve: ")
            builds.append(float(line.rsplit(" in ", 1)[1].split()[0]))
        return statistics.median(builds), statistics.median(latencies)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_line(process: subprocess.Popen, start: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            raise SystemExit(f"fiveml serve stopped (exit code {process.wait()})")
        if line.startswith(start) and not line.rstrip().endswith("rebuilding"):
            return line
    raise SystemExit(f"fiveml serve printed no line starting {start!r} in {timeout} s")


def _served_status(port: int, after: int | None = None) -> dict:
    """`/__fiveml/status`, or with `after` the one once the next rebuild has ended."""
    query = "" if after is None else f"?after={after}"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__fiveml/status{query}", timeout=60) as r:
        return json.loads(r.read())


def _video_seconds(path: Path) -> float | None:
    probe = shutil.which("ffprobe")
    if probe is None or not path.exists():
        return None
    done = subprocess.run(
        [probe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return float(done.stdout.strip()) if done.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    print(f"benchmarking on {os.cpu_count()} cores, {args.runs} run(s) each …", file=sys.stderr)
    results = bench(args.episodes, args.runs)
    width = max(len(k) for k in results)
    for name, value in results.items():
        unit = "" if name.endswith(("(s)", "(MiB)")) else " s"
        print(f"{name:<{width}}  {value:8.2f}{unit}")
    text = json.dumps({k: round(v, 3) for k, v in results.items()}, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
