"""Golden copies of episode 23's text outputs: `make golden` refreshes them on purpose.

The golden series is episode 23 alone, built with the blog and site stages only, so the
copies do not depend on figures or video being built.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pipeline.build import BuildOptions, build_project
from pipeline.project import Project

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDEN_FILES = (
    "023/post.md",
    "023/index.html",
    "023/quick-reference.md",
    "023/quick-reference.csv",
    "023/quick-reference.html",
    "index.html",
    "concepts.html",
    "feed.xml",
    "sitemap.xml",
)


def build_golden_series(root: Path) -> Path:
    """Build episode 23 (blog and site only) in `root`; returns its build/ folder."""
    (root / "episodes").mkdir(parents=True)
    shutil.copy(REPO / "series.yaml", root / "series.yaml")
    shutil.copy(REPO / "episodes" / "023.yaml", root / "episodes" / "023.yaml")
    shutil.copytree(REPO / "templates", root / "templates")
    build_project(Project(root), BuildOptions(only=("blog", "site"), quiet=True, jobs=1))
    return root / "build"


def refresh() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        build = build_golden_series(Path(scratch))
        for name in GOLDEN_FILES:
            target = GOLDEN / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(build / name, target)
            print(f"refreshed tests/golden/{name}")


if __name__ == "__main__":
    refresh()
