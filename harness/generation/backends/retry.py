"""When and how long to wait before retrying a request to a model server.

Pure functions over a small policy: retry on 429 and 5xx (and on timeouts and dropped
connections, which the caller decides), never on other 4xx; exponential backoff with
jitter, at least as long as the server's ``Retry-After``; a cap on attempts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry one request."""

    max_attempts: int = 5          # attempts in all, the first included
    backoff: float = 0.5           # seconds before the second attempt (doubles each time)
    max_backoff: float = 30.0      # cap on one computed wait
    max_retry_after: float = 120.0  # a longer Retry-After gives up instead of waiting


def is_retryable_status(status: int) -> bool:
    """429 (rate limited) and 5xx (server trouble) are worth another try; other 4xx are not."""
    return status == 429 or 500 <= status <= 599


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def retry_delay(policy: RetryPolicy, attempt: int, retry_after: float | None,
                rng: random.Random | None = None) -> float | None:
    """Seconds to wait after failed attempt number ``attempt`` (1-based).

    Exponential backoff with "equal jitter" (half fixed, half random), never shorter than
    the server's ``Retry-After``. None when the server asks for more than ``max_retry_after``.
    """
    rng = rng or random.Random()
    ceiling = min(policy.max_backoff, policy.backoff * 2 ** (attempt - 1))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    if retry_after is None:
        return delay
    if retry_after > policy.max_retry_after:
        return None
    return max(retry_after, delay)
