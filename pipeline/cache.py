"""The `.cache/` folder: content-keyed entries that make repeated work free.

Entries are written atomically and best-effort: a cache that cannot be written (a
read-only checkout, a full disk) only costs speed, never a failure.
"""

from __future__ import annotations

import os
from pathlib import Path


def store(path: Path, data: bytes) -> None:
    """Write an entry atomically; give up quietly when the folder is not writable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError:
        pass
