"""A whole-build stamp: one digest over every input, so a no-op build is a few reads.

Before anything heavy is imported, `fiveml build` hashes the contents of every input
(episodes, series.yaml, templates, the reference lock, the pipeline's own code) together
with the build options. When the digest equals the one stamped by the last successful
build and every output recorded in the manifest still exists, nothing can have changed.
Content hashes, not modification times: a touched but unchanged file is still unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pipeline.cache import file_digest

STAMP = ".stamp.json"
CODE = Path(__file__).resolve().parent


def inputs_digest(root: Path, options: dict[str, object]) -> str:
    digest = hashlib.sha256(json.dumps(options, sort_keys=True).encode())
    groups = [
        sorted((root / "episodes").glob("*.yaml")),
        [root / "series.yaml", root / "references.lock.json"],
        sorted(p for p in (root / "templates").rglob("*") if p.is_file()),
        sorted(CODE.rglob("*.py")),
    ]
    for group in groups:
        for path in group:
            digest.update(str(path).encode() + b"\0" + (file_digest(path) or b"\0missing"))
    return digest.hexdigest()


def is_up_to_date(build_dir: Path, digest: str) -> bool:
    try:
        stamp = json.loads((build_dir / STAMP).read_text())
        manifest = json.loads((build_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    if stamp.get("digest") != digest:
        return False
    files = [f for target in manifest.get("targets", {}).values() for f in target["files"]]
    return all_on_disk(os.fspath(build_dir), files)


def all_on_disk(build_dir: str, files: list[str]) -> bool:
    """Whether every one of these outputs (paths relative to build/) exists."""
    return all(os.path.isfile(os.path.join(build_dir, f)) for f in files)


def write_stamp(build_dir: Path, digest: str) -> None:
    path = build_dir / STAMP
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"digest": digest}) + "\n")
    temporary.replace(path)


def clear_stamp(build_dir: Path) -> None:
    (build_dir / STAMP).unlink(missing_ok=True)
