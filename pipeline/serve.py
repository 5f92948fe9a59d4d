"""`fiveml serve`: preview build/ on 127.0.0.1, rebuild on change, reload the page after.

The server injects a small script into every HTML page it serves; the script long-polls
`/__fiveml/status` for the build's version and current problems (the server answers as
soon as a rebuild ends, instead of the page asking every half second). It reloads when
the version changes, which happens only after a rebuild has finished and succeeded, so the
browser never shows a half-written build. A rebuild with problems keeps the last good
build on show, prints the problems and lists them over the page (as text: episode text is
never interpreted as HTML) until a rebuild succeeds. Files are watched with watchfiles.
"""

from __future__ import annotations

import errno
import functools
import html
import http.server
import json
import re
import sys
import threading
import urllib.parse
from pathlib import Path

from pipeline.errors import ContentError, UsageError
from pipeline.problems import format_problems
from pipeline.project import EPISODE_FILE, Project

# The overlay's text is set with textContent, never innerHTML: problem messages quote the
# episode's own text.
LIVE_SCRIPT = b"""<script>
(function () {
  var seen = null, box = null;
  function show(problems) {
    if (!problems.length) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "fiveml-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:50vh;" +
        "overflow:auto;margin:0;padding:1em;z-index:2147483647;white-space:pre-wrap;" +
        "font:13px/1.4 monospace;background:#2b0b0b;color:#ffdede;border-top:3px solid #e5484d";
      document.body.appendChild(box);
    }
    box.textContent = "fiveml serve: the last rebuild failed; this page is the last good " +
      "build.\\n\\n" + problems.join("\\n");
  }
  // A long poll: the server answers as soon as a rebuild ends (or after a while).
  function poll(after) {
    var query = after === null ? "" : "?after=" + after;
    fetch("/__fiveml/status" + query, {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (seen !== null && s.version !== seen) { location.reload(); return; }
        seen = s.version;
        show(s.problems);
        poll(s.rebuilds);
      })
      .catch(function () { setTimeout(function () { poll(null); }, 1000); });
  }
  poll(null);
})();
</script>
"""


# How long a page's status request may wait for a rebuild before it is answered anyway.
LONG_POLL_SECONDS = 25.0


class BuildState:
    """What the pages ask for: the version, bumped after each successful rebuild; the
    problems of the last rebuild (none once a rebuild succeeds); and how many rebuilds
    have ended, which a waiting request watches."""

    def __init__(self) -> None:
        self.version = 0
        self.problems: list[str] = []
        self.rebuilds = 0
        self.rebuilt = threading.Condition()

    def succeeded(self) -> None:
        with self.rebuilt:
            self.version += 1
            self.problems = []
            self._ended()

    def failed(self, problems: list[str]) -> None:
        with self.rebuilt:
            self.problems = problems
            self._ended()

    def _ended(self) -> None:
        self.rebuilds += 1
        self.rebuilt.notify_all()

    def status_json(self, after: int | None = None, wait: float = LONG_POLL_SECONDS) -> bytes:
        """The status now or, given the rebuild count a page last saw, once another
        rebuild has ended (at most `wait` seconds later)."""
        with self.rebuilt:
            if after is not None:
                self.rebuilt.wait_for(lambda: self.rebuilds != after, timeout=wait)
            status = {"version": self.version, "problems": self.problems}
            return json.dumps({**status, "rebuilds": self.rebuilds}).encode()


