"""A token bucket per caller (API key id, or client address before authentication).

In-process: with several workers each process keeps its own buckets (the limit is
per worker). `take()` is O(1) and never blocks.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(slots=True)
class Decision:
    """The outcome of one request against a bucket, with the header values."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after: int  # until one token is available (0 when allowed)


class RateLimiter:
    """Token buckets: `rate` tokens per second up to `burst` tokens."""

    def __init__(self, rate: float, burst: int, max_buckets: int = 100_000) -> None:
        self.rate = max(rate, 1e-9)
        self.burst = max(int(burst), 1)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._max = max_buckets

    def take(self, who: str, now: float | None = None) -> Decision:
        """Spend one token of `who`'s bucket if there is one."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(who, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        if len(self._buckets) >= self._max and who not in self._buckets:
            self._buckets.clear()  # crude bound on memory under address churn
        self._buckets[who] = (tokens, now)
        return Decision(
            allowed=allowed,
            limit=self.burst,
            remaining=int(tokens),
            reset_seconds=math.ceil((self.burst - tokens) / self.rate),
            retry_after=0 if allowed else max(1, math.ceil((1.0 - tokens) / self.rate)),
        )
