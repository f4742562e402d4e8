"""Figures 1 and 2: Data Integrity eddsa-rdfc-2022 sign/verify and VC-JWT verify of the typical OMC.

The yardstick is one raw Ed25519 signature verification with ``cryptography`` (a 64-byte message,
the size of the eddsa-rdfc-2022 hashData). All operations of one figure are timed in interleaved
rounds and the per-round ratios' median is reported (``common.interleaved``).

"Stock pyld" is the same operation with the processed-context memo turned off through
``omc_vc.jsonld.MEMOIZE_CONTEXTS`` (PyLD's own context processing and cache, as it ships); pure
``pyld.jsonld.normalize`` with the same loader is reported beside it for context.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import count
from typing import Any

from common import Figure, Plan, info, interleaved, judged, ratio_median
from world import ISSUED, Institution, typical_unsigned

SIGN_TARGET = 8.0
STOCK_TARGET = 3.0
JWT_TARGET = 2.5


def raw_verify_operation() -> Callable[[], object]:
    """One raw Ed25519 verification of a 64-byte message with ``cryptography`` (the yardstick)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    message = hashlib.sha512(b"omc-vc benchmark").digest()
    signature = private.sign(message)
    return lambda: public.verify(signature, message)


def _clear_config_cache() -> None:
    """Forget cached proof-configuration hashes (omc_vc.proofs.data_integrity), if that cache exists."""
    from omc_vc.proofs import data_integrity

    cache = getattr(data_integrity, "_cached_config_hash", None)
    clear = getattr(cache, "cache_clear", None)
    if callable(clear):
        clear()


@contextmanager
def stock_pyld() -> Iterator[None]:
    """Run the block with the context memo off (PyLD's stock context processing)."""
    from omc_vc import jsonld

    before = jsonld.MEMOIZE_CONTEXTS
    jsonld.MEMOIZE_CONTEXTS = False
    try:
        yield
    finally:
        jsonld.MEMOIZE_CONTEXTS = before


def data_integrity_figures(inst: Institution, plan: Plan) -> list[Figure]:
    import json  # noqa: I001

    from omc_vc import jsonld
    from omc_vc._internal.timeutil import format_datetime
    from omc_vc.did import DidResolver
    from omc_vc.proofs import data_integrity
    from pyld import jsonld as pyld_jsonld

    if not hasattr(jsonld, "MEMOIZE_CONTEXTS"):
        raise ImportError("omc_vc.jsonld has no MEMOIZE_CONTEXTS switch")
    unsigned = typical_unsigned(inst)
    size = len(json.dumps(unsigned, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    key = inst.key
    resolver = DidResolver()
    created = (format_datetime(ISSUED + timedelta(seconds=n)) for n in count())
    batch_created = format_datetime(ISSUED)
    signed = data_integrity.add_proof(unsigned, key, created=batch_created)
    loader = jsonld.default_loader()

    def sign_fresh() -> object:
        # a new proof configuration every call (its own `created`): nothing cached across documents
        return data_integrity.add_proof(unsigned, key, created=next(created))

    def sign_batch() -> object:
        # what a batch does: one proof configuration for every credential (its hash is cached)
        return data_integrity.add_proof(unsigned, key, created=batch_created)

    def verify_fresh() -> object:
        _clear_config_cache()
        results = data_integrity.verify_proofs(signed, resolver=resolver)
        if not all(r.verified for r in results):
            raise RuntimeError("the typical OMC does not verify")
        return results

    def stocked(operation: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            with stock_pyld():
                return operation()
        return run

    def pure_pyld() -> object:
        return pyld_jsonld.normalize(unsigned, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                                "documentLoader": loader})

    operations: dict[str, Callable[[], object]] = {
        "raw": raw_verify_operation(), "sign": sign_fresh, "sign_batch": sign_batch, "verify": verify_fresh,
        "sign_stock": stocked(sign_fresh), "verify_stock": stocked(verify_fresh), "normalize_pyld": pure_pyld,
    }
    inner: dict[str, int] = {name: plan.inner for name in operations}
    inner["raw"] = plan.raw_inner
    samples = interleaved(operations, rounds=plan.rounds, inner=inner, warmup=plan.warmup)
    raw = samples["raw"]
    common: dict[str, Any] = {"median_us": samples.medians_us(), "document_bytes": size, "rounds": plan.rounds,
                              "clock": "process CPU time"}
    fresh_note = ("fresh proof configuration every call (a new `created`, config-hash cache missed); "
                  "ratio = median of per-round ratios to one raw Ed25519 verify")
    figures = [
        judged("di-sign-vs-raw", "eddsa-rdfc-2022 sign of the typical OMC / one raw Ed25519 verify",
               ratio_median(samples["sign"], raw), "x", SIGN_TARGET, "<=", note=fresh_note, details=common),
        judged("di-verify-vs-raw", "eddsa-rdfc-2022 verify of the typical OMC / one raw Ed25519 verify",
               ratio_median(samples["verify"], raw), "x", SIGN_TARGET, "<=", note=fresh_note, details=common),
        info("di-sign-batch-vs-raw", "eddsa-rdfc-2022 sign, batch (one proof configuration, hash cached) / raw verify",
             ratio_median(samples["sign_batch"], raw), "x",
             note="what batch issuance pays per credential; the targets above use the fresh figure"),
        judged("di-sign-speedup-vs-stock", "eddsa-rdfc-2022 sign: stock-pyld time / our time",
               ratio_median(samples["sign_stock"], samples["sign"]), "x", STOCK_TARGET, ">=",
               note="stock = omc_vc.jsonld.MEMOIZE_CONTEXTS off (PyLD's own context processing)"),
        judged("di-verify-speedup-vs-stock", "eddsa-rdfc-2022 verify: stock-pyld time / our time",
               ratio_median(samples["verify_stock"], samples["verify"]), "x", STOCK_TARGET, ">=",
               note="stock = omc_vc.jsonld.MEMOIZE_CONTEXTS off (PyLD's own context processing)"),
        info("pyld-normalize-vs-raw", "pure pyld.jsonld.normalize of the typical OMC / one raw Ed25519 verify",
             ratio_median(samples["normalize_pyld"], raw), "x",
             note="stock PyLD canonicalization alone, no data-loss check, no signature"),
    ]
    return figures


def jwt_figures(inst: Institution, plan: Plan) -> list[Figure]:
    from omc_vc._internal.timeutil import utcnow
    from omc_vc.did import DidResolver
    from omc_vc.proofs import jose

    unsigned = typical_unsigned(inst)
    token = jose.sign_jwt(unsigned, inst.key)
    resolver = DidResolver()
    now = utcnow()

    def verify_jwt() -> object:
        return jose.verify_jwt(token, resolver=resolver, now=now)

    operations = {"raw": raw_verify_operation(), "jwt": verify_jwt}
    inner = {"raw": plan.raw_inner, "jwt": max(1, plan.raw_inner // 4)}
    samples = interleaved(operations, rounds=plan.rounds, inner=inner, warmup=plan.warmup * 10)
    details = {"median_us": samples.medians_us(), "token_bytes": len(token), "rounds": plan.rounds,
               "clock": "process CPU time"}
    return [judged("jwt-verify-vs-raw", "VC-JWT verify (omc_vc.proofs.jose.verify_jwt) / one raw Ed25519 verify",
                   ratio_median(samples["jwt"], samples["raw"]), "x", JWT_TARGET, "<=",
                   note="did:key resolution, header policy, signature, claims and times", details=details)]
