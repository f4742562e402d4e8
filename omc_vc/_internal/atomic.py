"""Atomic file writes: temp file in the same folder, fsync, os.replace, fsync of the folder.

A crash at any point leaves either the old file or the new one, never a mix (DESIGN decision 10).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def _replacing(path: str | os.PathLike[str], mode: int, open_mode: str, sync_dir: bool) -> Iterator[IO[Any]]:
    """The one atomic-replace sequence: temp file in the same folder, write, fsync, os.replace, then the
    folder fsync (unless the caller does it once for a group). On any error the temp file goes."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        text = "b" not in open_mode
        with open(fd, open_mode, encoding="utf-8" if text else None, newline="" if text else None) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if sync_dir:
        fsync_dir(target.parent)


def write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644, sync_dir: bool = True) -> None:
    """Write ``data`` atomically. ``sync_dir=False`` leaves the folder fsync to the caller, who then
    calls :func:`fsync_dir` once for a whole group of files (batch issuance)."""
    with _replacing(path, mode, "wb", sync_dir) as handle:
        handle.write(data)


@contextlib.contextmanager
def streamed_text(path: str | os.PathLike[str], *, mode: int = 0o644) -> Iterator[IO[str]]:
    """Write a text file as a stream, atomically (what :func:`write_text` does, without the whole text
    in memory)."""
    with _replacing(path, mode, "w", True) as handle:
        yield handle


def write_text(path: str | os.PathLike[str], text: str, *, mode: int = 0o644) -> None:
    write_bytes(path, text.encode("utf-8"), mode=mode)


def write_json(path: str | os.PathLike[str], value: Any, *, mode: int = 0o644) -> None:
    write_text(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n", mode=mode)


def fsync_dir(folder: Path) -> None:
    """fsync a folder so a rename in it is durable (best effort where the platform refuses)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