def rebuild(
    project: Project, state: BuildState, stages: tuple[str, ...] = (), quiet: bool = False
) -> bool:
    from pipeline.build import BuildOptions, build_project

    try:
        report = build_project(project, BuildOptions(only=stages, quiet=quiet))
    except ContentError as exc:
        text = format_problems(exc.problems, "text")
        print(text, file=sys.stderr)
        print("serve: kept the last good build; fix the problems above", file=sys.stderr)
        state.failed(text.splitlines())
        return False
    except Exception as exc:  # a refusing disk, or a bug: reported, and the watching goes on
        message = f"the rebuild failed: {type(exc).__name__}: {exc}"
        print(f"serve: {message}", file=sys.stderr, flush=True)
        state.failed([message])
        return False
    if report.ok:
        state.succeeded()
    else:
        state.failed(report.failures)
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

        def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/__fiveml/status"):
                self._send(state.status_json(_after(self.path)), "application/json")
                return
            if self.path.startswith("/__fiveml/version"):  # for scripts: the version alone
                self._send(str(state.version).encode(), "text/plain")
                return
            path = Path(self.translate_path(self.path))
            if path.is_dir() or self.path.split("?")[0].endswith("/"):
                path = path / "index.html"
            if path.suffix == ".html":
                if path.is_file():
                    page, status = path.read_bytes(), 200
                else:  # not built (yet): a page that shows why and reloads once it is
                    page, status = _not_built_page(self.path), 404
                body = page.replace(b"</body>", LIVE_SCRIPT + b"</body>")
                self._send(body, "text/html; charset=utf-8", status)
                return
            if "Range" in self.headers and path.is_file():
                self._send_range(path, self.headers["Range"])
                return
            super().do_GET()

        def _send_range(self, path: Path, header: str) -> None:
            """Part of a file (206), as browsers ask for media: without it Chromium
            cannot seek in the video draft. One range per request; other forms of the
            header are ignored and the whole file is sent, as RFC 9110 allows."""
            size = path.stat().st_size
            wanted = byte_range(header, size)
            if wanted is None:
                super().do_GET()
                return
            if wanted == UNSATISFIABLE:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            first, last = wanted
            with open(path, "rb") as handle:
                handle.seek(first)
                body = handle.read(last - first + 1)
            self.send_response(206)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return functools.partial(Handler, directory=str(build_dir))  # type: ignore[return-value]


UNSATISFIABLE = (-1, -1)
_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte of a single `Range: bytes=...` header over a file of
    `size` bytes; UNSATISFIABLE when it starts past the end; None when it is not one
    byte range (several, or another unit), which is answered with the whole file."""
    match = _SINGLE_RANGE.fullmatch(header.strip())
    if match is None or not (match[1] or match[2]):
        return None
    if match[1]:  # "first-" or "first-last"
        first = int(match[1])
        last = min(int(match[2]), size - 1) if match[2] else size - 1
    else:  # "-n": the last n bytes
        first, last = max(0, size - int(match[2])), size - 1
    if first >= size or first > last:
        return UNSATISFIABLE
    return first, last


def _after(request_path: str) -> int | None:
    """The `after` of `/__fiveml/status?after=N`: the rebuild count the page last saw."""
    values = urllib.parse.parse_qs(urllib.parse.urlsplit(request_path).query).get("after", [])
    return int(values[0]) if values and values[0].isdigit() else None


def _listen(port: int, handler: type[http.server.BaseHTTPRequestHandler]) -> http.server.HTTPServer:
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on 127.0.0.1 is in use (another fiveml serve?); "
                "choose another with --port N, or --port 0 for any free port"
            ) from None
        raise


def _not_built_page(request_path: str) -> bytes:
    where = html.escape(request_path.split("?")[0])
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Not built: {where}</title></head><body><h1>Not built (yet)</h1>"
        f"<p><code>{where}</code> is not in build/. This page reloads after the next "
        "successful rebuild.</p></body></html>\n"
    ).encode()


def watch_and_rebuild(
    project: Project,
    state: BuildState,
    stop: threading.Event,
    ready: threading.Event,
    stages: tuple[str, ...] = (),
) -> None:
    from watchfiles import DefaultFilter, watch

    ignored_by_default = DefaultFilter()

    def is_input(change: object, path: str) -> bool:
        """Episode files, templates and settings; not editors' or tools' temporary files
        (watchfiles' own list, plus hidden files and sed's 'sedXXXXXX' in episodes/)."""
        name = Path(path).name
        if name.startswith(".") or not ignored_by_default(change, path):  # type: ignore[arg-type]
            return False
        if Path(path).parent == project.episodes_dir:
            return EPISODE_FILE.match(name) is not None
        return True

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
        *paths,
        watch_filter=is_input,
        stop_event=stop,
        debounce=200,
        step=50,
        rust_timeout=200,
        yield_on_timeout=True,
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
    server = _listen(port, make_handler(project.build_dir, state))  # before the first build
    rebuild(project, state, stages)
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
