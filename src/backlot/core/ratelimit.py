"""A token bucket: `burst` at once, `rate` per second sustained."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    def __init__(self, rate: float, burst: int, now: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._burst, self._now = rate, float(burst), now
        self._tokens = float(burst)
        self._at = now()

    def take(self) -> bool:
        """Spend one token; False when the bucket is empty (the caller is flooding)."""
        now = self._now()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
