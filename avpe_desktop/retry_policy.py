"""The backoff schedule for calls worth another attempt.

It sits below every layer so the paid engine calls (`engines.resilience`) and the Cloudinary
uploads (`storage.cloudinary_upload`) share one schedule without storage importing engines.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: by default 5 s, 10 s, 20 s, then give up.

    `base_delay` is a parameter so tests can run the same schedule in milliseconds.
    """

    retries: int = 3
    base_delay: float = 5.0
    multiplier: float = 2.0
    max_delay: float = 120.0
    jitter: float = 0.2

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (0-based). A server's Retry-After wins
        when it asks for longer than our own schedule, capped so a bad header cannot stall a
        render for hours."""
        backoff = min(self.max_delay, self.base_delay * self.multiplier**retry)
        backoff *= 1 + random.uniform(-self.jitter, self.jitter)
        if retry_after is not None:
            backoff = max(backoff, min(retry_after, self.max_delay))
        return max(0.0, backoff)
