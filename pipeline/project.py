"""Where things are: the project root and its contract layout (see the README)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import UsageError

EPISODE_FILE = re.compile(r"^(\d{3,4})\.yaml$")


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def series_file(self) -> Path:
        return self.root / "series.yaml"

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    @property
    def templates_dir(self) -> Path:
        own = self.root / "templates"
        return own if own.is_dir() else PACKAGE_TEMPLATES

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def cache_dir(self) -> Path:
        """Content-keyed caches (load, rules, slides, narration); safe to delete."""
        return self.root / ".cache"

    @property
    def lock_file(self) -> Path:
        return self.root / "references.lock.json"

    def display(self, path: Path) -> str:
        """A path as printed in problems: relative to the project root when inside it."""
        text, root = str(path), str(self.root)
        if text.startswith(root + os.sep) and f"{os.sep}..{os.sep}" not in text:
            return Path(text[len(root) + 1 :]).as_posix()  # the common case: no resolve()
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def episode_path(self, number: int) -> Path:
        return self.episodes_dir / f"{number:03d}.yaml"

    def episode_files(self) -> list[Path]:
        """Every episode file, in episode order (files with other names are ignored)."""
        if not self.episodes_dir.is_dir():
            return []
        files = [p for p in self.episodes_dir.iterdir() if EPISODE_FILE.match(p.name)]
        return sorted(files, key=lambda p: int(EPISODE_FILE.match(p.name)[1]))  # type: ignore[index]

    def select(self, arguments: list[str]) -> list[Path]:
        """Episode files named on the command line: '23', '023' or a path; all when empty."""
        if not arguments:
            return self.episode_files()
        chosen = []
        for arg in arguments:
            if arg.isdigit():
                path = self.episode_path(int(arg))
            else:
                path = Path(arg) if Path(arg).is_absolute() else Path.cwd() / arg
            if not path.is_file():
                raise UsageError(
                    f"no episode file {self.display(path)}; "
                    f"the episodes are in {self.display(self.episodes_dir)}/"
                )
            chosen.append(path)
        return chosen


PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def find_project(start: Path | None = None) -> Project:
    """The nearest folder at or above `start` holding series.yaml or episodes/."""
    override = os.environ.get("FIVEML_ROOT")
    if override:
        return Project(Path(override).resolve())
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "series.yaml").is_file() or (folder / "episodes").is_dir():
            return Project(folder)
    raise UsageError(
        f"no series here: {here} and its parents hold no series.yaml or episodes/ folder; "
        "run fiveml inside the project"
    )
