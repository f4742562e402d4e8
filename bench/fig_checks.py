"""Figure 4: what the registry and status-list checks add to a verification, from a warm cache.

Both sides verify the same pool of distinct signed typical OMCs, cycling through it, in interleaved
rounds:

* **base**: the OMC verifier without the checks measured: ``OmcVerifier`` with the core checks (data
  model, data loss, proof, issuer key binding, validity), the OMC profile check and the verdict, none of
  which is what this figure is about;
* **full**: ``omc_vc.verdict.make_verifier`` with a local signed registry file and the institution's
  signed status lists served by an in-memory stand-in for the network (``_Publisher``), i.e. the same
  checks plus ``status``, ``issuer-authorized`` and ``partnership``. Both verifiers are warmed first
  (registry loaded and verified, each list fetched once and kept in the check's warm cache); the
  figure's details count the fetches made while measuring (0: the cache stayed warm).

Pinned status lists (``status_documents=``) are not a cache: their content is re-read and hashed on
every use, so that an edit to a pinned object is noticed (tests/unit/test_status.py).

The pool is larger than the proof-configuration hash cache, so every credential's own proof
configuration is canonicalized as it would be for a stream of different credentials. Both sides verify
the same credentials in the same round, so each verification starts by emptying that cache: otherwise
the side that runs second in a round finds the first side's hashes there (a sizeable share of a
verification), and with the order alternating from round to round the per-round ratios split into two
groups far apart, whose median could land anywhere between them.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import tempfile
from itertools import cycle
from pathlib import Path
from typing import Any, cast

from common import Figure, Plan, errored, first_missing, interleaved, judged, not_measured, ratio_median
from world import Institution, make_registry, signed_pool, status_documents

OVERHEAD_TARGET = 0.10
ROUNDS_FACTOR = 4


class _Publisher:
    """The network as the status check sees it, answered from memory: the institution's signed lists.

    Passed to make_verifier as its fetcher (omc_vc._internal.fetch.Fetcher.get is the check's only way
    out), so the status check fetches each list once, keeps it in its in-memory cache (fresh for the
    list's ttl, 5 minutes by default) and verifies it once; ``calls`` proves the cache stayed warm.
    """

    def __init__(self, documents: dict[str, Any]) -> None:
        self.content = {url: json.dumps(doc).encode("utf-8") for url, doc in documents.items()}
        self.calls = 0

    def get(self, url: str, *, headers: Any = None, max_bytes: int | None = None,
            accept: str = "application/json") -> Any:
        from omc_vc._internal.fetch import FetchResponse
        from omc_vc.errors import FetchError

        self.calls += 1
        if url not in self.content:
            raise FetchError(f"no such list {url}", code="FETCH_HTTP_ERROR")
        return FetchResponse(url=url, status=200, headers={"Content-Type": "application/vc+ld+json"},
                             content=self.content[url])


FIGURE_ID = "warm-checks-overhead"
TITLE = "registry + status-list checks (warm) added to a verification, as a fraction of it"
PROCESSES = 3  # the figure is the median over this many fresh processes (pyperf's way: see warm_checks_figures)


def warm_checks_figures(inst: Institution, plan: Plan, pool: list[dict[str, Any]]) -> list[Figure]:
    """The figure: the median over PROCESSES fresh processes (one in-process run for ``--quick``).

    The same measurement moves by 3-4 points from one process to the next (the machine's speed drifts,
    and each process lays out its memory differently), more than within a process; like pyperf, the
    figure runs it in several processes and reports the median. Each process builds its own
    institution and pool of 300 signed OMCs.
    """
    missing = first_missing("omc_vc.verdict", "omc_vc.omc.profile", "omc_vc.checks.status")
    if missing:
        return [not_measured(FIGURE_ID, TITLE, "fraction", OVERHEAD_TARGET, "<",
                             f"not measured (module missing: {missing})")]
    runs: list[dict[str, Any]] = []
    try:
        if plan.quick:
            runs.append(_measure(inst, plan, pool))
        else:
            for _ in range(PROCESSES):
                done = subprocess.run(  # noqa: S603
                    [sys.executable, str(Path(__file__).resolve()), "--rounds", str(plan.rounds), "--inner",
                     str(plan.inner), "--warmup", str(plan.warmup), "--pool", str(plan.pool)],
                    capture_output=True, text=True, check=False, timeout=600)
                lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
                if done.returncode != 0 or not lines:
                    raise RuntimeError(f"fig_checks.py exited with {done.returncode}: {done.stderr.strip()[-300:]}")
                runs.append(json.loads(lines[-1]))
    except Exception as exc:
        return [errored(FIGURE_ID, TITLE, "fraction", OVERHEAD_TARGET, "<", f"{type(exc).__name__}: {exc}")]
    runs.sort(key=lambda run: run["value"])
    middle = runs[len(runs) // 2]
    details = {**middle["details"], "processes": len(runs), "value_per_process": [round(r["value"], 4) for r in runs]}
    return [judged(FIGURE_ID, TITLE, middle["value"], "fraction", OVERHEAD_TARGET, "<",
                   note="make_verifier(registry file, status lists fetched once then from its warm cache) "
                        "vs the same OMC verifier without the status, issuer-authorized and partnership checks; "
                        f"median of {len(runs)} process(es)",
                   details=details)]


def _measure(inst: Institution, plan: Plan, pool: list[dict[str, Any]]) -> dict[str, Any]:
    """One process's measurement: {"value": overhead fraction, "details": {...}}; raises when it breaks."""
    from omc_vc.did import DidResolver
    from omc_vc.omc.profile import OmcProfileCheck
    from omc_vc.proofs.data_integrity import _cached_config_hash
    from omc_vc.verdict import OmcVerifier, make_verifier, verdict_of

    scratch = Path(tempfile.mkdtemp(prefix="omc-bench-checks-"))
    try:
        registry = make_registry(inst, scratch / "ministry")
        resolver = DidResolver()
        publisher = _Publisher(status_documents(inst))
        full = make_verifier(registry=str(registry.path), anchor_set=registry.anchors, resolver=resolver,
                             fetcher=cast(Any, publisher), cache_dir=scratch / "cache",
                             state_file=scratch / "cache" / "registry-state.json")
        # the same verifier (OmcVerifier: core checks, OMC profile, the verdict) without the checks measured
        base = OmcVerifier(resolver=resolver, extra_checks=[OmcProfileCheck()])
        for credential in pool[:2]:
            verdict = verdict_of(full.verify(credential))
            if verdict.status not in ("valid-omc", "valid-omc-plus"):
                raise RuntimeError(f"the typical OMC's verdict is {verdict.status}: {verdict.reason}")
            if not base.verify(credential).verified:
                raise RuntimeError("the typical OMC does not verify with the core verifier")
        fetched_before = publisher.calls
        full_pool, base_pool = cycle(pool), cycle(pool)
        forget = _cached_config_hash.cache_clear

        def run_base() -> object:
            forget()
            return base.verify(next(base_pool))

        def run_full() -> object:
            forget()
            return full.verify(next(full_pool))

        # The pool of signed credentials is the benchmark's own fixture (a verifier process holds no such
        # thing): move it and the warmed state out of the garbage collector's sight (gc.freeze).
        # Otherwise every full collection walks the pool, and the side that allocates more (full) is
        # charged for walking the fixture. Both sides run under the same frozen state; the figure without
        # the freeze is in the details.
        gc.collect()
        gc.freeze()
        try:
            # a tenth of a verification is a small difference on a noisy machine: four times the usual rounds
            samples = interleaved({"base": run_base, "full": run_full},
                                  rounds=plan.rounds * ROUNDS_FACTOR, inner=plan.inner, warmup=plan.warmup)
        finally:
            gc.unfreeze()
        unfrozen = interleaved({"base": run_base, "full": run_full},
                               rounds=max(plan.rounds // 3, 3), inner=plan.inner, warmup=plan.warmup)
        refetched = publisher.calls - fetched_before
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    value = ratio_median(samples["full"], samples["base"]) - 1.0
    details = {"median_us": samples.medians_us(), "pool": len(pool), "rounds": plan.rounds * ROUNDS_FACTOR,
               "clock": "process CPU time", "status_list_fetches_while_measuring": refetched,
               "gc": "pool and warmed state frozen (gc.freeze)",
               "overhead_without_gc_freeze": round(ratio_median(unfrozen["full"], unfrozen["base"]) - 1.0, 4),
               "median_us_without_gc_freeze": unfrozen.medians_us()}
    return {"value": value, "details": details}


def pool_for(inst: Institution, plan: Plan) -> list[dict[str, Any]]:
    """The pool of distinct signed OMCs shared by the checks and service figures."""
    return signed_pool(inst, plan.pool)


def _child(argv: list[str] | None = None) -> int:
    """One process of the figure: its own institution and pool, one measurement as a JSON line."""
    import argparse
    from dataclasses import replace

    parser = argparse.ArgumentParser(description="one process of the warm-checks figure (bench/run.py runs it)")
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--inner", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--pool", type=int, required=True)
    args = parser.parse_args(argv)
    from world import make_institution

    plan = replace(Plan.full(skip_large=True), rounds=args.rounds, inner=args.inner, warmup=args.warmup,
                   pool=args.pool)
    folder = Path(tempfile.mkdtemp(prefix="omc-bench-checks-world-"))
    try:
        inst = make_institution(folder / "institution")
        print(json.dumps(_measure(inst, plan, signed_pool(inst, plan.pool))))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child())
