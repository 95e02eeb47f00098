"""The per-key token bucket: a burst at once, then the rate, and how long to wait."""

from __future__ import annotations

import pytest

from gongshu.api.ratelimit import RateLimiter


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


def test_an_ipv6_network_shares_one_bucket_and_full_buckets_are_forgotten():
    from gongshu.api.ratelimit import address_key

    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.5") == address_key("203.0.113.5") == "203.0.113.5"
    assert address_key(None) == "unknown"
    now = [0.0]
    limiter = RateLimiter(rate=1, burst=2, clock=lambda: now[0], max_keys=10)
    for i in range(10):
        assert limiter.acquire(f"10.0.0.{i}") == 0
    now[0] = 5.0  # every bucket has filled up again
    assert limiter.acquire("10.0.1.1") == 0
    assert len(limiter) == 1  # the full ones were dropped
