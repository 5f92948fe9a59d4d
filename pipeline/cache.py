"""The `.cache/` folder: content-keyed entries that make repeated work free.

Entries are written atomically and best-effort: a cache that cannot be written (a
read-only checkout, a full disk) only costs speed, never a failure.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def store(path: Path, data: bytes) -> None:
    """Write an entry atomically; give up quietly when the folder is not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError:
        pass


@lru_cache(maxsize=32)
def code_version(*names: str) -> str:
    """Hash of pipeline source files (names relative to the package; a folder means every
    .py in it), so that a code change invalidates what that code produced."""
    digest = hashlib.sha256()
    for name in names:
        path = PACKAGE / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(PACKAGE).as_posix().encode() + b"\0")
            digest.update(file.read_bytes())
    return digest.hexdigest()
