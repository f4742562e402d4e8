"""Atomic writes: the old content survives a failure mid-write, no temp file is left, modes are kept."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from omc_vc._internal import atomic


def test_failure_mid_stream_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "index.json"
    atomic.write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic.streamed_text(target) as handle:
        handle.write("half of the new content")
        raise RuntimeError("crash")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["index.json"]


def test_failure_in_write_bytes_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "k.json"
    atomic.write_bytes(target, b"old", mode=0o600)

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        atomic.write_bytes(target, b"new", mode=0o600)
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["k.json"]


def test_modes_and_content(tmp_path: Path) -> None:
    secret = tmp_path / "sub" / "secret.key"
    atomic.write_json(secret, {"a": "é"}, mode=0o600)
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert secret.read_text(encoding="utf-8") == '{\n  "a": "é"\n}\n'
    with atomic.streamed_text(tmp_path / "s.csv") as handle:
        handle.write("a\r\nb\n")
    assert (tmp_path / "s.csv").read_bytes() == b"a\r\nb\n"  # newline="" : written as given
