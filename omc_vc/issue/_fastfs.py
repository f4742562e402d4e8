"""Linux calls the roster runner uses through ctypes, each with a portable fallback.

* ``syncfs(2)``, a speed lever: one call makes every temporary credential file of a group durable,
  instead of one ``fsync`` per file (the plain path, taken where syncfs is missing: each worker fsyncs
  what it writes). It is kept because it is worth more than 5 % where durability costs something: with
  the credential files on a disk (``batch-scaling-disk``, docs/performance.md, "The levers"). On a RAM
  disk (``batch-scaling``) an fsync costs nothing and both paths measure the same. Both paths are tested
  (tests/unit/test_issue_batch.py replaces :func:`syncfs_function` to take the plain one).
* ``prctl(PR_SET_PDEATHSIG)``, a correctness matter, not a speed lever (kept whatever it measures): a
  signing worker dies with the run that forked it (SIGKILL included), so a killed run never leaves a
  worker holding the issuing lock, and a re-run does not wait for it forever.

Both are asked for by calling a function (no module-level switch).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable
from typing import Final

__all__ = ["die_with_parent", "syncfs_function"]

#: prctl(2) option: the signal the kernel sends this process when the thread that forked it ends.
_PR_SET_PDEATHSIG: Final = 1


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - a Linux without a C library to load
        return None


def syncfs_function() -> Callable[[int], None] | None:
    """syncfs(2) (Linux): every dirty page and inode of the filesystem holding a descriptor is on disk
    when it returns, and a write-back error since the descriptor was opened fails it (Linux >= 5.8).
    None where it is missing."""
    libc = _libc()
    call = getattr(libc, "syncfs", None) if libc is not None else None
    if call is None:
        return None
    call.argtypes = [ctypes.c_int]
    call.restype = ctypes.c_int

    def syncfs(fd: int) -> None:
        if call(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"syncfs: {os.strerror(code)}")

    return syncfs


def die_with_parent(parent: int) -> None:
    """End this (worker) process when ``parent`` ends: left running it would keep the issuing lock (its
    descriptor is inherited) and a re-run would wait for it forever."""
    libc = _libc()
    if libc is None:
        return
    with contextlib.suppress(AttributeError, OSError):
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
