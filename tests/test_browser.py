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
from tests.conftest import REPO

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
