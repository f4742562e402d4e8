"""Figure 4: what the registry and status-list checks add to a verification, from a warm cache.

Both sides verify the same pool of distinct signed typical OMCs, cycling through it, in interleaved
rounds:

* **base**: ``Verifier`` (core checks: data model, data loss, proof, issuer key binding, validity)
  plus the OMC profile check, which is not what this figure is about;
* **full**: ``omc_vc.verdict.make_verifier`` with a local signed registry file and the institution's
  signed status lists pinned (offline), i.e. the same checks plus ``status``,
  ``issuer-authorized`` and ``partnership``. Both verifiers are warmed first (registry loaded and
  verified, lists seen once).

The pool is larger than the proof-configuration hash cache, so every credential's own proof
configuration is canonicalized as it would be for a stream of different credentials.
"""

from __future__ import annotations

import shutil
import tempfile
from itertools import cycle
from pathlib import Path
from typing import Any

from common import Figure, Plan, errored, interleaved, judged, not_measured, ratio_median
from world import Institution, make_registry, signed_pool, status_documents

OVERHEAD_TARGET = 0.10


def warm_checks_figures(inst: Institution, plan: Plan, pool: list[dict[str, Any]]) -> list[Figure]:
    figure_id = "warm-checks-overhead"
    title = "registry + status-list checks (warm) added to a verification, as a fraction of it"
    try:
        from omc_vc.did import DidResolver
        from omc_vc.omc.profile import OmcProfileCheck
        from omc_vc.verdict import make_verifier, verdict_of
        from omc_vc.verify import Verifier
    except ImportError as exc:
        return [not_measured(figure_id, title, "fraction", OVERHEAD_TARGET, "<",
                             f"not measured (module missing: {exc.name})")]
    scratch = Path(tempfile.mkdtemp(prefix="omc-bench-checks-"))
    try:
        registry = make_registry(inst, scratch / "ministry")
        resolver = DidResolver()
        full = make_verifier(registry=str(registry.path), anchor_set=registry.anchors, resolver=resolver,
                             status_documents=status_documents(inst), offline=True, cache_dir=scratch / "cache",
                             state_file=scratch / "cache" / "registry-state.json")
        base = Verifier(resolver=resolver, extra_checks=[OmcProfileCheck()])
        for credential in pool[:2]:
            verdict = verdict_of(full.verify(credential))
            if verdict.status not in ("valid-omc", "valid-omc-plus"):
                raise RuntimeError(f"the typical OMC's verdict is {verdict.status}: {verdict.reason}")
            if not base.verify(credential).verified:
                raise RuntimeError("the typical OMC does not verify with the core verifier")
        full_pool, base_pool = cycle(pool), cycle(pool)
        samples = interleaved({"base": lambda: base.verify(next(base_pool)),
                               "full": lambda: full.verify(next(full_pool))},
                              rounds=plan.rounds, inner=plan.inner, warmup=plan.warmup)
    except Exception as exc:
        return [errored(figure_id, title, "fraction", OVERHEAD_TARGET, "<", f"{type(exc).__name__}: {exc}")]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    value = ratio_median(samples["full"], samples["base"]) - 1.0
    details = {"median_us": samples.medians_us(), "pool": len(pool), "rounds": plan.rounds,
               "clock": "process CPU time"}
    return [judged(figure_id, title, value, "fraction", OVERHEAD_TARGET, "<",
                   note="make_verifier(registry file, pinned status lists, offline) vs core Verifier + OMC profile",
                   details=details)]


def pool_for(inst: Institution, plan: Plan) -> list[dict[str, Any]]:
    """The pool of distinct signed OMCs shared by the checks and service figures."""
    return signed_pool(inst, plan.pool)
