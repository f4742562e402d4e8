"""Run one batch issuance end to end in its own process and report its rate and peak memory (JSON on stdout).

Used by ``bench/run.py`` for the batch-issuance and memory figures: a roster CSV of ``--rows``
learners is written first (not timed), then ``omc_vc.issue.batch.issue_roster`` runs the Issuer over it
exactly as ``omc issue --roster`` does: the SQLite store, status-index reservations, one file per credential written
atomically, the index at the end, signing in a process pool of ``--workers``.

Peak memory is ``ru_maxrss`` of this process (``RUSAGE_SELF``) and of its pool workers
(``RUSAGE_CHILDREN``, the largest one), in kilobytes as Linux reports them.

Example::

    .venv/bin/python bench/batch_child.py --institution /tmp/inst --rows 10000 --workers 2 --out /tmp/out
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from world import roster_csv


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--institution", type=Path, required=True, help="folder holding institution.yaml")
    parser.add_argument("--rows", type=int, required=True, help="learners in the roster")
    parser.add_argument("--workers", type=int, default=2, help="signing processes (default 2)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the issued credentials")
    parser.add_argument("--progress", action="store_true", help="progress lines on stderr")
    args = parser.parse_args(argv)

    from omc_vc.issue.batch import issue_roster
    from omc_vc.issue.config import load_config
    from omc_vc.issue.issuer import Issuer
    from omc_vc.issue.sqlite_store import SqliteStore

    config = load_config(args.institution / "institution.yaml")
    key = config.load_key()
    roster = args.institution / "roster.csv"
    roster.write_bytes(roster_csv(args.rows))
    step = max(1, args.rows // 20)
    last = [0]

    def progress(done: int, total: int) -> None:
        if args.progress and (done - last[0] >= step or done == total):
            last[0] = done
            print(f"  batch: {done}/{total}", file=sys.stderr, flush=True)

    self_before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    store = SqliteStore(config.state_path)
    report = issue_roster(Issuer(config=config, key=key, store=store), roster, args.out, workers=args.workers,
                          progress=progress)
    elapsed = time.perf_counter() - start
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    workers_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, all reaped by now
    issued = max(1, len(report.issued))
    files = sum(1 for path in args.out.glob("*.json") if path.name != "index.json")
    result = {
        "rows": args.rows, "workers": args.workers, "issued": len(report.issued), "errors": len(report.errors),
        "first_error": str(report.errors[0]) if report.errors else None, "files": files,
        "elapsed_s": round(elapsed, 3), "rate_per_s": round(len(report.issued) / elapsed, 2) if elapsed else None,
        "maxrss_self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "maxrss_workers_kb": workers_cpu.ru_maxrss,
        # CPU per credential (µs): where the time went, and how busy both cores were
        "cpu_us_per_credential": {
            "parent_user": round((self_after.ru_utime - self_before.ru_utime) / issued * 1e6, 1),
            "parent_system": round((self_after.ru_stime - self_before.ru_stime) / issued * 1e6, 1),
            "workers_user": round(workers_cpu.ru_utime / issued * 1e6, 1),
            "workers_system": round(workers_cpu.ru_stime / issued * 1e6, 1)},
        "cores_busy": round(((self_after.ru_utime - self_before.ru_utime) + (self_after.ru_stime - self_before.ru_stime)
                             + workers_cpu.ru_utime + workers_cpu.ru_stime) / elapsed, 3) if elapsed else None,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
