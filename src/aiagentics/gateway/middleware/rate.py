"""The caller's token bucket: one token per request, the X-RateLimit-* headers on every answer."""

from __future__ import annotations

from aiagentics.gateway.errors import RateLimited
from aiagentics.gateway.ratelimit import RateLimiter


def spend(limiter: RateLimiter, who: str, extra: list[tuple[bytes, bytes]]) -> None:
    """Take a token of `who`'s bucket; adds its headers to `extra`; 429 when it is empty."""
    decision = limiter.take(who)
    extra += [
        (b"x-ratelimit-limit", str(decision.limit).encode()),
        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
        (b"x-ratelimit-reset", str(decision.reset_seconds).encode()),
    ]
    if not decision.allowed:
        raise RateLimited(
            f"too many requests: retry after {decision.retry_after} s",
            retry_after=decision.retry_after,
        )
