"""The fast lane: a small verification is answered on the event-loop thread; anything else on the pool.

ADR 0008. Handing a verification to the worker pool and back costs CPU (two thread switches, the
work moving between cores) on the order of what verifying a typical OMC costs. Most requests to
``/credentials/verify`` are small credentials whose issuer key, status lists and registry are already
known: they need no network and little work. So the service first tries such a request *in the
lane*: on the event-loop thread, under two refusals that keep the loop from ever waiting or working
long:

* **no network**: every fetch made through the service's fetcher (:class:`LaneFetcher`: did:web
  documents, status lists, the registry) raises :class:`NeedsPool` before any connection is made;
* **little work**: canonicalization and RDF conversion stop at :data:`LANE_MAX_WORK` units of
  ``omc_vc.jsonld``'s work bound (a few milliseconds; a credential needs well under a thousand) by raising
  :class:`NeedsPool` (``jsonld.work_ceiling``); only bodies up to ``limits.lane_max_bytes`` (16 KiB
  by default, at most :data:`LANE_MAX_BYTES_CEILING`) are tried, so everything else the lane does is
  linear in a small input.

:class:`NeedsPool` is a ``BaseException``, like ``asyncio.CancelledError``: the checks turn every
``Exception`` into a failed check (they fail closed), and this must not become a result. It unwinds
the attempt, whose partial outcome is thrown away, and the request goes to the pool, where the
verification runs again from the start with the network and the full work bound: the answer is the
one the pool alone would have given. Nothing the attempt touched is left half-done: the caches that
it may fill (processed contexts, parsed dates, verified status lists, did:key documents) are filled
only with completed results, and a fetch is refused before it starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

from omc_vc import jsonld
from omc_vc._internal.fetch import Fetcher, FetchResponse

T = TypeVar("T")

#: Canonicalization / RDF conversion work allowed in the lane (omc_vc.jsonld units, see DEFAULT_MAX_WORK).
LANE_MAX_WORK = 2_000
#: The largest ``limits.lane_max_bytes`` a configuration may set: the lane's bound on everything but
#: the work above is the size of its input.
LANE_MAX_BYTES_CEILING = 64 * 1024

_IN_LANE: ContextVar[bool] = ContextVar("omc_vc_web_in_lane", default=False)


class NeedsPool(BaseException):  # a signal, not an error: like CancelledError
    """Raised inside a lane attempt when the job needs what the lane may not do; never escapes :func:`attempt`.

    ``kind`` is ``"network"`` or ``"work"`` (what the service counts; the detail may name a URL from the
    request, so it is not logged).
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def in_lane() -> bool:
    """True while a lane attempt runs in this thread or task."""
    return _IN_LANE.get()


def refuse_network(what: str) -> None:
    """Raise :class:`NeedsPool` when called inside a lane attempt (``what`` says what was refused)."""
    if _IN_LANE.get():
        raise NeedsPool("network", what)


def _too_much_work() -> BaseException:
    return NeedsPool("work", f"more than {LANE_MAX_WORK} units of canonicalization work")


def attempt(func: Callable[..., T], *args: Any) -> tuple[bool, T | None, str]:
    """Run ``func(*args)`` in the lane: ``(True, result, "")``, or ``(False, None, kind)`` when it needs
    the pool (``kind``: ``"network"`` or ``"work"``).

    Any other exception ``func`` raises propagates, as it would from the pool.
    """
    token = _IN_LANE.set(True)
    try:
        with jsonld.work_ceiling(LANE_MAX_WORK, _too_much_work):
            return True, func(*args), ""
    except NeedsPool as exc:
        return False, None, exc.kind
    finally:
        _IN_LANE.reset(token)


class LaneFetcher(Fetcher):
    """The service's fetcher: refuses the network inside a lane attempt, and is ``inner`` everywhere else."""

    def __init__(self, inner: Fetcher) -> None:
        super().__init__(timeout=inner.timeout, max_bytes=inner.max_bytes, allow_loopback=inner.allow_loopback,
                         allow_private=inner.allow_private, resolver=inner.resolver, session=inner.session)
        self.inner = inner

    def check_url(self, url: str) -> None:
        self.inner.check_url(url)

    def get(self, url: str, *, headers: Mapping[str, str] | None = None, max_bytes: int | None = None,
            accept: str = "application/json") -> FetchResponse:
        refuse_network(f"fetching {url}")
        return self.inner.get(url, headers=headers, max_bytes=max_bytes, accept=accept)

    def get_ok(self, url: str, **kwargs: object) -> FetchResponse:
        refuse_network(f"fetching {url}")
        return self.inner.get_ok(url, **kwargs)
