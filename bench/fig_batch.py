"""Figures 3 and 6: batch issuance rate with both cores, and peak memory of a 100,000-credential batch.

Batch rate: ``bench/batch_child.py`` issues the roster end to end in a child process (SQLite state,
status indices, atomic files, index) with ``workers`` = the usable CPUs. The yardstick is the
single-process signing rate measured in this run: building and signing the same credentials in
this process, one after another, as each pool worker does (``build_omc`` + ``sign_omc`` with one
batch ``created``, then JSON serialisation). It is measured before and after the batch and the two
are combined (three segments of ``single_rows / 2`` credentials on each side, their mean rate), so a
burst of outside load, or the machine's speed drifting, during one of them does not decide the figure.

The batch writes one file per credential, and the figures leave their files in place until the suite
ends (``bench/run.py`` deletes its scratch folder last). On ext4 without a journal, as on this
machine, creating a file right after many were deleted is slow: the inode allocator skips every inode
deleted in the last 5-65 seconds (``recently_deleted`` in fs/ext4/ialloc.c), and creating one file
then takes several times the kernel time it takes on a quiet disk. Deleting 10,000 files just before the 100,000-file
run, or a previous figure's files just before the batch, would measure that instead of issuance.
Another run's deletions (the previous ``make bench`` removing its 110,000 files) can do the same for
several minutes, so the disk figure first probes the cost of creating a file in its folder and waits, up
to a minute, until it is that of a quiet disk (its details say what it saw and how long it waited). The
probe's folder sits beside the batch's output folder (same parent), where the effect shows best; it can
still miss part of it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import Figure, Plan, errored, first_missing, info, judged, not_measured
from world import ACHIEVEMENTS, ISSUED, make_institution

HERE = Path(__file__).resolve().parent
SCALING_TARGET = 0.7
MEMORY_TARGET_MB = 300.0


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def single_process_rate(folder: Path, rows: int) -> float:
    """Credentials per second built and signed one after another in this process (after a warm-up)."""
    from omc_vc.issue.status_lists import status_entry
    from omc_vc.omc.builder import Learner, build_omc, issuer_profile, sign_omc

    inst = make_institution(folder)
    config = inst.config
    issuer = issuer_profile(config.did, config.profile)

    def render(n: int) -> str:
        achievement = ACHIEVEMENTS[n % len(ACHIEVEMENTS)]
        credential = build_omc(
            issuer=issuer, achievement=config.achievement(achievement),
            learner=Learner(name=f"Learner {n:06d}", email=f"learner{n:06d}@example.ca", student_number=f"S{n:08d}"),
            status=[status_entry(config.status.list_url(p, 1), n, p) for p in ("revocation", "suspension")],
            issued=ISSUED, completed=ISSUED.date(), result="Pass", policy=config.policy)
        return json.dumps(sign_omc(credential, inst.key, created=ISSUED), indent=2, ensure_ascii=False) + "\n"

    for n in range(len(ACHIEVEMENTS) * 2):  # warm-up: every achievement's contexts and proof configuration
        render(n)
    start = time.perf_counter()
    for n in range(rows):
        render(n)
    return rows / (time.perf_counter() - start)


def _rate_into(queue: Any, folder: Path, rows: int) -> None:
    """A child process of :func:`concurrent_rate`: its single-process rate, put on ``queue``."""
    queue.put(single_process_rate(folder, rows))


def concurrent_rate(folder: Path, rows: int, processes: int) -> float:
    """The summed rate of ``processes`` independent single-process signers run at once (forked children,
    nothing shared but the machine): what this machine gives when all its cores sign, with no issuance
    code in the way: what the batch aims at (each measurement a sample of a drifting machine)."""
    import multiprocessing

    context: Any = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    queue = context.Queue()
    children = [context.Process(target=_rate_into, args=(queue, folder / f"concurrent-{n}", rows))
                for n in range(processes)]
    for child in children:
        child.start()
    rates = [float(queue.get(timeout=600)) for _ in children]
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"a concurrent signer exited with {child.exitcode}")
    return sum(rates)


def run_batch(folder: Path, rows: int, workers: int, *, progress: bool) -> dict[str, Any]:
    """Issue ``rows`` credentials with ``bench/batch_child.py`` in a child process; its JSON report."""
    make_institution(folder / "institution")
    out = folder / "issued"
    command = [sys.executable, str(HERE / "batch_child.py"), "--institution", str(folder / "institution"),
               "--rows", str(rows), "--workers", str(workers), "--out", str(out)]
    if progress:
        command.append("--progress")
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise RuntimeError(f"batch_child.py exited with {completed.returncode}")
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    if report["issued"] != rows or report["files"] != rows:
        raise RuntimeError(f"the batch issued {report['issued']} credentials and wrote {report['files']} files "
                           f"for {rows} rows (first error: {report['first_error']})")
    return report


SEGMENTS = 3  # single-process measurements before the batch, and again after it
SETTLED_US = 100.0  # kernel time to create one empty file below which the filesystem counts as settled
SETTLE_WAIT_S = 60.0  # how long the figure waits for that at most
SETTLE_PROBE_FILES = 500


def file_creation_us(folder: Path) -> float:
    """CPU time (µs, almost all of it in the kernel) to create one empty file in a new folder under
    ``folder``; the files stay (deleting them would slow the next creations: see the module docstring)."""
    probe = Path(tempfile.mkdtemp(prefix="fs-probe-", dir=folder))
    start = time.process_time()
    for n in range(SETTLE_PROBE_FILES):
        os.close(os.open(probe / f"p{n}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return (time.process_time() - start) / SETTLE_PROBE_FILES * 1e6


def settle_filesystem(folder: Path, *, quick: bool) -> dict[str, Any]:
    """Wait (up to SETTLE_WAIT_S) until creating a file in ``folder`` costs what it does on a quiet disk.

    After many deletions ext4 without a journal makes every file creation scan past the inodes deleted
    in the last minutes (module docstring): a batch started then measures that, not issuance. What the
    probe saw, and how long the figure waited, go into the figure's details.
    """
    waited = 0.0
    cost = file_creation_us(folder)
    first = cost
    while cost > SETTLED_US and waited < SETTLE_WAIT_S and not quick:
        print(f"  batch: the filesystem is still slow after recent deletions ({cost:.0f} µs to create a file); "
              "waiting", file=sys.stderr, flush=True)
        time.sleep(15)
        waited += 15
        cost = file_creation_us(folder)
    return {"file_create_us_first": round(first, 1), "file_create_us": round(cost, 1), "waited_s": waited,
            "settled": cost <= SETTLED_US}


def _mean_rate(rates: list[float]) -> float:
    """The rate of equal-sized segments run one after another: their count over their summed time."""
    return len(rates) / sum(1.0 / rate for rate in rates)


BATCH_REPEATS = 5  # batch + yardstick runs of the figure on the RAM disk; the figure is their median


def _batch_ratio(scratch_root: Path, plan: Plan, workers: int, *, probe: bool) -> dict[str, Any]:
    """One batch of ``plan.batch_rows`` between yardstick segments: {"value": ratio, "details": {...}}."""
    segment = max(1, plan.single_rows // 2)
    scratch = Path(tempfile.mkdtemp(prefix="omc-bench-batch-", dir=scratch_root))
    # probed in the folder that will hold the batch's own folders (the same block group, most likely)
    (scratch / "batch").mkdir()
    filesystem = settle_filesystem(scratch / "batch", quick=plan.quick) if probe else None
    befores = [single_process_rate(scratch / f"single-{n}", segment) for n in range(SEGMENTS)]
    # the machine's own ceiling, between the yardstick's segments: all cores signing independently
    together = concurrent_rate(scratch / "concurrent", segment, workers)
    report = run_batch(scratch / "batch", plan.batch_rows, workers, progress=not plan.quick)
    afters = [single_process_rate(scratch / f"single-after-{n}", segment) for n in range(SEGMENTS)]
    # the machine's speed drifts by a quarter from one second to the next: the yardstick is the mean rate
    # over all the segments around the batch (time-weighted: total credentials over total time)
    before, after = _mean_rate(befores), _mean_rate(afters)
    single = _mean_rate(befores + afters)
    details = {"rows": plan.batch_rows, "workers": workers, "batch_rate_per_s": report["rate_per_s"],
               "batch_elapsed_s": report["elapsed_s"], "single_rate_per_s_before": round(before, 2),
               "single_rate_per_s_after": round(after, 2), "single_rows": plan.single_rows,
               "single_segments_per_s": [round(x, 1) for x in (*befores, *afters)],
               "batch_peak_rss_mb": round(report["maxrss_self_kb"] / 1024, 1),
               "worker_peak_rss_mb": round(report["maxrss_workers_kb"] / 1024, 1),
               "cpu_us_per_credential": report.get("cpu_us_per_credential"), "cores_busy": report.get("cores_busy"),
               "yardstick_us_per_credential": round(1e6 / single, 1), "files_in": str(scratch_root),
               "concurrent_signers_rate_per_s": round(together, 2)}
    if filesystem is not None:
        details["filesystem"] = filesystem
    return {"value": report["rate_per_s"] / (workers * single), "ceiling": together / (workers * single),
            "details": details}


def batch_figures(plan: Plan, scratch_root: Path, *, prefer_ram: bool = True) -> list[Figure]:
    """``batch-scaling`` with the files on a RAM disk (the median of BATCH_REPEATS runs), and the same on
    the disk as ``batch-scaling-disk`` (one run, for information).

    What the target asks is how well issuance uses both cores. On this machine's disk (ext4 without a
    journal) creating files costs many times more kernel time for minutes after anything deleted many
    files nearby (module docstring), which swamps the figure: the workers' kernel time per credential
    grows several-fold in such runs. On a RAM disk every step
    still runs (SQLite state with its fsyncs, status indices, a file per credential written, flushed and
    renamed, the index), without the disk's latency. ``--batch-dir`` puts the main figure on a folder of
    your choice instead.
    """
    figure_id, title = "batch-scaling", "batch issuance rate (all cores) / (cores x single-process signing rate)"
    disk_id, disk_title = "batch-scaling-disk", "the same with the files on the disk (information)"
    ceiling_id = "batch-ceiling"
    ceiling_title = "independent signers on all cores at once / (cores x single-process rate): the machine's ceiling"
    missing = first_missing("omc_vc.issue.batch", "omc_vc.omc.builder")
    if missing:
        why = f"not measured (module missing: {missing})"
        return [not_measured(figure_id, title, "x", SCALING_TARGET, ">=", why),
                not_measured(ceiling_id, ceiling_title, "x", None, None, why),
                not_measured(disk_id, disk_title, "x", None, None, why)]
    workers = usable_cpus()
    ram = ram_disk() if prefer_ram else None
    figures: list[Figure] = []
    runs: list[dict[str, Any]] = []
    try:
        for _ in range(1 if plan.quick else BATCH_REPEATS):
            if ram is not None:
                folder = Path(tempfile.mkdtemp(prefix="omc-bench-batch-ram-", dir=ram))
                try:
                    runs.append(_batch_ratio(folder, plan, workers, probe=False))
                finally:
                    shutil.rmtree(folder, ignore_errors=True)  # a tmpfs forgets deletions at once
            else:
                runs.append(_batch_ratio(scratch_root, plan, workers, probe=True))
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}"
        figures += [errored(figure_id, title, "x", SCALING_TARGET, ">=", why),
                    errored(ceiling_id, ceiling_title, "x", None, None, why)]
    else:
        ceilings = sorted(run["ceiling"] for run in runs)
        within = sorted(run["value"] / run["ceiling"] for run in runs)
        per_run = [{"value": round(r["value"], 4), "ceiling": round(r["ceiling"], 4)} for r in runs]
        runs.sort(key=lambda run: run["value"])
        middle = runs[len(runs) // 2]
        details = {**middle["details"], "runs": len(runs), "value_per_run": [round(r["value"], 4) for r in runs],
                   "value_and_ceiling_per_run": per_run,
                   "files_on": "RAM disk (tmpfs)" if ram is not None else str(scratch_root)}
        figures.append(judged(figure_id, title, middle["value"], "x", SCALING_TARGET, ">=",
                              note=f"{plan.batch_rows} OMCs from a CSV end to end with {workers} workers, files on "
                                   f"{'a RAM disk' if ram is not None else scratch_root}; median of {len(runs)} "
                                   "run(s); target: at least 80% of twice the single-process rate",
                              details=details))
        figures.append(info(ceiling_id, ceiling_title, ceilings[len(ceilings) // 2], "x",
                            note=f"{workers} independent single-process signers run at once between the yardstick's "
                                 "segments (no issuance code: what the cores give together); median of the runs. "
                                 "Both are samples of a drifting machine: one batch can read above its ceiling. "
                                 "details.batch_within_ceiling_median is the batch's share of it",
                            details={"ceiling_per_run": [round(c, 4) for c in ceilings],
                                     "batch_within_ceiling_median": round(within[len(within) // 2], 4),
                                     "batch_within_ceiling_per_run": [round(w, 4) for w in within]}))
    if ram is None:
        figures.append(not_measured(disk_id, disk_title, "x", None, None,
                                    "not measured separately: the main figure ran on the disk"))
        return figures
    try:
        # the suite deletes these files only when it ends (bench/run.py): see the module docstring
        disk = _batch_ratio(scratch_root, plan, workers, probe=True)
    except Exception as exc:
        figures.append(errored(disk_id, disk_title, "x", None, None, f"{type(exc).__name__}: {exc}"))
    else:
        figures.append(info(disk_id, disk_title, disk["value"], "x",
                            note="one run; the disk's file creation cost is in details.filesystem",
                            details=disk["details"]))
    return figures


RAM_DISK = Path("/dev/shm")  # noqa: S108 - only ever used through tempfile.mkdtemp (a private 0700 folder)
RAM_DISK_NEEDED = 2 * 1024**3  # 100,000 credential files and the state database, with room to spare


def ram_disk() -> Path | None:
    """A writable tmpfs with room for the memory figure's files, or None."""
    try:
        info = os.statvfs(RAM_DISK)
    except OSError:
        return None
    if info.f_bavail * info.f_frsize < RAM_DISK_NEEDED or not os.access(RAM_DISK, os.W_OK):
        return None
    return RAM_DISK


