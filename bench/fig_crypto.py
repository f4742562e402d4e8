"""Figures 1 and 2: Data Integrity eddsa-rdfc-2022 sign/verify and VC-JWT verify of the typical OMC.

The yardstick is one raw Ed25519 signature verification with ``cryptography`` (a 64-byte message,
the size of the eddsa-rdfc-2022 hashData). All operations of one figure are timed in interleaved
rounds and the per-round ratios' median is reported (``common.interleaved``).

"Stock pyld" is the same operation through an eddsa-rdfc-2022 suite object whose canonicalizer runs
PyLD's own pipeline (no context memo, no direct converter: ``jsonld._canonicalize(memoize=False,
fast=False)``), passed to ``add_proof`` / ``verify_proofs`` like any plug-in suite; pure
``pyld.jsonld.normalize`` with the same loader is reported beside it for context.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from itertools import count
from typing import Any

from common import Figure, Plan, info, interleaved, judged, ratio_median
from world import ISSUED, Institution, typical_unsigned

SIGN_TARGET = 8.0
STOCK_TARGET = 3.0
JWT_TARGET = 2.5
STOCK_NOTE = "stock = PyLD's own pipeline as the suite's canonicalizer (no context memo, no direct converter)"


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


def stock_suite() -> Any:
    """eddsa-rdfc-2022 with PyLD's stock pipeline as its canonicalizer (no memo, no direct converter)."""
    from omc_vc import jsonld
    from omc_vc.proofs import data_integrity

    def canonicalize(doc: Any, *, loader: Any = None, check_data_loss: bool = True,
                     hash_algorithm: str = "sha256") -> str:
        return jsonld._canonicalize(doc, loader, check=check_data_loss, memoize=False, fast=False,
                                    hash_algorithm=hash_algorithm)

    return data_integrity.RdfcSuite("eddsa-rdfc-2022", ("ed25519",), canonicalize=canonicalize)


def data_integrity_figures(inst: Institution, plan: Plan) -> list[Figure]:
    import json  # noqa: I001

    from omc_vc import jsonld
    from omc_vc._internal.timeutil import format_datetime
    from omc_vc.did import DidResolver
    from omc_vc.proofs import data_integrity
    from pyld import jsonld as pyld_jsonld

    unsigned = typical_unsigned(inst)
    size = len(json.dumps(unsigned, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    key = inst.key
    resolver = DidResolver()
    created = (format_datetime(ISSUED + timedelta(seconds=n)) for n in count())
    batch_created = format_datetime(ISSUED)
    signed = data_integrity.add_proof(unsigned, key, created=batch_created)
    loader = jsonld.default_loader()

    stock = stock_suite()

    def sign_fresh() -> object:
        # a new proof configuration every call (its own `created`): nothing cached across documents
        return data_integrity.add_proof(unsigned, key, created=next(created))

    def sign_stock() -> object:
        return data_integrity.add_proof(unsigned, key, cryptosuite=stock, created=next(created))

    def sign_batch() -> object:
        # what a batch does: one proof configuration for every credential (its hash is cached)
        return data_integrity.add_proof(unsigned, key, created=batch_created)

    def verify_with(suite: Any) -> Callable[[], object]:
        def verify() -> object:
            _clear_config_cache()
            results = data_integrity.verify_proofs(signed, resolver=resolver, accepted_suites=[suite])
            if not all(r.verified for r in results):
                raise RuntimeError("the typical OMC does not verify")
            return results
        return verify

    verify_fresh = verify_with("eddsa-rdfc-2022")

    def pure_pyld() -> object:
        return pyld_jsonld.normalize(unsigned, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                                "documentLoader": loader})

    operations: dict[str, Callable[[], object]] = {
        "raw": raw_verify_operation(), "sign": sign_fresh, "sign_batch": sign_batch, "verify": verify_fresh,
        "sign_stock": sign_stock, "verify_stock": verify_with(stock), "normalize_pyld": pure_pyld,
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
               note=STOCK_NOTE),
        judged("di-verify-speedup-vs-stock", "eddsa-rdfc-2022 verify: stock-pyld time / our time",
               ratio_median(samples["verify_stock"], samples["verify"]), "x", STOCK_TARGET, ">=",
               note=STOCK_NOTE),
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
