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
the side that runs second in a round finds the first side's hashes there (about a sixth of a
verification), and with the order alternating from round to round the per-round ratios split into two
groups 30 points apart, whose median could land anywhere between them (2.6-18.6 % in ten runs).
"""

from __future__ import annotations

import gc
import json
import shutil
import tempfile
from itertools import cycle
from pathlib import Path
from typing import Any, cast

from common import Figure, Plan, errored, interleaved, judged, not_measured, ratio_median
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


def warm_checks_figures(inst: Institution, plan: Plan, pool: list[dict[str, Any]]) -> list[Figure]:
    figure_id = "warm-checks-overhead"
    title = "registry + status-list checks (warm) added to a verification, as a fraction of it"
    try:
        from omc_vc.did import DidResolver
        from omc_vc.omc.profile import OmcProfileCheck
        from omc_vc.proofs.data_integrity import _cached_config_hash
        from omc_vc.verdict import OmcVerifier, make_verifier, verdict_of
    except ImportError as exc:
        return [not_measured(figure_id, title, "fraction", OVERHEAD_TARGET, "<",
                             f"not measured (module missing: {exc.name})")]
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
        # thing): move it and the warmed state out of the garbage collector's sight, as a long-running
        # verifier does with what it loaded at start (gc.freeze). Otherwise every full collection walks the
        # pool, and the side that allocates more (full) is charged for walking the fixture. Both sides run
        # under the same frozen state; the figure without the freeze is in the details.
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
    except Exception as exc:
        return [errored(figure_id, title, "fraction", OVERHEAD_TARGET, "<", f"{type(exc).__name__}: {exc}")]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    value = ratio_median(samples["full"], samples["base"]) - 1.0
    details = {"median_us": samples.medians_us(), "pool": len(pool), "rounds": plan.rounds * ROUNDS_FACTOR,
               "clock": "process CPU time", "status_list_fetches_while_measuring": refetched,
               "gc": "pool and warmed state frozen (gc.freeze)",
               "overhead_without_gc_freeze": round(ratio_median(unfrozen["full"], unfrozen["base"]) - 1.0, 4),
               "median_us_without_gc_freeze": unfrozen.medians_us()}
    return [judged(figure_id, title, value, "fraction", OVERHEAD_TARGET, "<",
                   note="make_verifier(registry file, status lists fetched once then from its warm cache) "
                        "vs the same OMC verifier without the status, issuer-authorized and partnership checks",
                   details=details)]


def pool_for(inst: Institution, plan: Plan) -> list[dict[str, Any]]:
    """The pool of distinct signed OMCs shared by the checks and service figures."""
    return signed_pool(inst, plan.pool)
