"""Profile one operation on the typical OMC with cProfile and print the top functions (pstats).

``--stock`` runs ``sign``, ``verify`` and ``canonicalize`` through PyLD's own pipeline (no context memo,
no direct converter; the suite object of ``fig_crypto.stock_suite``), the "before" of both.

Operations: ``sign`` (eddsa-rdfc-2022, fresh proof configuration), ``verify`` (Data Integrity
proofs), ``verify-full`` (make_verifier: status lists + registry + OMC profile, warm), ``jwt``
(VC-JWT verify), ``canonicalize`` (RDFC-1.0 of the unsigned OMC).

Example::

    .venv/bin/python bench/profile_op.py sign --count 200 --top 25
    .venv/bin/python bench/profile_op.py canonicalize --stock --sort tottime
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from world import ISSUED, make_institution, make_registry, signed_pool, status_documents, typical_unsigned

OPERATIONS = ("sign", "verify", "verify-full", "jwt", "canonicalize")


def operation(name: str, folder: Path, *, stock: bool = False) -> Callable[[], object]:
    from fig_crypto import stock_suite

    from omc_vc import jsonld
    from omc_vc._internal.timeutil import format_datetime, utcnow
    from omc_vc.did import DidResolver
    from omc_vc.proofs import data_integrity, jose

    inst = make_institution(folder / "institution")
    unsigned = typical_unsigned(inst)
    resolver = DidResolver()
    suite = stock_suite() if stock else data_integrity.SUITES["eddsa-rdfc-2022"]
    if name == "sign":
        moments = (format_datetime(ISSUED + timedelta(seconds=n)) for n in count())
        return lambda: data_integrity.add_proof(unsigned, inst.key, cryptosuite=suite, created=next(moments))
    if name == "verify":
        signed = data_integrity.add_proof(unsigned, inst.key)

        def verify() -> object:
            data_integrity._cached_config_hash.cache_clear()
            return data_integrity.verify_proofs(signed, resolver=resolver, accepted_suites=[suite])
        return verify
    if name == "verify-full":
        from omc_vc.verdict import make_verifier

        registry = make_registry(inst, folder / "ministry")
        verifier = make_verifier(registry=str(registry.path), anchor_set=registry.anchors, resolver=resolver,
                                 status_documents=status_documents(inst), offline=True, cache_dir=folder / "cache",
                                 state_file=folder / "cache" / "state.json")
        pool = signed_pool(inst, 300)
        verifier.verify(pool[0])
        cycled = iter(pool * 1000)
        return lambda: verifier.verify(next(cycled))
    if name == "jwt":
        token = jose.sign_jwt(unsigned, inst.key)
        now = utcnow()
        return lambda: jose.verify_jwt(token, resolver=resolver, now=now)
    if name == "canonicalize":
        if stock:
            return lambda: jsonld._canonicalize(unsigned, memoize=False, fast=False)
        return lambda: jsonld.canonicalize(unsigned)
    raise SystemExit(f"unknown operation {name!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("--count", type=int, default=100, help="calls profiled (after 10 warm-up calls)")
    parser.add_argument("--top", type=int, default=20, help="functions printed")
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"))
    parser.add_argument("--stock", action="store_true",
                        help="PyLD's own pipeline (no context memo, no direct converter)")
    parser.add_argument("--dump", type=Path, help="also write the raw profile (for snakeviz, pstats)")
    args = parser.parse_args(argv)
    if args.stock and args.operation not in ("sign", "verify", "canonicalize"):
        parser.error("--stock applies to sign, verify and canonicalize")
    folder = Path(tempfile.mkdtemp(prefix="omc-bench-profile-"))
    try:
        run = operation(args.operation, folder, stock=args.stock)
        for _ in range(10):
            run()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.count):
            run()
        profiler.disable()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.dump:
        profiler.dump_stats(str(args.dump))
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"{args.operation}{' (stock pyld)' if args.stock else ''}: {args.count} calls, "
          f"{total / args.count * 1e3:.2f} ms per call under the profiler")
    print(buffer.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
