"""Timing and reporting helpers shared by the benchmark figures (``bench/run.py``).

Two rules keep the figures honest on a small, noisy, shared machine:

* every figure is a **median over many runs after a warm-up**;
* every **ratio is taken inside the same run**: the operations compared are timed in interleaved
  rounds (A, B, A, B, ... with the order alternating), the ratio is computed per round and the
  median of those per-round ratios is reported. A burst of load from another process then hits both
  sides of a round instead of skewing one side of the comparison.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Comparator = Literal["<=", ">=", "<"]
Status = Literal["PASS", "FAIL", "NOT MEASURED", "ERROR", "INFO"]


@dataclass
class Figure:
    """One benchmark figure: its value, its target and whether it meets it.

    ``met`` is None when the figure has no target (informational) or was not measured; ``note`` says
    why (a missing module, ``--skip-large``) or how the figure was taken.
    """

    id: str
    title: str
    value: float | None
    unit: str
    target: float | None
    comparator: Comparator | None
    met: bool | None
    status: Status
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "value": self.value, "unit": self.unit, "target": self.target,
                "comparator": self.comparator, "met": self.met, "status": self.status, "note": self.note,
                "details": self.details}


def judged(id_: str, title: str, value: float, unit: str, target: float, comparator: Comparator, *,
           note: str = "", details: dict[str, Any] | None = None) -> Figure:
    """A figure compared with its target."""
    if comparator == "<=":
        met = value <= target
    elif comparator == "<":
        met = value < target
    else:
        met = value >= target
    return Figure(id_, title, round(value, 4), unit, target, comparator, met, "PASS" if met else "FAIL", note,
                  details or {})


def info(id_: str, title: str, value: float, unit: str, *, note: str = "",
         details: dict[str, Any] | None = None) -> Figure:
    """A figure reported for context, with no target of its own."""
    return Figure(id_, title, round(value, 4), unit, None, None, None, "INFO", note, details or {})


def not_measured(id_: str, title: str, unit: str, target: float | None, comparator: Comparator | None,
                 why: str) -> Figure:
    """A figure that could not be taken (a module missing, skipped): never a made-up number."""
    return Figure(id_, title, None, unit, target, comparator, None, "NOT MEASURED", why)


def errored(id_: str, title: str, unit: str, target: float | None, comparator: Comparator | None,
            why: str) -> Figure:
    """A figure whose measurement broke (the operation failed): counts as not meeting its target."""
    return Figure(id_, title, None, unit, target, comparator, False if target is not None else None, "ERROR", why)


@dataclass
class Plan:
    """How much work each figure does: the full run, or ``--quick`` (a smoke run, figures meaningless)."""

    quick: bool
    warmup: int
    rounds: int
    inner: int
    raw_inner: int
    batch_rows: int
    single_rows: int
    pool: int
    service_requests: int
    service_rounds: int
    service_seconds: float
    service_workers: int
    service_concurrency: int
    large_rows: int
    skip_large: bool

    @classmethod
    def full(cls, *, skip_large: bool = False) -> Plan:
        return cls(quick=False, warmup=5, rounds=30, inner=3, raw_inner=400, batch_rows=10_000, single_rows=1000,
                   pool=300, service_requests=15_000, service_rounds=5, service_seconds=60.0, service_workers=2,
                   service_concurrency=8, large_rows=100_000, skip_large=skip_large)

    @classmethod
    def smoke(cls) -> Plan:
        return cls(quick=True, warmup=1, rounds=3, inner=1, raw_inner=50, batch_rows=12, single_rows=4, pool=4,
                   service_requests=12, service_rounds=1, service_seconds=20.0, service_workers=1,
                   service_concurrency=2,
                   large_rows=0, skip_large=True)


@dataclass
class Samples:
    """Per-round seconds per call of each operation: process CPU time (``cpu``) and wall time (``wall``)."""

    cpu: dict[str, list[float]]
    wall: dict[str, list[float]]

    def __getitem__(self, name: str) -> list[float]:
        return self.cpu[name]

    def medians_us(self) -> dict[str, dict[str, float]]:
        return {"cpu": {n: us(median(v)) for n, v in self.cpu.items()},
                "wall": {n: us(median(v)) for n, v in self.wall.items()}}


def interleaved(operations: Mapping[str, Callable[[], object]], *, rounds: int, inner: int | Mapping[str, int],
                warmup: int) -> Samples:
    """Seconds per call of each operation, one sample per round, timed in alternating order.

    Each round times ``inner`` back-to-back calls of every operation (``inner`` may differ per
    operation, e.g. many raw signature checks against one canonicalization) and records the mean per
    call. Every operation is called ``warmup`` times first.

    The figures use the process's CPU time (``time.process_time``): on a shared two-core machine the
    wall clock also counts the time the scheduler gives other processes, which is noise for a
    single-threaded operation. Wall time is recorded beside it (``Samples.wall``).
    """
    names = list(operations)
    counts = {name: (inner[name] if isinstance(inner, Mapping) else inner) for name in names}
    for name in names:
        for _ in range(warmup):
            operations[name]()
    cpu: dict[str, list[float]] = {name: [] for name in names}
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu_clock, wall_clock = time.process_time, time.perf_counter
    for round_number in range(rounds):
        order = names if round_number % 2 == 0 else list(reversed(names))
        for name in order:
            operation = operations[name]
            count = counts[name]
            cpu_start, wall_start = cpu_clock(), wall_clock()
            for _ in range(count):
                operation()
            cpu[name].append((cpu_clock() - cpu_start) / count)
            wall[name].append((wall_clock() - wall_start) / count)
    return Samples(cpu, wall)


def first_missing(*modules: str) -> str | None:
    """The first of ``modules`` that cannot be imported (a figure then reports NOT MEASURED), or None."""
    from importlib import import_module

    for name in modules:
        try:
            import_module(name)
        except ImportError:
            return name
    return None


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def ratio_median(numerator: list[float], denominator: list[float]) -> float:
    """Median of the per-round ratios (both lists come from the same interleaved rounds)."""
    return median([a / b for a, b in zip(numerator, denominator, strict=True) if b > 0])


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in (0, 1]) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def us(seconds: float) -> float:
    """Seconds as microseconds, rounded for the report."""
    return round(seconds * 1e6, 1)


def machine() -> dict[str, Any]:
    """What the figures were measured on (they mean little without it)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "cpus": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "pyld": installed("PyLD"), "cryptography": installed("cryptography"),
            "loadavg": load}
