"""Per-key rate limits of the sharing API: a token bucket per API key, ``burst`` tokens deep,
refilled at ``rate`` tokens a second (``GONGSHU_API_RATE``, ``GONGSHU_API_BURST``). A key may send
``burst`` calls at once and ``rate`` a second after that; one department's batch job never starves
the others. Buckets are counted per verified key, after authentication: a caller guessing keys
cannot spend a real key's budget.

The buckets live in the process: with several processes serving the API each enforces its own.

The same limiter, keyed by client address (``GONGSHU_API_ANONYMOUS_RATE``, ``_BURST``), bounds the
calls made without a valid key: public open data, applications, refused keys. Addresses come and
go, so buckets that have filled up again (forgotten or not, they would allow the same) are dropped
once there are more than ``max_keys``.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections.abc import Callable


def address_key(host: str | None) -> str:
    """The bucket of a client address: the address itself, or for IPv6 its /64 (one subscriber's
    network: a host may take any address in it, and a bucket per address would let it take many)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimiter:
    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic, *, max_keys: int = 100_000
    ):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate, self.burst = rate, burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._prune_at = self._max_keys = max_keys

    def __len__(self) -> int:
        return len(self._buckets)

    def _prune(self, now: float) -> None:
        """Forget the buckets that are full again; prune next when twice as many remain."""
        self._buckets = {
            key: (tokens, last)
            for key, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate < self.burst
        }
        self._prune_at = max(self._max_keys, 2 * len(self._buckets))

    def acquire(self, key: str) -> int:
        """Spend one token of ``key``'s bucket: 0 when the call may go ahead, otherwise the whole
        seconds to wait before the next token (for ``Retry-After``)."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self._prune_at:
                    self._prune(now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate))
