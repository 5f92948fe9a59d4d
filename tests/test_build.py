"""The build orchestrator: incremental, parallel, atomic, sharded; and `fiveml serve`."""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.build import BuildOptions, build_project, in_shard, read_manifest
from pipeline.errors import ContentError
from pipeline.project import Project
from tests.conftest import edit_episode

TEXT = ("blog", "site")


def build(project: Project, stages=TEXT, **options) -> list[str]:
    report = build_project(project, BuildOptions(only=stages, quiet=True, **options))
    assert report.ok
    return sorted(report.built_targets)


def add_episode(project: Project, number: int) -> None:
    text = (project.episodes_dir / "023.yaml").read_text()
    for name in (
        "Emergent Behavior",
        "Tool Use",
        "Loss Surface Sharpness",
        "Learning Rate Schedules",
        "Canary Deployment",
    ):
        text = text.replace(f"name: {name}", f"name: {name} {number}")
    (project.episodes_dir / f"{number:03d}.yaml").write_text(
        text.replace("number: 23", f"number: {number}")
    )


def test_unchanged_targets_are_not_rebuilt(project: Project) -> None:
    assert build(project) == [
        "blog/023",
        "site/concepts.html",
        "site/feed.xml",
        "site/index.html",
        "site/sitemap.xml",
        "site/style.css",
    ]
    assert build(project) == []


def test_editing_an_analogy_rebuilds_that_post_only(project: Project) -> None:
    add_episode(project, 24)
    build(project)
    edit_episode(
        project.episodes_dir / "024.yaml", "analogy: Like asking", "analogy: Like kindly asking"
    )
    assert build(project) == ["blog/024"]


def test_editing_a_one_liner_rebuilds_the_post_and_the_concept_index(project: Project) -> None:
    add_episode(project, 24)
    build(project)
    edit_episode(
        project.episodes_dir / "024.yaml",
        "one_liner: AI calling external tools",
        "one_liner: AI using external tools",
    )
    assert build(project) == ["blog/024", "site/concepts.html"]


def test_adding_an_episode_rebuilds_its_neighbour_and_the_listings(project: Project) -> None:
    build(project)
    add_episode(project, 24)
    assert build(project) == [
        "blog/023",
        "blog/024",
        "site/concepts.html",
        "site/feed.xml",
        "site/index.html",
        "site/sitemap.xml",
    ]


def test_template_edit_rebuilds_the_pages_that_use_it(project: Project) -> None:
    shutil.copytree(
        Path(__file__).resolve().parent.parent / "templates", project.root / "templates"
    )
    build(project)
    with (project.root / "templates" / "feed.xml.j2").open("a") as handle:
        handle.write("<!-- edited -->\n")
    assert build(project) == ["site/feed.xml"]
    edit_episode(project.root / "templates" / "base.html.j2", "<main>", '<main id="main">')
    assert build(project) == ["blog/023", "site/concepts.html", "site/index.html"]


def test_figure_edit_rebuilds_that_figure_only(project: Project) -> None:
    build(project, stages=("figures",))
    edit_episode(project.episodes_dir / "023.yaml", "incident_stage: 3", "incident_stage: 4")
    assert build(project, stages=("figures",)) == ["figures/023/canary-deployment"]


def test_force_rebuilds_everything(project: Project) -> None:
    build(project)
    assert len(build(project, force=True)) == 6


def test_removing_an_episode_removes_its_outputs(project: Project) -> None:
    add_episode(project, 24)
    build(project)
    assert (project.build_dir / "024" / "post.md").exists()
    (project.episodes_dir / "024.yaml").unlink()
    build(project)
    assert not (project.build_dir / "024").exists() or not any(
        (project.build_dir / "024").rglob("*.*")
    )
    assert "blog/024" not in read_manifest(project.build_dir)["targets"]


def test_bad_content_writes_nothing_and_keeps_the_previous_build(project: Project) -> None:
    build(project)
    before = (project.build_dir / "023" / "post.md").read_bytes()
    edit_episode(project.episodes_dir / "023.yaml", "analogy: Like asking", "analogy: Asking")
    with pytest.raises(ContentError):
        build_project(project, BuildOptions(only=TEXT, quiet=True))
    assert (project.build_dir / "023" / "post.md").read_bytes() == before