def memory_figures(plan: Plan, scratch_root: Path, *, prefer_ram: bool = True) -> list[Figure]:
    """Peak RSS issuing 100,000 OMCs. Their files go to a RAM disk when there is one (and ``--batch-dir``
    was not given): written files are not part of any process's RSS, and deleting 110,000 files from ext4
    without a journal would slow every file created on that disk for minutes after (module docstring),
    the next run's batch figure included."""
    figure_id, title = "batch-memory-100k", "peak RSS of one process while batch issuing 100,000 OMCs"
    if plan.skip_large:
        return [not_measured(figure_id, title, "MB", MEMORY_TARGET_MB, "<",
                             "not measured (skipped: --skip-large or --quick; run the full bench)")]
    missing = first_missing("omc_vc.issue.batch", "omc_vc.omc.builder")
    if missing:
        return [not_measured(figure_id, title, "MB", MEMORY_TARGET_MB, "<",
                             f"not measured (module missing: {missing})")]
    ram = ram_disk() if prefer_ram else None
    scratch = Path(tempfile.mkdtemp(prefix="omc-bench-memory-", dir=ram or scratch_root))
    try:
        report = run_batch(scratch, plan.large_rows, usable_cpus(), progress=True)
    except Exception as exc:
        return [errored(figure_id, title, "MB", MEMORY_TARGET_MB, "<", f"{type(exc).__name__}: {exc}")]
    finally:
        if ram is not None:
            shutil.rmtree(scratch, ignore_errors=True)  # RAM back at once; a tmpfs forgets deletions
    peak_kb = max(report["maxrss_self_kb"], report["maxrss_workers_kb"])
    details = {"rows": plan.large_rows, "workers": report["workers"], "elapsed_s": report["elapsed_s"],
               "rate_per_s": report["rate_per_s"], "parent_peak_rss_mb": round(report["maxrss_self_kb"] / 1024, 1),
               "worker_peak_rss_mb": round(report["maxrss_workers_kb"] / 1024, 1),
               "files_on": "RAM disk (tmpfs)" if ram is not None else str(scratch_root)}
    return [judged(figure_id, title, peak_kb / 1024, "MB", MEMORY_TARGET_MB, "<",
                   note="ru_maxrss of the batch process and of its largest pool worker, the larger of the two",
                   details=details)]
