"""Locate the data directories shipped with omc-vc (bundled contexts, trust anchors, demo keys).

In the installed wheel they live inside the package (``omc_vc/_contexts``, ``omc_vc/_keys``, placed there
by the build, see pyproject.toml); in a source checkout they are the top-level ``contexts/`` and
``keys/`` folders beside ``omc_vc/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _locate(installed: str, source: str) -> Path:
    inside = _PACKAGE_DIR / installed
    if inside.is_dir():
        return inside
    beside = _PACKAGE_DIR.parent / source
    if beside.is_dir():
        return beside
    raise FileNotFoundError(f"omc-vc data folder {source!r} not found (looked in {inside} and {beside})")


@cache
def contexts_dir() -> Path:
    """The folder holding the bundled JSON-LD contexts."""
    return _locate("_contexts", "contexts")


@cache
def keys_dir() -> Path:
    """The folder holding trust anchors and the clearly-labelled demo keys."""
    return _locate("_keys", "keys")