def same_tree(a: Path, b: Path, skip: set[str] = frozenset()) -> list[str]:
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    names = sorted((files_a | files_b) - skip)
    return [
        n
        for n in names
        if n not in files_a or n not in files_b or not filecmp.cmp(a / n, b / n, shallow=False)
    ]


def test_serial_and_parallel_builds_are_identical(tmp_path: Path, project: Project) -> None:
    add_episode(project, 24)
    twin = Project(tmp_path / "twin")
    shutil.copytree(project.root, twin.root)
    stages = ("blog", "figures", "site")
    build_project(project, BuildOptions(only=stages, quiet=True, jobs=1))
    build_project(twin, BuildOptions(only=stages, quiet=True, jobs=2))
    assert same_tree(project.build_dir, twin.build_dir) == []


def test_shards_are_disjoint_and_cover_the_series() -> None:
    numbers = range(1, 200)
    shards = [{n for n in numbers if in_shard(n, (k, 4))} for k in range(1, 5)]
    assert set().union(*shards) == set(numbers)
    assert sum(len(s) for s in shards) == len(numbers)


def test_shard_builds_only_its_episodes(fiveml, series_dir: Path) -> None:
    project = Project(series_dir)
    add_episode(project, 24)
    code, _, _ = fiveml("build", "--shard", "1/2", "--only", "blog", "--quiet")
    assert code == 0
    assert (series_dir / "build" / "024" / "post.md").exists()  # 24 % 2 == 0 -> shard 1
    assert not (series_dir / "build" / "023").exists()
    assert fiveml("build", "--shard", "3/2")[0] == 2


def test_killed_build_leaves_a_consistent_tree_that_the_next_build_completes(
    project: Project, tmp_path: Path
) -> None:
    for number in range(24, 30):
        add_episode(project, number)
    env = {**os.environ, "FIVEML_ROOT": str(project.root)}
    command = [
        sys.executable,
        "-m",
        "pipeline",
        "build",
        "--only",
        "blog,figures,site",
        "--quiet",
        "--jobs",
        "2",
    ]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    figures = project.build_dir
    while time.monotonic() < deadline:
        if len(list(figures.rglob("*.png"))) >= 4:
            break
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the build finished before it could be killed"
    assert len(list(project.build_dir.rglob("*.png"))) < 7 * 5
    manifest = read_manifest(project.build_dir)
    for entry in manifest["targets"].values():  # the manifest never claims a missing file
        for name in entry["files"]:
            assert (project.build_dir / name).is_file(), name
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    clean = Project(tmp_path / "clean")
    shutil.copytree(project.root, clean.root, ignore=shutil.ignore_patterns("build", ".cache"))
    build_project(clean, BuildOptions(only=("blog", "figures", "site"), quiet=True, jobs=1))
    leftovers = {
        p.relative_to(project.build_dir).as_posix() for p in project.build_dir.rglob("*.tmp")
    }
    assert same_tree(project.build_dir, clean.build_dir, skip=leftovers | {".stamp.json"}) == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_serve_rebuilds_on_change_and_bumps_the_version(project: Project) -> None:
    port = free_port()
    env = {**os.environ, "FIVEML_ROOT": str(project.root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "serving" in process.stderr.readline() or "serving" in process.stderr.readline()
        base = f"http://127.0.0.1:{port}"
        page = fetch(f"{base}/023/index.html")
        assert "/__fiveml/version" in page
        assert fetch(f"{base}/__fiveml/version") == "1"
        edit_episode(
            project.episodes_dir / "023.yaml",
            "analogy: Like asking",
            "analogy: Like politely asking",
        )
        deadline = time.monotonic() + 90
        while fetch(f"{base}/__fiveml/version") == "1":
            assert time.monotonic() < deadline, "no rebuild after the change"
            time.sleep(0.1)
        assert "Like politely asking a librarian" in fetch(f"{base}/023/index.html")
    finally:
        process.terminate()
        process.wait(timeout=10)
