"""omc-vc benchmark suite: ``make bench`` (= ``.venv/bin/python bench/run.py``).

Measures, on the typical OMC the tests use, every speed figure against its target and
prints one line per figure (value, target, PASS/FAIL), then writes them as JSON (``--out``, default
``bench/results/latest.json``). Figures are medians over many runs after a warm-up; every ratio is
taken inside the same run from interleaved rounds (see ``bench/common.py``). A figure whose module
does not exist yet says "NOT MEASURED" instead of inventing a number. The exit status is 0 when the
suite ran, whatever the figures (``--strict``: 1 when any measured figure misses its target).

Groups (``--only``): di (Data Integrity sign/verify), jwt, checks (registry + status overhead),
service (omc serve under load), batch (10,000 OMCs with all cores), memory (100,000 OMCs, long), store
(issuing through omc serve on PostgreSQL with one and two processes against SQLite, and how soon a status change
made through one process is served by another: needs a PostgreSQL server; bench/fig_store.py).

Examples::

    .venv/bin/python bench/run.py                      # the full suite (15-40 minutes, with the memory run)
    .venv/bin/python bench/run.py --skip-large         # everything but the 100,000-credential batch
    .venv/bin/python bench/run.py --quick --out /tmp/smoke.json    # smoke run: figures meaningless
    .venv/bin/python bench/run.py --only di,jwt
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Figure, Plan, errored, machine, not_measured  # noqa: E402

GROUPS = ("di", "jwt", "checks", "service", "batch", "memory", "store")
#: Groups a --quick smoke run leaves out unless --only names them (store: a PostgreSQL cluster and three services).
NOT_QUICK = ("store",)
DEFAULT_OUT = HERE / "results" / "latest.json"

#: Every figure the suite reports, by group: (id, title, unit, target, comparator). Used to report a
#: whole group as NOT MEASURED when the code it measures cannot even be imported.
EXPECTED: dict[str, list[tuple[str, str, str, float | None, Any]]] = {
    "di": [("di-sign-vs-raw", "eddsa-rdfc-2022 sign / raw Ed25519 verify", "x", 8.0, "<="),
           ("di-verify-vs-raw", "eddsa-rdfc-2022 verify / raw Ed25519 verify", "x", 8.0, "<="),
           ("di-sign-batch-vs-raw", "eddsa-rdfc-2022 sign, batch / raw verify", "x", None, None),
           ("di-sign-speedup-vs-stock", "sign: stock-pyld time / our time", "x", 3.0, ">="),
           ("di-verify-speedup-vs-stock", "verify: stock-pyld time / our time", "x", 3.0, ">="),
           ("pyld-normalize-vs-raw", "pure pyld normalize / raw verify", "x", None, None)],
    "jwt": [("jwt-verify-vs-raw", "VC-JWT verify / raw Ed25519 verify", "x", 2.5, "<=")],
    "checks": [("warm-checks-overhead", "registry + status checks added to a verification", "fraction", 0.10, "<")],
    "service": [("service-throughput", "service rate / (in-process rate x workers)", "x", 0.6, ">="),
                ("service-p99-vs-median", "service p99 / median latency", "x", 10.0, "<")],
    "batch": [("batch-scaling", "batch rate / (cores x single-process rate)", "x", 0.7, ">="),
              ("batch-ceiling", "independent signers on all cores / (cores x single-process rate)", "x", None, None),
              ("batch-scaling-disk", "the same with the files on the disk (information)", "x", None, None)],
    "memory": [("batch-memory-100k", "peak RSS batch issuing 100,000 OMCs", "MB", 300.0, "<")],
    "store": [("store-issue-sqlite-rate", "VC-API issue rate, one process, SQLite", "per s", None, None),
              ("store-issue-pg1-vs-sqlite", "issue rate, one process on PostgreSQL / one on SQLite", "x", None, None),
              ("store-issue-pg2-vs-sqlite", "issue rate, two processes on one PostgreSQL / one on SQLite", "x", None,
               None),
              ("store-status-latency-ms", "revoke via one process until the other serves the bit (median)", "ms",
               None, None)],
}


def _group_failed(group: str, why: str, *, error: bool) -> list[Figure]:
    """Every figure of ``group`` as ERROR (the measurement broke) or NOT MEASURED (code missing)."""
    make = errored if error else not_measured
    return [make(fid, title, unit, target, comparator, why) for fid, title, unit, target, comparator in EXPECTED[group]]


def _run_group(group: str, runner: Callable[[], list[Figure]]) -> list[Figure]:
    print(f"[{time.strftime('%H:%M:%S')}] {group} ...", file=sys.stderr, flush=True)
    try:
        return runner()
    except ImportError as exc:
        return _group_failed(group, f"not measured (module missing: {exc.name or exc})", error=False)
    except Exception as exc:
        return _group_failed(group, f"{type(exc).__name__}: {exc}", error=True)


def _format_value(figure: Figure) -> str:
    if figure.value is None:
        return "-"
    if figure.unit == "fraction":
        return f"{figure.value * 100:.1f}%"
    if figure.unit == "x":
        return f"{figure.value:.2f}x"
    return f"{figure.value:.1f} {figure.unit}"


def _format_target(figure: Figure) -> str:
    if figure.target is None or figure.comparator is None:
        return "(info)"
    if figure.unit == "fraction":
        return f"{figure.comparator} {figure.target * 100:.0f}%"
    if figure.unit == "x":
        return f"{figure.comparator} {figure.target:g}x"
    return f"{figure.comparator} {figure.target:g} {figure.unit}"


def print_table(figures: list[Figure]) -> None:
    width = max(len(f.id) for f in figures)
    print(f"{'figure':<{width}}  {'value':>10}  {'target':>10}  result")
    print(f"{'-' * width}  {'-' * 10}  {'-' * 10}  ------")
    for figure in figures:
        line = f"{figure.id:<{width}}  {_format_value(figure):>10}  {_format_target(figure):>10}  {figure.status}"
        if figure.status in ("NOT MEASURED", "ERROR"):
            line += f"  -- {figure.note}"
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run with a tiny workload (implies --skip-large; figures meaningless)")
    parser.add_argument("--skip-large", action="store_true", help="skip the 100,000-credential memory figure")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results file (default {DEFAULT_OUT})")
    parser.add_argument("--only", help=f"comma-separated groups: {','.join(GROUPS)} (default: all; with --quick, all "
                                       f"but {','.join(NOT_QUICK)})")
    parser.add_argument("--batch-rows", type=int, help="rows of the batch-scaling figure (default 10000)")
    parser.add_argument("--large-rows", type=int, help="rows of the memory figure (default 100000)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a measured figure misses its target")
    parser.add_argument("--batch-dir", type=Path,
                        help="where the batch and memory figures write their credential files (default: the "
                             "system temporary folder; see bench/fig_batch.py on filesystems)")
    args = parser.parse_args(argv)
    only = args.only if args.only is not None else \
        ",".join(g for g in GROUPS if not (args.quick and g in NOT_QUICK))
    groups = [g.strip() for g in only.split(",") if g.strip()]
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)} (choose from {', '.join(GROUPS)})")
    plan = Plan.smoke() if args.quick else Plan.full(skip_large=args.skip_large)
    if args.batch_rows is not None:
        plan.batch_rows = max(1, args.batch_rows)
    if args.large_rows is not None:
        plan.large_rows = max(1, args.large_rows)

    started = datetime.now(UTC)
    before = machine()
    figures: list[Figure] = []
    scratch = Path(tempfile.mkdtemp(prefix="omc-bench-"))
    batch_scratch = Path(tempfile.mkdtemp(prefix="omc-bench-files-", dir=args.batch_dir)) if args.batch_dir \
        else scratch
    inst: Any = None
    pool: list[dict[str, Any]] = []
    world_error: str | None = None
    if {"di", "jwt", "checks", "service"} & set(groups):
        try:
            from world import make_institution

            inst = make_institution(scratch / "institution")
            if {"checks", "service"} & set(groups):
                from world import signed_pool

                print(f"[{time.strftime('%H:%M:%S')}] signing a pool of {plan.pool} distinct OMCs ...",
                      file=sys.stderr, flush=True)
                pool = signed_pool(inst, plan.pool)
        except ImportError as exc:
            world_error = f"not measured (module missing: {exc.name or exc})"
        except Exception as exc:
            world_error = f"the benchmark world could not be built: {type(exc).__name__}: {exc}"

    def needs_world(group: str, runner: Callable[[], list[Figure]]) -> list[Figure]:
        if world_error is not None:
            return _group_failed(group, world_error, error=not world_error.startswith("not measured"))
        return _run_group(group, runner)

    for group in GROUPS:
        if group not in groups:
            continue
        if group == "di":
            from fig_crypto import data_integrity_figures

            figures += needs_world(group, lambda: data_integrity_figures(inst, plan))
        elif group == "jwt":
            from fig_crypto import jwt_figures

            figures += needs_world(group, lambda: jwt_figures(inst, plan))
        elif group == "checks":
            from fig_checks import warm_checks_figures

            figures += needs_world(group, lambda: warm_checks_figures(inst, plan, pool))
        elif group == "service":
            from fig_service import service_figures

            figures += needs_world(group, lambda: service_figures(inst, plan, pool))
        elif group == "batch":
            from fig_batch import batch_figures

            figures += _run_group(group, lambda: batch_figures(plan, batch_scratch, prefer_ram=args.batch_dir is None))
        elif group == "memory":
            from fig_batch import memory_figures

            figures += _run_group(group, lambda: memory_figures(plan, batch_scratch, prefer_ram=args.batch_dir is None))
        elif group == "store":
            from fig_store import store_figures

            figures += _run_group(group, lambda: store_figures(plan, scratch))

    finished = datetime.now(UTC)
    after = machine()
    print()
    print_table(figures)
    measured = [f for f in figures if f.met is not None]
    missed = [f for f in measured if not f.met]
    print(f"\n{len(measured) - len(missed)} of {len(measured)} measured figures meet their targets"
          + (" (QUICK smoke run: the numbers mean nothing)" if plan.quick else ""))
    results = {
        "suite": "omc-vc bench", "quick": plan.quick, "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"), "plan": vars(plan),
        "machine": {**before, "loadavg_after": after["loadavg"]}, "figures": [f.to_json() for f in figures],
    }
    from omc_vc._internal import atomic

    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(args.out, json.dumps(results, indent=2) + "\n")  # never a half-written results file
    print(f"results: {args.out}")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(batch_scratch, ignore_errors=True)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
