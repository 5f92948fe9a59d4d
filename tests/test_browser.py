"""Real pages in a real headless Chromium (Debian's package, driven by Playwright).

Skips with a reason when no Chromium is installed; `.ci/run` installs it.
`make screenshots` saves a screenshot of each page under build/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from pipeline.build import BuildOptions, build_project
from pipeline.project import Project
from tests.conftest import REPO, edit_episode, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
]
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def built(project: Project) -> Path:
    stages = ("blog", "site")
    build_project(project, BuildOptions(only=stages, quiet=True, jobs=1))
    return project.build_dir


def open_page(browser, path: Path, width: int = 375):
    page = browser.new_page(viewport={"width": width, "height": 800})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, failed


def local_links_resolve(page, path: Path) -> list[str]:
    broken = []
    for href in page.eval_on_selector_all("a[href], link[href]", "els => els.map(e => e.href)"):
        parts = urlsplit(href)
        if parts.scheme == "file":
            target = Path(unquote(parts.path))
            if not target.exists():
                broken.append(href)
    return broken


def save_screenshot(page, name: str) -> None:
    if os.environ.get("FIVEML_SCREENSHOTS"):
        folder = REPO / "build" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name), full_page=True)


@pytest.mark.parametrize("page_path", ["023/index.html", "index.html"])
def test_page_in_a_phone_sized_browser(browser, built: Path, page_path: str) -> None:
    path = built / page_path
    page, errors, failed = open_page(browser, path)
    assert errors == []
    assert failed == []
    assert local_links_resolve(page, path) == []
    images_ok = page.eval_on_selector_all(
        "img", "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)"
    )
    assert images_ok
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"horizontal scroll: content is {scroll_width}px wide"
    for name in (
        "Emergent Behavior",
        "Tool Use",
        "Loss Surface Sharpness",
        "Learning Rate Schedules",
        "Canary Deployment",
    ):
        locator = (
            page.get_by_role("heading", name=name)
            if page_path != "index.html"
            else page.get_by_role("link", name=name, exact=True)
        )
        assert locator.first.is_visible(), name
    save_screenshot(page, page_path.replace("/", "-").replace(".html", ".png"))
    page.close()


@pytest.fixture
def full_build(project: Project) -> Path:
    build_project(project, BuildOptions(quiet=True))
    return project.build_dir


@pytest.fixture
def served(full_build: Path, tmp_path: Path):
    """The build tree served under a deep base path by a real HTTP server on 127.0.0.1."""
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    shutil.copytree(full_build, root / "some" / "base")

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/some/base/"
    server.shutdown()
    server.server_close()


def test_site_works_from_a_base_path_and_the_video_plays_with_captions(browser, served) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    bad: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(served + "023/index.html")
    page.wait_for_load_state("networkidle")
    for image in page.locator("figure img").all():  # lazy images load when scrolled to
        image.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert errors == [] and bad == []
    figures = page.eval_on_selector_all(
        "figure img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"
    )
    assert figures == [True] * 5
    page.wait_for_function("document.querySelector('video').readyState >= 1", timeout=15000)
    duration = page.evaluate("document.querySelector('video').duration")
    assert duration > 60
    page.wait_for_function(
        "(() => { const t = document.querySelector('video').textTracks[0];"
        " return t && t.cues && t.cues.length > 0; })()",
        timeout=15000,
    )
    first_cue = page.evaluate("document.querySelector('video').textTracks[0].cues[0].text")
    assert first_cue == "Five ML Concepts, part 23."
    for link in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        if link.startswith(served):
            response = page.request.get(link.split("#")[0])
            assert response.status == 200, link
    save_screenshot(page, "023-served.png")
    page.close()


def test_serve_lists_problems_over_the_page_as_text_and_reloads_once_fixed(
    browser, project: Project
) -> None:
    episode = project.episodes_dir / "023.yaml"
    with serving(project, "--only", "blog,site") as served:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{served.base}/023/index.html")
        overlay = page.locator("#fiveml-problems")
        assert overlay.count() == 0
        # The rule's message quotes the analogy, markup and all: it must show as text.
        markup = '<img src=x onerror="alert(1)">'
        edit_episode(episode, "analogy: Like asking", f"analogy: {markup} asking")
        overlay.wait_for(state="visible", timeout=90_000)
        shown = overlay.text_content() or ""
        assert "episodes/023.yaml:" in shown
        assert "concepts[1].analogy: an analogy starts with 'Like'" in shown
        assert markup in shown
        assert page.locator("#fiveml-problems *").count() == 0  # no element was made of it
        assert page.get_by_text("Like asking a librarian").is_visible()  # the last good build
        save_screenshot(page, "serve-problems.png")
        edit_episode(episode, f"analogy: {markup} asking", "analogy: Like politely asking")
        page.get_by_text("Like politely asking a librarian").wait_for(timeout=90_000)
        assert overlay.count() == 0
        assert dialogs == [] and errors == []
        page.close()


def test_the_video_draft_seeks_under_fiveml_serve(browser, project: Project) -> None:
    """Chromium seeks in media only where the server answers range requests."""
    with serving(project) as served:  # every stage: the page embeds the draft
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{served.base}/023/index.html")
        page.wait_for_function("document.querySelector('video').readyState >= 1", timeout=30_000)
        landed = page.evaluate(
            """() => new Promise(done => {
                const video = document.querySelector('video');
                video.addEventListener('seeked', () => done(video.currentTime), {once: true});
                video.currentTime = 90;
            })"""
        )
        assert 89 <= landed <= 91
        page.close()
