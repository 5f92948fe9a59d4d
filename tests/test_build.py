"""The build orchestrator: incremental, parallel, atomic, sharded; and `fiveml serve`."""

from __future__ import annotations

import fcntl
import filecmp
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipeline import check, load
from pipeline.bench import as_another_episode, synthetic_series
from pipeline.build import BuildOptions, build_project, in_shard, read_manifest, safe_output_path
from pipeline.cache import file_digest
from pipeline.check import PARALLEL_LOAD_MIN, check_project
from pipeline.errors import ContentError, UsageError
from pipeline.project import Project
from pipeline.serve import UNSATISFIABLE, BuildState, byte_range
from pipeline.workers import can_fork
from tests.conftest import count_calls, edit_episode, fetch, serving

TEXT = ("blog", "site")


def build(project: Project, stages=TEXT, **options) -> list[str]:
    report = build_project(project, BuildOptions(only=stages, quiet=True, **options))
    assert report.ok
    return sorted(report.built_targets)


def add_episode(project: Project, number: int) -> None:
    text = (project.episodes_dir / "023.yaml").read_text()
    (project.episodes_dir / f"{number:03d}.yaml").write_text(
        as_another_episode(text, number, str(number))
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


def test_a_build_beside_other_threads_spawns_its_workers_and_gives_the_same_tree(
    tmp_path: Path, project: Project
) -> None:
    """As in `fiveml serve`: forking next to other threads is unsafe, so the pool spawns
    fresh workers and pickles the payloads; the output is the same."""
    for number in range(24, 32):
        add_episode(project, number)
    twin = Project(tmp_path / "twin")
    shutil.copytree(project.root, twin.root)
    build_project(project, BuildOptions(only=TEXT, quiet=True, jobs=1))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork()
        report = build_project(twin, BuildOptions(only=TEXT, quiet=True, jobs=2))
    finally:
        stop.set()
        other.join()
    assert report.ok and report.built == 9 + 5
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


def test_serve_rebuilds_on_change_and_bumps_the_version(project: Project) -> None:
    with serving(project) as served:
        page = fetch(f"{served.base}/023/index.html")
        assert "/__fiveml/status" in page
        assert fetch(f"{served.base}/__fiveml/version") == "1"
        edit_episode(
            project.episodes_dir / "023.yaml",
            "analogy: Like asking",
            "analogy: Like politely asking",
        )
        served.status_when(lambda status: status["version"] == 2)
        assert "Like politely asking a librarian" in fetch(f"{served.base}/023/index.html")


def test_serve_only_rebuilds_the_chosen_stages_and_reports_each_rebuild(
    project: Project,
) -> None:
    with serving(project, "--only", "blog,site") as served:
        assert (project.build_dir / "023" / "post.md").exists()
        assert not (project.build_dir / "023" / "video").exists()
        # Saved the way `sed -i` and many editors save: a temporary file renamed over the
        # episode; the temporary files are not inputs and are not named.
        episode = project.episodes_dir / "023.yaml"
        temporary = project.episodes_dir / "sedAb12Cd"
        temporary.write_text(episode.read_text().replace("analogy: Like asking", "analogy: Like"))
        (project.episodes_dir / ".023.yaml.swp").write_text("editor state")
        temporary.replace(episode)
        lines = [served.next_line() for _ in range(3)]
        assert lines[0].startswith("build (blog, site): ")  # the first build, before serving
        assert lines[1] == "serve: 023.yaml changed; rebuilding\n"
        assert re.fullmatch(r"serve: 1 rebuilt, 0 failed in \d+\.\d{3} s\n", lines[2])


def test_serve_reports_a_broken_edit_and_keeps_the_last_good_build(project: Project) -> None:
    episode = project.episodes_dir / "023.yaml"
    with serving(project, "--only", "blog,site") as served:
        assert served.status_when(lambda s: True) == {"version": 1, "problems": [], "rebuilds": 1}
        edit_episode(episode, "analogy: Like asking", "analogy: Asking")
        broken = served.status_when(lambda s: s["problems"])
        assert broken["version"] == 1
        [line] = broken["problems"]
        assert line.startswith("episodes/023.yaml:")
        assert "concepts[1].analogy: an analogy starts with 'Like'" in line
        assert "Like asking a librarian" in fetch(f"{served.base}/023/index.html")  # last good
        edit_episode(episode, "analogy: Asking", "analogy: Like politely asking")
        fixed = served.status_when(lambda s: s["version"] == 2)
        assert fixed == {"version": 2, "problems": [], "rebuilds": 3}
        assert "Like politely asking a librarian" in fetch(f"{served.base}/023/index.html")


def test_a_page_waiting_on_the_status_is_answered_when_a_rebuild_ends() -> None:
    state = BuildState()
    assert json.loads(state.status_json(after=0, wait=0.01))["rebuilds"] == 0  # timed out
    answers: list[dict] = []
    waiting = threading.Thread(target=lambda: answers.append(json.loads(state.status_json(0))))
    waiting.start()
    waiting.join(timeout=0.3)
    assert answers == []  # still waiting: nothing has been rebuilt
    state.failed(["episodes/023.yaml:1:1: error: ..."])
    waiting.join(timeout=10)
    assert answers == [
        {"version": 0, "problems": ["episodes/023.yaml:1:1: error: ..."], "rebuilds": 1}
    ]
    state.succeeded()
    assert json.loads(state.status_json(after=1)) == {"version": 1, "problems": [], "rebuilds": 2}


def test_serve_started_on_a_broken_episode_shows_a_page_that_waits_for_the_fix(
    project: Project,
) -> None:
    episode = project.episodes_dir / "023.yaml"
    edit_episode(episode, "analogy: Like asking", "analogy: Asking")
    with serving(project, "--only", "blog,site") as served:
        status = served.status_when(lambda s: True)
        assert status["version"] == 0 and len(status["problems"]) == 1
        with pytest.raises(urllib.error.HTTPError) as missing:
            fetch(f"{served.base}/")
        assert missing.value.code == 404
        page = missing.value.read().decode()
        assert "Not built (yet)" in page and "/__fiveml/status" in page
        edit_episode(episode, "analogy: Asking", "analogy: Like asking")
        served.status_when(lambda s: s["version"] == 1 and not s["problems"])
        assert "Five ML Concepts" in fetch(f"{served.base}/")


def test_serve_keeps_watching_after_a_rebuild_that_raised(project: Project) -> None:
    episode = project.episodes_dir / "023.yaml"
    with serving(project, "--only", "blog,site") as served:
        served.status_when(lambda s: s["version"] == 1)
        project.build_dir.rename(project.root / "build-aside")
        project.build_dir.write_text("a file where the build folder goes")
        edit_episode(episode, "analogy: Like asking", "analogy: Like politely asking")
        [message] = served.status_when(lambda s: s["problems"])["problems"]
        assert message.startswith("the rebuild failed: FileExistsError: ")
        project.build_dir.unlink()
        edit_episode(episode, "analogy: Like politely asking", "analogy: Like kindly asking")
        assert served.status_when(lambda s: s["version"] == 2)["problems"] == []
        assert "Like kindly asking a librarian" in fetch(f"{served.base}/023/index.html")


def test_a_second_build_of_the_same_folder_waits_for_the_first(project: Project) -> None:
    build_project(project, BuildOptions(only=TEXT, quiet=True))
    with open(project.build_dir / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a build in progress holds it
        second = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "build", "--only", "blog,site", "--force"],
            env={**os.environ, "FIVEML_ROOT": str(project.root)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert second.stderr is not None
        waiting = second.stderr.readline()
        assert waiting == "build: waiting for another build of this project to finish …\n"
        assert second.poll() is None  # it cannot go on while the lock is held
    _, rest = second.communicate(timeout=120)
    assert second.returncode == 0
    assert re.match(r"build \(blog, site\): \d+ built, 0 up to date, 0 failed", rest)


def test_byte_ranges_as_browsers_ask_for_media() -> None:
    assert byte_range("bytes=0-99", 1000) == (0, 99)
    assert byte_range("bytes=900-", 1000) == (900, 999)
    assert byte_range("bytes=990-2000", 1000) == (990, 999)  # clipped to the end
    assert byte_range("bytes=-100", 1000) == (900, 999)  # the last 100 bytes
    assert byte_range("bytes=-5000", 1000) == (0, 999)
    assert byte_range("bytes=1000-", 1000) == UNSATISFIABLE
    assert byte_range("bytes=-0", 1000) == UNSATISFIABLE
    assert byte_range("bytes=5-4", 1000) == UNSATISFIABLE
    for whole_file in ("bytes=0-1,5-6", "items=0-1", "bytes=-", "bytes=a-b"):
        assert byte_range(whole_file, 1000) is None, whole_file


def test_serve_answers_range_requests(project: Project) -> None:
    with serving(project, "--only", "blog,site") as served:
        css = (project.build_dir / "style.css").read_bytes()

        def get(range_header: str) -> tuple[int, dict[str, str], bytes]:
            request = urllib.request.Request(
                f"{served.base}/style.css", headers={"Range": range_header}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status, dict(response.headers), response.read()
            except urllib.error.HTTPError as refused:
                return refused.code, dict(refused.headers), refused.read()

        status, headers, body = get("bytes=10-109")
        assert (status, body) == (206, css[10:110])
        assert headers["Content-Range"] == f"bytes 10-109/{len(css)}"
        assert headers["Accept-Ranges"] == "bytes"
        assert headers["Content-Type"] == "text/css"
        assert get("bytes=-20")[2] == css[-20:]
        status, headers, _ = get(f"bytes={len(css)}-")
        assert (status, headers["Content-Range"]) == (416, f"bytes */{len(css)}")
        assert get("bytes=0-1,5-6")[::2] == (200, css)  # several ranges: the whole file


def test_outputs_never_leave_the_build_folder(tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    assert safe_output_path(build_dir, "023/post.md") == build_dir / "023" / "post.md"
    for escape in ("../x", "/etc/passwd", "023/../../x", "a\\..\\x", ""):
        with pytest.raises(UsageError, match="refusing to write outside build/"):
            safe_output_path(build_dir, escape)
    (tmp_path / "elsewhere").mkdir()
    (build_dir / "024").symlink_to(tmp_path / "elsewhere")  # a folder that links outside
    with pytest.raises(UsageError, match="refusing to write outside build/"):
        safe_output_path(build_dir, "024/post.md")


def test_a_large_series_loads_the_same_in_parallel_and_serially(tmp_path: Path) -> None:
    """Above PARALLEL_LOAD_MIN changed files, `check` parses them in worker processes;
    problems (with their positions) and summaries are those of a serial load."""
    root = tmp_path / "series"
    synthetic_series(root, PARALLEL_LOAD_MIN + 12)
    edit_episode(root / "episodes" / "007.yaml", "analogy: Like", "analogy: Unlike")
    edit_episode(root / "episodes" / "009.yaml", "number: 9", "number: 9\nnumbr: 9")
    project = Project(root)
    serial = check_project(project, cache=tmp_path / "serial", jobs=1)
    parallel = check_project(project, cache=tmp_path / "parallel", jobs=2)
    assert [str(p) for p in parallel.problems] == [str(p) for p in serial.problems]
    assert any(p.file == "episodes/007.yaml" and p.line > 1 for p in serial.problems)
    assert [e.summary for e in parallel.everyone] == [e.summary for e in serial.everyone]
    assert [e.episode for e in parallel.everyone] == [e.episode for e in serial.everyone]


def test_unchanged_episodes_are_not_parsed_again(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot: a second check parses only the file that changed, and a stage that
    needs an unchanged episode's model gets it from the cache entry."""
    add_episode(project, 24)
    parsed = count_calls(monkeypatch, check, "load_episode")
    first = check_project(project, cache=project.cache_dir)
    assert sorted(parsed) == ["episodes/023.yaml", "episodes/024.yaml"]
    parsed.clear()
    edit_episode(project.episodes_dir / "024.yaml", "analogy: Like", "analogy: Like, say,")
    again = check_project(project, cache=project.cache_dir)
    assert parsed == ["episodes/024.yaml"]
    assert again.problems == first.problems
    assert again.everyone[0].episode == first.everyone[0].episode  # from the cache entry


def test_a_damaged_or_missing_load_cache_entry_falls_back_to_the_file(project: Project) -> None:
    build(project)

    def tree() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in project.build_dir.rglob("*") if p.is_file()}

    before = tree()
    database = sqlite3.connect(project.cache_dir / "entries.sqlite")
    with database:
        damaged = database.execute("UPDATE entries SET data = '{damaged' WHERE kind = 'episode'")
    assert damaged.rowcount == 1
    build(project, force=True)
    assert tree() == before
    with database:
        database.execute("DELETE FROM entries")
    database.close()
    build(project, force=True)
    assert tree() == before


def test_file_digests_see_an_edit_that_keeps_size_and_mtime(tmp_path: Path) -> None:
    """Two writes within one tick of the file system's clock: the digest must not be a
    remembered one (files modified in the last seconds are never remembered)."""
    path = tmp_path / "023.yaml"
    path.write_text("analogy: Like A")
    first = file_digest(path)
    stat = path.stat()
    path.write_text("analogy: Like B")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    assert file_digest(path) != first
    old = time.time_ns() - 60 * 10**9  # settled files are remembered by size and mtime
    os.utime(path, ns=(old, old))
    assert file_digest(path) == file_digest(path) == hashlib.sha256(b"analogy: Like B").digest()


def test_a_forced_rebuild_leaves_identical_files_untouched(project: Project) -> None:
    build(project)
    post, page = project.build_dir / "023" / "post.md", project.build_dir / "023" / "index.html"
    for path in (post, page):
        os.utime(path, ns=(10**18, 10**18))
    edit_episode(project.episodes_dir / "023.yaml", "analogy: Like asking", "analogy: Like telling")
    assert "blog/023" in build(project, force=True)
    assert post.stat().st_mtime_ns != 10**18  # changed: rewritten
    assert "Like telling" in post.read_text()
    edit_episode(project.episodes_dir / "023.yaml", "analogy: Like telling", "analogy: Like asking")
    build(project)
    os.utime(post, ns=(10**18, 10**18))
    assert "blog/023" in build(project, force=True)
    assert post.stat().st_mtime_ns == 10**18  # same bytes: left alone


def test_timings_list_each_phase_and_a_no_op_build_says_so(fiveml) -> None:
    code, _, err = fiveml("build", "--only", "blog,site", "--timings")
    assert code == 0
    phases = re.findall(r"^  (\S.*?) +\d+\.\d{3} s$", err, flags=re.MULTILINE)
    assert phases == ["load and check", "plan", "render and write", "manifest"]
    assert "6 built, 0 up to date, 0 failed" in err
    code, _, err = fiveml("build", "--only", "blog,site", "--timings")
    assert code == 0 and "nothing changed since the last build" in err


def test_problems_of_unchanged_episodes_are_located_without_parsing_again(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reference notes are shown on every check; the positions that locate them are
    remembered in the cache after the first time, so later checks parse nothing."""

    def located(result) -> list[tuple[int, int, str]]:
        return [(p.line, p.column, p.message) for p in references_problems(project, result)]

    first = check_project(project, cache=project.cache_dir)
    shown_first = located(first)
    assert (20, 7) in [(line, column) for line, column, _ in shown_first]  # the first paper
    parsed = count_calls(monkeypatch, load, "parse_yaml")
    again = check_project(project, cache=project.cache_dir)
    assert located(again) == shown_first
    assert located(check_project(project, cache=project.cache_dir)) == shown_first
    episodes_parsed = [name for name in parsed if name != "series.yaml"]
    assert episodes_parsed == ["episodes/023.yaml"]  # once, by the second check; not again


def references_problems(project: Project, result) -> list:
    from pipeline.references.check import check_references

    return check_references(project, result.episodes, online=False, series=result.series)


def test_a_read_only_entry_store_is_still_read(tmp_path: Path) -> None:
    """Each step in a process of its own, as builds are: a process keeps its connection."""
    database = tmp_path / "cache" / "entries.sqlite"

    def in_a_process(code: str) -> str:
        program = f"from pathlib import Path; from pipeline.cache import EntryStore; {code}"
        done = subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    in_a_process(f"EntryStore(Path({str(database)!r})).put('episode', [('key', b'{{}}')])")
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed; it makes the store read-only even for root")
    locked = subprocess.run(
        ["chattr", "+i", str(database), str(database.parent)], capture_output=True
    )
    if locked.returncode != 0:
        pytest.skip(f"chattr +i is not possible here: {locked.stderr.decode().strip()}")
    try:
        found = in_a_process(
            f"store = EntryStore(Path({str(database)!r}));"
            "store.put('episode', [('other', b'{}')]);"  # quietly not written
            "print(store.get('episode', 'key'), store.get('episode', 'other'))"
        )
    finally:
        subprocess.run(["chattr", "-i", str(database), str(database.parent)], check=True)
    assert found == "b'{}' None"


def test_the_entry_store_keeps_old_contents_only_up_to_a_bound(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = project.cache_dir / "entries.sqlite"

    def rows() -> int:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT COUNT(*) FROM entries").fetchone()[0]

    for n in range(12):  # twelve versions of the one episode
        edit_episode(
            project.episodes_dir / "023.yaml", "analogy: Like", f"analogy: Like, {n} times,"
        )
        check_project(project, cache=project.cache_dir)
        assert rows() <= 4 * 2 + 1  # the bound, then the current entry
    parsed = count_calls(monkeypatch, load, "parse_yaml")
    current = check_project(project, cache=project.cache_dir).everyone[0]
    assert "Like, 11 times," in current.episode.concepts[0].analogy
    assert parsed == ["series.yaml"]  # the current content's entry survived the pruning
