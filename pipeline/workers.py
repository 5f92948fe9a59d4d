"""Worker processes for the build's pools: forked when that is safe, spawned otherwise.

A forked worker inherits the parent's memory, so the build's payloads need no pickling.
Forking is only safe in a process with a single thread: a lock held by another thread
at the moment of the fork (the import lock, a stream's lock) stays held forever in the
child. `fiveml serve` runs its builds beside the HTTP server's and the watcher's
threads, so its pools spawn fresh interpreters and pickle what they send.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from multiprocessing.context import BaseContext


def can_fork() -> bool:
    # Linux only: on macOS a forked child can crash in the system's frameworks, which is
    # why Python spawns there by default.
    return sys.platform.startswith("linux") and threading.active_count() == 1


def pool_context() -> BaseContext:
    """The context for a worker pool: fork when `can_fork()`, else a spawning one."""
    if can_fork():
        return multiprocessing.get_context("fork")
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
