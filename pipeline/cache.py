"""The `.cache/` folder: content-keyed entries that make repeated work free.

Entries are written atomically and best-effort: a cache that cannot be written (a
read-only checkout, a full disk) only costs speed, never a failure.
"""

from __future__ import annotations

import hashlib
import os
import time
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


# Content digests of files, remembered within one process by (size, mtime, inode): the
# build's up-to-date stamp and the episode snapshot both hash every episode, and `serve`
# hashes them again on every change. As in git's index, a file modified in the last two
# seconds is not remembered: two writes within one tick of the file system's clock can
# leave the same size and mtime.
_FILE_DIGESTS: dict[str, tuple[tuple[int, int, int], bytes]] = {}
_SETTLED_NS = 2_000_000_000


def file_digest(path: Path | str) -> bytes | None:
    """The sha256 of a file's bytes; None when it cannot be read."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
        identity = (info.st_size, info.st_mtime_ns, info.st_ino)
        known = _FILE_DIGESTS.get(name)
        if known is not None and known[0] == identity:
            return known[1]
        with open(name, "rb") as handle:
            digest = hashlib.sha256(handle.read()).digest()
    except OSError:
        return None
    if time.time_ns() - info.st_mtime_ns > _SETTLED_NS:
        _FILE_DIGESTS[name] = (identity, digest)
    return digest
