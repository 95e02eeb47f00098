"""The per-key token bucket: a burst at once, then the rate, and how long to wait."""

from __future__ import annotations

import pytest

from gongshu.share.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate_with_the_wait_until_the_next_token():
    clock = Clock()
    limiter = RateLimiter(rate=0.5, burst=3, clock=clock)
    assert [limiter.acquire("k1") for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire("k1") == 2  # one token every 2 s
    clock.now += 1.0
    assert limiter.acquire("k1") == 1
    clock.now += 1.0
    assert limiter.acquire("k1") == 0
    assert limiter.acquire("k2") == 0  # another key has its own bucket
    clock.now += 3600
    assert [limiter.acquire("k1") for _ in range(4)] == [0, 0, 0, 2]  # never more than the burst


def test_fast_rates_still_ask_for_at_least_a_second():
    limiter = RateLimiter(rate=50, burst=1, clock=Clock())
    assert (limiter.acquire("k"), limiter.acquire("k")) == (0, 1)


def test_nonsense_limits_are_refused():
    with pytest.raises(ValueError):
        RateLimiter(rate=0, burst=1)
    with pytest.raises(ValueError):
        RateLimiter(rate=1, burst=0)
