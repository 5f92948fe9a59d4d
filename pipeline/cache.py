"""The `.cache/` folder: content-keyed entries that make repeated work free.

Entries are written atomically and best-effort: a cache that cannot be written (a
read-only checkout, a full disk) only costs speed, never a failure.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Iterable
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


class EntryStore:
    """Content-keyed blobs in one SQLite file: the validated episodes and their source
    positions. A thousand episodes make one file rather than a thousand (creating files is
    the slowest thing a cold build does here), and new entries go in in one transaction.

    Best-effort like every cache: a store that cannot be opened, read or written reads as
    empty. Each process opens its own connection: a connection must not cross a fork.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, kind: str, key: str) -> bytes | None:
        database = self._database()
        if database is None:
            return None
        try:
            row = database.execute(
                "SELECT data FROM entries WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        data = row[0]  # a damaged store may hold text (or anything) where bytes belong
        return data.encode("utf-8") if isinstance(data, str) else bytes(data or b"")

    def put(self, kind: str, items: Iterable[tuple[str, bytes]]) -> None:
        database = self._database()
        if database is None:
            return
        try:
            with database:  # one transaction
                database.executemany(
                    "INSERT OR REPLACE INTO entries (kind, key, data) VALUES (?, ?, ?)",
                    ((kind, key, data) for key, data in items),
                )
        except sqlite3.Error:
            pass

    def keep_only(self, keys: set[str], slack: int = 4) -> None:
        """Drop the entries of older file contents once they outnumber the current ones
        `slack` times over: the store stays bounded, and switching between a few
        branches still finds their entries."""
        database = self._database()
        if database is None:
            return
        try:
            (count,) = database.execute("SELECT COUNT(*) FROM entries").fetchone()
            if count <= slack * max(len(keys), 1) * 2:  # an episode and its positions
                return
            with database:
                database.execute("CREATE TEMP TABLE IF NOT EXISTS kept (key TEXT PRIMARY KEY)")
                database.execute("DELETE FROM kept")
                database.executemany("INSERT OR IGNORE INTO kept VALUES (?)", ((k,) for k in keys))
                database.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM kept)")
        except sqlite3.Error:
            pass

    def _database(self) -> sqlite3.Connection | None:
        slot = (os.getpid(), str(self.path))
        if slot not in _DATABASES:
            _DATABASES[slot] = _open_database(self.path)
        return _DATABASES[slot]

    def __getstate__(self) -> dict[str, object]:
        return {"path": self.path}  # a spawned worker opens its own connection

    def __setstate__(self, state: dict[str, object]) -> None:
        self.path = state["path"]  # type: ignore[assignment]


_DATABASES: dict[tuple[int, str], sqlite3.Connection | None] = {}


def _open_database(path: Path) -> sqlite3.Connection | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        database = sqlite3.connect(path, timeout=10)
        # WAL: readers never wait for a writer; NORMAL: no sync on every commit (a cache
        # may lose its last entries in a power cut, but is never left corrupt).
        database.execute("PRAGMA journal_mode=WAL")
        database.execute("PRAGMA synchronous=NORMAL")
        database.execute(
            "CREATE TABLE IF NOT EXISTS entries"
            " (kind TEXT, key TEXT, data BLOB, PRIMARY KEY (kind, key)) WITHOUT ROWID"
        )
    except (OSError, sqlite3.Error):
        return _open_read_only(path)
    return database


def _open_read_only(path: Path) -> sqlite3.Connection | None:
    """A store on a read-only disk (a shared CI cache, say) is still read."""
    if not path.is_file():
        return None
    try:
        database = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
        database.execute("SELECT 1 FROM entries LIMIT 1")
    except sqlite3.Error:
        return None
    return database
