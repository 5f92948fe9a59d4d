"""`fiveml serve`: preview build/ on 127.0.0.1, rebuild on change, reload the page after.

The server injects a small script into every HTML page it serves; the script asks
`/__fiveml/version` for the build's version and reloads the page when it changes. The
version changes only after a rebuild has finished and succeeded, so the browser never
shows a half-written build. A build with problems prints them and keeps the last good
build on show. Files are watched with watchfiles.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

from pipeline.errors import ContentError
from pipeline.problems import format_problems
from pipeline.project import Project

RELOAD_SCRIPT = b"""<script>
(function () {
  var seen = null;
  function poll() {
    fetch("/__fiveml/version", {cache: "no-store"}).then(function (r) { return r.text(); })
      .then(function (v) { if (seen !== null && v !== seen) { location.reload(); } seen = v; })
      .catch(function () {}).finally(function () { setTimeout(poll, 500); });
  }
  poll();
})();
</script>
"""


class BuildState:
    """The version the pages poll; bumped after each successful rebuild."""

    def __init__(self) -> None:
        self.version = 0
        self.lock = threading.Lock()

    def bump(self) -> None:
        with self.lock:
            self.version += 1


def rebuild(
    project: Project, state: BuildState, stages: tuple[str, ...] = (), quiet: bool = False
) -> bool:
    from pipeline.build import BuildOptions, build_project

    try:
        report = build_project(project, BuildOptions(only=stages, quiet=quiet))
    except ContentError as exc:
        print(format_problems(exc.problems, "text"), file=sys.stderr)
        print("serve: kept the last good build; fix the problems above", file=sys.stderr)
        return False
    if report.ok:
        state.bump()
    if quiet:
        print(
            f"serve: {report.built} rebuilt, {report.failed} failed in {report.seconds:.3f} s",
            file=sys.stderr,
            flush=True,
        )
    return report.ok


def make_handler(build_dir: Path, state: BuildState) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/__fiveml/version"):
                body = str(state.version).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if path.suffix == ".html" and path.is_file():
                body = path.read_bytes().replace(b"</body>", RELOAD_SCRIPT + b"</body>")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    return functools.partial(Handler, directory=str(build_dir))  # type: ignore[return-value]


def watch_and_rebuild(
    project: Project,
    state: BuildState,
    stop: threading.Event,
    ready: threading.Event,
    stages: tuple[str, ...] = (),
) -> None:
    from watchfiles import watch

    paths = [
        p
        for p in (
            project.episodes_dir,
            project.root / "templates",
            project.series_file,
            project.lock_file,
        )
        if p.exists()
    ]
    # yield_on_timeout: an empty first batch says the watches are in place.
    changes_seen = watch(
        *paths, stop_event=stop, debounce=200, step=50, rust_timeout=200, yield_on_timeout=True
    )
    for changes in changes_seen:
        ready.set()
        if not changes:
            continue
        names = ", ".join(sorted({Path(path).name for _, path in changes}))
        print(f"serve: {names} changed; rebuilding", file=sys.stderr, flush=True)
        rebuild(project, state, stages, quiet=True)


def serve(project: Project, port: int = 8000, stages: tuple[str, ...] = ()) -> None:
    state = BuildState()
    rebuild(project, state, stages)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), make_handler(project.build_dir, state)
    )
    stop, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=watch_and_rebuild, args=(project, state, stop, ready, stages), daemon=True
    )
    watcher.start()
    ready.wait(timeout=10)  # announce only once a change would be seen
    print(
        f"serving {project.display(project.build_dir)}/ at "
        f"http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
